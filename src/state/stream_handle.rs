use super::Kept;
use super::LiveState;
use crate::stream::StreamManager;

/// The stream manager lives in the browser's single thread; `LocalStorage` lets a `Copy`
/// handle to it sit in a context, which requires `Send + Sync`.
#[derive(Clone, Copy)]
pub struct StreamHandle(pub Kept<Option<StreamManager>>);

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

impl StreamHandle {
    /// No manager yet: the boot puts one in.
    pub fn empty() -> StreamHandle {
        StreamHandle(Kept::new(None))
    }
}

pub fn use_live() -> LiveState {
    super::handles().live
}

pub fn use_stream() -> StreamHandle {
    super::handles().stream
}
