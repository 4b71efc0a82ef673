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
use leptos::tachys::view::keyed::keyed;
use std::any::Any;
use std::hash::{Hash, Hasher};
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
///
/// Only the conversion of items to [`Row`]s is generic: the keyed list itself (its diff, its
/// render effect and their drop glue) is compiled once for every list, not once per item and
/// key type (issue #22).
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
    IF: Fn() -> I + Send + Sync + 'static,
    I: IntoIterator<Item = T> + Send + 'static,
    EF: Fn(T) -> N + Send + Sync + Clone + 'static,
    N: IntoView + 'static,
    KF: Fn(&T) -> K + Send + Sync + Clone + 'static,
    K: Eq + Hash + Send + Sync + 'static,
    T: Send + 'static,
{
    let rows = move || {
        let (key, children) = (key.clone(), children.clone());
        each()
            .into_iter()
            .map(move |item| {
                let children = children.clone();
                Row {
                    key: RowKey(Arc::new(key(&item))),
                    view: Box::new(move || children(item).into_any()),
                }
            })
            .collect()
    };
    keyed_rows(Arc::new(rows))
}

/// An item of a list, its type erased: its key, and what makes its view.
struct Row {
    key: RowKey,
    view: Box<dyn FnOnce() -> AnyView + Send>,
}

/// A key of any type, compared and hashed as that type.
#[derive(Clone)]
struct RowKey(Arc<dyn DynKey + Send + Sync>);

trait DynKey: Any {
    fn same(&self, other: &dyn Any) -> bool;
    fn hash_into(&self, state: &mut dyn Hasher);
    fn as_any(&self) -> &dyn Any;
}

impl<K: Eq + Hash + 'static> DynKey for K {
    fn same(&self, other: &dyn Any) -> bool {
        other.downcast_ref::<K>() == Some(self)
    }

    fn hash_into(&self, mut state: &mut dyn Hasher) {
        self.hash(&mut state);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl PartialEq for RowKey {
    fn eq(&self, other: &RowKey) -> bool {
        self.0.same(other.0.as_any())
    }
}

impl Eq for RowKey {}

impl Hash for RowKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash_into(state);
    }
}

type RowsFn = Arc<dyn Fn() -> Vec<Row> + Send + Sync>;

/// The keyed list of every `<Rows>`: each row made under its generation's owner.
fn keyed_rows(rows: RowsFn) -> AnyView {
    let list = Owner::current().expect("no reactive owner");
    let owners = Arc::new(Mutex::new(Owners::default()));
    let children = move |_, row: Row| {
        let owner = row_owner(&owners, &list);
        let view = owner.with(row.view);
        (drop, OwnedView::new_with_owner(view, owner))
    };
    (move || keyed(rows(), |row: &Row| row.key.clone(), children.clone())).into_any()
}
