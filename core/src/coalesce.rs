//! Gathers updates and releases them at most once per window (200 ms in the dashboard).
//!
//! It is a throttle with a leading and a trailing edge, never a debounce:
//! - an update after a quiet spell (no flush for a window) is released after a short lead
//!   (`lead_ms`, enough to gather the frames the server sends together), not a whole window
//!   later: a run that starts on an idle server shows at once;
//! - updates while a flush is recent wait for the window that began at that flush, and later
//!   updates never push it back, so a steady flood still flushes every window (the React
//!   dashboard's trailing debounce delivered nothing until the stream paused).
//!
//! Field updates collapse to the key (the shell reads the latest value at flush time); events
//! are kept in order, never merged. Memory is bounded: keys are a bounded set, and when events
//! pile up past `max_events` the batch is due at once rather than dropping any.
//!
//! The keys are a sorted `Vec` without repeats, not a `BTreeSet`: the same order and uniqueness
//! for the few keys a window collects, without a B-tree's code compiled into the page for them
//! (issue #22).

#[derive(Debug, Clone, PartialEq)]
pub struct Batch<K, E> {
    /// The keys that changed, in order, each once.
    pub fields: Vec<K>,
    pub events: Vec<E>,
}

#[derive(Debug, Clone)]
pub struct Coalescer<K: Ord, E> {
    window_ms: f64,
    lead_ms: f64,
    max_events: usize,
    first_pending_ms: Option<f64>,
    /// When the last batch was taken (never: -inf): the next one is due a window later at the
    /// earliest.
    last_flush_ms: f64,
    fields: Vec<K>,
    events: Vec<E>,
}

impl<K: Ord, E> Coalescer<K, E> {
    /// A throttle of `window_ms` whose leading edge is due as soon as an update comes (see
    /// [`Coalescer::with_lead`]); `max_events` pending events make a batch due at once.
    pub fn new(window_ms: f64, max_events: usize) -> Self {
        Coalescer {
            window_ms,
            lead_ms: 0.0,
            max_events: max_events.max(1),
            first_pending_ms: None,
            last_flush_ms: f64::NEG_INFINITY,
            fields: Vec::new(),
            events: Vec::new(),
        }
    }

    /// How long the leading edge waits after the first update of a quiet spell, so that the
    /// updates that come with it (one burst of frames) are released together.
    pub fn with_lead(mut self, lead_ms: f64) -> Self {
        self.lead_ms = lead_ms.max(0.0);
        self
    }

    fn pending_since(&mut self, now_ms: f64) {
        self.first_pending_ms.get_or_insert(now_ms);
    }

    /// Records that a field changed. Returns true when this opened a new window, which is when
    /// the shell must arm its timer.
    pub fn mark(&mut self, key: K, now_ms: f64) -> bool {
        let opened = self.first_pending_ms.is_none();
        self.pending_since(now_ms);
        if let Err(at) = self.fields.binary_search(&key) {
            self.fields.insert(at, key);
        }
        opened
    }

    /// Records an event that must reach the view. Returns true when this opened a new window.
    pub fn push_event(&mut self, event: E, now_ms: f64) -> bool {
        let opened = self.first_pending_ms.is_none();
        self.pending_since(now_ms);
        self.events.push(event);
        opened
    }

    pub fn is_pending(&self) -> bool {
        self.first_pending_ms.is_some()
    }

    /// When the pending batch is due, if anything is pending: a lead after its first update,
    /// and never sooner than a window after the last flush.
    pub fn deadline(&self) -> Option<f64> {
        self.first_pending_ms
            .map(|t| (t + self.lead_ms).max(self.last_flush_ms + self.window_ms))
    }

    pub fn is_due(&self, now_ms: f64) -> bool {
        self.events.len() >= self.max_events || self.deadline().is_some_and(|d| now_ms >= d)
    }

    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// Takes the batch if it is due.
    pub fn poll(&mut self, now_ms: f64) -> Option<Batch<K, E>> {
        if self.is_due(now_ms) {
            Some(self.take(now_ms))
        } else {
            None
        }
    }

    /// Takes whatever is pending at `now_ms` (also ahead of its time, for example when the page
    /// is about to hide); the next window starts here.
    pub fn take(&mut self, now_ms: f64) -> Batch<K, E> {
        self.first_pending_ms = None;
        self.last_flush_ms = self.last_flush_ms.max(now_ms);
        Batch {
            fields: std::mem::take(&mut self.fields),
            events: std::mem::take(&mut self.events),
        }
    }
}
