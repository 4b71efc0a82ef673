//! Keyboard walking of the history list: one row is in the tab order at a time (roving
//! tabindex), the arrow keys move between rows, Home/End jump to the ends, Enter opens the
//! run and Space selects it. Tab then leaves the list instead of visiting every row.

use crate::state::Live;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

/// Which row is in the tab order, by run id; `None` means the first row.
#[derive(Clone, Copy)]
pub struct Roving(pub Live<Option<String>>);

impl Default for Roving {
    fn default() -> Roving {
        Roving(Live::new(None))
    }
}

impl Roving {
    /// `"0"` for the row that takes focus from Tab, `"-1"` for the others.
    pub fn tabindex(self, id: &str, first: Option<String>) -> &'static str {
        let active = self.0.get().or(first);
        if active.as_deref() == Some(id) {
            "0"
        } else {
            "-1"
        }
    }

    /// Handles a key pressed on a row (or inside it). Returns whether the key was used.
    pub fn keydown(self, ev: &leptos::ev::KeyboardEvent) -> bool {
        let Some(row) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<Element>().ok())
        else {
            return false;
        };
        let on_row = ev
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .is_some_and(|t| t == row);
        let parent = row.parent_element();
        let target = match ev.key().as_str() {
            "ArrowDown" => row.next_element_sibling(),
            "ArrowUp" => row.previous_element_sibling(),
            "Home" => parent.and_then(|p| p.first_element_child()),
            "End" => parent.and_then(|p| p.last_element_child()),
            "Enter" | " " if on_row => {
                let selector = if ev.key() == "Enter" {
                    "a"
                } else {
                    "input[type=checkbox]"
                };
                if let Some(el) = row
                    .query_selector(selector)
                    .ok()
                    .flatten()
                    .and_then(|e| e.dyn_into::<HtmlElement>().ok())
                {
                    el.click();
                }
                return true;
            }
            _ => return false,
        };
        if let Some(el) = target.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
            self.0.set(el.get_attribute("data-run-id"));
            let _ = el.focus();
        }
        true
    }
}
