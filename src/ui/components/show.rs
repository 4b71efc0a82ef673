//! `<Show>`: Leptos' own (same props, same behaviour: the condition is memoized, the children
//! are made again each time it turns true, the fallback while it is false), compiled once.
//!
//! Leptos' `Show` is generic over its condition and its children's view type, and renders a
//! closure returning `Either<children, fallback>`: each use compiles that closure's renderer
//! and the condition's memo anew (issue #22). Here only the conversion to boxed functions is
//! generic; [`shown`] renders every `<Show>`. Import it by name (`use …::components::Show`),
//! which takes precedence over the prelude's.

use crate::ui::text::part;
use leptos::children::{TypedChildrenFn, ViewFn};
use leptos::prelude::*;
use std::sync::Arc;

/// Shows `children` while `when` holds, `fallback` (default: nothing) otherwise.
#[component]
pub fn Show<W, C>(
    /// The view shown while `when` holds.
    children: TypedChildrenFn<C>,
    /// The condition; its value is memoized, so the children are rebuilt only when it turns.
    when: W,
    /// What shows while `when` does not hold.
    #[prop(optional, into)]
    fallback: ViewFn,
) -> impl IntoView
where
    W: Fn() -> bool + Send + Sync + 'static,
    C: IntoView + 'static,
{
    let children = children.into_inner();
    shown(
        Arc::new(when),
        Box::new(move || children().into_any()),
        fallback,
    )
}

type Condition = Arc<dyn Fn() -> bool + Send + Sync>;
type MakeView = Box<dyn Fn() -> AnyView + Send>;

fn shown(when: Condition, children: MakeView, fallback: ViewFn) -> AnyView {
    let on = Memo::new(move |_| when());
    part(move || if on.get() { children() } else { fallback.run() }).into_any()
}
