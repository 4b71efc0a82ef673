//! [`Kept`]: a value a component or the app keeps between events, that nothing renders from:
//! a `StoredValue<T>` with one compiled copy of the arena's code for every value type
//! (issue #22). [`Live`](super::Live) is a `Kept` that views follow.
//!
//! A `StoredValue<T>` compiles its arena insertion, lookup and lock guards once per `T`. A
//! `Kept<T>` keeps its value in an `Rc<RefCell<T>>` stored under one type (`Rc<dyn Any>`): per
//! `T` only the downcast remains, and per access the borrow. Same methods and behaviour as a
//! `StoredValue`: the value goes with the owner it was made under, reads after that are a bug
//! in the page (they panic, as a `StoredValue`'s do), writes after that do nothing.

use leptos::prelude::*;
use std::any::Any;
use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;

/// A value kept under the current owner: `Copy`, read with [`Kept::with_value`] /
/// [`Kept::get_value`], written with [`Kept::set_value`] / [`Kept::update_value`].
pub struct Kept<T: 'static> {
    cell: StoredValue<Rc<dyn Any>, LocalStorage>,
    value: PhantomData<fn() -> T>,
}

impl<T> Clone for Kept<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Kept<T> {}

/// The stored value, not generic: one copy of the arena lookup for every `Kept`.
fn stored(cell: StoredValue<Rc<dyn Any>, LocalStorage>) -> Rc<dyn Any> {
    // A value read after its owner was cleaned up: as a `StoredValue`, a bug in the page.
    cell.try_get_value()
        .expect("a kept value read after its owner was cleaned up")
}

/// The value in its cell: one copy per value type, not inlined into every access.
#[inline(never)]
fn value<T: 'static>(cell: &Rc<dyn Any>) -> &RefCell<T> {
    cell.downcast_ref::<RefCell<T>>()
        .expect("a kept value of its own type")
}

impl<T: 'static> Kept<T> {
    /// A new value, owned by the current reactive owner.
    pub fn new(value: T) -> Kept<T> {
        Kept {
            cell: StoredValue::new_local(Rc::new(RefCell::new(value)) as Rc<dyn Any>),
            value: PhantomData,
        }
    }

    /// `f` of the value.
    pub fn with_value<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        let cell = stored(self.cell);
        // Bound first: the borrow must end before `cell` is dropped.
        let r = f(&value::<T>(&cell).borrow());
        r
    }

    /// Changes the value in place; false, and nothing done, when its owner is gone (work that
    /// outlived its page).
    pub fn try_update_value(&self, f: impl FnOnce(&mut T)) -> bool {
        let Some(cell) = self.cell.try_get_value() else {
            return false;
        };
        f(&mut value::<T>(&cell).borrow_mut());
        true
    }

    /// Changes the value in place (nothing once its owner is gone).
    pub fn update_value(&self, f: impl FnOnce(&mut T)) {
        self.try_update_value(f);
    }

    /// Replaces the value (nothing once its owner is gone).
    pub fn set_value(&self, value: T) {
        self.try_update_value(move |v| *v = value);
    }
}

impl<T: Clone + 'static> Kept<T> {
    /// A copy of the value.
    pub fn get_value(&self) -> T {
        self.with_value(T::clone)
    }

    /// A copy of the value, or `None` once its owner is gone.
    pub fn try_get_value(&self) -> Option<T> {
        let cell = self.cell.try_get_value()?;
        let v = value::<T>(&cell).borrow().clone();
        Some(v)
    }
}
