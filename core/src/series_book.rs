//! The run chart's series, sampled by the pipeline at each flush and kept per run, so a chart
//! always belongs to the run it is drawn for. (Sampled in the signal layer, a fully cached run
//! that never ran was shown under the previous run's chart.)
//!
//! Only a run seen running starts a series: a run that ended before the page saw it has no
//! picture to show. A series takes its final sample when its run ends and is left alone after.

use crate::history::series::RunSeries;
use crate::pipeline::UpdateBatch;
use crate::run::RunStatus;
use crate::tracker::{Field, Tracker};
use std::collections::{HashMap, HashSet, VecDeque};

/// Series kept: the runs running now and the few that just ended (the store writes an ended
/// run a little later and keeps its chart).
const KEPT: usize = 16;

#[derive(Debug, Default)]
pub struct SeriesBook {
    series: HashMap<String, RunSeries>,
    /// Runs whose series has its final sample.
    closed: HashSet<String>,
    /// Oldest first, for eviction.
    order: VecDeque<String>,
}

impl SeriesBook {
    pub fn get(&self, prompt_id: &str) -> Option<&RunSeries> {
        self.series.get(prompt_id)
    }

    /// Samples the runs this batch changed (every running run when only the memory reading
    /// changed).
    pub fn sample(&mut self, tracker: &Tracker, batch: &UpdateBatch, now_ms: f64) {
        let mut ids: Vec<&str> = batch
            .fields
            .iter()
            .filter_map(|f| match f {
                Field::Run(id) => Some(id.as_str()),
                _ => None,
            })
            .chain(batch.events.iter().map(|e| e.run_id.as_str()))
            .collect();
        if batch.fields.iter().any(|f| matches!(f, Field::Gpu)) {
            ids.extend(
                self.series
                    .keys()
                    .filter(|id| !self.closed.contains(*id))
                    .map(String::as_str),
            );
            if let Some(run) = tracker.current_run() {
                ids.push(run.prompt_id.as_str());
            }
        }
        let ids: HashSet<String> = ids.into_iter().map(str::to_owned).collect();
        for id in ids {
            if let Some(run) = tracker.run(&id) {
                self.record(run, tracker, now_ms);
            }
        }
    }

    fn record(&mut self, run: &crate::run::Run, tracker: &Tracker, now_ms: f64) {
        let id = &run.prompt_id;
        if self.closed.contains(id) {
            return;
        }
        if !self.series.contains_key(id) {
            if run.status != RunStatus::Running {
                return;
            }
            let start = run.started_at_ms.unwrap_or(now_ms).min(now_ms);
            self.series
                .insert(id.clone(), RunSeries::new(id, start));
            self.order.push_back(id.clone());
            while self.order.len() > KEPT {
                if let Some(old) = self.order.pop_front() {
                    self.series.remove(&old);
                    self.closed.remove(&old);
                }
            }
        }
        if let Some(series) = self.series.get_mut(id) {
            series.record(run, tracker.gpu.latest.as_ref(), now_ms);
            if run.status.is_terminal() {
                self.closed.insert(id.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::pipeline::Pipeline;

    fn frame(p: &mut Pipeline, kind: &str, data: serde_json::Value, now: f64) {
        let text = serde_json::json!({ "type": kind, "data": data }).to_string();
        p.step(crate::input::Input::Text(&text), now);
    }

    #[test]
    fn each_run_has_its_own_series_and_a_cached_run_none() {
        let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
        frame(&mut p, "execution_start", serde_json::json!({"prompt_id": "a", "timestamp": 1000}), 1000.0);
        frame(&mut p, "progress", serde_json::json!({"prompt_id": "a", "node": "3", "value": 1, "max": 10}), 1100.0);
        p.take(1300.0);
        frame(&mut p, "execution_success", serde_json::json!({"prompt_id": "a", "timestamp": 2500}), 2500.0);
        p.take(2700.0);
        let a = p.series("a").expect("a ran while watched");
        assert!(a.samples.len() >= 2);
        // A fully cached run starts and ends within one window: it never ran while watched.
        frame(&mut p, "execution_start", serde_json::json!({"prompt_id": "b", "timestamp": 3000}), 3000.0);
        frame(&mut p, "execution_cached", serde_json::json!({"prompt_id": "b", "nodes": ["1", "2"], "timestamp": 3000}), 3001.0);
        frame(&mut p, "execution_success", serde_json::json!({"prompt_id": "b", "timestamp": 3002}), 3002.0);
        p.take(3200.0);
        assert!(p.series("b").is_none(), "no chart borrowed from run a");
        // The ended run's series takes no more samples.
        let before = p.series("a").map(|s| s.samples.len());
        frame(&mut p, "progress", serde_json::json!({"prompt_id": "a", "node": "3", "value": 9, "max": 10}), 4000.0);
        p.take(4300.0);
        assert_eq!(p.series("a").map(|s| s.samples.len()), before);
    }
}
