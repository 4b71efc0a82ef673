//! The app-wide handles the composition root makes, in one context. Leptos compiles a context
//! lookup (`use_context::<T>`: the owner walk, the map lookup, the downcast) once per type; one
//! type for all of them keeps one copy in the live page's wasm (issue #22). The `use_*`
//! functions read their field.

use super::{
    FleetConnect, FleetSetting, LiveState, PolicySetting, ServerSetting, StoreState, StreamHandle,
};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Handles {
    pub live: LiveState,
    pub stream: StreamHandle,
    pub store: StoreState,
    pub server: ServerSetting,
    pub policy: PolicySetting,
    pub fleet: FleetSetting,
    pub fleet_connect: FleetConnect,
}

/// Provided once by the composition root, before anything renders.
pub fn provide_handles(handles: Handles) {
    provide_context(handles);
}

pub fn handles() -> Handles {
    expect_context::<Handles>()
}
