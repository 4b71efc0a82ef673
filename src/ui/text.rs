//! One type for the reactive texts of the views (issue #22).
//!
//! Leptos compiles its renderer (`build`, `rebuild`, the render effect and its drop glue) once
//! per closure type: every `move || …` in a `view!` is a type of its own, about a kilobyte of wasm
//! each. A [`Text`] is a boxed function, so every text child and attribute value made with
//! [`text`] shares one copy of that code; only the closure's own body stays per call site.

use std::sync::Arc;

/// A text that follows the signals its function reads.
pub type Text = Arc<dyn Fn() -> String + Send + Sync>;

/// `f` as a [`Text`]: use it for a `view!` text child or attribute computed from signals.
pub fn text(f: impl Fn() -> String + Send + Sync + 'static) -> Text {
    Arc::new(f)
}
