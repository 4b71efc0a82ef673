//! The styles of the findings and the report (`style/insight.css`), rendered by the views that
//! show them. The live page never shows a finding, so its style sheet (`style/main.css`, loaded
//! with the page) does not carry these rules: they come with the history, run and report
//! chunks, as their code does.

use leptos::prelude::*;

const CSS: &str = include_str!("../../../style/insight.css");

#[component]
pub fn InsightStyle() -> impl IntoView {
    view! { <style>{CSS}</style> }
}
