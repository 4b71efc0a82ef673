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
    /// What defines the run (checkpoint, sampler, steps, seed, versions...), flat, as the
    /// extension's run log records it; absent for runs no run log has described.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Params>,
    /// Written from the server's run log alone: this browser never saw the run itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub server_only: bool,
}

/// A run's parameters by name (`steps`, `seed`, `comfyui_version`...), values as the log sent them.
pub type Params = serde_json::Map<String, serde_json::Value>;

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
            search: crate::lowercase::to_lowercase(&search),
            version: RECORD_VERSION,
            run: Run {
                // Stored records hold a label, never a raw client id (older ones are relabelled
                // when next written).
                client_id: run
                    .client_id
                    .as_deref()
                    .map(crate::protocol::client_label::client_label),
                ..run.clone()
            },
            series: None,
            params: None,
            server_only: false,
        }
    }
}

/// The series that saw more of the run: the one reaching later, then the one with more samples.
fn fuller(a: Option<&RunSeries>, b: Option<&RunSeries>) -> Option<RunSeries> {
    match (a, b) {
        (Some(a), Some(b)) => {
            let key = |s: &RunSeries| (s.span_ms(), s.samples.len());
            let a_wins = key(a).0 > key(b).0 || (key(a).0 == key(b).0 && key(a).1 >= key(b).1);
            Some(if a_wins { a.clone() } else { b.clone() })
        }
        (a, b) => a.or(b).cloned(),
    }
}

/// Both sets of parameters; the stored value wins where both name one (a run's parameters do
/// not change, so a difference is only a later writer's rounding).
fn union(incoming: Option<&Params>, stored: Option<&Params>) -> Option<Params> {
    match (incoming, stored) {
        (Some(a), Some(b)) => {
            let mut out = a.clone();
            out.extend(b.iter().map(|(k, v)| (k.clone(), v.clone())));
            Some(out)
        }
        (a, b) => a.or(b).cloned(),
    }
}

impl StoredRun {
    /// This record folded into what the store holds, so a write only ever adds information
    /// (status never back, server times kept, series kept); `None` when the store already
    /// knows everything this record says, and nothing needs writing.
    pub fn merged_into(&self, stored: Option<&StoredRun>) -> Option<StoredRun> {
        let Some(stored) = stored else {
            return Some(self.clone());
        };
        let mut run = self.run.clone();
        run.merge(&stored.run);
        let mut merged = StoredRun::from_run(&run);
        merged.series = fuller(self.series.as_ref(), stored.series.as_ref());
        merged.params = union(self.params.as_ref(), stored.params.as_ref());
        // Seen by this browser once is seen for good.
        merged.server_only = self.server_only && stored.server_only;
        (merged != *stored).then_some(merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::RunStatus;

    #[test]
    fn a_write_never_loses_what_the_store_knew() {
        let mut stored_run = Run::new("srv", "p", RunSource::Stream, 1.0);
        stored_run.status = RunStatus::Succeeded;
        stored_run.server_started_ms = Some(1000);
        stored_run.server_ended_ms = Some(2400);
        stored_run.ended_at_ms = Some(2500.0);
        let mut stored = StoredRun::from_run(&stored_run);
        let mut series = RunSeries::new("p", 1.0);
        series.record(&stored_run, None, 500.0);
        stored.series = Some(series);
        // A poorer record of the same run: restored as running, without server times or series.
        let mut poorer = Run::new("srv", "p", RunSource::Stream, 1.0);
        poorer.status = RunStatus::Running;
        let merged = StoredRun::from_run(&poorer).merged_into(Some(&stored));
        // It adds nothing: no write.
        assert_eq!(merged, None);
        // A record with something new (an output) is written, keeping the server times,
        // the end and the series.
        poorer.outputs.push(crate::protocol::Artifact {
            node_id: "9".into(),
            kind: crate::protocol::ArtifactKind::Image,
            filename: "a.png".into(),
            subfolder: String::new(),
            folder_type: "output".into(),
            format: None,
            text: None,
            animated: false,
        });
        let merged = StoredRun::from_run(&poorer)
            .merged_into(Some(&stored))
            .expect("something new");
        assert_eq!(merged.run.status, RunStatus::Succeeded);
        assert_eq!(merged.run.server_started_ms, Some(1000));
        assert_eq!(merged.duration_ms, 1400.0);
        assert!(merged.series.is_some());
        assert_eq!(merged.run.outputs.len(), 1);
    }

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
