//! The only caller of the pipeline. Every input (a frame, a connection change, an answer, a
//! tick, a restore) goes through [`feed`]: one step of the core, one flush timer armed, the
//! requests it returns handed to the I/O leaf, whose answers come back through `feed` again.
//!
//! `feed` must never run while the driver is borrowed: socket callbacks, timers and
//! `spawn_local` answers all run outside any borrow, and sinks are called after the pipeline
//! has been stepped (they read it, they never feed it).

use super::io::{self, Io};
use crate::browser::clock::now_ms;
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use telemetry_core::connection::ConnectionInfo;
use telemetry_core::input::Input;
use telemetry_core::pipeline::{Pipeline, UpdateBatch};

/// Receives what the stream learned: a batch at most once per coalescing window, and every
/// connection change. The signals and the store each attach one.
pub trait StreamObserver {
    fn on_connection(&self, _info: &ConnectionInfo) {}
    fn on_batch(&self, pipeline: &Pipeline, batch: &UpdateBatch, now_ms: f64);
    /// The page is going away or to the background: write out what is held, now.
    fn on_leave(&self) {}
}

pub struct Driver {
    pipeline: Pipeline,
    io: Io,
    sinks: Vec<Rc<dyn StreamObserver>>,
    flush_timer: Option<(f64, Timeout)>,
}

pub type DriverRef = Rc<RefCell<Driver>>;

impl Driver {
    pub fn new(pipeline: Pipeline, io: Io) -> DriverRef {
        Rc::new(RefCell::new(Driver {
            pipeline,
            io,
            sinks: Vec::new(),
            flush_timer: None,
        }))
    }

    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    pub fn io(&self) -> &Io {
        &self.io
    }

    pub fn set_io(&mut self, io: Io) {
        self.io = io;
    }

    pub fn attach(&mut self, sink: Rc<dyn StreamObserver>) {
        self.sinks.push(sink);
    }

    /// Cancels the flush timer; what is pending stays in the pipeline.
    pub fn stop(&mut self) {
        self.flush_timer = None;
    }
}

/// One input through the core, then what it asked for.
pub fn feed(driver: &DriverRef, input: Input<'_>) {
    let now = now_ms();
    let (step, io) = {
        let mut d = driver.borrow_mut();
        (d.pipeline.step(input, now), d.io.clone())
    };
    if let Some(at) = step.flush_at {
        arm_flush(driver, at, now);
    }
    for request in step.requests {
        let weak = Rc::downgrade(driver);
        io::perform(&io, request, move |request, reply| {
            if let Some(driver) = weak.upgrade() {
                feed(&driver, Input::Answer { request, reply });
            }
        });
    }
}

/// Tells every sink about a connection change.
pub fn connection_changed(driver: &DriverRef, info: &ConnectionInfo) {
    let sinks = driver.borrow().sinks.clone();
    for sink in sinks {
        sink.on_connection(info);
    }
}

/// One timer for the window's end; a batch already due flushes now.
fn arm_flush(driver: &DriverRef, at: f64, now: f64) {
    if at <= now {
        flush(driver);
        return;
    }
    let mut d = driver.borrow_mut();
    if d.flush_timer
        .as_ref()
        .is_some_and(|(armed, _)| *armed <= at)
    {
        return;
    }
    let weak: Weak<RefCell<Driver>> = Rc::downgrade(driver);
    let timeout = Timeout::new((at - now).ceil() as u32, move || {
        if let Some(driver) = weak.upgrade() {
            flush(&driver);
        }
    });
    d.flush_timer = Some((at, timeout));
}

/// Hands the pending batch to the sinks, then tells them the page is leaving.
pub fn leave(driver: &DriverRef) {
    flush(driver);
    let sinks = driver.borrow().sinks.clone();
    for sink in sinks {
        sink.on_leave();
    }
}

/// Hands the pending batch to the sinks now, ahead of its window's end (also what the flush
/// timer does when it fires).
pub fn flush(driver: &DriverRef) {
    let now = now_ms();
    let (batch, sinks) = {
        let mut d = driver.borrow_mut();
        d.flush_timer = None;
        (d.pipeline.take(now), d.sinks.clone())
    };
    if batch.fields.is_empty() && batch.events.is_empty() {
        return;
    }
    let d = driver.borrow();
    for sink in sinks {
        sink.on_batch(&d.pipeline, &batch, now);
    }
}
