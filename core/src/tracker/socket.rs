//! One decoded socket message at a time: a short dispatch to one function per message.

use super::queue::queue_item_of;
use super::*;
use crate::gpu::GpuReading;
use crate::protocol::{NodeState, ServerMessage};

impl Tracker {
    /// Applies one decoded socket message.
    pub fn apply(&mut self, msg: &ServerMessage, now_ms: f64, out: &mut Vec<Change>) {
        self.counters.messages += 1;
        match msg {
            ServerMessage::Status(status) => {
                if let Some(sid) = &status.sid {
                    self.client_id = Some(sid.clone());
                }
                if let Some(remaining) = status.queue_remaining {
                    self.queue.remaining = Some(remaining);
                    self.queue.running = Some(remaining.min(1));
                    self.queue.pending = Some(remaining.saturating_sub(1));
                    self.queue.from_http = false;
                    out.push(Change::Field(Field::Queue));
                    // An empty queue with a run still open means its end was not sent to us
                    // (a prompt queued without a client id reports progress to everyone but
                    // its end to no one).
                    if remaining == 0 {
                        let open = self.active.clone().filter(|id| {
                            self.runs
                                .get(id)
                                .is_some_and(|r| r.status == RunStatus::Running)
                        });
                        if let Some(id) = open {
                            self.finish(&id, RunStatus::Unknown, None, now_ms, out);
                        }
                    }
                }
            }
            ServerMessage::FeatureFlags(flags) => {
                self.supports_preview_metadata = flags.supports_preview_metadata;
            }
            ServerMessage::ExecutionStart(m) => {
                // ComfyUI runs one prompt at a time: a start while another is still running
                // means we missed the other's end.
                if let Some(previous) = self.active.clone().filter(|p| *p != m.prompt_id) {
                    self.finish(&previous, RunStatus::Unknown, None, now_ms, out);
                }
                self.start(&m.prompt_id, now_ms, out);
                let (run, _) = self.touch(&m.prompt_id, RunSource::Stream, now_ms);
                if m.timestamp.is_some() {
                    run.server_started_ms = m.timestamp;
                }
                out.push(Change::Field(Field::Run(m.prompt_id.clone())));
            }
            ServerMessage::ExecutionCached(m) => {
                self.start(&m.prompt_id, now_ms, out);
                let (run, _) = self.touch(&m.prompt_id, RunSource::Stream, now_ms);
                for id in &m.nodes {
                    let node = run.node_mut(id);
                    node.status = NodeStatus::Cached;
                    node.finished_ms.get_or_insert(now_ms);
                }
                out.push(Change::Field(Field::Run(m.prompt_id.clone())));
            }
            ServerMessage::Executing(m) => self.executing(m, now_ms, out),
            ServerMessage::Progress(m) => {
                let Some(prompt) = m.prompt_id.clone().or_else(|| self.active.clone()) else {
                    return;
                };
                self.start(&prompt, now_ms, out);
                let (run, _) = self.touch(&prompt, RunSource::Stream, now_ms);
                let node_id = m.node.clone().or_else(|| run.current_node.clone());
                if let Some(node_id) = node_id {
                    let node = run.node_mut(&node_id);
                    node.value = m.value.or(node.value);
                    node.max = m.max.or(node.max);
                    if node.status == NodeStatus::Pending {
                        node.status = NodeStatus::Running;
                        node.started_ms.get_or_insert(now_ms);
                    }
                    if run.current_node.is_none() {
                        run.current_node = Some(node_id.clone());
                    }
                    self.last_node = Some((prompt.clone(), node_id));
                }
                out.push(Change::Field(Field::Run(prompt)));
            }
            ServerMessage::ProgressState(m) => {
                let started = self.start(&m.prompt_id, now_ms, out);
                let (run, _) = self.touch(&m.prompt_id, RunSource::Stream, now_ms);
                for p in &m.nodes {
                    let node = run.node_mut(&p.node_id);
                    node.value = p.value.or(node.value);
                    node.max = p.max.or(node.max);
                    match p.state {
                        NodeState::Running if node.status == NodeStatus::Pending => {
                            node.status = NodeStatus::Running;
                            node.started_ms.get_or_insert(now_ms);
                        }
                        NodeState::Finished if !node.status.is_done() => {
                            node.status = NodeStatus::Finished;
                            node.started_ms.get_or_insert(now_ms);
                            node.finished_ms.get_or_insert(now_ms);
                        }
                        NodeState::Error => node.status = NodeStatus::Failed,
                        _ => {}
                    }
                }
                // Without `executing` (a prompt queued with no client id), the running node
                // is the only clue to what is current.
                if run.current_node.is_none() || started {
                    if let Some(p) = m.nodes.iter().rev().find(|p| p.state == NodeState::Running) {
                        run.current_node = Some(p.node_id.clone());
                    }
                }
                out.push(Change::Field(Field::Run(m.prompt_id.clone())));
            }
            ServerMessage::Executed(m) => {
                self.start(&m.prompt_id, now_ms, out);
                let (run, _) = self.touch(&m.prompt_id, RunSource::Stream, now_ms);
                let node = run.node_mut(&m.node);
                if !node.status.is_done() {
                    node.status = NodeStatus::Finished;
                    node.finished_ms.get_or_insert(now_ms);
                }
                let added = add_outputs(run, &m.outputs);
                if added > 0 {
                    Self::lifecycle(
                        out,
                        &m.prompt_id,
                        LifecycleKind::Output { artifacts: added },
                        now_ms,
                    );
                }
                out.push(Change::Field(Field::Run(m.prompt_id.clone())));
            }
            ServerMessage::ExecutionSuccess(m) => {
                self.finish(&m.prompt_id, RunStatus::Succeeded, m.timestamp, now_ms, out);
            }
            ServerMessage::ExecutionError(m) => {
                let (run, _) = self.touch(&m.prompt_id, RunSource::Stream, now_ms);
                run.error = Some(m.clone());
                if let Some(id) = &m.node_id {
                    let node = run.node_mut(id);
                    node.status = NodeStatus::Failed;
                    if node.class_type.is_none() {
                        node.class_type = m.node_type.clone();
                    }
                }
                self.finish(&m.prompt_id, RunStatus::Failed, m.timestamp, now_ms, out);
            }
            ServerMessage::ExecutionInterrupted(m) => {
                let (run, _) = self.touch(&m.prompt_id, RunSource::Stream, now_ms);
                run.interrupted_node = m.node_id.clone();
                if let Some(id) = &m.node_id {
                    let node = run.node_mut(id);
                    node.status = NodeStatus::Interrupted;
                    if node.class_type.is_none() {
                        node.class_type = m.node_type.clone();
                    }
                }
                self.finish(
                    &m.prompt_id,
                    RunStatus::Interrupted,
                    m.timestamp,
                    now_ms,
                    out,
                );
            }
            ServerMessage::Preview(p) => {
                let (run_id, node_id) = match (&p.prompt_id, &p.node_id) {
                    (Some(r), n) => (Some(r.clone()), n.clone()),
                    (None, Some(n)) => (self.active.clone(), Some(n.clone())),
                    (None, None) => match &self.last_node {
                        Some((r, n)) => (Some(r.clone()), Some(n.clone())),
                        None => (self.active.clone(), None),
                    },
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
            ServerMessage::ProgressText(t) => {
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
            ServerMessage::TelemetryQueued(q) => {
                let item = queue_item_of(q);
                self.apply_queue_item(&item, false, now_ms, out);
                if let Some(run) = self.runs.get_mut(&q.prompt_id) {
                    run.server_queued_ms = run.server_queued_ms.or(q.queued_at);
                }
            }
            ServerMessage::TelemetryGpu(sample) => {
                self.apply_gpu(GpuReading::from_extension(sample, now_ms), now_ms, out);
            }
            ServerMessage::TelemetryDropped(d) => {
                self.counters.dropped += d.count.unwrap_or(0).max(0) as u64;
                out.push(Change::Field(Field::Counters));
            }
            ServerMessage::Unknown { kind } => {
                *self.counters.unknown.entry(kind.clone()).or_insert(0) += 1;
                out.push(Change::Field(Field::Counters));
            }
        }
    }

    pub(super) fn executing(
        &mut self,
        m: &crate::protocol::Executing,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) {
        let prompt = match (&m.prompt_id, &m.node) {
            (Some(p), _) => p.clone(),
            // A reconnect's bare `executing`: it names the node of whatever runs now.
            (None, Some(_)) => match self.active.clone() {
                Some(p) => p,
                None => return,
            },
            (None, None) => return,
        };
        let Some(node_id) = &m.node else {
            // `node: null` closes the prompt. After success/error/interrupt it changes nothing;
            // on servers that send no `execution_success` it is the only sign of success.
            let running = self
                .runs
                .get(&prompt)
                .is_some_and(|r| r.status == RunStatus::Running);
            if running {
                self.finish(&prompt, RunStatus::Succeeded, None, now_ms, out);
            } else if self.active.as_deref() == Some(prompt.as_str()) {
                self.active = None;
            }
            return;
        };
        self.start(&prompt, now_ms, out);
        let (run, _) = self.touch(&prompt, RunSource::Stream, now_ms);
        // Nodes execute one after another: a new `executing` ends the previous node.
        if let Some(previous) = run.current_node.clone().filter(|p| p != node_id) {
            let node = run.node_mut(&previous);
            if node.status == NodeStatus::Running {
                node.status = NodeStatus::Finished;
                node.finished_ms.get_or_insert(now_ms);
            }
        }
        let node = run.node_mut(node_id);
        if node.status == NodeStatus::Pending {
            node.status = NodeStatus::Running;
        }
        node.started_ms.get_or_insert(now_ms);
        run.current_node = Some(node_id.clone());
        self.last_node = Some((prompt.clone(), node_id.clone()));
        out.push(Change::Field(Field::Run(prompt)));
    }
}
