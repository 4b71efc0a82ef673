//! The one future for every `IDBRequest`: a read, a write, a count, a cursor step, opening or
//! deleting a database.
//!
//! The `idb` crate compiled a future type per request kind, each with three tokio oneshot
//! channels (success, error, and the result type), so the live page carried a copy of the
//! same polling code per kind and per result type (issue #22). Here one closure, installed as
//! both `onsuccess` and `onerror`, only wakes the task; the answer is read from the request
//! itself (`readyState`, `error`, `result`) when the future is polled. That also makes a cursor
//! work with the same future: `continue()` puts the request back to `pending`, and the next
//! `onsuccess` wakes the same waker cell again.
//!
//! The closure lives as long as the future. Dropping the future (a walk that stops early, a
//! cancelled read) takes the handlers off the request first, so a late event never calls a
//! freed closure, and nothing is leaked per request.

use super::error::{thrown, IdbError};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{IdbRequest, IdbRequestReadyState};

/// An issued request, awaited for its `result` (or its `error`). Await it again after a
/// cursor's `continue()`/`advance()` for the next step (through `&mut`).
pub struct Request {
    request: IdbRequest,
    waker: Rc<Cell<Option<Waker>>>,
    _wake: Closure<dyn FnMut()>,
}

impl Request {
    pub fn new(request: IdbRequest) -> Request {
        let waker: Rc<Cell<Option<Waker>>> = Rc::new(Cell::new(None));
        let cell = waker.clone();
        let wake = Closure::<dyn FnMut()>::new(move || {
            if let Some(w) = cell.take() {
                w.wake();
            }
        });
        request.set_onsuccess(Some(wake.as_ref().unchecked_ref()));
        request.set_onerror(Some(wake.as_ref().unchecked_ref()));
        Request {
            request,
            waker,
            _wake: wake,
        }
    }

    /// The answer of a request that is done.
    fn outcome(&self) -> Result<JsValue, IdbError> {
        match self.request.error() {
            Ok(Some(e)) => Err(IdbError::from_dom(&e)),
            Ok(None) => self.request.result().map_err(thrown),
            Err(e) => Err(thrown(e)),
        }
    }
}

impl Future for Request {
    type Output = Result<JsValue, IdbError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The page is single-threaded: no event can fire between this check and the waker
        // being stored.
        if self.request.ready_state() == IdbRequestReadyState::Done {
            return Poll::Ready(self.outcome());
        }
        self.waker.set(Some(cx.waker().clone()));
        Poll::Pending
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        self.request.set_onsuccess(None);
        self.request.set_onerror(None);
    }
}

/// Issues a request (what a web-sys call returned) and waits for its answer; a call that threw
/// fails the same way as a request that failed.
pub async fn send(request: Result<IdbRequest, JsValue>) -> Result<JsValue, IdbError> {
    Request::new(request.map_err(thrown)?).await
}
