use super::Live;
use crate::browser::clock::now_ms;
use leptos::prelude::*;
use std::time::Duration;

/// One clock for the whole page, so every "elapsed" and "3s ago" agrees to the tick.
#[derive(Clone, Copy)]
pub struct Ticker(Live<f64>);

/// Starts the page's clock; called once by the app.
pub fn provide_ticker() {
    let now = Live::new(now_ms());
    if let Ok(handle) = set_interval_with_handle(move || now.set(now_ms()), Duration::from_secs(1))
    {
        on_cleanup(move || handle.clear());
    }
    provide_context(Ticker(now));
}

/// The local time, advanced every second, for labels that keep ticking without new data.
pub fn use_ticking_now() -> Live<f64> {
    match use_context::<Ticker>() {
        Some(Ticker(now)) => now,
        None => {
            provide_ticker();
            expect_context::<Ticker>().0
        }
    }
}
