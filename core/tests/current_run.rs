//! Which run the live page shows once none is running: the one that ended last, whatever is
//! learned afterwards about an earlier one.

mod common;

use serde_json::json;
use telemetry_core::tracker::Change;
use telemetry_core::{decode_text, RunStatus, Tracker};

fn send(t: &mut Tracker, now: f64, kind: &str, data: serde_json::Value) {
    let frame = json!({ "type": kind, "data": data }).to_string();
    let msg = decode_text(&frame).expect("frame decodes");
    t.apply(&msg, now, &mut Vec::<Change>::new());
}

fn shown(t: &Tracker) -> Option<&str> {
    t.current_run().map(|r| r.prompt_id.as_str())
}

#[test]
fn a_late_answer_about_an_earlier_run_does_not_take_the_card_back_from_the_one_that_ended_last() {
    // A ends; its details are read from /api/history. Meanwhile B (a cached prompt: it ends in
    // milliseconds) starts and ends. A's answer arrives after: the card keeps showing B.
    let entries = common::history("history_prompt_success.json");
    let a = entries[0].prompt_id.clone();
    let mut t = Tracker::new("http://127.0.0.1:8188");
    send(&mut t, 1_000.0, "execution_start", json!({"prompt_id": a}));
    send(
        &mut t,
        2_000.0,
        "execution_success",
        json!({"prompt_id": a}),
    );
    send(
        &mut t,
        2_010.0,
        "execution_start",
        json!({"prompt_id": "B"}),
    );
    send(
        &mut t,
        2_012.0,
        "execution_success",
        json!({"prompt_id": "B"}),
    );
    assert_eq!(shown(&t), Some("B"));
    t.apply_history(&entries[0], 2_080.0, &mut Vec::new());
    assert_eq!(t.run(&a).map(|r| r.status), Some(RunStatus::Succeeded));
    assert_eq!(
        shown(&t),
        Some("B"),
        "the run that ended last, not the one heard of last"
    );
    // A frame about A arriving late (a replay after a reconnect) does not move it either.
    send(
        &mut t,
        2_100.0,
        "executed",
        json!({"prompt_id": a, "node": "9", "output": {}}),
    );
    assert_eq!(shown(&t), Some("B"));
    // A new run that starts is shown at once, and after it ends, it is the one shown.
    send(
        &mut t,
        3_000.0,
        "execution_start",
        json!({"prompt_id": "C"}),
    );
    assert_eq!(shown(&t), Some("C"));
    send(
        &mut t,
        3_500.0,
        "execution_success",
        json!({"prompt_id": "C"}),
    );
    assert_eq!(shown(&t), Some("C"));
}
