//! The public handle to one server's stream: it assembles a connection, a driver and a ticker,
//! and is what the app keeps. One manager per server: a second server is a second manager.

use super::connection::{self, Connection, ConnectionRef, LinkEvent};
use super::demo::{self, DemoSlot};
use super::driver::{self, feed, Driver, DriverRef, StreamObserver};
use super::frame::Frame;
use super::io::{Io, StoredKeys};
use super::ticker;
use gloo_timers::callback::Interval;
use std::cell::RefCell;
use std::rc::Rc;
use telemetry_core::backoff::Backoff;
use telemetry_core::connection::ConnectionInfo;
use telemetry_core::endpoint::ServerBase;
use telemetry_core::input::Input;
use telemetry_core::link::Link;
use telemetry_core::pipeline::Pipeline;
use telemetry_core::protocol::http::HistoryEntry;
use telemetry_core::server_watch::{ServerWatch, WATCH_INTERVAL_MS};

/// Tunables; tests scale the backoff and the watch down, the dashboard uses the defaults.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    pub backoff_base_ms: u64,
    pub max_attempts: u32,
    pub window_ms: f64,
    /// Try `/telemetry` (our extension) before ComfyUI's `/ws`.
    pub prefer_telemetry: bool,
    /// The slow server watch's probe interval once the backoff gave up.
    pub watch_interval_ms: f64,
    /// The socket in a worker, off the main thread, when the browser allows one (false: on the
    /// main thread, the fallback, which tests can choose).
    pub socket_in_worker: bool,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            backoff_base_ms: 1000,
            max_attempts: 5,
            window_ms: 200.0,
            prefer_telemetry: true,
            watch_interval_ms: WATCH_INTERVAL_MS,
            socket_in_worker: true,
        }
    }
}

/// A handle to one server's live stream. Cloning shares it.
#[derive(Clone)]
pub struct StreamManager {
    driver: DriverRef,
    connection: ConnectionRef,
    ticker: Rc<RefCell<Option<Interval>>>,
    demo: DemoSlot,
    /// Stopped for good: a start that was waiting (for the store) must not revive it.
    stopped: Rc<std::cell::Cell<bool>>,
}

impl StreamManager {
    pub fn new(
        config: StreamConfig,
        server: ServerBase,
        client_id: String,
        observer: Rc<dyn StreamObserver>,
    ) -> StreamManager {
        let label = server.label();
        let io = Io {
            server: server.clone(),
            stored: None,
        };
        let driver = Driver::new(Pipeline::new(&label, config.window_ms), io);
        driver.borrow_mut().attach(observer);
        let link = Link::new(
            ConnectionInfo::new(&label, &client_id, config.max_attempts),
            Backoff::new(config.backoff_base_ms, config.max_attempts),
            ServerWatch::new(config.watch_interval_ms),
            config.prefer_telemetry,
        );
        let weak = Rc::downgrade(&driver);
        let emit = Rc::new(move |event: LinkEvent| {
            let Some(driver) = weak.upgrade() else {
                return;
            };
            match event {
                LinkEvent::Info(info) => driver::connection_changed(&driver, &info),
                LinkEvent::Connected(endpoint) => feed(&driver, Input::Connected { endpoint }),
                LinkEvent::Lost => feed(&driver, Input::Lost),
                LinkEvent::Frame(Frame::Text(t)) => feed(&driver, Input::Text(&t)),
                LinkEvent::Frame(Frame::Binary(b)) => feed(&driver, Input::Binary(&b)),
            }
        });
        StreamManager {
            connection: Connection::new(link, server, client_id, config.socket_in_worker, emit),
            driver,
            ticker: Rc::new(RefCell::new(None)),
            demo: Rc::new(RefCell::new(None)),
            stopped: Rc::default(),
        }
    }

    /// Another receiver of batches and connection changes (the store's sink).
    pub fn attach(&self, sink: Rc<dyn StreamObserver>) {
        self.driver.borrow_mut().attach(sink);
    }

    /// The store opened: history reads now skip runs it holds.
    pub fn set_stored_keys(&self, lookup: StoredKeys) {
        let mut d = self.driver.borrow_mut();
        let io = Io {
            stored: Some(lookup),
            ..d.io().clone()
        };
        d.set_io(io);
    }

    pub fn start(&self) {
        if self.stopped.get() {
            return;
        }
        *self.ticker.borrow_mut() = Some(ticker::start(&self.driver));
        connection::step(&self.connection, Link::start);
    }

    /// A person pressed retry: count attempts from zero and connect now.
    pub fn retry(&self) {
        *self.demo.borrow_mut() = None;
        connection::step(&self.connection, Link::retry);
    }

    /// Closes the socket and cancels timers; nothing reconnects afterwards.
    pub fn stop(&self) {
        self.stopped.set(true);
        connection::step(&self.connection, Link::stop);
        *self.ticker.borrow_mut() = None;
        *self.demo.borrow_mut() = None;
        self.driver.borrow_mut().stop();
    }

    /// Hands what the coalescing window holds to the sinks now, then has them write out what
    /// they hold: the page is going away or to the background, and a run's end that arrived in
    /// the last 200 ms must reach the store's writer before the writer's own flush.
    pub fn flush_pending(&self) {
        driver::leave(&self.driver);
    }

    /// Continues runs that were open when the page was last closed, with their charts.
    pub fn restore(
        &self,
        runs: Vec<telemetry_core::run::Run>,
        series: Vec<telemetry_core::history::series::RunSeries>,
    ) {
        feed(&self.driver, Input::Restore(runs));
        if !series.is_empty() {
            feed(&self.driver, Input::RestoreSeries(series));
        }
    }

    /// Durations of earlier runs on this server from the store, for the drain estimate.
    pub fn stored_durations(&self, found: Vec<(String, String, f64)>) {
        feed(&self.driver, Input::StoredDurations(found));
    }

    /// The backfill: a history list and which of its prompts the store holds.
    pub fn backfill(&self, entries: Vec<HistoryEntry>, stored: Vec<String>) {
        feed(&self.driver, Input::HistoryEntries { entries, stored });
    }

    /// Reads the newest history entries outside the pipeline's own requests (the start-up
    /// backfill), with which of them the store holds.
    pub async fn read_history(&self, max_items: u32) -> Option<(Vec<HistoryEntry>, Vec<String>)> {
        let io = self.driver.borrow().io().clone();
        super::io::read_history(&io, max_items).await
    }

    /// Changes the follow policy for runs followed from now on.
    pub fn set_policy(&self, policy: telemetry_core::follow::QueuePolicy) {
        feed(&self.driver, Input::Policy(policy));
    }

    /// Plays a recording instead of a live server (see `load_playlist`).
    pub fn play_recording(&self, frames: Vec<telemetry_core::trace::TraceFrame>) {
        connection::step(&self.connection, Link::playing_demo);
        // A recording's server is not ours: the core asks nothing of it.
        feed(
            &self.driver,
            Input::Connected {
                endpoint: telemetry_core::connection::EndpointKind::Demo,
            },
        );
        demo::play(&self.driver, &self.demo, frames);
    }

    pub fn info(&self) -> ConnectionInfo {
        self.connection.borrow().info()
    }

    /// Whether the open socket lives in a worker (`None` while none is open).
    pub fn socket_in_worker(&self) -> Option<bool> {
        self.connection.borrow().socket_in_worker()
    }

    pub fn server(&self) -> ServerBase {
        self.driver.borrow().io().server.clone()
    }

    /// Reads the pipeline (never writes it: only the driver does).
    pub fn with_pipeline<R>(&self, f: impl FnOnce(&Pipeline) -> R) -> R {
        f(self.driver.borrow().pipeline())
    }

    /// Asks ComfyUI to delete these pending prompts; the queue read that follows settles them.
    pub fn cancel_queued(&self, prompt_ids: Vec<String>) {
        feed(&self.driver, Input::CancelQueued(prompt_ids));
    }

    /// Asks ComfyUI to remove every pending prompt; the queue read that follows settles them.
    pub fn clear_queue(&self) {
        feed(&self.driver, Input::ClearQueue);
    }

    /// Asks ComfyUI to stop a prompt. With its id, ComfyUI interrupts only if that prompt is
    /// still the one running, so a late click cannot stop the next prompt in the queue.
    pub async fn interrupt(&self, prompt_id: &str) -> Result<(), crate::browser::http::HttpError> {
        let url = self.server().api("interrupt");
        let mut body = String::from("{\"prompt_id\":");
        telemetry_core::json::write_str(&mut body, prompt_id);
        body.push('}');
        crate::browser::http::post_json(&url, &body).await
    }
}
