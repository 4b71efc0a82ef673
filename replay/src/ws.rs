//! WebSocket endpoints: `/ws` (what a ComfyUI socket gets) and `/telemetry` (everything).

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use tokio::sync::mpsc;

use crate::hub::{Stream, CLIENT_QUEUE};
use crate::playback::Playback;
use crate::{extension, state, App};

const FEATURE_FLAGS_REPLY: &str = r#"{"type":"feature_flags","data":{"supports_preview_metadata":true,"max_upload_size":104857600}}"#;

pub async fn comfy_ws(
    State(app): State<Arc<App>>,
    Query(params): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let stream = app.config.ws_stream;
    accept(app, params, upgrade, stream, false)
}

pub async fn telemetry_ws(
    State(app): State<Arc<App>>,
    Query(params): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let extension = app.config.extension;
    accept(app, params, upgrade, Stream::Full, extension)
}

fn accept(
    app: Arc<App>,
    params: HashMap<String, String>,
    upgrade: WebSocketUpgrade,
    stream: Stream,
    extension: bool,
) -> Response {
    let client_id = params
        .get("clientId")
        .filter(|c| !c.is_empty())
        .cloned()
        .unwrap_or_else(random_hex_id);
    upgrade.on_upgrade(move |socket| session(app, socket, client_id, stream, extension))
}

/// ComfyUI invents a uuid4 hex when the client gives none; uniqueness is all that matters here.
fn random_hex_id() -> String {
    let mut out = String::with_capacity(32);
    for salt in 0..2u8 {
        let mut h = RandomState::new().build_hasher();
        h.write_u8(salt);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

fn status_frame(queue_remaining: usize, sid: &str) -> String {
    let sid = serde_json::Value::String(sid.to_owned());
    format!(
        r#"{{"type":"status","data":{{"status":{{"exec_info":{{"queue_remaining":{queue_remaining}}}}},"sid":{sid}}}}}"#
    )
}

fn is_feature_flags(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .is_some_and(|v| v.get("type").and_then(|t| t.as_str()) == Some("feature_flags"))
}

/// One `telemetry.gpu` per recorded second, like the extension's sampler at 1 Hz.
fn gpu_period(app: &App) -> std::time::Duration {
    std::time::Duration::from_secs_f64((1.0 / app.timeline.speed()).max(0.01))
}

async fn session(
    app: Arc<App>,
    mut socket: WebSocket,
    client_id: String,
    stream: Stream,
    extension: bool,
) {
    if app.outage.active() {
        return;
    }
    let (tx, mut rx) = mpsc::channel(CLIENT_QUEUE);
    let key = if extension {
        // Greeted and registered under the hub's lock: the catch-up ends where live frames begin.
        app.hub.register_extension(client_id.clone(), tx, |cursor| {
            extension::greeting(&app, cursor)
        })
    } else {
        // Queued before registering, so the greeting precedes any played frame.
        let hello = status_frame(state::queue(&app).remaining(), &client_id);
        tx.try_send(Message::Text(hello.into()))
            .ok()
            .map(|()| app.hub.register(stream, client_id.clone(), tx))
    };
    let Some(key) = key else {
        return;
    };
    let mode = if extension { " as extension" } else { "" };
    eprintln!("ws client {client_id} connected ({stream:?} stream{mode})");
    Playback::start_if_idle(&app);

    let mut gpu = extension.then(|| tokio::time::interval(gpu_period(&app)));
    let mut first_text = true;
    loop {
        tokio::select! {
            // Queued frames first: the greeting and catch-up precede the first GPU sample.
            biased;
            out = rx.recv() => match out {
                Some(msg) => {
                    if socket.send(msg).await.is_err() {
                        break;
                    }
                }
                // The hub dropped us (simulated outage): vanish without a close frame.
                None => {
                    eprintln!("ws client {client_id} cut off");
                    return;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if std::mem::take(&mut first_text) && is_feature_flags(text.as_str()) {
                        let reply = Message::Text(FEATURE_FLAGS_REPLY.into());
                        if socket.send(reply).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = async {
                match gpu.as_mut() {
                    Some(t) => t.tick().await,
                    None => std::future::pending().await,
                }
            } => {
                if socket.send(extension::gpu_frame(&app.extension)).await.is_err() {
                    break;
                }
            },
        }
    }
    app.hub.unregister(key);
    eprintln!("ws client {client_id} disconnected");
}
