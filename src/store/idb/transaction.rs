//! A transaction over some stores, and the one future for its end (`oncomplete`, `onerror`,
//! `onabort`).
//!
//! IndexedDB commits a transaction by itself once no request is pending at the end of a task,
//! so code inside a transaction must await nothing but this layer's requests (a timer or a
//! fetch in between lets it commit, and the next request throws `TransactionInactiveError`).
//! [`Transaction::done`] only waits for that commit; there is no explicit `commit()`.

use super::error::{thrown, IdbError};
use super::store::Store;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Event, IdbRequest, IdbTransaction, IdbTransactionMode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionMode {
    ReadOnly,
    ReadWrite,
}

impl TransactionMode {
    pub(crate) fn raw(self) -> IdbTransactionMode {
        match self {
            TransactionMode::ReadOnly => IdbTransactionMode::Readonly,
            TransactionMode::ReadWrite => IdbTransactionMode::Readwrite,
        }
    }
}

/// How a transaction ended without an error of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    Committed,
    /// Aborted without a `DOMException` (an explicit `abort()`, or Chrome's silent abort on a
    /// full disk: see `store::estimate`).
    Aborted,
}

impl Completion {
    pub fn is_committed(self) -> bool {
        self == Completion::Committed
    }
}

#[derive(Debug)]
pub struct Transaction(pub(crate) IdbTransaction);

impl Transaction {
    /// One of the stores the transaction was opened over.
    pub fn store(&self, name: &str) -> Result<Store, IdbError> {
        self.0.object_store(name).map(Store).map_err(thrown)
    }

    /// Waits for the transaction to end: `Ok(Committed)`, `Ok(Aborted)` for an abort without
    /// a reason, or the error that failed it (a request's, or the abort's reason, such as
    /// `QuotaExceededError`). Call it while the transaction is still going: in the task of its
    /// last request, or before awaiting that request.
    pub fn done(self) -> impl Future<Output = Result<Completion, IdbError>> {
        Done::new(self.0)
    }
}

type Ending = Option<Result<Completion, IdbError>>;

/// The end of a transaction: one closure for its three events, the first event wins (a failed
/// request's `error` comes before the `abort` it causes).
struct Done {
    tx: IdbTransaction,
    state: Rc<RefCell<(Ending, Option<Waker>)>>,
    _on_end: Closure<dyn FnMut(Event)>,
}

impl Done {
    fn new(tx: IdbTransaction) -> Done {
        let state: Rc<RefCell<(Ending, Option<Waker>)>> = Rc::new(RefCell::new((None, None)));
        let cell = state.clone();
        let raw = tx.clone();
        let on_end = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            let mut s = cell.borrow_mut();
            if s.0.is_none() {
                s.0 = Some(ending(&raw, &event));
            }
            if let Some(w) = s.1.take() {
                drop(s);
                w.wake();
            }
        });
        let f = on_end.as_ref().unchecked_ref();
        tx.set_oncomplete(Some(f));
        tx.set_onerror(Some(f));
        tx.set_onabort(Some(f));
        Done {
            tx,
            state,
            _on_end: on_end,
        }
    }
}

/// What one of the transaction's events says about its end.
fn ending(tx: &IdbTransaction, event: &Event) -> Result<Completion, IdbError> {
    match event.type_().as_str() {
        "complete" => Ok(Completion::Committed),
        // A request's error bubbles up to the transaction: its own error says why.
        "error" => {
            let from_request = event
                .target()
                .and_then(|t| t.dyn_into::<IdbRequest>().ok())
                .and_then(|r| r.error().ok().flatten());
            match from_request.or_else(|| tx.error()) {
                Some(e) => Err(IdbError::from_dom(&e)),
                None => Err(IdbError::new("UnknownError", "the transaction failed")),
            }
        }
        _ => match tx.error() {
            Some(e) => Err(IdbError::from_dom(&e)),
            None => Ok(Completion::Aborted),
        },
    }
}

impl Future for Done {
    type Output = Result<Completion, IdbError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.state.borrow_mut();
        match s.0.take() {
            Some(end) => Poll::Ready(end),
            None => {
                s.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for Done {
    fn drop(&mut self) {
        self.tx.set_oncomplete(None);
        self.tx.set_onerror(None);
        self.tx.set_onabort(None);
    }
}

/// A JS array of store names, for `IDBDatabase.transaction`.
pub(crate) fn names(stores: &[&str]) -> JsValue {
    stores
        .iter()
        .map(|s| JsValue::from_str(s))
        .collect::<js_sys::Array>()
        .into()
}
