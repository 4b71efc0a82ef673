//! `Live<T>` (`src/state/live.rs`) behaves as the `RwSignal` it replaced: what read it tracked
//! runs again after `set` and `update`, an untracked read does not subscribe, and a value goes
//! with the owner it was made under (its cleanup frees what it holds).
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::state::Live;
use leptos::prelude::*;
use std::rc::Rc;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn reads_follow_writes_and_untracked_reads_do_not_subscribe() {
    let owner = Owner::new();
    owner.set();
    let count = Live::new(1u32);
    let doubled = Memo::new(move |_| count.get() * 2);
    let seen_at_first = Memo::new(move |_| count.get_untracked());
    let label = Memo::new(move |_| count.with(|c| format!("{c} run(s)")));
    assert_eq!((doubled.get(), seen_at_first.get()), (2, 1));
    count.set(3);
    assert_eq!(doubled.get(), 6, "a tracked read runs again after set");
    count.update(|c| *c += 1);
    assert_eq!(doubled.get(), 8, "and after update");
    assert_eq!(label.get(), "4 run(s)");
    assert_eq!(
        seen_at_first.get(),
        1,
        "an untracked read did not subscribe"
    );
    assert_eq!(count.with_untracked(|c| *c), 4);
}

#[wasm_bindgen_test]
fn values_of_different_types_stay_apart() {
    let owner = Owner::new();
    owner.set();
    let text = Live::new(String::from("a"));
    let list = Live::new(vec![1, 2]);
    let both = Memo::new(move |_| format!("{} {}", text.get(), list.with(Vec::len)));
    list.update(|l| l.push(3));
    text.set("b".into());
    assert_eq!(both.get(), "b 3");
}

#[wasm_bindgen_test]
fn a_value_is_freed_with_its_owner() {
    let outer = Owner::new();
    outer.set();
    let held = Rc::new(());
    let child = outer.child();
    child.with(|| {
        let value = Live::new(Rc::clone(&held));
        assert_eq!(value.with(Rc::strong_count), 2);
    });
    assert_eq!(Rc::strong_count(&held), 2, "alive while its owner is");
    child.cleanup();
    assert_eq!(
        Rc::strong_count(&held),
        1,
        "freed when its owner is cleaned up"
    );
}
