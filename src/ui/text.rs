//! One type for the reactive texts of the views (issue #22).
//!
//! Leptos compiles its renderer (`build`, `rebuild`, the render effect and its drop glue) once
//! per closure type: every `move || …` in a `view!` is a type of its own, a few hundred bytes of wasm
//! each. A [`Text`] is a boxed function, so every text child and attribute value made with
//! [`text`] shares one copy of that code; only the closure's own body stays per call site.
//! [`Part`] does the same for the parts of a view that come and go.

use leptos::prelude::{AnyView, IntoAny};
use std::sync::{Arc, Mutex};

/// A text that follows the signals its function reads.
pub type Text = Arc<dyn Fn() -> String + Send + Sync>;

/// `f` as a [`Text`]: use it for a `view!` text child or attribute computed from signals.
pub fn text(f: impl Fn() -> String + Send + Sync + 'static) -> Text {
    Arc::new(f)
}

/// A part of a view that follows signals (`{move || … view! { … }}`), boxed for the same
/// reason: every such part made with [`part`] shares one copy of the renderer's code.
pub type Part = Arc<Mutex<dyn FnMut() -> AnyView + Send>>;

/// `f` as a [`Part`]; `f` returns its view with `.into_any()`.
pub fn part(f: impl Fn() -> AnyView + Send + 'static) -> Part {
    Arc::new(Mutex::new(f))
}

/// A yes/no attribute (`class:`, `disabled`, …) that follows signals.
pub type Flag = Arc<dyn Fn() -> bool + Send + Sync>;

/// `f` as a [`Flag`]: every such attribute shares one copy of the renderer's code.
pub fn flag(f: impl Fn() -> bool + Send + Sync + 'static) -> Flag {
    Arc::new(f)
}

/// An attribute that is left out while its function returns `None` (`aria-valuenow`,
/// `aria-current`, …).
pub type MaybeText = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// `f` as a [`MaybeText`].
pub fn maybe_text(f: impl Fn() -> Option<String> + Send + Sync + 'static) -> MaybeText {
    Arc::new(f)
}

/// A list of views (`iter.map(|x| view! { … }).collect_any()`) as one type, `Vec<AnyView>`:
/// Leptos compiles a list's `build` and `rebuild` once per item type, ~0.8 kB of wasm for each
/// `collect_view()`; every list made with this shares one copy, the item types only their
/// `into_any` (issue #22).
pub trait CollectAny: Iterator<Item: IntoAny> + Sized {
    fn collect_any(self) -> Vec<AnyView> {
        self.map(IntoAny::into_any).collect()
    }
}

impl<I: Iterator<Item: IntoAny>> CollectAny for I {}
