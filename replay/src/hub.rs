//! The set of connected WebSocket clients and fan-out of played frames to them.
//!
//! Each client has its own bounded queue so one slow browser cannot hold back the timeline or
//! the other clients; when its queue is full it simply misses frames, like a lagging socket.
//!
//! The hub also remembers how far the player got (the cursor). Frames are handed out and the
//! cursor advanced under one lock, and an extension-mode `/telemetry` client is greeted and
//! registered under that same lock, so its catch-up replay and the live frames that follow
//! neither overlap nor leave a gap.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use axum::extract::ws::Message;
use tokio::sync::mpsc;

/// How many frames may wait for one client before it starts missing some.
pub const CLIENT_QUEUE: usize = 1024;

/// Which recording a socket is fed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Everything the submitting socket saw.
    Full,
    /// What a passive socket with its own clientId saw.
    Observer,
}

/// How far playback got: `next` entries of scenario `index`'s schedule have been played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub index: usize,
    pub next: usize,
}

struct Client {
    stream: Stream,
    /// A `/telemetry` client in `--extension` mode: also gets the `telemetry.*` events.
    extension: bool,
    client_id: String,
    tx: mpsc::Sender<Message>,
}

#[derive(Default)]
struct Inner {
    clients: HashMap<u64, Client>,
    cursor: Option<Cursor>,
}

#[derive(Default)]
pub struct Hub {
    inner: Mutex<Inner>,
    next_key: AtomicU64,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere must not take the whole server down with a poisoned lock.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn register(&self, stream: Stream, client_id: String, tx: mpsc::Sender<Message>) -> u64 {
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        self.lock().clients.insert(
            key,
            Client {
                stream,
                extension: false,
                client_id,
                tx,
            },
        );
        key
    }

    /// Queues `greet(cursor)` for a new extension client and registers it, atomically with
    /// respect to playback. `None` when the greeting did not fit in its queue.
    pub fn register_extension(
        &self,
        client_id: String,
        tx: mpsc::Sender<Message>,
        greet: impl FnOnce(Option<Cursor>) -> Vec<Message>,
    ) -> Option<u64> {
        let mut inner = self.lock();
        for msg in greet(inner.cursor) {
            tx.try_send(msg).ok()?;
        }
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        inner.clients.insert(
            key,
            Client {
                stream: Stream::Full,
                extension: true,
                client_id,
                tx,
            },
        );
        Some(key)
    }

    pub fn unregister(&self, key: u64) {
        self.lock().clients.remove(&key);
    }

    pub fn len(&self) -> usize {
        self.lock().clients.len()
    }

    pub fn reset_cursor(&self) {
        self.lock().cursor = None;
    }

    /// A recorded frame, played at `cursor`; returns how many clients were handed it.
    pub fn play(&self, cursor: Cursor, stream: Stream, msg: &Message) -> usize {
        let mut inner = self.lock();
        inner.cursor = Some(cursor);
        deliver(&mut inner.clients, |c| c.stream == stream, msg)
    }

    /// An extension-only event (`telemetry.queued`), played at `cursor`.
    pub fn play_extension(&self, cursor: Cursor, msg: &Message) -> usize {
        let mut inner = self.lock();
        inner.cursor = Some(cursor);
        deliver(&mut inner.clients, |c| c.extension, msg)
    }

    /// A frame every client gets, whatever it is fed from (the queue's `status`).
    pub fn broadcast(&self, msg: &Message) -> usize {
        deliver(&mut self.lock().clients, |_| true, msg)
    }

    /// Dropping every sender ends each client task without a close handshake, which is what a
    /// crashed server looks like to a browser.
    pub fn drop_all(&self) -> usize {
        let mut inner = self.lock();
        let n = inner.clients.len();
        inner.clients.clear();
        n
    }
}

fn deliver(
    clients: &mut HashMap<u64, Client>,
    wanted: impl Fn(&Client) -> bool,
    msg: &Message,
) -> usize {
    let mut sent = 0;
    let mut gone = Vec::new();
    for (key, c) in clients.iter().filter(|(_, c)| wanted(c)) {
        match c.tx.try_send(msg.clone()) {
            Ok(()) => sent += 1,
            Err(mpsc::error::TrySendError::Full(_)) => {
                eprintln!("client {} is too slow: frame dropped for it", c.client_id);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => gone.push(*key),
        }
    }
    for key in gone {
        clients.remove(&key);
    }
    sent
}
