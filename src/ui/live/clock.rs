use crate::browser::clock::now_ms;
use leptos::prelude::*;
use std::time::Duration;

/// A signal with the local time, advanced every second while the component lives, for "3s ago"
/// labels that keep ticking without new data.
pub fn use_ticking_now() -> ReadSignal<f64> {
    let (now, set_now) = signal(now_ms());
    if let Ok(handle) =
        set_interval_with_handle(move || set_now.set(now_ms()), Duration::from_secs(1))
    {
        on_cleanup(move || handle.clear());
    }
    now
}
