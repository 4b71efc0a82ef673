//! The socket to one server, carried out for the core's [`Link`]: it opens the socket the link
//! names, arms the link's one timer, sends its probes, and reports the socket's events and the
//! probes' answers back to it. Frames and connection changes go out through one callback (the
//! driver's); nothing here decides anything.

use super::frame::{Frame, Handlers};
use super::probe;
use super::socket::Socket;
use crate::browser::clock::now_ms;
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use telemetry_core::connection::{ConnectionInfo, EndpointKind};
use telemetry_core::endpoint::ServerBase;
use telemetry_core::link::{Link, LinkAction};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// What the connection tells the driver.
pub enum LinkEvent {
    Info(ConnectionInfo),
    Connected(EndpointKind),
    Lost,
    Frame(Frame),
}

/// Tells ComfyUI this client can take preview metadata (newer servers send it then).
const FEATURE_FLAGS: &str = r#"{"type":"feature_flags","data":{"supports_preview_metadata":true}}"#;

pub struct Connection {
    link: Link,
    server: ServerBase,
    client_id: String,
    /// Sockets live in a worker when the browser allows it (`socket_worker`).
    socket_in_worker: bool,
    socket: Option<Socket>,
    timer: Option<Timeout>,
    emit: Rc<dyn Fn(LinkEvent)>,
    /// `online` and `visibilitychange` listeners: a watch probes at once on either.
    wake: Option<Closure<dyn FnMut(web_sys::Event)>>,
}

pub type ConnectionRef = Rc<RefCell<Connection>>;

impl Connection {
    pub fn new(
        link: Link,
        server: ServerBase,
        client_id: String,
        socket_in_worker: bool,
        emit: Rc<dyn Fn(LinkEvent)>,
    ) -> ConnectionRef {
        let rc = Rc::new(RefCell::new(Connection {
            link,
            server,
            client_id,
            socket_in_worker,
            socket: None,
            timer: None,
            emit,
            wake: None,
        }));
        listen_for_wake(&rc);
        rc
    }

    pub fn info(&self) -> ConnectionInfo {
        self.link.info().clone()
    }

    /// Where the open socket lives: in a worker (`true`), on the main thread, or none is open.
    pub fn socket_in_worker(&self) -> Option<bool> {
        self.socket.as_ref().map(Socket::in_worker)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let (Some(wake), Some(window)) = (self.wake.take(), web_sys::window()) {
            let f = wake.as_ref().unchecked_ref();
            let _ = window.remove_event_listener_with_callback("online", f);
            if let Some(doc) = window.document() {
                let _ = doc.remove_event_listener_with_callback("visibilitychange", f);
            }
        }
    }
}

fn listen_for_wake(rc: &ConnectionRef) {
    let weak = Rc::downgrade(rc);
    let wake = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        if hidden {
            return;
        }
        if let Some(rc) = weak.upgrade() {
            step(&rc, |link| link.wake(now_ms()));
        }
    });
    if let Some(window) = web_sys::window() {
        let f = wake.as_ref().unchecked_ref();
        let _ = window.add_event_listener_with_callback("online", f);
        if let Some(doc) = window.document() {
            let _ = doc.add_event_listener_with_callback("visibilitychange", f);
        }
    }
    rc.borrow_mut().wake = Some(wake);
}

/// Runs one link decision and carries out its actions; publishes the link's info after.
pub fn step(rc: &ConnectionRef, decide: impl FnOnce(&mut Link) -> Vec<LinkAction>) {
    let (actions, before) = {
        let mut c = rc.borrow_mut();
        let before = c.link.info().clone();
        (decide(&mut c.link), before)
    };
    for action in actions {
        carry_out(rc, action);
    }
    let (info, emit) = {
        let c = rc.borrow();
        (c.link.info().clone(), c.emit.clone())
    };
    if info != before {
        emit(LinkEvent::Info(info));
    }
}

fn carry_out(rc: &ConnectionRef, action: LinkAction) {
    let weak = Rc::downgrade(rc);
    match action {
        LinkAction::Open {
            endpoint,
            generation,
        } => open(rc, endpoint, generation),
        LinkAction::Close => rc.borrow_mut().socket = None,
        LinkAction::ArmTimer(at) => {
            let wait = (at - now_ms()).clamp(0.0, f64::from(u32::MAX)) as u32;
            let timer = Timeout::new(wait, move || {
                if let Some(rc) = weak.upgrade() {
                    rc.borrow_mut().timer = None;
                    step(&rc, |link| link.timer_fired(now_ms()));
                }
            });
            rc.borrow_mut().timer = Some(timer);
        }
        LinkAction::CancelTimer => rc.borrow_mut().timer = None,
        LinkAction::Connected(endpoint) => {
            let emit = {
                let c = rc.borrow();
                if let Some(socket) = &c.socket {
                    socket.send(FEATURE_FLAGS);
                }
                c.emit.clone()
            };
            emit(LinkEvent::Connected(endpoint));
        }
        LinkAction::Lost => {
            let emit = rc.borrow().emit.clone();
            emit(LinkEvent::Lost);
        }
        LinkAction::ProbeAlive => {
            let server = rc.borrow().server.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let alive = probe::back(&server).await;
                if let Some(rc) = weak.upgrade() {
                    step(&rc, |link| link.probe_answered(alive, now_ms()));
                }
            });
        }
        LinkAction::CheckRefusal => {
            let server = rc.borrow().server.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let refusal = probe::refusal(&server).await;
                if let Some(rc) = weak.upgrade() {
                    step(&rc, |link| link.refusal_checked(refusal));
                }
            });
        }
    }
}

fn open(rc: &ConnectionRef, endpoint: EndpointKind, generation: u64) {
    let (url, in_worker) = {
        let mut c = rc.borrow_mut();
        c.socket = None;
        let url = match endpoint {
            EndpointKind::Telemetry => c.server.telemetry_socket(&c.client_id),
            _ => c.server.comfy_socket(&c.client_id),
        };
        (url, c.socket_in_worker)
    };
    let weak: Weak<RefCell<Connection>> = Rc::downgrade(rc);
    let (w_open, w_frame, w_close) = (weak.clone(), weak.clone(), weak);
    let handlers = Handlers {
        on_open: Box::new(move || {
            if let Some(rc) = w_open.upgrade() {
                step(&rc, |link| link.opened(generation));
            }
        }),
        on_frame: Box::new(move |frame| {
            if let Some(rc) = w_frame.upgrade() {
                on_frame(&rc, generation, frame);
            }
        }),
        on_close: Box::new(move |code| {
            if let Some(rc) = w_close.upgrade() {
                step(&rc, |link| link.closed(generation, code, now_ms()));
            }
        }),
    };
    let socket = Socket::open(&url, in_worker, handlers);
    match socket {
        Ok(socket) => rc.borrow_mut().socket = Some(socket),
        // A URL the browser refuses outright fails like a socket that never opened.
        Err(_) => step(rc, |link| link.closed(generation, 1006, now_ms())),
    }
}

fn on_frame(rc: &ConnectionRef, generation: u64, frame: Frame) {
    let (spoke, current, emit) = {
        let mut c = rc.borrow_mut();
        let current = c.link.is_current(generation);
        (c.link.spoke(generation), current, c.emit.clone())
    };
    if spoke {
        let info = rc.borrow().link.info().clone();
        emit(LinkEvent::Info(info));
    }
    if current {
        emit(LinkEvent::Frame(frame));
    }
}
