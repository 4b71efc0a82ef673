//! How the fake ComfyUI answers with JSON, shared by the API, the jobs route and the control
//! routes (each imports this leaf, never one another).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

pub fn json(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}
