//! The pages that are not the live page, each loaded as a wasm chunk of its own when first visited
//! (issue #22), so a cold load of the live page ships only the live page's code.
//!
//! With the `split` feature (`scripts/build.sh`, release) each page's view is a split point
//! (`wasm_split`, the macro under Leptos' `#[lazy]`) that the build cuts into its own `.wasm`
//! (`scripts/wasm-split.sh`). Without the feature (`trunk serve`, the wasm tests, clippy) the same
//! routes render the page directly: an unsplit wasm would otherwise import split loaders that
//! nothing provides.
//!
//! The split points are `fallible`, unlike Leptos' `#[lazy_route]`, whose failed load panics and so
//! aborts the whole app: a tab opened before the dashboard was updated asks for chunks the new
//! build no longer has. Such a page says so instead, and the next visit tries again.
//!
//! A new page becomes a lazy route with one line here, `lazy_page!(FooRoute, FooPage);`, and a
//! variant of `Route` with its path in `routes.rs`. Code that only that page uses lands in its
//! chunk; code it shares with the live page stays in the main wasm.

use crate::ui::fleet::FleetPage;
use crate::ui::history::{ComparePage, HistoryPage, RunDetailPage};
use crate::ui::report::ReportPage;
use crate::ui::settings::SettingsPage;
use leptos::prelude::*;

/// `lazy_page!(RouteName, PageComponent)`: a unit struct whose `view()` renders the component,
/// split into its own chunk when built with the `split` feature.
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        #[doc = concat!("The route of [`", stringify!($page), "`], loaded lazily.")]
        pub struct $route;

        impl $route {
            #[cfg(feature = "split")]
            pub async fn view() -> AnyView {
                #[leptos::wasm_split::wasm_split($route, wasm_split_path = ::leptos::wasm_split, fallible)]
                fn page() -> Result<AnyView, leptos::wasm_split::SplitLoaderError> {
                    Ok($page().into_any())
                }
                page().await.unwrap_or_else(|_| unavailable())
            }

            #[cfg(not(feature = "split"))]
            pub async fn view() -> AnyView {
                $page().into_any()
            }
        }
    };
}

/// What a page whose code could not be fetched shows (the loader has logged why).
#[cfg(feature = "split")]
fn unavailable() -> AnyView {
    view! {
        <section class="card" role="alert" data-testid="page-unavailable">
            <h1 class="page-title">"This page could not be loaded"</h1>
            <p>"Its code did not arrive: the server may be unreachable, or the dashboard was updated since this tab was opened."</p>
            <p class="muted small">"Reload the page, or open it again from the tabs above."</p>
        </section>
    }
    .into_any()
}

lazy_page!(HistoryRoute, HistoryPage);
lazy_page!(RunDetailRoute, RunDetailPage);
lazy_page!(CompareRoute, ComparePage);
lazy_page!(ReportRoute, ReportPage);
lazy_page!(SettingsRoute, SettingsPage);
lazy_page!(FleetRoute, FleetPage);
