//! Prompts posted to a replay server started with `--hold-prompts`: queued and listed as
//! pending after the recording's own, never run (nothing executes in a replay), until
//! `POST /api/queue` deletes or clears them. An end-to-end test queues prompts as another
//! client would and drives the dashboard's pending list, cancel and clear against them.

use std::sync::{Mutex, MutexGuard};

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// Numbers of held prompts start here, after any recording's own.
const FIRST_NUMBER: u64 = 1000;

struct HeldPrompt {
    prompt_id: String,
    /// `[number, prompt_id, prompt, extra_data, outputs_to_execute]`, as `/queue` lists it.
    queue_item: Box<RawValue>,
}

#[derive(Default)]
struct Inner {
    prompts: Vec<HeldPrompt>,
    posted: u64,
}

/// The held prompts, in the order they run (their numbers increase).
#[derive(Default)]
pub struct Held {
    inner: Mutex<Inner>,
}

#[derive(Deserialize)]
struct PromptPost {
    prompt: Option<Box<RawValue>>,
    client_id: Option<String>,
    prompt_id: Option<String>,
}

/// What `POST /api/queue` asks: `{"delete": [ids]}` and/or `{"clear": true}`.
#[derive(Deserialize, Default)]
pub struct QueueEdit {
    #[serde(default)]
    pub delete: Vec<Value>,
    #[serde(default)]
    pub clear: bool,
}

impl Held {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a posted prompt; its id and number, as ComfyUI answers them. `Err` says why the
    /// body is not a prompt.
    pub fn post(&self, body: &str) -> Result<(String, u64), String> {
        let post: PromptPost = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let prompt = post.prompt.ok_or("no prompt")?;
        if !prompt.get().trim_start().starts_with('{') {
            return Err("the prompt is not an object".to_owned());
        }
        let mut inner = self.lock();
        inner.posted += 1;
        let number = FIRST_NUMBER + inner.posted;
        let n = inner.posted;
        let prompt_id = post
            .prompt_id
            .unwrap_or_else(|| format!("{n:08x}-0000-4000-8000-{n:012x}"));
        let extra = match &post.client_id {
            Some(c) => serde_json::json!({ "client_id": c }),
            None => serde_json::json!({}),
        };
        let item = format!(
            "[{number},{},{},{extra},[]]",
            Value::String(prompt_id.clone()),
            prompt.get()
        );
        let queue_item = RawValue::from_string(item).map_err(|e| e.to_string())?;
        inner.prompts.push(HeldPrompt {
            prompt_id: prompt_id.clone(),
            queue_item,
        });
        Ok((prompt_id, number))
    }

    /// Deletes what the edit names (ids not held are ignored, as ComfyUI ignores prompts no
    /// longer pending); how many were removed.
    pub fn edit(&self, edit: &QueueEdit) -> usize {
        let mut inner = self.lock();
        let before = inner.prompts.len();
        if edit.clear {
            inner.prompts.clear();
        }
        let ids: Vec<&str> = edit.delete.iter().filter_map(Value::as_str).collect();
        inner
            .prompts
            .retain(|p| !ids.contains(&p.prompt_id.as_str()));
        before - inner.prompts.len()
    }

    /// The held prompts' queue items, joined with commas (for a JSON array).
    pub fn items(&self) -> Vec<String> {
        self.lock()
            .prompts
            .iter()
            .map(|p| p.queue_item.get().to_owned())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.lock().prompts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(held: &Held, client: &str) -> String {
        let body = format!(
            r#"{{"prompt":{{"1":{{"class_type":"X","inputs":{{}}}}}},"client_id":"{client}"}}"#
        );
        held.post(&body).expect("held").0
    }

    #[test]
    fn posted_prompts_are_listed_in_order_until_deleted_or_cleared() {
        let held = Held::default();
        let ids: Vec<String> = (0..5).map(|_| post(&held, "other")).collect();
        let items = held.items();
        assert_eq!(items.len(), 5);
        assert!(items[0].starts_with("[1001,") && items[4].starts_with("[1005,"));
        assert!(items[2].contains(&ids[2]) && items[2].contains(r#""client_id":"other""#));
        let third = QueueEdit {
            delete: vec![
                Value::String(ids[2].clone()),
                Value::String("unknown".into()),
            ],
            clear: false,
        };
        assert_eq!(held.edit(&third), 1);
        assert!(held.items().iter().all(|i| !i.contains(&ids[2])));
        assert_eq!(held.len(), 4);
        let clear = QueueEdit {
            delete: Vec::new(),
            clear: true,
        };
        assert_eq!(held.edit(&clear), 4);
        assert_eq!(held.len(), 0);
    }

    #[test]
    fn a_body_that_is_not_a_prompt_is_refused() {
        let held = Held::default();
        assert!(held.post("{}").is_err());
        assert!(held.post(r#"{"prompt":[1]}"#).is_err());
        assert!(held.post("not json").is_err());
        assert_eq!(held.len(), 0);
    }
}
