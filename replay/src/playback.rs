//! The playback clock and the task that sends frames when they fall due.
//!
//! There is one timeline for the whole server, like a real ComfyUI: a client that connects late
//! gets what happens from then on, never a replay of the past.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::Message;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::hub::Stream;
use crate::trace::{Frame, Payload, Scenario};
use crate::App;

/// A frame ready to send, built once at load so playback only clones cheap handles.
pub struct Scheduled {
    pub at_ms: f64,
    pub stream: Stream,
    pub msg: Message,
}

pub fn schedule_of(s: &Scenario) -> Vec<Scheduled> {
    let tag = |stream: Stream| {
        move |f: &Frame| Scheduled {
            at_ms: f.at_ms,
            stream,
            msg: match &f.payload {
                Payload::Text { raw, .. } => Message::Text(raw.clone().into()),
                Payload::Binary(b) => Message::Binary(b.clone().into()),
            },
        }
    };
    let mut out: Vec<Scheduled> = s
        .full
        .iter()
        .map(tag(Stream::Full))
        .chain(s.observer.iter().map(tag(Stream::Observer)))
        .collect();
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
            for f in frames {
                let due = app.timeline.due_ms(cycle, index, f.at_ms);
                tokio::time::sleep_until(base + Duration::from_secs_f64(due.max(0.0) / 1000.0))
                    .await;
                app.hub.dispatch(f.stream, &f.msg);
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
