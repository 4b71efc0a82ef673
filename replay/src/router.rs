//! Which URL goes where, plus the cross-cutting rules: CORS and the simulated outage.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use crate::{api, control, static_files, ws, App};

pub fn build(app: Arc<App>) -> Router {
    let mut r = Router::new()
        .route("/ws", get(ws::comfy_ws))
        .route("/api/ws", get(ws::comfy_ws));
    if app.config.telemetry {
        r = r
            .route("/telemetry", get(ws::telemetry_ws))
            .route("/api/telemetry", get(ws::telemetry_ws));
    }
    r = r.nest("/api", api::routes()).merge(control::routes());
    if app.config.dist.is_none() {
        r = r.merge(api::routes());
    }
    r.fallback(fallback)
        .layer(middleware::from_fn_with_state(Arc::clone(&app), gate))
        .with_state(app)
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "404: Not Found").into_response()
}

fn is_ws_path(path: &str) -> bool {
    matches!(path, "/ws" | "/api/ws" | "/telemetry" | "/api/telemetry")
}

/// Routes that a dead ComfyUI would stop answering.
fn is_server_route(app: &App, path: &str) -> bool {
    if path == "/api" || path.starts_with("/api/") || is_ws_path(path) {
        return true;
    }
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    app.config.dist.is_none() && api::ROOT_SEGMENTS.contains(&first)
}

async fn gate(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let control = path.starts_with("/__replay/");
    let mut resp = if req.method() == Method::OPTIONS && (app.config.cors || control) {
        StatusCode::OK.into_response()
    } else if app.outage.active() && is_server_route(&app, &path) {
        (StatusCode::SERVICE_UNAVAILABLE, "503: Service Unavailable").into_response()
    } else {
        next.run(req).await
    };
    if app.config.cors || control {
        let h = resp.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST, GET, DELETE, PUT, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Content-Type, Authorization"),
        );
        if app.config.cors {
            // ComfyUI's --enable-cors-header sends this too.
            h.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }
    resp
}

async fn fallback(State(app): State<Arc<App>>, req: Request) -> Response {
    let path = req.uri().path();
    let reserved = path == "/api"
        || path.starts_with("/api/")
        || path.starts_with("/__replay/")
        || is_ws_path(path);
    let Some(dist) = &app.config.dist else {
        return not_found();
    };
    if reserved || !matches!(*req.method(), Method::GET | Method::HEAD) {
        return not_found();
    }
    let base = app.config.base_path.as_str();
    if let Some(rel) = path.strip_prefix(base) {
        return static_files::serve(dist, rel).await;
    }
    if path == base.trim_end_matches('/') {
        return static_files::serve(dist, "").await;
    }
    if path == "/" {
        return Redirect::temporary(base).into_response();
    }
    not_found()
}
