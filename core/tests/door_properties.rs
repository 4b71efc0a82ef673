//! Any sequence of inputs through the door (frames, answers in any order, drops, reconnects,
//! restores, ticks): no panic, the run indexes agree with the runs, statuses never move back,
//! and no request of a kind is handed out twice while one is in flight.

use proptest::prelude::*;
use std::collections::HashMap;
use telemetry_core::connection::EndpointKind;
use telemetry_core::input::{Input, Reply};
use telemetry_core::pipeline::Pipeline;
use telemetry_core::run::{Run, RunSource, RunStatus};
use telemetry_core::tracker::Request;

#[derive(Debug, Clone)]
enum Op {
    Frame(u8, u8),
    Status(u8),
    Queue(Vec<u8>),
    Entry(u8, u8),
    Lost,
    Connected,
    Tick(bool),
    Restore(u8),
}

fn id(n: u8) -> String {
    format!("p{}", n % 5)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..5, 0u8..7).prop_map(|(a, b)| Op::Frame(a, b)),
        (0u8..4).prop_map(Op::Status),
        prop::collection::vec(0u8..5, 0..3).prop_map(Op::Queue),
        (0u8..5, 0u8..3).prop_map(|(a, b)| Op::Entry(a, b)),
        Just(Op::Lost),
        Just(Op::Connected),
        any::<bool>().prop_map(Op::Tick),
        (0u8..5).prop_map(Op::Restore),
    ]
}

fn frame(n: u8, kind: u8) -> String {
    let p = id(n);
    match kind {
        0 => format!(r#"{{"type":"execution_start","data":{{"prompt_id":"{p}","timestamp":10}}}}"#),
        1 => format!(r#"{{"type":"executing","data":{{"prompt_id":"{p}","node":"1"}}}}"#),
        2 => {
            format!(r#"{{"type":"execution_success","data":{{"prompt_id":"{p}","timestamp":20}}}}"#)
        }
        3 => format!(
            r#"{{"type":"execution_error","data":{{"prompt_id":"{p}","node_id":"1","exception_message":"x","timestamp":20}}}}"#
        ),
        4 => format!(
            r#"{{"type":"execution_interrupted","data":{{"prompt_id":"{p}","timestamp":20}}}}"#
        ),
        5 => format!(
            r#"{{"type":"progress_state","data":{{"prompt_id":"{p}","nodes":{{"1":{{"value":0,"max":1,"state":"running","node_id":"1"}}}}}}}}"#
        ),
        _ => format!(r#"{{"type":"executing","data":{{"prompt_id":"{p}","node":null}}}}"#),
    }
}

fn entry_body(p: &str, kind: u8) -> String {
    match kind {
        0 => "{}".to_owned(),
        1 => format!(
            r#"{{"{p}":{{"prompt":[1,"{p}",{{"1":{{"class_type":"A","inputs":{{}}}}}},{{}},["1"]],"outputs":{{}},"status":{{"status_str":"success","completed":true,"messages":[["execution_start",{{"prompt_id":"{p}","timestamp":10}}],["execution_success",{{"prompt_id":"{p}","timestamp":20}}]]}}}}}}"#
        ),
        _ => format!(
            r#"{{"{p}":{{"prompt":[1,"{p}",{{}},{{}},[]],"outputs":{{}},"status":{{"status_str":"error","completed":false,"messages":[]}}}}}}"#
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_input_sequence_keeps_the_pipeline_consistent(ops in prop::collection::vec(op(), 1..60)) {
        let mut p = Pipeline::new("s", 200.0);
        let mut in_flight: Vec<Request> = Vec::new();
        let mut ranks: HashMap<String, u8> = HashMap::new();
        for (i, op) in ops.into_iter().enumerate() {
            let now = i as f64 * 700.0;
            let text = match &op {
                Op::Frame(n, k) => frame(*n, *k),
                Op::Status(r) => format!(
                    r#"{{"type":"status","data":{{"status":{{"exec_info":{{"queue_remaining":{r}}}}}}}}}"#
                ),
                _ => String::new(),
            };
            let input = match &op {
                Op::Frame(..) | Op::Status(_) => Input::Text(&text),
                Op::Queue(ids) => {
                    let running: Vec<String> = ids.iter().map(|n| format!(r#"[1,"{}",{{}},{{}},[]]"#, id(*n))).collect();
                    Input::Answer {
                        request: Request::ReadQueue,
                        reply: Reply::Body(format!(r#"{{"queue_running":[{}],"queue_pending":[]}}"#, running.join(","))),
                    }
                }
                Op::Entry(n, k) => Input::Answer {
                    request: Request::ReadHistoryEntry(id(*n)),
                    reply: Reply::Body(entry_body(&id(*n), *k)),
                },
                Op::Lost => Input::Lost,
                Op::Connected => Input::Connected { endpoint: EndpointKind::Ws },
                Op::Tick(hidden) => Input::Tick { hidden: *hidden },
                Op::Restore(n) => {
                    let mut run = Run::new("s", &id(*n), RunSource::Stream, now);
                    run.status = RunStatus::Running;
                    Input::Restore(vec![run])
                }
            };
            if let Input::Answer { request, .. } = &input {
                in_flight.retain(|r| r != request);
            }
            let step = p.step(input, now);
            for r in &step.requests {
                prop_assert!(!in_flight.contains(r), "{:?} handed out twice", r);
                in_flight.push(r.clone());
            }
            p.take(now);
            prop_assert!(p.tracker().index_is_consistent());
            for run in p.tracker().runs() {
                let rank = run.status.rank();
                let before = ranks.insert(run.prompt_id.clone(), rank).unwrap_or(0);
                prop_assert!(rank >= before, "{} moved back", run.prompt_id);
            }
        }
    }
}
