//! [`Computed`]: a value computed from others each time it is read, a derived signal with one
//! compiled copy of its machinery for every value type (issue #22).
//!
//! Leptos' `Signal<T>` (`Signal::derive`) is an enum over its kinds of source, and compiles its
//! arena, its dispatch and its reads once per `T`. A `Computed<T>` is the function itself, kept
//! in a [`Kept`]: reading it calls the function, so a reactive context that reads it tracks
//! what the function reads, as with a derived signal. Nothing is cached, as with
//! `Signal::derive`: a value worth caching is a `Memo`.

use super::Kept;
use std::rc::Rc;

/// A function of other values, `Copy`, passed to components as a prop.
pub struct Computed<T: 'static>(Kept<Rc<dyn Fn() -> T>>);

impl<T> Clone for Computed<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Computed<T> {}

impl<T: 'static> Computed<T> {
    /// `compute`, kept under the current owner.
    pub fn new(compute: impl Fn() -> T + 'static) -> Computed<T> {
        Computed(Kept::new(Rc::new(compute)))
    }

    /// The value now; a reactive context that calls this runs again when what it read changes.
    pub fn get(&self) -> T {
        let compute = self.0.get_value();
        compute()
    }

    /// `f` of the value now (computed for this call).
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.get())
    }
}

impl<T: 'static, F: Fn() -> T + 'static> From<F> for Computed<T> {
    fn from(compute: F) -> Computed<T> {
        Computed::new(compute)
    }
}
