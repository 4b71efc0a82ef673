//! One type per event for the views' event handlers (issue #22).
//!
//! Every `on:click=move |_| …` is an `On<click, F>` of its own closure type, and the renderer's
//! attribute code (build, rebuild, clone, its erased form) is compiled once per such type. A
//! [`Handler`] is a boxed function, so every handler of one event made with [`handler`] shares
//! one copy of that code; only the closure's own body stays per call site.

/// An event handler, boxed: `on:click=handler(move |_| …)`.
pub type Handler<E> = Box<dyn FnMut(E)>;

/// `f` as a [`Handler`].
pub fn handler<E: 'static>(f: impl FnMut(E) + 'static) -> Handler<E> {
    Box::new(f)
}
