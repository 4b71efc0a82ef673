//! The extension's run log read by the page (issue 23): its records merge with the browser's
//! own per prompt id and only ever add to them; each row says where it came from; a run's
//! parameters read as text; Compare lists exactly the parameters that differ.
//!
//! `fixtures/runlog/page.json` was written by the extension's own record code
//! (`comfyui_telemetry/runlog/record.py`): two finished runs that differ in steps and seed, and
//! one lost when ComfyUI died.

use telemetry_core::history::server_log::{
    decode_page, decode_run, param_diff, param_rows, RowSource,
};
use telemetry_core::history::StoredRun;
use telemetry_core::run::{Run, RunSource, RunStatus};

const SERVER: &str = "http://127.0.0.1:8188";
const PAGE: &str = include_str!("fixtures/runlog/page.json");

fn page() -> Vec<StoredRun> {
    decode_page(PAGE, SERVER).expect("a listing").runs
}

fn by_id<'a>(runs: &'a [StoredRun], id: &str) -> &'a StoredRun {
    runs.iter().find(|r| r.prompt_id == id).expect("listed")
}

#[test]
fn the_logs_records_read_as_the_pages_own_runs_of_this_server() {
    let page = decode_page(PAGE, SERVER).expect("a listing");
    assert_eq!(page.next_cursor.as_deref(), Some("abc"));
    let runs = page.runs;
    assert_eq!(runs.len(), 3);
    let a = by_id(&runs, "p-a");
    assert_eq!(a.key, format!("{SERVER}|p-a"));
    assert_eq!(a.run.server, SERVER);
    assert_eq!(a.status, "succeeded");
    assert_eq!(a.run.outputs[0].filename, "p-a.png");
    assert!(a.server_only);
    let params = a.params.as_ref().expect("params");
    assert_eq!(params["steps"], 20);
    assert_eq!(
        params["comfyui_version"], "0.3.64",
        "env is among the parameters"
    );
    // A run open when ComfyUI died is lost, never running.
    assert_eq!(by_id(&runs, "p-c").run.status, RunStatus::Lost);
    assert_eq!(by_id(&runs, "p-c").status, "lost");
}

#[test]
fn untrusted_listings_never_panic_and_bad_records_are_skipped() {
    assert_eq!(decode_page("not json", SERVER), None);
    assert_eq!(decode_page("{\"error\": \"x\"}", SERVER), None);
    let mut value: serde_json::Value = serde_json::from_str(PAGE).expect("json");
    let runs = value["runs"].as_array_mut().expect("runs");
    runs[0]["run"]["prompt_id"] = "someone-else".into();
    runs[1]["run"] = serde_json::json!(42);
    runs.push(serde_json::json!(null));
    let page = decode_page(&value.to_string(), SERVER).expect("a listing");
    let ids: Vec<&str> = page.runs.iter().map(|r| r.prompt_id.as_str()).collect();
    assert_eq!(ids, ["p-c"]);
    assert_eq!(
        decode_run(serde_json::json!({"prompt_id": ""}), SERVER),
        None
    );
}

#[test]
fn a_server_record_merged_with_the_browsers_only_gains_and_is_then_from_both() {
    let server = by_id(&page(), "p-a").clone();
    // The browser watched the start live, with its own receive times, and then closed.
    let mut local = Run::new(SERVER, "p-a", RunSource::Stream, 1_050.0);
    local.status = RunStatus::Running;
    local.started_at_ms = Some(1_100.0);
    local.gpu_name = Some("cuda:0 RTX".into());
    let local = StoredRun::from_run(&local);
    assert!(!local.server_only);

    let merged = server
        .merged_into(Some(&local))
        .expect("the server adds the end");
    assert_eq!(merged.run.status, RunStatus::Succeeded);
    assert_eq!(merged.run.gpu_name.as_deref(), Some("cuda:0 RTX"), "kept");
    assert_eq!(merged.run.outputs.len(), 1);
    assert_eq!(merged.params, server.params);
    assert!(!merged.server_only, "the browser saw it too");
    assert_eq!(RowSource::of(merged.server_only, true), RowSource::Both);

    // The browser's later write of its poorer copy forgets nothing the server said.
    assert_eq!(local.merged_into(Some(&merged)), None);
    // Nor does the server's listing, read again.
    assert_eq!(server.merged_into(Some(&merged)), None);
}

#[test]
fn a_run_only_the_server_saw_is_stored_whole_and_marked_server() {
    let server = by_id(&page(), "p-b").clone();
    let stored = server.merged_into(None).expect("new");
    assert_eq!(stored, server);
    assert_eq!(RowSource::of(stored.server_only, true).as_str(), "server");
    // After the server forgot it, it is the browser's alone.
    assert_eq!(RowSource::of(stored.server_only, false).as_str(), "browser");
    // A stored record round-trips through JSON (IndexedDB) with its parameters.
    let json = serde_json::to_string(&stored).expect("encodes");
    let back: StoredRun = serde_json::from_str(&json).expect("decodes");
    assert_eq!(back, stored);
}

#[test]
fn records_written_before_parameters_existed_still_decode_as_the_browsers() {
    let run = Run::new(SERVER, "old", RunSource::Stream, 1.0);
    let mut json = serde_json::to_value(StoredRun::from_run(&run)).expect("encodes");
    let object = json.as_object_mut().expect("object");
    assert!(!object.contains_key("params") && !object.contains_key("server_only"));
    object.remove("series");
    let back: StoredRun = serde_json::from_value(json).expect("decodes");
    assert_eq!((back.params, back.server_only), (None, false));
}

#[test]
fn parameters_read_as_text_common_ones_first_without_structured_twins() {
    let runs = page();
    let rows = param_rows(by_id(&runs, "p-a").params.as_ref().expect("params"));
    let names: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        &names[..6],
        ["checkpoint", "sampler", "scheduler", "steps", "cfg", "seed"]
    );
    assert!(!names.contains(&"widgets"));
    let text = |k: &str| rows.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(text("checkpoint"), Some("sd15.safetensors"));
    assert_eq!(text("cfg"), Some("7.0"));
    assert_eq!(text("positive"), Some("a cat"));
    assert_eq!(text("torch_version"), Some("2.8.0"));
    // Each node's literal inputs follow, in node order: custom nodes' values live only there.
    assert_eq!(text("3.seed"), Some("1234"));
    assert_eq!(text("4.ckpt_name"), Some("sd15.safetensors"));
    let first_widget = names.iter().position(|n| n.contains('.')).expect("widgets");
    assert!(names[first_widget..].iter().all(|n| n.contains('.')));
    assert!(names[first_widget..].starts_with(&["3.cfg"]));
}

#[test]
fn compare_lists_exactly_the_parameters_that_differ() {
    let runs = page();
    let (a, b, c) = (
        by_id(&runs, "p-a"),
        by_id(&runs, "p-b"),
        by_id(&runs, "p-c"),
    );
    let diff = param_diff(&[a, b]);
    let names: Vec<&str> = diff.iter().map(|d| d.param.as_str()).collect();
    assert_eq!(names, ["steps", "seed"]);
    assert_eq!(diff[0].values, ["20", "30"]);
    assert_eq!(diff[1].values, ["1234", "99"]);
    // Same parameters: nothing differs.
    assert!(param_diff(&[a, c]).is_empty());
    // A run without recorded parameters is no evidence of a difference.
    let bare = StoredRun::from_run(&Run::new(SERVER, "x", RunSource::Stream, 1.0));
    assert!(param_diff(&[a, &bare]).is_empty());
    let three = param_diff(&[a, &bare, b]);
    assert_eq!(three.len(), 2);
    assert_eq!(three[0].values, ["20", "", "30"]);
}

/// What the real-ComfyUI test queues: a custom node whose steps and seed the log keeps only
/// among the node inputs.
fn custom(steps: u32, seed: u32) -> StoredRun {
    let mut run = StoredRun::from_run(&Run::new(SERVER, "x", RunSource::Stream, 1.0));
    let params = serde_json::json!({
        "width": 64,
        "comfyui_version": "0.3.64",
        "widgets": {
            "1": {"class_type": "EmptyImage", "inputs": {"width": 64}},
            "2": {"class_type": "SlowProgress", "inputs": {"steps": steps, "seed": seed, "step_seconds": 0.05}}
        }
    });
    run.params = params.as_object().cloned();
    run
}

#[test]
fn compare_shows_custom_node_inputs_that_differ_under_node_and_input() {
    let diff = param_diff(&[&custom(3, 1), &custom(5, 2)]);
    let names: Vec<&str> = diff.iter().map(|d| d.param.as_str()).collect();
    assert_eq!(names, ["2.seed", "2.steps"]);
    assert_eq!(diff[1].values, ["3", "5"]);
    assert!(param_diff(&[&custom(3, 1), &custom(3, 1)]).is_empty());
}
