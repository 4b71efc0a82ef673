//! "The page is going away or to the background": `pagehide` and `visibilitychange`, the two
//! moments a page can still write what it holds before the browser may discard it.

use leptos::prelude::window_event_listener_untyped;
use std::rc::Rc;

/// Calls `flush` on every `pagehide` and `visibilitychange` until the returned closure is
/// called. Each stream that writes to the store registers its own flush here (the live page's
/// and every fleet card's), so no stream's last batch waits for a timer that may never fire.
pub fn on_page_leave(flush: impl Fn() + 'static) -> impl FnOnce() {
    // Through `dyn`: one copy of the listener's code for every caller (bytes, issue #22).
    let flush: Rc<dyn Fn()> = Rc::new(flush);
    let listen = |event: &str| {
        let flush = flush.clone();
        window_event_listener_untyped(event, move |_| flush())
    };
    let hidden = listen("pagehide");
    let visibility = listen("visibilitychange");
    move || {
        hidden.remove();
        visibility.remove();
    }
}
