//! `<Rows>`: Leptos' `<For>` (same props, same keyed updates) without its memory growth.
//!
//! `For` makes each row's reactive owner a child of the owner around the list, and an owner
//! remembers every child it ever had (a `Weak` in a list emptied only when the owner is cleaned
//! up, reactive_graph 0.2). A removed row's owner is dropped, but that `Weak` keeps the row
//! owner's 72-byte allocation, and the list a slot, for as long as the list is shown: on the
//! live page, forever. A flood left ~13 000 of them per 100 000 messages, the whole of the
//! page's growth without a store (issue 22, `bench/alloc_probe.mjs`).
//!
//! Here rows are made under a *generation* owner that takes [`PER_OWNER`] rows and is then
//! replaced; each row keeps its generation alive, so a generation (with the allocations of its
//! rows) goes once its last row is gone. Generations are made the same way under a *shelf*
//! owner, and shelves under the list's owner: what stays for good is one slot per
//! `PER_OWNER²` rows (16 384). Contexts, cleanup with the list's owner and pausing work as
//! with `For`: every row owner still descends from it.

use leptos::prelude::*;
use leptos::tachys::reactive_graph::OwnedView;
use leptos::tachys::view::keyed::{keyed, SerializableKey};
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

/// Rows per generation, and generations per shelf.
const PER_OWNER: usize = 128;

/// The owner new children go under, replaced after [`PER_OWNER`] children.
#[derive(Default)]
struct Batch {
    owner: Option<Owner>,
    made: usize,
}

impl Batch {
    /// The owner for the next child; when the current one is full, a new one under `parent()`,
    /// which it keeps alive when `hold` (a shelf must outlive its generations; the list's own
    /// owner outlives its shelves anyway, and holding it would be a cycle).
    fn next(&mut self, parent: impl FnOnce() -> Owner, hold: bool) -> Owner {
        match &self.owner {
            Some(owner) if self.made < PER_OWNER => {
                self.made += 1;
                owner.clone()
            }
            _ => {
                let up = parent();
                let owner = up.child();
                if hold {
                    owner.with(|| on_cleanup(move || drop(up)));
                }
                self.owner = Some(owner.clone());
                self.made = 1;
                owner
            }
        }
    }
}

#[derive(Default)]
struct Owners {
    shelf: Batch,
    generation: Batch,
}

/// A new row's owner, under the current generation (which it keeps alive). Not generic, so
/// it is compiled once for every list (bytes).
fn row_owner(owners: &Mutex<Owners>, list: &Owner) -> Owner {
    let generation = {
        let mut o = owners.lock().unwrap_or_else(PoisonError::into_inner);
        let Owners { shelf, generation } = &mut *o;
        generation.next(|| shelf.next(|| list.clone(), false), true)
    };
    let owner = generation.child();
    owner.with(|| on_cleanup(move || drop(generation)));
    owner
}

/// Iterates over `each`, keyed by `key`, showing `children` for each item: `<For>`'s contract.
#[component]
pub fn Rows<IF, I, T, EF, N, KF, K>(
    /// Items over which the component should iterate.
    each: IF,
    /// A key function that will be applied to each item.
    key: KF,
    /// A function that takes the item, and returns the view that will be displayed for each item.
    children: EF,
) -> impl IntoView
where
    IF: Fn() -> I + Send + 'static,
    I: IntoIterator<Item = T> + Send + 'static,
    EF: Fn(T) -> N + Send + Clone + 'static,
    N: IntoView + 'static,
    KF: Fn(&T) -> K + Send + Clone + 'static,
    K: Eq + Hash + SerializableKey + 'static,
    T: Send + 'static,
{
    let list = Owner::current().expect("no reactive owner");
    let owners = Arc::new(Mutex::new(Owners::default()));
    let children = move |_, child| {
        let owner = row_owner(&owners, &list);
        let view = owner.with(|| children(child));
        (drop, OwnedView::new_with_owner(view, owner))
    };
    move || keyed(each(), key.clone(), children.clone())
}
