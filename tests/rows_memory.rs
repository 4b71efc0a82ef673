//! Keyed lists on a page that stays open (issue 22): `<For>` keeps a 72-byte allocation (and a
//! slot in the surrounding owner) for every row it ever made, so the live page's event log,
//! badges and lists grew by ~1 MB per 100 000 messages. `<Rows>` is `<For>` without that: rows
//! made and removed by the tens of thousands leave wasm memory where it was.
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::ui::components::Rows;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

#[path = "support/wasm_memory.rs"]
mod wasm_memory;
use wasm_memory::wasm_bytes;

wasm_bindgen_test_configure!(run_in_browser);

fn container() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div.unchecked_into()
}

const SHOWN: u64 = 25;

#[wasm_bindgen_test]
async fn rows_made_and_removed_by_the_ten_thousand_leave_memory_flat() {
    console_error_panic_hook::set_once();
    let owner = Owner::new();
    owner.set();
    let first = RwSignal::new(0u64);
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        let each = move || {
            let f = first.get();
            f..f + SHOWN
        };
        view! {
            <ol>
                <Rows each=each key=|n| *n let:n>
                    <li>{n}</li>
                </Rows>
            </ol>
        }
    });
    let churn = |rounds: u64| async move {
        for _ in 0..rounds {
            // Every row replaced by a new one: the event log's rows as a flood scrolls them.
            first.update(|f| *f += SHOWN);
            leptos::task::tick().await;
        }
    };
    churn(400).await;
    let before = wasm_bytes();
    churn(2_000).await;
    let grown = wasm_bytes() - before;
    let last = first.get_untracked();
    assert_eq!(
        u64::from(root.first_element_child().unwrap().child_element_count()),
        SHOWN,
        "the list shows the current rows"
    );
    assert_eq!(
        root.query_selector("li")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap(),
        last.to_string()
    );
    // With <For>: +50 000 live 72-byte blocks, wasm memory +4 MB (it grows in 64 kB pages).
    assert!(
        grown <= 131_072.0,
        "wasm memory grew by {grown} bytes over 50 000 rows"
    );
    root.remove();
}

#[derive(Clone)]
struct Unit(&'static str);

#[wasm_bindgen_test]
async fn rows_in_later_generations_still_find_contexts_and_stay_reactive() {
    console_error_panic_hook::set_once();
    let owner = Owner::new();
    owner.set();
    let first = RwSignal::new(0u64);
    let scale = RwSignal::new(1u64);
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        provide_context(Unit("ms"));
        view! {
            <ol>
                <Rows each=move || { let f = first.get(); f..f + 3 } key=|n| *n let:n>
                    <li>{move || n * scale.get()} {use_context::<Unit>().map(|u| u.0)}</li>
                </Rows>
            </ol>
        }
    });
    // Past the first generation's 128 rows, and the next.
    for _ in 0..100 {
        first.update(|f| *f += 3);
        leptos::task::tick().await;
    }
    assert_eq!(root.text_content().unwrap(), "300ms301ms302ms");
    scale.set(2);
    leptos::task::tick().await;
    assert_eq!(root.text_content().unwrap(), "600ms602ms604ms");
    root.remove();
}
