//! [`Live`]: a value the views follow, with one compiled copy of the reactive machinery for every
//! value type (issue #22).
//!
//! An `RwSignal<T>` compiles its arena lookup, its lock guards, its tracking and the notification
//! in its write guard's drop once per `T` (and `with` once per closure): a few hundred bytes of
//! wasm each. A `Live<T>` keeps its value in a [`Kept<T>`] (an `Rc<RefCell<T>>` stored under one
//! type) and changes through one [`Trigger`]: the arena, the tracking and the notification are
//! compiled once; per `T` only the downcast remains, and per read the borrow.
//! For the live state's 15 values: −2.4 kB gzip on the main wasm, −1.6 kB over every file; for
//! the other 25 (settings, the store's state, the location, the pages' own): −6.6 kB more.
//! Same methods, same behaviour: reads in a reactive context track, writes notify (and do
//! nothing once the owner is gone), and the value goes with the owner it was made under.

use super::Kept;
use leptos::prelude::*;

/// A value views follow: `Copy`, read with [`Live::with`] / [`Live::get`], written with
/// [`Live::set`] / [`Live::update`], as an `RwSignal`.
pub struct Live<T: 'static> {
    kept: Kept<T>,
    changed: Trigger,
}

impl<T> Clone for Live<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Live<T> {}

impl<T: 'static> Live<T> {
    /// A new value, owned by the current reactive owner.
    pub fn new(value: T) -> Live<T> {
        Live {
            kept: Kept::new(value),
            changed: Trigger::new(),
        }
    }

    /// `f` of the value, without tracking it.
    pub fn with_untracked<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        self.kept.with_value(f)
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
        let done = self.kept.try_update_value(f);
        if done {
            self.changed.notify();
        }
        done
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
