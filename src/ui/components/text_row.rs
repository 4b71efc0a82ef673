//! A table row of text cells, for the tables whose cells are only text (the report's, the
//! trends panel's).
//!
//! A `view!` row is a type of its own per table (its cells' count and types), and Leptos
//! compiles its building per type; these rows are all one function (issue #22).

use crate::ui::text::CollectAny;
use leptos::prelude::*;

/// How a row's last cell looks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum LastCell {
    Plain,
    /// In small type: a long list (a trend, an example error).
    Small,
}

/// `<tr>` with one `<td>` per cell, its text as given (escaped as text, never markup).
pub fn text_row(cells: Vec<String>, last: LastCell) -> AnyView {
    let n = cells.len();
    let cells = cells.into_iter().enumerate().map(|(i, text)| {
        let small = last == LastCell::Small && i + 1 == n;
        view! { <td class=small.then_some("small")>{text}</td> }
    });
    view! { <tr>{cells.collect_any()}</tr> }.into_any()
}
