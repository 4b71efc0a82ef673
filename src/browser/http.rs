//! GET and POST against ComfyUI's HTTP API, returning bodies as text for the core's decoders.

use gloo_net::http::{Request, Response};
use thiserror::Error;

#[derive(Debug, Clone, Error, PartialEq)]
pub enum HttpError {
    #[error("request failed: {0}")]
    Network(String),
    #[error("server answered HTTP {0}")]
    Status(u16),
}

/// The failure's text. Matched rather than formatted whole: `gloo_net::Error`'s `Display` also
/// formats its `serde_json::Error` variant (never produced here: no body is read as JSON by
/// gloo), which alone kept serde_json's error messages in the live page's wasm (issue #22).
fn network(e: gloo_net::Error) -> HttpError {
    HttpError::Network(match e {
        gloo_net::Error::JsError(e) => e.to_string(),
        gloo_net::Error::GlooError(s) => s,
        #[allow(unreachable_patterns)]
        _ => "unreadable response".to_owned(),
    })
}

/// A response with a 2xx status, or why there is none.
async fn ok(request: Result<Request, gloo_net::Error>) -> Result<Response, HttpError> {
    let response = request.map_err(network)?.send().await.map_err(network)?;
    if !response.ok() {
        return Err(HttpError::Status(response.status()));
    }
    Ok(response)
}

pub async fn get_text(url: &str) -> Result<String, HttpError> {
    ok(Request::get(url).build())
        .await?
        .text()
        .await
        .map_err(network)
}

pub async fn post_json(url: &str, body: &str) -> Result<(), HttpError> {
    let request = Request::post(url)
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    ok(request).await.map(|_| ())
}
