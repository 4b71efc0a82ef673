//! Loading of recorded scenario folders.
//!
//! Recordings are data from the wire, possibly from setups we have never seen, so loading is
//! tolerant: a line that does not parse is skipped with a warning instead of failing the server,
//! and nothing here knows any fixture by name.

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

pub use crate::queued::QueuedPrompt;
use crate::queued::{add_prompts_json, queued_prompts, Action};
use crate::ReplayError;

/// One server-to-client frame, timed in recorded milliseconds since the scenario's origin.
#[derive(Debug, Clone)]
pub struct Frame {
    pub at_ms: f64,
    pub payload: Payload,
}

#[derive(Debug, Clone)]
pub enum Payload {
    /// `raw` is the recorded JSON text, sent verbatim so clients see the recorded key order.
    Text {
        raw: String,
        msg: TextMsg,
    },
    Binary(Vec<u8>),
}

/// The parts of a text frame that playback state and history synthesis look at.
#[derive(Debug, Clone)]
pub struct TextMsg {
    pub kind: String,
    pub data: Value,
    /// Kept raw so synthesized history `messages` carry the recorded data unchanged.
    pub data_raw: Option<Box<RawValue>>,
}

impl TextMsg {
    pub fn prompt_id(&self) -> Option<&str> {
        self.data.get("prompt_id").and_then(Value::as_str)
    }
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    /// What the submitting socket saw: every execution event.
    pub full: Vec<Frame>,
    /// What a passive socket saw: mostly `status` broadcasts.
    pub observer: Vec<Frame>,
    pub prompts: Vec<QueuedPrompt>,
    /// Recorded length from the origin to the last line of any file.
    pub duration_ms: f64,
}

/// Scenario folders are those holding at least one WebSocket trace; `http/` and the like are not.
pub fn list_scenarios(fixtures: &Path) -> Result<Vec<String>, ReplayError> {
    let entries = fs::read_dir(fixtures).map_err(|e| ReplayError::Fixtures {
        path: fixtures.to_path_buf(),
        source: e,
    })?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter(|e| !ws_files(&e.path()).is_empty())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    names.sort();
    Ok(names)
}

fn ws_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && file_name(p).starts_with("ws_")
                && p.extension().is_some_and(|x| x == "jsonl")
        })
        .collect();
    files.sort();
    files
}

fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

#[derive(Deserialize)]
struct Line {
    t_mono_ms: Option<f64>,
    #[serde(default)]
    kind: String,
    msg: Option<Box<RawValue>>,
    b64: Option<String>,
}

#[derive(Deserialize)]
struct RawMsg {
    #[serde(rename = "type")]
    kind: String,
    data: Option<Box<RawValue>>,
}

/// Every parsed line of a JSONL file with its time; unparsable lines are reported and dropped.
fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Vec<T> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("warning: cannot read {}: {e}", path.display());
            return Vec::new();
        }
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .filter_map(|(i, l)| match serde_json::from_str(l) {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!("warning: {}:{}: skipped ({e})", path.display(), i + 1);
                None
            }
        })
        .collect()
}

struct LoadedFile {
    lines: Vec<Line>,
    size: u64,
    path: PathBuf,
}

fn load_file(path: &Path) -> LoadedFile {
    LoadedFile {
        lines: read_jsonl(path),
        size: fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        path: path.to_path_buf(),
    }
}

pub fn load_scenario(fixtures: &Path, name: &str) -> Result<Scenario, ReplayError> {
    let dir = fixtures.join(name);
    let files = ws_files(&dir);
    if files.is_empty() {
        return Err(ReplayError::Scenario {
            name: name.to_owned(),
            reason: format!("no ws_*.jsonl in {}", dir.display()),
        });
    }
    let loaded: Vec<LoadedFile> = files.iter().map(|p| load_file(p)).collect();
    let is_observer = |f: &LoadedFile| file_name(&f.path) == "ws_observer.jsonl";
    let submitters: Vec<&LoadedFile> = loaded
        .iter()
        .filter(|f| file_name(&f.path).starts_with("ws_submitter"))
        .collect();
    let full_files: Vec<&LoadedFile> = if submitters.is_empty() {
        let biggest = loaded
            .iter()
            .filter(|f| !is_observer(f))
            .max_by_key(|f| f.size)
            .or_else(|| loaded.iter().max_by_key(|f| f.size));
        biggest.into_iter().collect()
    } else {
        submitters
    };
    let observer_file = loaded.iter().find(|f| is_observer(f));

    let actions_path = dir.join("actions.jsonl");
    let actions: Vec<Action> = if actions_path.is_file() {
        read_jsonl(&actions_path)
    } else {
        Vec::new()
    };

    let times = loaded
        .iter()
        .flat_map(|f| f.lines.iter().filter_map(|l| l.t_mono_ms))
        .chain(actions.iter().filter_map(|a| a.t_mono_ms))
        .filter(|t| t.is_finite());
    let (origin, end) = times.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| {
        (lo.min(t), hi.max(t))
    });
    let origin = if origin.is_finite() { origin } else { 0.0 };
    let duration_ms = if end.is_finite() {
        (end - origin).max(0.0)
    } else {
        0.0
    };

    let mut full = Vec::new();
    for f in &full_files {
        full.extend(frames_of(f, origin));
    }
    full.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
    let observer = match observer_file {
        Some(f) if !full_files.iter().any(|ff| ff.path == f.path) => frames_of(f, origin),
        // Without a passive recording, a passive socket would still have seen the broadcasts.
        _ => full
            .iter()
            .filter(|fr| matches!(&fr.payload, Payload::Text { msg, .. } if msg.kind == "status"))
            .cloned()
            .collect(),
    };

    let mut prompts = queued_prompts(&actions, origin);
    let first_seen = |id: &str| {
        full.iter()
            .find(
                |f| matches!(&f.payload, Payload::Text { msg, .. } if msg.prompt_id() == Some(id)),
            )
            .map_or(0.0, |f| f.at_ms)
    };
    add_prompts_json(&dir.join("prompts.json"), first_seen, &mut prompts);
    prompts.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));

    Ok(Scenario {
        name: name.to_owned(),
        full,
        observer,
        prompts,
        duration_ms,
    })
}

/// Server frames only: client-side markers are not on the wire, and the `status` with `sid` is
/// per-connection, so the replay server makes its own for each client.
fn frames_of(file: &LoadedFile, origin: f64) -> Vec<Frame> {
    let mut out = Vec::new();
    for (i, line) in file.lines.iter().enumerate() {
        let Some(t) = line.t_mono_ms.filter(|t| t.is_finite()) else {
            if line.kind == "text" || line.kind == "binary" {
                eprintln!(
                    "warning: {}: frame {} has no t_mono_ms, skipped",
                    file.path.display(),
                    i + 1
                );
            }
            continue;
        };
        let at_ms = t - origin;
        let payload = match line.kind.as_str() {
            "text" => {
                let Some(raw) = &line.msg else {
                    eprintln!(
                        "warning: {}: text frame {} has no msg",
                        file.path.display(),
                        i + 1
                    );
                    continue;
                };
                let Some(msg) = parse_text(raw) else {
                    eprintln!(
                        "warning: {}: text frame {} is not {{type,data}}",
                        file.path.display(),
                        i + 1
                    );
                    continue;
                };
                if msg.kind == "status" && msg.data.get("sid").is_some() {
                    continue;
                }
                Payload::Text {
                    raw: raw.get().to_owned(),
                    msg,
                }
            }
            "binary" => {
                let decoded = line
                    .b64
                    .as_deref()
                    .map(|b| base64::engine::general_purpose::STANDARD.decode(b));
                match decoded {
                    Some(Ok(bytes)) => Payload::Binary(bytes),
                    _ => {
                        eprintln!(
                            "warning: {}: binary frame {} has no valid b64",
                            file.path.display(),
                            i + 1
                        );
                        continue;
                    }
                }
            }
            _ => continue,
        };
        out.push(Frame { at_ms, payload });
    }
    out
}

fn parse_text(raw: &RawValue) -> Option<TextMsg> {
    let parsed: RawMsg = serde_json::from_str(raw.get()).ok()?;
    let data = match &parsed.data {
        Some(d) => serde_json::from_str(d.get()).ok()?,
        None => Value::Null,
    };
    Some(TextMsg {
        kind: parsed.kind,
        data,
        data_raw: parsed.data,
    })
}
