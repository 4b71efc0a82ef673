use super::LiveState;
use crate::stream::StreamManager;
use leptos::prelude::*;

/// The stream manager lives in the browser's single thread; `LocalStorage` lets a `Copy`
/// handle to it sit in a context, which requires `Send + Sync`.
#[derive(Clone, Copy)]
pub struct StreamHandle(pub StoredValue<Option<StreamManager>, LocalStorage>);

impl StreamHandle {
    pub fn with<R>(&self, f: impl FnOnce(&StreamManager) -> R) -> Option<R> {
        self.0.with_value(|m| m.as_ref().map(f))
    }

    pub fn replace(&self, manager: StreamManager) {
        self.0.update_value(|slot| {
            if let Some(old) = slot.take() {
                old.stop();
            }
            *slot = Some(manager);
        });
    }
}

pub fn provide_stream(state: LiveState) -> StreamHandle {
    provide_context(state);
    let handle = StreamHandle(StoredValue::new_local(None));
    provide_context(handle);
    handle
}

pub fn use_live() -> LiveState {
    expect_context::<LiveState>()
}

pub fn use_stream() -> StreamHandle {
    expect_context::<StreamHandle>()
}
