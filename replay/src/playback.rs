//! The playback clock and the task that sends frames when they fall due.
//!
//! There is one timeline for the whole server, like a real ComfyUI: a client that connects late
//! gets what happens from then on, never a replay of the past (except the catch-up an
//! extension-mode `/telemetry` client is greeted with).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::Message;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::event::{Event, Scheduled, TextMeta};
use crate::extension;
use crate::hub::{Cursor, Stream};
use crate::trace::{Frame, Payload, Scenario};
use crate::App;

fn node_of(data: &serde_json::Value) -> Option<Option<String>> {
    let node = data.get("node")?;
    Some(match node {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    })
}

pub fn schedule_of(s: &Scenario, extension_events: bool) -> Vec<Scheduled> {
    let tag = |stream: Stream| {
        move |f: &Frame| Scheduled {
            at_ms: f.at_ms,
            event: match &f.payload {
                Payload::Text { raw, msg } => Event::Frame {
                    stream,
                    msg: Message::Text(raw.clone().into()),
                    meta: (stream == Stream::Full).then(|| TextMeta {
                        kind: msg.kind.clone(),
                        prompt_id: msg.prompt_id().map(str::to_owned),
                        node: node_of(&msg.data),
                    }),
                },
                Payload::Binary(b) => Event::Frame {
                    stream,
                    msg: Message::Binary(b.clone().into()),
                    meta: None,
                },
            },
        }
    };
    let mut out: Vec<Scheduled> = s
        .full
        .iter()
        .map(tag(Stream::Full))
        .chain(s.observer.iter().map(tag(Stream::Observer)))
        .collect();
    if extension_events {
        out.extend(s.prompts.iter().map(|q| Scheduled {
            at_ms: q.at_ms,
            event: Event::Queued(extension::queued_data(q)),
        }));
    }
    // Stable: a prompt's announcement stays after frames recorded at the same instant.
    out.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
    out
}

#[derive(Default)]
pub struct Playback {
    inner: Mutex<Inner>,
    frames_sent: AtomicU64,
}

#[derive(Default)]
struct Inner {
    started: Option<Instant>,
    player: Option<JoinHandle<()>>,
}

impl Playback {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Real milliseconds since playback started, or `None` before the first start.
    pub fn elapsed_ms(&self) -> Option<f64> {
        self.lock()
            .started
            .map(|s| s.elapsed().as_secs_f64() * 1000.0)
    }

    /// Timeline frames played so far (each counted once, whatever the number of clients).
    pub fn frames_sent(&self) -> u64 {
        self.frames_sent.load(Ordering::Relaxed)
    }

    pub fn start_if_idle(app: &Arc<App>) {
        let mut inner = app.playback.lock();
        if inner.started.is_none() {
            Self::launch(app, &mut inner);
        }
    }

    pub fn restart(app: &Arc<App>) {
        let mut inner = app.playback.lock();
        if let Some(old) = inner.player.take() {
            old.abort();
        }
        Self::launch(app, &mut inner);
    }

    fn launch(app: &Arc<App>, inner: &mut Inner) {
        let base = Instant::now();
        inner.started = Some(base);
        app.playback.frames_sent.store(0, Ordering::Relaxed);
        app.hub.reset_cursor();
        eprintln!("playback started");
        inner.player = Some(tokio::spawn(play(Arc::clone(app), base)));
    }
}

async fn play(app: Arc<App>, base: Instant) {
    let total: usize = app.schedule.iter().map(Vec::len).sum();
    let mut cycle = 0;
    loop {
        for (index, frames) in app.schedule.iter().enumerate() {
            if let Some(name) = app.names.get(index) {
                eprintln!("playing scenario {name} (cycle {cycle})");
            }
            for (pos, f) in frames.iter().enumerate() {
                let due = app.timeline.due_ms(cycle, index, f.at_ms);
                tokio::time::sleep_until(base + Duration::from_secs_f64(due.max(0.0) / 1000.0))
                    .await;
                let cursor = Cursor {
                    index,
                    next: pos + 1,
                };
                match &f.event {
                    Event::Frame { stream, msg, .. } => {
                        app.hub.play(cursor, *stream, msg);
                    }
                    Event::Queued(data) => {
                        app.hub
                            .play_extension(cursor, &extension::queued_frame(data.clone()));
                    }
                }
                app.playback.frames_sent.fetch_add(1, Ordering::Relaxed);
            }
        }
        if !app.timeline.looping() || total == 0 {
            break;
        }
        // Wait out the trailing gap so the next cycle starts where the clock says it does.
        let next = (cycle + 1) as f64 * app.timeline.cycle_ms();
        tokio::time::sleep_until(base + Duration::from_secs_f64(next / 1000.0)).await;
        cycle += 1;
    }
    eprintln!("playback finished");
}
