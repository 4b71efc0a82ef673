//! The two cheap HTTP questions the connection asks: is the server there at all (the slow
//! watch), and did it refuse this page (after both endpoints failed to open). What the answers
//! mean is decided in the core (`telemetry_core::refusal`).

use gloo_net::http::Request;
use telemetry_core::endpoint::ServerBase;
use telemetry_core::refusal::{classify, Refusal, StatsProbe};
use web_sys::RequestMode;

/// Whether the server is back: `/api/system_stats` answers 2xx (a proxy's 502 or a starting
/// server's 503 is not back yet).
pub async fn back(server: &ServerBase) -> bool {
    crate::browser::http::get_text(&server.api("system_stats"))
        .await
        .is_ok()
}

/// Whether anything answered at the server's address (any status). `no-cors` so that a
/// cross-origin server that does not allow this page still counts as there.
async fn answers(server: &ServerBase) -> bool {
    let request = Request::get(&server.api("system_stats"))
        .mode(RequestMode::NoCors)
        .build();
    match request {
        Ok(r) => r.send().await.is_ok(),
        Err(_) => false,
    }
}

/// `/telemetry/stats` read in CORS mode: the extension's refusals carry a JSON reason.
async fn stats(server: &ServerBase) -> StatsProbe {
    let request = Request::get(&format!("{}/telemetry/stats", server.http()))
        .build()
        .map_err(|_| ())?;
    let response = request.send().await.map_err(|_| ())?;
    let status = response.status();
    let body = if status == 403 {
        response.text().await.unwrap_or_default()
    } else {
        String::new()
    };
    Ok((status, body))
}

fn page_origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// Why the server refused the page, if it did.
pub async fn refusal(server: &ServerBase) -> Option<Refusal> {
    let stats = stats(server).await;
    let answered = match &stats {
        Ok(_) => true,
        Err(()) => answers(server).await,
    };
    let origin = page_origin();
    let cross_origin = server.http() != origin;
    classify(&stats, answered, cross_origin, &origin, &server.label())
}
