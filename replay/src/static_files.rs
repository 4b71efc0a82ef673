//! The built dashboard: real files as files, every other route under the base path gets
//! `index.html` so client-side routes survive a reload.

use std::path::{Component, Path, PathBuf};

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json; charset=utf-8",
        "jsonl" => "application/jsonl; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        _ => "application/octet-stream",
    }
}

/// `rel` is the part of the URL path after the base path, still percent-encoded.
pub async fn serve(dist: &Path, rel: &str) -> Response {
    if let Some(file) = resolve(dist, rel) {
        if let Ok(bytes) = tokio::fs::read(&file).await {
            return ([(header::CONTENT_TYPE, content_type(&file))], bytes).into_response();
        }
    }
    let index = dist.join("index.html");
    match tokio::fs::read(&index).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, content_type(&index))], bytes).into_response(),
        Err(e) => {
            eprintln!("cannot read {}: {e}", index.display());
            StatusCode::NOT_FOUND.into_response()
        }
    }
}

/// Only plain names below `dist`: no `..`, no absolute paths.
fn resolve(dist: &Path, rel: &str) -> Option<PathBuf> {
    let decoded = percent_decode(rel)?;
    let rel = Path::new(decoded.trim_start_matches('/'));
    if rel.as_os_str().is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let file = dist.join(rel);
    file.is_file().then_some(file)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_leave_dist() {
        let dist = std::env::temp_dir();
        assert!(resolve(&dist, "../etc/passwd").is_none());
        assert!(resolve(&dist, "%2e%2e/etc/passwd").is_none());
    }
}
