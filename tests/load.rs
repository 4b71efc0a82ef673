//! How views load (`ui::load`), in a real browser with the view mounted: answers are held back
//! and released newest first, the order that let an older answer overwrite a newer one when each
//! view kept its own `spawn_local` loop. What a person sees must end with the newest answer and
//! never go back to an older one.
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::ui::load::{use_jobs, Job, Load};
use futures::channel::oneshot;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Answers waiting to be released, by the request number they answer.
type Gates = Rc<RefCell<Vec<(u32, oneshot::Sender<()>)>>>;

/// Releases every answer asked for so far, the newest first.
fn release_newest_first(gates: &Gates) -> usize {
    let mut waiting = std::mem::take(&mut *gates.borrow_mut());
    waiting.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    let released = waiting.len();
    for (_, gate) in waiting {
        let _ = gate.send(());
    }
    released
}

fn container() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div.unchecked_into()
}

async fn settle() {
    for _ in 0..5 {
        TimeoutFuture::new(5).await;
    }
}

/// The numbers in the answers shown so far, in the order they were shown.
fn shown_numbers(seen: &RefCell<Vec<String>>) -> Vec<u32> {
    seen.borrow()
        .iter()
        .filter_map(|s| s.strip_prefix("answer ")?.parse().ok())
        .collect()
}

#[wasm_bindgen_test]
async fn a_slow_first_answer_never_replaces_the_newest_one_on_screen() {
    let owner = Owner::new();
    owner.set();
    let gates: Gates = Rc::default();
    let seen = Rc::new(RefCell::new(Vec::<String>::new()));
    let asked = RwSignal::new(1u32);
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), {
        let (gates, seen) = (gates.clone(), seen.clone());
        move || {
            let load = Load::new(move || {
                let n = asked.get();
                let (gate, wait) = oneshot::channel();
                gates.borrow_mut().push((n, gate));
                async move {
                    let _ = wait.await;
                    format!("answer {n}")
                }
            });
            let text = move || {
                load.get()
                    .map(|a| (*a).clone())
                    .unwrap_or_else(|| "loading".into())
            };
            Effect::new(move || seen.borrow_mut().push(text()));
            view! { <p>{text}</p> }
        }
    });
    settle().await;
    assert_eq!(root.text_content().unwrap(), "loading");
    assert_eq!(gates.borrow().len(), 1, "the first read starts at once");

    // Two newer requests while the first answer is held back.
    asked.set(2);
    settle().await;
    asked.set(3);
    settle().await;
    assert_eq!(root.text_content().unwrap(), "loading");

    // Release whatever is waiting, newest first, until nothing is asked any more.
    for _ in 0..20 {
        release_newest_first(&gates);
        settle().await;
    }
    assert_eq!(gates.borrow().len(), 0, "every read answered");
    assert_eq!(root.text_content().unwrap(), "answer 3");
    let shown = shown_numbers(&seen);
    assert_eq!(shown.last(), Some(&3), "shown: {shown:?}");
    assert!(
        shown.windows(2).all(|w| w[0] <= w[1]),
        "an older answer was shown after a newer one: {shown:?}"
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn the_note_of_the_latest_click_stays_when_an_earlier_job_ends_later() {
    let owner = Owner::new();
    owner.set();
    let jobs = use_jobs();
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <p>{move || jobs.value().get().map(|(_, note)| note).unwrap_or_default()}</p>
            <span>{move || if jobs.pending().get() { "busy" } else { "idle" }}</span>
        }
    });
    let (slow_gate, slow) = oneshot::channel::<()>();
    jobs.dispatch_local(Job::new(async move {
        let _ = slow.await;
        (true, "export done".to_owned())
    }));
    jobs.dispatch_local(Job::new(async { (true, "deleted 2".to_owned()) }));
    settle().await;
    assert_eq!(root.text_content().unwrap(), "deleted 2busy");

    let _ = slow_gate.send(());
    settle().await;
    assert_eq!(root.text_content().unwrap(), "deleted 2idle");
    root.remove();
}
