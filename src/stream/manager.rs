use super::follow;
use super::housekeeping::{self, Housekeeping};
use super::socket::{Frame, Socket};
use crate::browser::clock::now_ms;
use gloo_timers::callback::{Interval, Timeout};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use telemetry_core::backoff::{Backoff, Reconnect};
use telemetry_core::connection::{ConnectionInfo, ConnectionState, EndpointKind};
use telemetry_core::endpoint::ServerBase;
use telemetry_core::pipeline::{Pipeline, UpdateBatch};
use telemetry_core::tracker::{Field, Request};

/// Tunables; tests scale the backoff down, the dashboard uses the defaults.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    pub backoff_base_ms: u64,
    pub max_attempts: u32,
    pub window_ms: f64,
    /// Try `/telemetry` (our extension) before ComfyUI's `/ws`.
    pub prefer_telemetry: bool,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            backoff_base_ms: 1000,
            max_attempts: 5,
            window_ms: 200.0,
            prefer_telemetry: true,
        }
    }
}

/// Receives what the stream learned. Called at most once per coalescing window for data, and
/// on every connection state change.
pub trait StreamObserver {
    fn on_connection(&self, info: &ConnectionInfo);
    fn on_batch(&self, pipeline: &Pipeline, batch: &UpdateBatch, now_ms: f64);
}

/// A handle to the one live stream. Cloning shares it.
#[derive(Clone)]
pub struct StreamManager {
    inner: Rc<RefCell<Inner>>,
}

pub(super) struct Inner {
    config: StreamConfig,
    pub(super) server: ServerBase,
    client_id: String,
    backoff: Backoff,
    pub(super) info: ConnectionInfo,
    pub(super) pipeline: Pipeline,
    observer: Rc<dyn StreamObserver>,
    socket: Option<Socket>,
    /// Bumped for every socket, so events of a socket we replaced are ignored.
    generation: u64,
    current: EndpointKind,
    opened: bool,
    established: bool,
    /// `/telemetry` failed on this attempt; `/ws` is tried next within the same attempt.
    telemetry_failed: bool,
    retry_timer: Option<Timeout>,
    flush_timer: Option<Timeout>,
    pub(super) follow: follow::FollowState,
    pub(super) housekeeping: Housekeeping,
    ticker: Option<Interval>,
    demo_timer: Option<Timeout>,
    /// Playing a recording: nothing may be asked of the page's real server.
    pub(super) demo: bool,
    stopped: bool,
}

impl Inner {
    pub(super) fn generation(&self) -> u64 {
        self.generation
    }

    pub(super) fn notify_connection(&self) {
        notify_connection(self);
    }

    /// Leaves the socket behind for a recording: no reconnects while it plays.
    pub(super) fn demo_active(&mut self) {
        self.generation += 1;
        self.socket = None;
        self.retry_timer = None;
        self.stopped = true;
        self.established = true;
        self.demo = true;
    }

    pub(super) fn set_demo_timer(&mut self, timer: Timeout) {
        self.demo_timer = Some(timer);
    }
}

const FEATURE_FLAGS: &str = r#"{"type":"feature_flags","data":{"supports_preview_metadata":true}}"#;

impl StreamManager {
    pub fn new(
        config: StreamConfig,
        server: ServerBase,
        client_id: String,
        observer: Rc<dyn StreamObserver>,
    ) -> StreamManager {
        let label = server.label();
        let inner = Inner {
            backoff: Backoff::new(config.backoff_base_ms, config.max_attempts),
            info: ConnectionInfo::new(&label, &client_id, config.max_attempts),
            pipeline: Pipeline::new(&label, config.window_ms),
            current: if config.prefer_telemetry {
                EndpointKind::Telemetry
            } else {
                EndpointKind::Ws
            },
            config,
            server,
            client_id,
            observer,
            socket: None,
            generation: 0,
            opened: false,
            established: false,
            telemetry_failed: false,
            retry_timer: None,
            flush_timer: None,
            follow: follow::FollowState::default(),
            housekeeping: Housekeeping::default(),
            ticker: None,
            demo_timer: None,
            demo: false,
            stopped: false,
        };
        StreamManager {
            inner: Rc::new(RefCell::new(inner)),
        }
    }

    pub fn start(&self) {
        let weak = Rc::downgrade(&self.inner);
        self.inner.borrow_mut().ticker = Some(Interval::new(housekeeping::TICK_MS, move || {
            if let Some(rc) = weak.upgrade() {
                housekeeping::tick(&rc);
            }
        }));
        connect(&self.inner);
    }

    /// Changes the follow policy for runs followed from now on.
    pub fn set_policy(&self, policy: telemetry_core::follow::QueuePolicy) {
        self.inner.borrow_mut().pipeline.tracker.policy = policy.sanitized();
    }

    /// A person pressed retry: count attempts from zero and connect now.
    pub fn retry(&self) {
        {
            let mut inner = self.inner.borrow_mut();
            inner.backoff.retry();
            inner.retry_timer = None;
            inner.demo_timer = None;
            inner.telemetry_failed = false;
            inner.stopped = false;
        }
        connect(&self.inner);
    }

    /// Continues runs that were open when the page was last closed.
    pub fn restore(&self, runs: Vec<telemetry_core::run::Run>) {
        let now = now_ms();
        let mut inner = self.inner.borrow_mut();
        let opened = inner.pipeline.restore(runs, now);
        schedule_flush(&self.inner, &mut inner, opened, now);
    }

    /// Adds runs ComfyUI's history knows and the store does not (finished while we were away).
    pub fn apply_history(&self, entries: Vec<telemetry_core::protocol::http::HistoryEntry>) {
        let now = now_ms();
        let mut inner = self.inner.borrow_mut();
        let opened = inner.pipeline.on_history_entries(&entries, now);
        schedule_flush(&self.inner, &mut inner, opened, now);
        let requests = inner.pipeline.take_requests(now);
        drop(inner);
        carry_out(&self.inner, requests);
    }

    /// Plays a recording instead of a live server (see `load_playlist`).
    pub fn play_recording(&self, frames: Vec<telemetry_core::trace::TraceFrame>) {
        super::demo::play(&self.inner, frames);
    }

    /// Closes the socket and cancels timers; nothing reconnects afterwards.
    pub fn stop(&self) {
        let mut inner = self.inner.borrow_mut();
        inner.stopped = true;
        inner.generation += 1;
        inner.socket = None;
        inner.retry_timer = None;
        inner.flush_timer = None;
        inner.ticker = None;
        inner.demo_timer = None;
    }

    pub fn info(&self) -> ConnectionInfo {
        self.inner.borrow().info.clone()
    }

    pub fn server(&self) -> ServerBase {
        self.inner.borrow().server.clone()
    }

    /// Runs a closure over the pipeline (for tests and one-off reads).
    /// Who carries out history reads (the app's, which skips runs its store has).
    pub fn set_history_reader(&self, reader: follow::HistoryReader) {
        follow::set_history_reader(&self.inner, reader);
    }

    /// Reads the newest `max_items` history entries (one read at a time), as the pipeline's
    /// `ReadHistory` does: the backfill once the store is ready.
    pub fn read_history(&self, max_items: u32) {
        follow::request_history_list(&self.inner, max_items);
    }

    /// The history reader has applied what it read (see [`follow::HistoryReader`]).
    pub fn history_read_done(&self) {
        follow::history_read_done(&self.inner);
    }

    pub fn with_pipeline<R>(&self, f: impl FnOnce(&Pipeline) -> R) -> R {
        f(&self.inner.borrow().pipeline)
    }

    /// Asks ComfyUI to stop a prompt. With its id, ComfyUI interrupts only if that prompt is
    /// still the one running, so a late click cannot stop the next prompt in the queue.
    pub async fn interrupt(&self, prompt_id: &str) -> Result<(), crate::browser::http::HttpError> {
        let url = self.inner.borrow().server.api("interrupt");
        let body = serde_json::json!({ "prompt_id": prompt_id }).to_string();
        crate::browser::http::post_json(&url, &body).await
    }
}

fn notify_connection(inner: &Inner) {
    inner.observer.on_connection(&inner.info);
}

fn connect(rc: &Rc<RefCell<Inner>>) {
    let mut inner = rc.borrow_mut();
    if inner.stopped {
        return;
    }
    inner.generation += 1;
    inner.socket = None;
    inner.opened = false;
    inner.established = false;
    let endpoint = if inner.config.prefer_telemetry
        && !inner.info.telemetry_missing
        && !inner.telemetry_failed
    {
        EndpointKind::Telemetry
    } else {
        EndpointKind::Ws
    };
    inner.current = endpoint;
    let url = match endpoint {
        EndpointKind::Telemetry => inner.server.telemetry_socket(&inner.client_id),
        _ => inner.server.comfy_socket(&inner.client_id),
    };
    inner.info.state = if inner.backoff.attempt() == 0 {
        ConnectionState::Connecting
    } else {
        ConnectionState::Reconnecting
    };
    inner.info.next_attempt_at_ms = None;
    inner.info.retry_delay_ms = None;
    let generation = inner.generation;
    let weak = Rc::downgrade(rc);
    let (w_open, w_frame, w_close) = (weak.clone(), weak.clone(), weak);
    let socket = Socket::open(
        &url,
        move || with_live(&w_open, generation, on_open),
        move |frame| with_live(&w_frame, generation, |rc| on_frame(rc, frame)),
        move |code| with_live(&w_close, generation, |rc| on_close(rc, code)),
    );
    match socket {
        Ok(socket) => {
            inner.socket = Some(socket);
            notify_connection(&inner);
        }
        Err(error) => {
            inner.info.last_error = Some(format!("cannot open {url}: {error}"));
            drop(inner);
            on_close(rc, 1006);
        }
    }
}

/// Runs an event handler only if the manager still exists and the event belongs to the socket
/// it has now.
fn with_live(weak: &Weak<RefCell<Inner>>, generation: u64, f: impl FnOnce(&Rc<RefCell<Inner>>)) {
    if let Some(rc) = weak.upgrade() {
        let current = rc.borrow().generation == generation;
        if current {
            f(&rc);
        }
    }
}

fn on_open(rc: &Rc<RefCell<Inner>>) {
    let mut inner = rc.borrow_mut();
    inner.opened = true;
    if let Some(socket) = &inner.socket {
        socket.send(FEATURE_FLAGS);
    }
    if inner.current == EndpointKind::Ws && inner.telemetry_failed {
        inner.info.telemetry_missing = true;
    }
    inner.telemetry_failed = false;
    inner.info.state = ConnectionState::Open;
    inner.info.endpoint = Some(inner.current);
    inner.info.last_error = None;
    let now = now_ms();
    arm_if_opened(rc, &mut inner, Field::Connection, now);
    notify_connection(&inner);
    let opened = inner.pipeline.on_connected(now);
    schedule_flush(rc, &mut inner, opened, now);
    let requests = inner.pipeline.take_requests(now);
    drop(inner);
    // Runs queued by other clients, and any that ended while we were away.
    carry_out(rc, requests);
}

fn on_frame(rc: &Rc<RefCell<Inner>>, frame: Frame) {
    handle_frame(rc, frame);
}

/// One frame from the server (or a recording) through decoder → tracker → buffer.
pub(super) fn handle_frame(rc: &Rc<RefCell<Inner>>, frame: Frame) {
    let now = now_ms();
    let mut inner = rc.borrow_mut();
    if !inner.established {
        // The server has spoken: this connection counts as successful.
        inner.established = true;
        inner.backoff.on_established();
        inner.info.attempt = 0;
        notify_connection(&inner);
    }
    let opened = match &frame {
        Frame::Text(t) => inner.pipeline.on_text(t, now),
        Frame::Binary(b) => inner.pipeline.on_binary(b, now),
    };
    let requests = inner.pipeline.take_requests(now);
    let demo = inner.demo;
    schedule_flush(rc, &mut inner, opened, now);
    drop(inner);
    if demo {
        return;
    }
    carry_out(rc, requests);
}

/// Carries out what the pipeline asked of the server.
pub(super) fn carry_out(rc: &Rc<RefCell<Inner>>, requests: Vec<Request>) {
    for request in requests {
        match request {
            Request::ReadQueue => follow::request_queue(rc),
            Request::ReadHistoryEntry(id) => follow::request_history_poll(rc, id),
            Request::ReadHistoryDetails(id) => follow::request_details(rc, id),
            Request::ReadGpuSoon | Request::ReadSystemStats => {
                rc.borrow_mut().housekeeping.stats_soon()
            }
            Request::ReadFeatures => follow::request_features(rc),
            Request::ReadJobs => follow::request_jobs(rc),
            Request::ReadHistory { max_items, .. } => follow::request_history_list(rc, max_items),
        }
    }
}

fn on_close(rc: &Rc<RefCell<Inner>>, code: u16) {
    let now = now_ms();
    let mut inner = rc.borrow_mut();
    inner.socket = None;
    if inner.stopped {
        return;
    }
    let was_open = inner.opened;
    inner.opened = false;
    if !was_open && inner.current == EndpointKind::Telemetry {
        // `/telemetry` is not there (or the server is down): try `/ws` at once, same attempt.
        inner.telemetry_failed = true;
        drop(inner);
        connect(rc);
        return;
    }
    inner.telemetry_failed = false;
    if was_open {
        let opened = inner.pipeline.stream_lost(now);
        schedule_flush(rc, &mut inner, opened, now);
        inner.info.last_error = Some(format!("connection closed (code {code})"));
    } else {
        inner.info.last_error = Some(format!("could not connect to {}", inner.server.label()));
    }
    match inner.backoff.on_failure() {
        Reconnect::After { delay_ms, attempt } => {
            inner.info.state = ConnectionState::Reconnecting;
            inner.info.attempt = attempt;
            inner.info.next_attempt_at_ms = Some(now + delay_ms as f64);
            inner.info.retry_delay_ms = Some(delay_ms);
            let weak = Rc::downgrade(rc);
            inner.retry_timer = Some(Timeout::new(
                delay_ms.min(u32::MAX as u64) as u32,
                move || {
                    if let Some(rc) = weak.upgrade() {
                        rc.borrow_mut().retry_timer = None;
                        connect(&rc);
                    }
                },
            ));
        }
        Reconnect::GiveUp => {
            inner.info.state = ConnectionState::Offline;
            inner.info.attempt = inner.backoff.attempt();
            inner.info.next_attempt_at_ms = None;
            inner.info.retry_delay_ms = None;
        }
    }
    let opened = inner.pipeline.mark(Field::Connection, now);
    schedule_flush(rc, &mut inner, opened, now);
    notify_connection(&inner);
}

fn arm_if_opened(rc: &Rc<RefCell<Inner>>, inner: &mut Inner, field: Field, now: f64) {
    let opened = inner.pipeline.mark(field, now);
    schedule_flush(rc, inner, opened, now);
}

/// Arms the window's single timer when a window opened, or flushes at once when the batch is
/// already due (a storm of lifecycle events filled it).
pub(super) fn schedule_flush(rc: &Rc<RefCell<Inner>>, inner: &mut Inner, opened: bool, now: f64) {
    if inner.pipeline.is_due(now) {
        flush(inner, now);
        return;
    }
    if opened || (inner.flush_timer.is_none() && inner.pipeline.deadline().is_some()) {
        let wait = inner
            .pipeline
            .deadline()
            .map(|d| (d - now).max(0.0))
            .unwrap_or(0.0);
        let weak = Rc::downgrade(rc);
        inner.flush_timer = Some(Timeout::new(wait.ceil() as u32, move || {
            if let Some(rc) = weak.upgrade() {
                let mut inner = rc.borrow_mut();
                inner.flush_timer = None;
                flush(&mut inner, now_ms());
            }
        }));
    }
}

fn flush(inner: &mut Inner, now: f64) {
    inner.flush_timer = None;
    let batch = inner.pipeline.take();
    if batch.fields.is_empty() && batch.events.is_empty() {
        return;
    }
    inner.observer.on_batch(&inner.pipeline, &batch, now);
}
