//! One type for the views' effects (issue #22).
//!
//! `Effect::new` compiles its scheduling loop (the task that waits for a change, runs the
//! function under the effect's owner and tracks what it read) once per closure type, about half a
//! kilobyte of wasm to a few kilobytes each. [`effect`] boxes the function, so every effect made
//! with it shares one copy of that loop; only the function's own body stays per call site.

use leptos::prelude::Effect;

/// Runs `f` now (after the current render) and again whenever a signal it read changes, for as
/// long as the current owner lives: `Effect::new(move |_| f())`, with `f` boxed.
pub fn effect(f: impl FnMut() + 'static) {
    let mut f: Box<dyn FnMut()> = Box::new(f);
    Effect::new(move |_| f());
}
