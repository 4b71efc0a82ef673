//! The one door into the core: everything the shell learns enters as an [`Input`], and the
//! [`Step`] it gets back says what to ask the server and when to flush.
//!
//! The shell performs requests and feeds each answer back as [`Input::Answer`] with the
//! [`Request`] that asked for it, so the core (not the shell) knows which reads are in flight,
//! when to ask again and how often to poll. Nothing here does I/O or reads a clock.
//!
//! The shell's driver, the only caller of the pipeline:
//! ```text
//! feed(input):  step = pipeline.step(input, now)
//!               arm one flush timer for step.flush_at (at or before now: flush now)
//!               for request in step.requests: perform it; later feed(Answer { request, reply })
//! flush:        batch = pipeline.take(); publish the fields and events it names, reading
//!               runs from pipeline.tracker() and each changed run's chart from
//!               pipeline.series(id)
//! ```
//! Frames, `Connected`/`Lost` (socket), `Tick` (1 s, with `document.hidden`), `Restore` then
//! `RestoreSeries` (boot, from the store), `HistoryEntries` (the boot backfill), `Policy`
//! (settings) are the other inputs. A recording played as the demo connects with
//! `EndpointKind::Demo`: the core then asks nothing of the real server.

use crate::connection::EndpointKind;
use crate::follow::QueuePolicy;
use crate::history::series::RunSeries;
use crate::protocol::http::HistoryEntry;
use crate::run::Run;
use crate::tracker::Request;

/// Something the shell learned.
#[derive(Debug, Clone, PartialEq)]
pub enum Input<'a> {
    /// A text frame from the socket (or a recording).
    Text(&'a str),
    /// A binary frame (previews).
    Binary(&'a [u8]),
    /// The socket opened, first time or again.
    Connected { endpoint: EndpointKind },
    /// The socket closed.
    Lost,
    /// The server answered `request` (or it failed).
    Answer { request: Request, reply: Reply },
    /// Runs loaded from the store after a reload, so the stream continues them.
    Restore(Vec<Run>),
    /// Run series loaded from the store with the runs (after [`Input::Restore`]): an open run's
    /// chart continues where it was.
    RestoreSeries(Vec<RunSeries>),
    /// The start-up backfill, read once the store is ready: a history list and which of its
    /// prompts the store already holds (see [`Reply::History`]).
    HistoryEntries {
        entries: Vec<HistoryEntry>,
        stored: Vec<String>,
    },
    /// The shell's 1 s tick; `hidden` when the page is not visible (no VRAM polls then).
    Tick { hidden: bool },
    /// The follow policy changed (applies to runs followed from now on).
    Policy(QueuePolicy),
    /// A person cancelled these pending prompts (after confirming).
    CancelQueued(Vec<String>),
    /// A person cleared the queue (after confirming).
    ClearQueue,
}

/// What the server said to one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The response body (HTTP 2xx).
    Body(String),
    /// For [`Request::ReadHistory`] only: the decoded list and the prompt ids of it that the
    /// page's store already holds. An entry settles a run the page has open whatever the store
    /// holds; it adds a run the page does not know only when the store lacks it, so nothing is
    /// stored twice and nothing that ended long ago is announced again. Without a store, answer
    /// with [`Reply::Body`] (nothing is held).
    History {
        entries: Vec<HistoryEntry>,
        stored: Vec<String>,
    },
    /// The request failed: the HTTP status when the server answered, `None` when it did not
    /// (network error, unreadable body).
    Failed { status: Option<u16> },
}

impl Reply {
    pub fn body(&self) -> Option<&str> {
        match self {
            Reply::Body(b) => Some(b),
            _ => None,
        }
    }
}

/// What the shell must do after one input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Step {
    /// Requests to perform now, each answered through [`Input::Answer`]: already
    /// de-duplicated and single-flighted (never two of a kind in flight).
    pub requests: Vec<Request>,
    /// Arm one timer for this time (local epoch ms) and then call `Pipeline::take`; a time at or
    /// before now means flush now. `None`: nothing is pending.
    pub flush_at: Option<f64>,
}
