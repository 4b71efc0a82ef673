//! `Live<T>` (`src/state/live.rs`) behaves as the `RwSignal` it replaced: what read it tracked
//! runs again after `set` and `update`, an untracked read does not subscribe, and a value goes
//! with the owner it was made under (its cleanup frees what it holds).
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::state::{Kept, Live};
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

#[wasm_bindgen_test]
fn track_subscribes_without_reading_and_writes_after_the_owner_is_gone_do_nothing() {
    let outer = Owner::new();
    outer.set();
    let revision = Live::new(0u64);
    let runs = StoredValue::new(0);
    let counted = Memo::new(move |_| {
        revision.track();
        runs.update_value(|n| *n += 1);
        runs.get_value()
    });
    assert_eq!(counted.get(), 1);
    revision.update(|r| *r += 1);
    assert_eq!(
        counted.get(),
        2,
        "a tracked value that changed runs it again"
    );

    // Work that outlived its page (a fetch answering late) writes into a value that is gone:
    // nothing happens, nothing panics (the release build would abort).
    let child = outer.child();
    let late = child.with(|| Live::new(String::from("before")));
    assert!(late.try_set("while alive".into()));
    child.cleanup();
    assert!(!late.try_set("after".into()), "no owner, no write");
    assert!(!late.try_update(|s| s.push('!')));
    late.set("ignored".into());
}

#[wasm_bindgen_test]
fn a_kept_value_is_read_and_written_as_a_stored_value_and_freed_with_its_owner() {
    let outer = Owner::new();
    outer.set();
    let held = Rc::new(());
    let child = outer.child();
    let kept = child.with(|| Kept::new((0u32, Rc::clone(&held))));
    kept.update_value(|(n, _)| *n += 2);
    kept.set_value((kept.with_value(|(n, _)| n + 1), Rc::clone(&held)));
    assert_eq!(kept.get_value().0, 3);
    assert_eq!(kept.try_get_value().map(|(n, _)| n), Some(3));
    child.cleanup();
    assert_eq!(Rc::strong_count(&held), 1, "freed with its owner");
    assert_eq!(kept.try_get_value().map(|(n, _)| n), None);
    assert!(
        !kept.try_update_value(|(n, _)| *n += 1),
        "no owner, no write"
    );
    kept.set_value((9, Rc::clone(&held)));
    assert_eq!(
        Rc::strong_count(&held),
        1,
        "a write after that keeps nothing"
    );
}
