//! How views read asynchronously: a `LocalResource` for reads that follow signals, an `Action`
//! for click workflows. Both keep only the newest answer, so a slow old answer can never replace
//! a newer one: the resource awaits its loads one after the other and keeps the last, an action
//! keeps only the value of its latest dispatch.
//!
//! Both are type-erased behind one instantiation each (answers as `Rc<dyn Any>`, futures boxed):
//! every view shares the same async machinery instead of compiling its own copy, which keeps the
//! wasm page from growing with each view that loads something.

use futures::future::LocalBoxFuture;
use leptos::prelude::*;
use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::marker::PhantomData;
use std::rc::Rc;

type Answer = Rc<dyn Any>;
type Fetch = Box<dyn Fn() -> LocalBoxFuture<'static, Answer>>;

/// A read that starts again whenever a signal it read changes, showing the newest answer (and the
/// previous one while the next loads, as `<Transition>` does).
pub struct Load<T: 'static> {
    resource: LocalResource<Answer>,
    of: PhantomData<fn() -> T>,
}

impl<T: 'static> Clone for Load<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for Load<T> {}

impl<T: 'static> Load<T> {
    /// `fetch` runs at once and again after any signal it reads (synchronously) changes.
    pub fn new<F>(fetch: impl Fn() -> F + 'static) -> Load<T>
    where
        F: Future<Output = T> + 'static,
    {
        let resource = erased(Box::new(move || {
            let answer = fetch();
            Box::pin(async move { Rc::new(answer.await) as Answer })
        }));
        Load {
            resource,
            of: PhantomData,
        }
    }

    /// The newest answer (tracked); `None` until the first one arrives.
    pub fn get(&self) -> Option<Rc<T>> {
        self.resource.get().and_then(|a| a.downcast::<T>().ok())
    }

    /// Reads the newest answer in place (tracked).
    pub fn with<U>(&self, f: impl FnOnce(Option<&T>) -> U) -> U {
        f(self.get().as_deref())
    }
}

/// The one `LocalResource` every `Load` shares.
fn erased(fetch: Fetch) -> LocalResource<Answer> {
    LocalResource::new(fetch)
}

/// What a click workflow ends with: whether it worked, and a sentence saying what happened.
pub type Note = (bool, String);

/// One click workflow for `Jobs`: a future run once.
pub struct Job(Cell<Option<LocalBoxFuture<'static, Note>>>);

impl Job {
    pub fn new(work: impl Future<Output = Note> + 'static) -> Job {
        Job(Cell::new(Some(Box::pin(work))))
    }
}

/// The click workflows of one card (export, import, delete, …): `pending()` while any runs,
/// `value()` the note of the latest one dispatched. Leptos' `Action` keeps whichever finished
/// last, so an earlier job ending later would replace the newer note: each dispatch is numbered
/// and only the latest one's note is kept.
#[derive(Clone, Copy)]
pub struct Jobs {
    action: Action<Job, Note>,
    note: RwSignal<Option<Note>>,
    issued: StoredValue<u64>,
}

impl Jobs {
    /// True while any job runs (tracked).
    pub fn pending(&self) -> Memo<bool> {
        self.action.pending()
    }

    /// The note of the latest job dispatched, once it ended.
    pub fn value(&self) -> RwSignal<Option<Note>> {
        self.note
    }

    pub fn dispatch_local(&self, job: Job) {
        let number = self.issued.get_value() + 1;
        self.issued.set_value(number);
        let (note, issued) = (self.note, self.issued);
        let work = job.0.take();
        self.action.dispatch_local(Job::new(async move {
            let done = match work {
                Some(work) => work.await,
                None => (false, String::new()),
            };
            if issued.get_value() == number {
                note.set(Some(done.clone()));
            }
            done
        }));
    }
}

pub fn use_jobs() -> Jobs {
    Jobs {
        action: Action::new_local(|job: &Job| {
            let work = job.0.take();
            async move {
                match work {
                    Some(work) => work.await,
                    None => (false, String::new()),
                }
            }
        }),
        note: RwSignal::new(None),
        issued: StoredValue::new(0),
    }
}
