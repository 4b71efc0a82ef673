//! Trends over stored runs, gathered in one streaming pass so 100 000 runs never sit in
//! memory as records: per-workflow percentiles, success rate as a 0–1 fraction everywhere, and
//! chart series thinned to a fixed number of points.

use super::StoredRun;
use crate::sort::{sort_by, sort_by_key, sort_floats};
use crate::sorted_list::slot;

const MAX_POINTS: usize = 400;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkflowStats {
    pub workflow: String,
    pub runs: u64,
    pub succeeded: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub start_ms: f64,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trends {
    pub runs: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub interrupted: u64,
    /// Went away with their server: they did not succeed, so they count against the rate.
    pub lost: u64,
    pub duration: Vec<Point>,
    pub vram_delta_mb: Vec<Point>,
    /// Success rate per day (UTC), 0–1.
    pub daily_success: Vec<Point>,
    pub workflows: Vec<WorkflowStats>,
}

impl Trends {
    /// Fraction 0–1, `None` with no finished runs.
    pub fn success_rate(&self) -> Option<f64> {
        let finished = self.succeeded + self.failed + self.interrupted + self.lost;
        (finished > 0).then(|| self.succeeded as f64 / finished as f64)
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

/// A workflow's runs, succeeded runs and timed durations.
type WorkflowSums = (u64, u64, Vec<f64>);

#[derive(Debug, Default)]
pub struct TrendsBuilder {
    trends: Trends,
    /// By workflow, in name order.
    durations: Vec<(String, WorkflowSums)>,
    duration_points: Vec<Point>,
    vram_points: Vec<Point>,
    /// By day, in order.
    days: Vec<(i64, (u64, u64))>,
}

impl TrendsBuilder {
    pub fn add(&mut self, r: &StoredRun) {
        let t = &mut self.trends;
        t.runs += 1;
        match r.status.as_str() {
            "succeeded" => t.succeeded += 1,
            "failed" => t.failed += 1,
            "interrupted" => t.interrupted += 1,
            "lost" => t.lost += 1,
            _ => {}
        }
        let finished = matches!(
            r.status.as_str(),
            "succeeded" | "failed" | "interrupted" | "lost"
        );
        let entry = slot(
            &mut self.durations,
            |w| w.as_str().cmp(&r.workflow),
            || r.workflow.clone(),
        );
        entry.0 += 1;
        if r.status == "succeeded" {
            entry.1 += 1;
            if r.duration_ms >= 0.0 {
                entry.2.push(r.duration_ms);
                self.duration_points.push(Point {
                    start_ms: r.start_ms,
                    value: r.duration_ms / 1000.0,
                });
            }
        }
        if let Some(d) = r.run.vram_delta() {
            self.vram_points.push(Point {
                start_ms: r.start_ms,
                value: d / crate::format::MIB,
            });
        }
        if finished {
            let day = (r.start_ms / 86_400_000.0).floor() as i64;
            let e = slot(&mut self.days, |d: &i64| d.cmp(&day), || day);
            e.0 += 1;
            if r.status == "succeeded" {
                e.1 += 1;
            }
        }
    }

    pub fn finish(mut self) -> Trends {
        let sort = |p: &mut Vec<Point>| sort_by(p, |a, b| a.start_ms.total_cmp(&b.start_ms));
        sort(&mut self.duration_points);
        sort(&mut self.vram_points);
        self.trends.duration = thin(self.duration_points);
        self.trends.vram_delta_mb = thin(self.vram_points);
        self.trends.daily_success = self
            .days
            .into_iter()
            .map(|(day, (n, ok))| Point {
                start_ms: day as f64 * 86_400_000.0,
                value: ok as f64 / n as f64,
            })
            .collect();
        self.trends.workflows = self
            .durations
            .into_iter()
            .map(|(workflow, (runs, succeeded, mut d))| {
                sort_floats(&mut d);
                WorkflowStats {
                    workflow: if workflow.is_empty() {
                        "unknown workflow".into()
                    } else {
                        workflow
                    },
                    runs,
                    succeeded,
                    p50_ms: percentile(&d, 50.0),
                    p95_ms: percentile(&d, 95.0),
                }
            })
            .collect();
        sort_by_key(&mut self.trends.workflows, |w| std::cmp::Reverse(w.runs));
        self.trends
    }
}

/// Keeps at most `MAX_POINTS`, evenly spaced, always including the newest.
fn thin(points: Vec<Point>) -> Vec<Point> {
    if points.len() <= MAX_POINTS {
        return points;
    }
    let step = points.len() as f64 / MAX_POINTS as f64;
    let last = points.len() - 1;
    let mut out: Vec<Point> = (0..MAX_POINTS - 1)
        .map(|i| points[(i as f64 * step) as usize])
        .collect();
    out.push(points[last]);
    out
}
