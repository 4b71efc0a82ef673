//! The pages that are not the live page, each loaded as a wasm chunk of its own when first visited
//! (issue #22), so a cold load of the live page ships only the live page's code.
//!
//! With the `split` feature (`scripts/build.sh`, release) each page's view goes through Leptos'
//! `#[lazy_route]`: the view function becomes a split point that the build cuts into its own
//! `.wasm` (`scripts/wasm-split.sh`). Without the feature (`trunk serve`, the wasm tests, clippy)
//! the same routes render the page directly: an unsplit wasm would otherwise import split loaders
//! that nothing provides.
//!
//! A new page becomes a lazy route with one line here, `lazy_page!(FooRoute, FooPage);`, and
//! `<Route path=path!("/foo") view={Lazy::<FooRoute>::new()}/>` in `App`. Code that only that page
//! uses lands in its chunk; code it shares with the live page stays in the main wasm.

use crate::ui::fleet::FleetPage;
use crate::ui::history::{ComparePage, HistoryPage, RunDetailPage};
use crate::ui::report::ReportPage;
use crate::ui::settings::SettingsPage;
use leptos::prelude::*;

/// `lazy_page!(RouteName, PageComponent)`: a unit struct that implements `LazyRoute` by rendering
/// the component, split into its own chunk when built with the `split` feature.
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        #[doc = concat!("The route of [`", stringify!($page), "`], loaded lazily.")]
        pub struct $route;

        #[cfg(feature = "split")]
        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }

        #[cfg(not(feature = "split"))]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    };
}

lazy_page!(HistoryRoute, HistoryPage);
lazy_page!(RunDetailRoute, RunDetailPage);
lazy_page!(CompareRoute, ComparePage);
lazy_page!(ReportRoute, ReportPage);
lazy_page!(SettingsRoute, SettingsPage);
lazy_page!(FleetRoute, FleetPage);
