//! The set of connected WebSocket clients and fan-out of played frames to them.
//!
//! Each client has its own bounded queue so one slow browser cannot hold back the timeline or
//! the other clients; when its queue is full it simply misses frames, like a lagging socket.

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

struct Client {
    stream: Stream,
    client_id: String,
    tx: mpsc::Sender<Message>,
}

#[derive(Default)]
pub struct Hub {
    clients: Mutex<HashMap<u64, Client>>,
    next_key: AtomicU64,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Client>> {
        // A panic elsewhere must not take the whole server down with a poisoned lock.
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn register(&self, stream: Stream, client_id: String, tx: mpsc::Sender<Message>) -> u64 {
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(
            key,
            Client {
                stream,
                client_id,
                tx,
            },
        );
        key
    }

    pub fn unregister(&self, key: u64) {
        self.lock().remove(&key);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Returns how many clients were handed the frame.
    pub fn dispatch(&self, stream: Stream, msg: &Message) -> usize {
        let mut sent = 0;
        let mut gone = Vec::new();
        let mut clients = self.lock();
        for (key, c) in clients.iter().filter(|(_, c)| c.stream == stream) {
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

    /// Dropping every sender ends each client task without a close handshake, which is what a
    /// crashed server looks like to a browser.
    pub fn drop_all(&self) -> usize {
        let mut clients = self.lock();
        let n = clients.len();
        clients.clear();
        n
    }
}
