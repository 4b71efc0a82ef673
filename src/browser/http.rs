//! GET and POST against ComfyUI's HTTP API, returning bodies as text for the core's decoders.

use gloo_net::http::Request;
use thiserror::Error;

#[derive(Debug, Clone, Error, PartialEq)]
pub enum HttpError {
    #[error("request failed: {0}")]
    Network(String),
    #[error("server answered HTTP {0}")]
    Status(u16),
}

pub async fn get_text(url: &str) -> Result<String, HttpError> {
    let response = Request::get(url)
        .send()
        .await
        .map_err(|e| HttpError::Network(e.to_string()))?;
    if !response.ok() {
        return Err(HttpError::Status(response.status()));
    }
    response
        .text()
        .await
        .map_err(|e| HttpError::Network(e.to_string()))
}

pub async fn post_empty(url: &str) -> Result<(), HttpError> {
    let response = Request::post(url)
        .send()
        .await
        .map_err(|e| HttpError::Network(e.to_string()))?;
    if !response.ok() {
        return Err(HttpError::Status(response.status()));
    }
    Ok(())
}

pub async fn post_json(url: &str, body: &str) -> Result<(), HttpError> {
    let response = Request::post(url)
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .map_err(|e| HttpError::Network(e.to_string()))?
        .send()
        .await
        .map_err(|e| HttpError::Network(e.to_string()))?;
    if !response.ok() {
        return Err(HttpError::Status(response.status()));
    }
    Ok(())
}
