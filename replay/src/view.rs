//! `GET /view`: output images named in the recordings "exist"; nothing else does.
//!
//! The recordings carry no saved files, only their names, so every known image is answered with
//! the same small real PNG: enough for a dashboard to show a thumbnail and for tests to check it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::App;

const IMAGE_EXTENSIONS: [&str; 7] = ["png", "jpg", "jpeg", "webp", "gif", "bmp", "avif"];

pub async fn view(
    State(app): State<Arc<App>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(filename) = params.get("filename").filter(|f| !f.is_empty()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !app.view_files.contains(filename) || !IMAGE_EXTENSIONS.contains(&ext.as_str()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut resp = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "image/png")],
        app.png.clone(),
    )
        .into_response();
    // A name that cannot be a header value still gets its image, just without the hint.
    if let Ok(v) = HeaderValue::from_str(&format!("filename=\"{}\"", filename.replace('"', ""))) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
