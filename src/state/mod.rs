//! App-wide state in contexts: signals written only by the stream's signal sink at flush time
//! (at most every 200 ms) and read by the views, the store's state, the settings, and the page
//! clock. Nothing here starts anything: the composition root (`crate::app`) does.

mod clock;
mod computed;
mod fleet_connect;
mod handles;
mod kept;
mod lifecycle_feed;
mod live;
mod live_state;
mod run_end;
mod settings;
mod store_state;
mod stream_handle;

pub use clock::{provide_ticker, use_ticking_now};
pub use computed::Computed;
pub use fleet_connect::{use_fleet_connect, FleetConnect};
pub use handles::{handles, provide_handles, Handles};
pub use kept::Kept;
pub use lifecycle_feed::{on_new_lifecycle, FeedStart};
pub use live::Live;
pub use live_state::{LiveState, PreviewImage};
pub use run_end::{notify_on_run_end, RunEnds};
pub use settings::{FleetSetting, PolicySetting, ServerSetting};
pub use store_state::{use_store, StoreState, StoreStatus};
pub use stream_handle::{use_live, use_stream, StreamHandle};
