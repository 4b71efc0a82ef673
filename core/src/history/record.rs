//! What the store keeps per run: the run itself plus flat fields for its indexes.

use super::series::RunSeries;
use crate::follow::ExitReason;
use crate::run::{Run, RunSource};
use serde::{Deserialize, Serialize};

/// Bumped when the record's shape changes; the store migrates older records.
pub const RECORD_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRun {
    /// `server|prompt_id`: one row per run, whichever way it arrived.
    pub key: String,
    pub server: String,
    pub prompt_id: String,
    /// Sort key: when the run started, else when it was first seen (epoch ms).
    pub start_ms: f64,
    /// `duration_ms` or -1 when unknown, so the index can sort it.
    pub duration_ms: f64,
    pub status: String,
    /// Exit reason of the follow policy, or `streamed` when the run was not followed.
    pub exit_reason: String,
    pub gpu: String,
    pub workflow: String,
    /// Lower-cased prompt id, node types, output file names and error text, for free search.
    pub search: String,
    pub version: u32,
    pub run: Run,
    /// Progress, step rate and memory over the run, as the live page sampled them; absent for
    /// runs that were not watched live and for records written before it existed.
    #[serde(default)]
    pub series: Option<RunSeries>,
}

pub fn key_of(server: &str, prompt_id: &str) -> String {
    format!("{server}|{prompt_id}")
}

/// Server clock when both ends have it (durations agree with ComfyUI), else ours.
pub fn start_ms(run: &Run) -> f64 {
    run.server_started_ms
        .map(|s| s as f64)
        .or(run.started_at_ms)
        .or(run.queued_at_ms)
        .unwrap_or(run.first_seen_ms)
}

pub fn exit_reason(run: &Run) -> String {
    match run.follow.as_ref().and_then(|f| f.exit) {
        Some(e) => e.as_str().to_owned(),
        None if run.follow.is_some() => "following".to_owned(),
        None if run.source == RunSource::Seed => ExitReason::Unknown.as_str().to_owned(),
        None => "streamed".to_owned(),
    }
}

impl StoredRun {
    pub fn from_run(run: &Run) -> StoredRun {
        let mut search = String::new();
        search.push_str(&run.prompt_id);
        for node in &run.nodes {
            if let Some(c) = &node.class_type {
                search.push(' ');
                search.push_str(c);
            }
        }
        if let Some(w) = &run.workflow {
            search.push(' ');
            search.push_str(w);
        }
        for o in &run.outputs {
            search.push(' ');
            search.push_str(&o.filename);
        }
        if let Some(e) = &run.error {
            for part in [&e.exception_type, &e.exception_message, &e.node_type]
                .into_iter()
                .flatten()
            {
                search.push(' ');
                search.push_str(part);
            }
        }
        StoredRun {
            key: key_of(&run.server, &run.prompt_id),
            server: run.server.clone(),
            prompt_id: run.prompt_id.clone(),
            start_ms: start_ms(run),
            duration_ms: run
                .duration_ms(run.ended_at_ms.unwrap_or(run.last_update_ms))
                .unwrap_or(-1.0),
            status: run.status.as_str().to_owned(),
            exit_reason: exit_reason(run),
            gpu: run.gpu_name.clone().unwrap_or_default(),
            workflow: run.workflow.clone().unwrap_or_default(),
            search: search.to_lowercase(),
            version: RECORD_VERSION,
            run: run.clone(),
            series: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_written_before_series_existed_still_decodes() {
        let run = Run::new("srv", "p", RunSource::Stream, 1.0);
        let mut json = serde_json::to_value(StoredRun::from_run(&run)).expect("encodes");
        json.as_object_mut().expect("object").remove("series");
        let back: StoredRun = serde_json::from_value(json).expect("decodes");
        assert_eq!(back.series, None);
        assert_eq!(back.run, run);
    }
}
