//! [`Live`]: a value the views follow, with one compiled copy of the reactive machinery for every
//! value type (issue #22).
//!
//! An `RwSignal<T>` compiles its arena lookup, its lock guards, its tracking and the notification
//! in its write guard's drop once per `T` (and `with` once per closure): a few hundred bytes of
//! wasm each. A `Live<T>` keeps its value in an `Rc<RefCell<T>>` stored under one type
//! (`Rc<dyn Any>`) and changes through one [`Trigger`]: the arena, the tracking and the
//! notification are compiled once; per `T` only the downcast remains, and per read the borrow.
//! For the live state's 15 values: −2.4 kB gzip on the main wasm, −1.6 kB over every file; for
//! the other 25 (settings, the store's state, the location, the pages' own): −6.6 kB more.
//! Same methods, same behaviour: reads in a reactive context track, writes notify (and do
//! nothing once the owner is gone), and the value goes with the owner it was made under.

use leptos::prelude::*;
use std::any::Any;
use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;

/// A value views follow: `Copy`, read with [`Live::with`] / [`Live::get`], written with
/// [`Live::set`] / [`Live::update`], as an `RwSignal`.
pub struct Live<T: 'static> {
    cell: StoredValue<Rc<dyn Any>, LocalStorage>,
    changed: Trigger,
    value: PhantomData<fn() -> T>,
}

impl<T> Clone for Live<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Live<T> {}

/// The stored value, not generic: one copy of the arena lookup for every `Live`.
fn stored(cell: StoredValue<Rc<dyn Any>, LocalStorage>) -> Rc<dyn Any> {
    // A value read after its owner was cleaned up: as an `RwSignal`, a bug in the page.
    cell.try_get_value()
        .expect("a live value read after its owner was cleaned up")
}

/// The value in its cell: one copy per value type, not inlined into every read.
#[inline(never)]
fn value<T: 'static>(cell: &Rc<dyn Any>) -> &RefCell<T> {
    cell.downcast_ref::<RefCell<T>>()
        .expect("a live value of its own type")
}

impl<T: 'static> Live<T> {
    /// A new value, owned by the current reactive owner.
    pub fn new(value: T) -> Live<T> {
        Live {
            cell: StoredValue::new_local(Rc::new(RefCell::new(value)) as Rc<dyn Any>),
            changed: Trigger::new(),
            value: PhantomData,
        }
    }

    fn cell(&self) -> Rc<dyn Any> {
        stored(self.cell)
    }

    /// `f` of the value, without tracking it.
    pub fn with_untracked<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        let cell = self.cell();
        // Bound first: the borrow must end before `cell` is dropped.
        let r = f(&value::<T>(&cell).borrow());
        r
    }

    /// `f` of the value; a reactive context that calls this runs again when it changes.
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        self.changed.track();
        self.with_untracked(f)
    }

    /// Runs again the reactive context that calls this when the value changes, without reading
    /// it.
    pub fn track(&self) {
        self.changed.track();
    }

    /// Changes the value in place and notifies whoever read it; false, and nothing done, when
    /// the value's owner is gone (work that outlived its page, as with an `RwSignal`).
    pub fn try_update(&self, f: impl FnOnce(&mut T)) -> bool {
        let Some(cell) = self.cell.try_get_value() else {
            return false;
        };
        f(&mut value::<T>(&cell).borrow_mut());
        self.changed.notify();
        true
    }

    /// Changes the value in place and notifies whoever read it (nothing once its owner is gone).
    pub fn update(&self, f: impl FnOnce(&mut T)) {
        self.try_update(f);
    }

    /// Replaces the value and notifies whoever read it (nothing once its owner is gone).
    pub fn set(&self, value: T) {
        self.update(move |v| *v = value);
    }

    /// Replaces the value; false when its owner is gone.
    pub fn try_set(&self, value: T) -> bool {
        self.try_update(move |v| *v = value)
    }
}

impl<T: Clone + 'static> Live<T> {
    /// A copy of the value; a reactive context that calls this runs again when it changes.
    pub fn get(&self) -> T {
        self.with(T::clone)
    }

    /// A copy of the value, without tracking it.
    pub fn get_untracked(&self) -> T {
        self.with_untracked(T::clone)
    }
}
