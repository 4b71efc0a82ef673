//! How views read asynchronously: `Load` for reads that follow signals, `Jobs` for click
//! workflows. Each request is numbered and only the newest may answer: a slow older answer that
//! arrives after a newer request is dropped, so no view can show an older answer after a newer
//! one, and no view has to get this right on its own.
//!
//! Why not `LocalResource` + `<Transition>` and `Action` (the Leptos examples' idiom): they do keep
//! the newest answer, but pulling in the async-derived machinery grew the release wasm by 10.4 kB
//! brotli with every view moved to it (before any `<Transition>`), three times the page's whole
//! byte margin. This (+2.3 kB brotli against the views' old hand-made loops) is the
//! same guarantee in a few dozen lines, type-erased (answers as `Rc<dyn Any>`, futures boxed) so
//! every view shares one copy of it. `Load::get` keeps the previous answer while the next one
//! loads, as `<Transition>` does.

use crate::state::{Computed, Kept, Live};
use crate::ui::effect::effect;
use futures::future::LocalBoxFuture;
use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::rc::Rc;

type Answer = Rc<dyn Any>;
type Fetch = Box<dyn Fn() -> LocalBoxFuture<'static, Answer>>;

/// A read that starts again whenever a signal it read changes, showing the newest answer (and the
/// previous one while the next loads).
pub struct Load<T: 'static> {
    answer: Live<Option<Answer>>,
    of: PhantomData<fn() -> T>,
}

impl<T: 'static> Clone for Load<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for Load<T> {}

impl<T: 'static> Load<T> {
    /// `fetch` runs once the view is mounted and again after any signal it read (synchronously,
    /// before its future starts) changes.
    pub fn new<F>(fetch: impl Fn() -> F + 'static) -> Load<T>
    where
        F: Future<Output = T> + 'static,
    {
        let answer = follow(Box::new(move || {
            let answer = fetch();
            Box::pin(async move { Rc::new(answer.await) as Answer })
        }));
        Load {
            answer,
            of: PhantomData,
        }
    }

    /// The newest answer (tracked); `None` until the first one arrives.
    pub fn get(&self) -> Option<Rc<T>> {
        self.answer.get().and_then(|a| a.downcast::<T>().ok())
    }

    /// Reads the newest answer in place (tracked).
    pub fn with<U>(&self, f: impl FnOnce(Option<&T>) -> U) -> U {
        f(self.get().as_deref())
    }
}

/// The one implementation every `Load` shares.
fn follow(fetch: Fetch) -> Live<Option<Answer>> {
    let answer = Live::new(None);
    let newest = Kept::new(0u64);
    effect(move || {
        let work = fetch();
        newest.update_value(|n| *n += 1);
        let mine = newest.get_value();
        leptos::task::spawn_local(async move {
            let value = work.await;
            // Gone (the view unmounted) or outdated (a newer request was made): drop it.
            if newest.try_get_value() == Some(mine) {
                answer.try_set(Some(value));
            }
        });
    });
    answer
}

/// What a click workflow ends with: whether it worked, and a sentence saying what happened.
pub type Note = (bool, String);

/// One click workflow for `Jobs`.
pub struct Job(LocalBoxFuture<'static, Note>);

impl Job {
    pub fn new(work: impl Future<Output = Note> + 'static) -> Job {
        Job(Box::pin(work))
    }
}

/// The click workflows of one card (export, import, delete, …): `pending()` while any runs,
/// `value()` the note of the latest one started (an earlier job finishing later is not shown).
#[derive(Clone, Copy)]
pub struct Jobs {
    note: Live<Option<Note>>,
    running: Live<u32>,
    newest: Kept<u64>,
}

pub fn use_jobs() -> Jobs {
    Jobs {
        note: Live::new(None),
        running: Live::new(0),
        newest: Kept::new(0),
    }
}

impl Jobs {
    pub fn dispatch_local(&self, job: Job) {
        let Jobs {
            note,
            running,
            newest,
        } = *self;
        newest.update_value(|n| *n += 1);
        let mine = newest.get_value();
        running.update(|n| *n += 1);
        leptos::task::spawn_local(async move {
            let done = job.0.await;
            running.try_update(|n| *n -= 1);
            if newest.try_get_value() == Some(mine) {
                note.try_set(Some(done));
            }
        });
    }

    /// The note of the latest job started, once it has ended.
    pub fn value(&self) -> Live<Option<Note>> {
        self.note
    }

    pub fn pending(&self) -> Computed<bool> {
        let running = self.running;
        Computed::new(move || running.get() > 0)
    }
}
