use super::Kept;
use super::LiveState;
use crate::stream::StreamManager;
use std::rc::Rc;
use telemetry_core::endpoint::ServerBase;

/// How the fleet page starts one server's stream: its own state and manager, wired to the
/// store like the live page's. Provided by the composition root (which alone starts things),
/// so the page does not import it.
type Connect = Rc<dyn Fn(ServerBase) -> (LiveState, StreamManager)>;

#[derive(Clone, Copy)]
pub struct FleetConnect(pub Kept<Connect>);

impl FleetConnect {
    pub fn new(connect: impl Fn(ServerBase) -> (LiveState, StreamManager) + 'static) -> Self {
        FleetConnect(Kept::new(Rc::new(connect)))
    }

    pub fn connect(&self, server: ServerBase) -> (LiveState, StreamManager) {
        let connect = self.0.get_value();
        connect(server)
    }
}

pub fn use_fleet_connect() -> FleetConnect {
    super::handles().fleet_connect
}
