//! The store writer's record (issue 11): the stored run merged with the live one, written only
//! when that gains something, so a replayed catch-up never overwrites a richer stored record.

use telemetry_core::history::record::RECORD_VERSION;
use telemetry_core::history::StoredRun;
use telemetry_core::protocol::{Artifact, ArtifactKind};
use telemetry_core::run::{NodeStatus, Run, RunSource, RunStatus};

const SERVER: &str = "http://127.0.0.1:8188";

fn image(name: &str) -> Artifact {
    Artifact {
        node_id: "9".into(),
        kind: ArtifactKind::Image,
        filename: name.into(),
        subfolder: String::new(),
        folder_type: "output".into(),
        format: None,
        text: None,
        animated: false,
    }
}

/// What the store holds for a run the page watched from start to end.
fn rich() -> Run {
    let mut run = Run::new(SERVER, "p1", RunSource::Stream, 1_000.0);
    run.status = RunStatus::Succeeded;
    run.number = Some(42);
    run.queued_at_ms = Some(1_000.0);
    run.started_at_ms = Some(1_100.0);
    run.ended_at_ms = Some(9_100.0);
    run.server_started_ms = Some(500);
    run.server_ended_ms = Some(8_000);
    run.workflow = Some("txt2img".into());
    run.node_total = Some(3);
    run.vram_total = Some(8_000.0);
    run.vram_free_before = Some(6_000.0);
    run.vram_free_after = Some(5_000.0);
    run.vram_peak_used = Some(3_500.0);
    run.gpu_name = Some("cuda:0 RTX".into());
    run.outputs = vec![image("a.png")];
    run.node_mut("9").status = NodeStatus::Finished;
    run.last_update_ms = 9_100.0;
    run
}

/// A replay of the same run seen by a later page: only its end, received late.
fn poor() -> Run {
    let mut run = Run::new(SERVER, "p1", RunSource::Stream, 50_000.0);
    run.status = RunStatus::Succeeded;
    run.started_at_ms = Some(50_000.0);
    run.ended_at_ms = Some(50_010.0);
    run.last_update_ms = 50_010.0;
    run
}

#[test]
fn a_new_run_is_written_as_it_is() {
    let live = rich();
    let written = StoredRun::merged_with(None, &live).expect("written");
    assert_eq!(written, StoredRun::from_run(&live));
}

#[test]
fn a_poorer_record_merged_into_a_richer_one_keeps_every_field_and_is_not_written() {
    let stored = StoredRun::from_run(&rich());
    assert_eq!(StoredRun::merged_with(Some(&stored), &poor()), None);
    // Even when the replay carries something new, nothing the store knew goes.
    let mut replay = poor();
    replay.outputs = vec![image("b.png")];
    let written = StoredRun::merged_with(Some(&stored), &replay).expect("an output was gained");
    let run = &written.run;
    assert_eq!(run.number, Some(42));
    assert_eq!(run.workflow.as_deref(), Some("txt2img"));
    assert_eq!(run.node_total, Some(3));
    assert_eq!(
        (
            run.vram_free_before,
            run.vram_free_after,
            run.vram_peak_used
        ),
        (Some(6_000.0), Some(5_000.0), Some(3_500.0))
    );
    assert_eq!(run.gpu_name.as_deref(), Some("cuda:0 RTX"));
    assert_eq!(run.outputs, vec![image("a.png"), image("b.png")]);
    assert_eq!(run.started_at_ms, Some(1_100.0), "earliest receive time");
    assert_eq!(run.ended_at_ms, Some(9_100.0));
    assert_eq!(run.nodes.len(), 1);
    assert_eq!(written.workflow, "txt2img");
    assert_eq!(written.gpu, "cuda:0 RTX");
}

#[test]
fn server_timestamps_beat_receive_times() {
    let stored = StoredRun::from_run(&rich());
    assert_eq!(stored.duration_ms, 7_500.0, "from the server's clock");
    let mut replay = poor();
    replay.outputs = vec![image("c.png")];
    let written = StoredRun::merged_with(Some(&stored), &replay).expect("written");
    assert_eq!(written.run.server_started_ms, Some(500));
    assert_eq!(written.run.server_ended_ms, Some(8_000));
    assert_eq!(written.duration_ms, 7_500.0);
    assert_eq!(written.start_ms, 500.0);
    // And the other way round: a live record with server times improves a stored guess.
    let mut guessed = poor();
    guessed.server_started_ms = None;
    let stored = StoredRun::from_run(&guessed);
    let mut live = guessed.clone();
    live.server_started_ms = Some(49_000);
    live.server_ended_ms = Some(49_900);
    let written = StoredRun::merged_with(Some(&stored), &live).expect("gained server times");
    assert_eq!(written.duration_ms, 900.0);
}

#[test]
fn the_status_never_moves_backwards() {
    let stored = StoredRun::from_run(&rich());
    let mut running = rich();
    running.status = RunStatus::Running;
    running.ended_at_ms = None;
    assert_eq!(
        StoredRun::merged_with(Some(&stored), &running),
        None,
        "a stale running copy changes nothing"
    );
    let mut queued = Run::new(SERVER, "p1", RunSource::Polling, 60_000.0);
    queued.status = RunStatus::Queued;
    queued.number = Some(7);
    let written = StoredRun::merged_with(Some(&stored), &queued);
    assert!(written.is_none_or(|w| w.status == "succeeded" && w.run.number == Some(42)));
    // Forwards is fine: a stored open run is settled by the live end.
    let mut open = rich();
    open.status = RunStatus::Running;
    open.ended_at_ms = None;
    open.server_ended_ms = None;
    let stored = StoredRun::from_run(&open);
    let written = StoredRun::merged_with(Some(&stored), &rich()).expect("settled");
    assert_eq!(written.status, "succeeded");
    assert_eq!(written.run.server_ended_ms, Some(8_000));
}

#[test]
fn progress_is_written_but_a_touch_alone_is_not() {
    let mut open = rich();
    open.status = RunStatus::Running;
    open.ended_at_ms = None;
    let stored = StoredRun::from_run(&open);
    let mut touched = open.clone();
    touched.last_update_ms += 5_000.0;
    assert_eq!(StoredRun::merged_with(Some(&stored), &touched), None);
    let mut progressed = touched.clone();
    progressed.node_mut("10").status = NodeStatus::Running;
    let written = StoredRun::merged_with(Some(&stored), &progressed).expect("progress");
    assert_eq!(written.run.last_update_ms, touched.last_update_ms);
}

#[test]
fn an_older_record_version_is_rewritten() {
    let mut stored = StoredRun::from_run(&rich());
    stored.version = RECORD_VERSION - 1;
    let written = StoredRun::merged_with(Some(&stored), &poor()).expect("migrated");
    assert_eq!(written.version, RECORD_VERSION);
}
