//! The live page makes a preview's image only for a preview it shows (issue 22, throughput):
//! one of the current run, or one without a run (a legacy server's).

use telemetry_core::tracker::preview_shown;

#[test]
fn a_preview_is_shown_for_the_current_run_or_without_a_run() {
    assert!(preview_shown(Some("a"), Some("a")));
    assert!(preview_shown(None, Some("a")));
    assert!(preview_shown(None, None));
    assert!(!preview_shown(Some("b"), Some("a")));
    assert!(!preview_shown(Some("b"), None));
}
