//! One decoded socket message at a time: a short dispatch to one function per message. The
//! per-node messages live in `nodes.rs`.

use super::queue::queue_item_of;
use super::*;
use crate::gpu::GpuReading;
use crate::protocol::extension::{Dropped, QueuedPrompt};
use crate::protocol::{ExecutionStamp, Preview, ProgressText, ServerMessage, Status};

impl Tracker {
    /// Applies one decoded socket message.
    pub fn apply(&mut self, msg: &ServerMessage, now_ms: f64, out: &mut Vec<Change>) {
        self.counters.messages += 1;
        let from = out.len();
        match msg {
            ServerMessage::Status(s) => self.status(s, out),
            ServerMessage::FeatureFlags(f) => {
                self.supports_preview_metadata = f.supports_preview_metadata
            }
            ServerMessage::ExecutionStart(m) => self.execution_start(m, now_ms, out),
            ServerMessage::ExecutionCached(m) => self.execution_cached(m, now_ms, out),
            ServerMessage::Executing(m) => self.executing(m, now_ms, out),
            ServerMessage::Progress(m) => self.progress(m, now_ms, out),
            ServerMessage::ProgressState(m) => self.progress_state(m, now_ms, out),
            ServerMessage::Executed(m) => self.executed(m, now_ms, out),
            ServerMessage::ExecutionSuccess(m) => {
                self.finish(&m.prompt_id, RunStatus::Succeeded, m.timestamp, now_ms, out)
            }
            ServerMessage::ExecutionError(m) => self.execution_error(m, now_ms, out),
            ServerMessage::ExecutionInterrupted(m) => self.execution_interrupted(m, now_ms, out),
            ServerMessage::Preview(p) => self.preview(p, now_ms, out),
            ServerMessage::ProgressText(t) => self.progress_text(t, now_ms, out),
            ServerMessage::Logs(_) => {}
            ServerMessage::CrystoolsMonitor(sample) => {
                self.gpu.monitor = Some(sample.clone());
                self.gpu.monitor_at_ms = Some(now_ms);
                match GpuReading::from_monitor(sample, now_ms) {
                    Some(reading) => self.apply_gpu(reading, now_ms, out),
                    None => out.push(Change::Field(Field::Gpu)),
                }
            }
            ServerMessage::SeedTelemetry(t) => self.seed(t, now_ms, out),
            ServerMessage::TelemetryHello(h) => self.hello(h, now_ms, out),
            ServerMessage::TelemetryQueued(q) => self.telemetry_queued(q, now_ms, out),
            ServerMessage::TelemetryGpu(sample) => {
                self.apply_gpu(GpuReading::from_extension(sample, now_ms), now_ms, out)
            }
            ServerMessage::TelemetryDropped(d) => self.dropped(d, out),
            ServerMessage::Unknown { kind } => {
                // Harmless by design: `assets.seed.*` and other extensions' broadcasts.
                let unknown = &mut self.counters.unknown;
                *crate::sorted_list::slot(unknown, |k| k.as_str().cmp(kind), || kind.clone()) += 1;
                out.push(Change::Field(Field::Counters));
            }
        }
        let live_ends = out[from..]
            .iter()
            .filter(|c| matches!(c, Change::Lifecycle(l) if l.kind.is_end()))
            .count();
        self.ends_since_status = self
            .ends_since_status
            .saturating_add(u32::try_from(live_ends).unwrap_or(u32::MAX));
    }

    /// `status` says how many prompts are left. When that disagrees with what the page knows
    /// (the queue drained with a run still open, or changed for prompts we were not told
    /// of) the queue is re-read. When it shrank by more runs than the page saw end on the
    /// socket since the previous `status`, prompts ended unseen (too short for a queue poll,
    /// or queued and run between two polls): the newest history entries say which.
    fn status(&mut self, status: &Status, out: &mut Vec<Change>) {
        if let Some(sid) = &status.sid {
            self.client_id = Some(sid.clone());
        }
        let Some(remaining) = status.queue_remaining else {
            return;
        };
        let ended_seen = std::mem::take(&mut self.ends_since_status);
        let before = self.queue.remaining;
        self.queue.remaining = Some(remaining);
        self.queue.running = Some(remaining.min(1));
        self.queue.pending = Some(remaining.saturating_sub(1));
        self.queue.from_http = false;
        out.push(Change::Field(Field::Queue));
        let open = u32::try_from(self.open_run_count()).unwrap_or(u32::MAX);
        let changed_unseen = before != Some(remaining) && open != remaining;
        let shrank_by = self
            .status_remaining
            .replace(remaining)
            .map_or(0, |b| b.saturating_sub(remaining));
        let unseen = shrank_by.saturating_sub(ended_seen);
        if changed_unseen {
            self.request(Request::ReadQueue);
        }
        if unseen > 0 {
            // The newest entries hold them: a page with room to spare, not the whole page
            // (asks made while one read is in flight merge into the larger page).
            self.request(Request::ReadHistory {
                max_items: unseen.saturating_mul(2).saturating_add(8).min(HISTORY_PAGE),
                offset: None,
            });
        }
    }

    fn execution_start(&mut self, m: &ExecutionStamp, now_ms: f64, out: &mut Vec<Change>) {
        let settled = self
            .runs
            .get(&m.prompt_id)
            .is_some_and(|r| r.status.is_terminal());
        if !settled {
            // ComfyUI runs one prompt at a time: another that still looks running ended
            // unseen, or this start is a catch-up replay of an older prompt. The server says
            // which; nothing is ended by guessing.
            for previous in self.open_runs_except(&m.prompt_id) {
                self.settle_by_server(&previous);
            }
            self.start(&m.prompt_id, now_ms, out);
            self.streaming = Some(m.prompt_id.clone());
        }
        let (run, _) = self.touch(&m.prompt_id, RunSource::Stream, now_ms);
        run.server_started_ms = run.server_started_ms.or(m.timestamp);
        out.push(Change::Field(Field::Run(m.prompt_id.clone())));
    }

    fn telemetry_queued(&mut self, q: &QueuedPrompt, now_ms: f64, out: &mut Vec<Change>) {
        let item = queue_item_of(q);
        self.apply_queue_item(&item, false, now_ms, out);
        if let Some(run) = self.runs.get_mut(&q.prompt_id) {
            run.server_queued_ms = run.server_queued_ms.or(q.queued_at);
        }
    }

    /// The extension dropped messages for us: what they said is read from the server.
    fn dropped(&mut self, d: &Dropped, out: &mut Vec<Change>) {
        self.counters.dropped += d.count.unwrap_or(0).max(0) as u64;
        out.push(Change::Field(Field::Counters));
        self.reconcile_all();
    }

    fn preview(&mut self, p: &Preview, now_ms: f64, out: &mut Vec<Change>) {
        let (run_id, node_id) = match (&p.prompt_id, &p.node_id) {
            (Some(r), n) => (Some(r.clone()), n.clone()),
            (None, Some(n)) => (self.active.clone(), Some(n.clone())),
            (None, None) => match &self.last_node {
                Some((r, n)) => (Some(r.clone()), Some(n.clone())),
                None => (self.active.clone(), None),
            },
        };
        // An expanded node's preview is shown on the node it belongs to.
        let node_id = match (&run_id, node_id) {
            (Some(r), Some(n)) => Some(self.runs.get(r).map_or(n.clone(), |run| {
                run.attribute(
                    &n,
                    crate::run::NodeOrigin {
                        display: p.display_node_id.as_deref(),
                        ..Default::default()
                    },
                )
            })),
            (_, n) => n,
        };
        self.preview_seq += 1;
        self.preview = Some(LatestPreview {
            run_id,
            node_id,
            preview: p.clone(),
            at_ms: now_ms,
            seq: self.preview_seq,
        });
        self.counters.binary += 1;
        out.push(Change::Field(Field::Preview));
    }

    fn progress_text(&mut self, t: &ProgressText, now_ms: f64, out: &mut Vec<Change>) {
        self.counters.binary += 1;
        let prompt = self
            .last_node
            .as_ref()
            .filter(|(_, n)| *n == t.node_id)
            .map(|(p, _)| p.clone())
            .or_else(|| self.active.clone());
        if let Some(prompt) = prompt {
            if let Some(run) = self.runs.get_mut(&prompt) {
                run.progress_text = Some(t.text.clone());
                run.last_update_ms = now_ms;
                out.push(Change::Field(Field::Run(prompt)));
            }
        }
    }
}
