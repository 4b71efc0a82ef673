//! The live event log: a bounded list of what the server said, newest last.
//!
//! High-rate messages (progress, previews, monitor samples) fold into the previous entry of the
//! same kind and run with a repeat count, so a flood cannot push the interesting lines away.

use crate::format::short_id;
use crate::protocol::{DecodeError, ServerMessage};
use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub seq: u64,
    pub at_ms: f64,
    pub kind: String,
    pub text: String,
    pub run_id: Option<String>,
    pub repeat: u32,
    /// High-rate kinds that fold into one line with a count.
    pub foldable: bool,
}

/// How many trailing lines a high-rate message may fold into.
const FOLD_WINDOW: usize = 6;

#[derive(Debug, Clone)]
pub struct EventLog {
    capacity: usize,
    lines: VecDeque<LogLine>,
    next_seq: u64,
}

impl EventLog {
    pub fn new(capacity: usize) -> EventLog {
        EventLog {
            capacity: capacity.max(1),
            lines: VecDeque::new(),
            next_seq: 0,
        }
    }

    pub fn lines(&self) -> impl DoubleEndedIterator<Item = &LogLine> {
        self.lines.iter()
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn push(&mut self, kind: &str, text: String, run_id: Option<&str>, at_ms: f64, foldable: bool) {
        if foldable {
            // Interleaved high-rate kinds (progress_state, progress, preview…) each fold into
            // their own line among the trailing run of foldable lines.
            let trailing = self
                .lines
                .iter_mut()
                .rev()
                .take(FOLD_WINDOW)
                .take_while(|l| l.foldable);
            for line in trailing {
                // Compared borrowed: a fold (most messages of a flood) allocates only its text.
                if line.kind == kind && line.run_id.as_deref() == run_id {
                    line.repeat += 1;
                    line.text = text;
                    line.at_ms = at_ms;
                    return;
                }
            }
        }
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
        }
        self.next_seq += 1;
        self.lines.push_back(LogLine {
            seq: self.next_seq,
            at_ms,
            kind: kind.to_owned(),
            text,
            run_id: run_id.map(str::to_owned),
            repeat: 1,
            foldable,
        });
    }

    pub fn record(&mut self, msg: &ServerMessage, at_ms: f64) {
        let foldable = matches!(
            msg,
            ServerMessage::Progress(_)
                | ServerMessage::ProgressState(_)
                | ServerMessage::Preview(_)
                | ServerMessage::ProgressText(_)
                | ServerMessage::CrystoolsMonitor(_)
                | ServerMessage::TelemetryGpu(_)
                | ServerMessage::Logs(_)
                | ServerMessage::Unknown { .. }
        );
        self.push(msg.kind(), describe(msg), msg.prompt_id(), at_ms, foldable);
    }

    pub fn record_error(&mut self, error: &DecodeError, at_ms: f64) {
        self.push("malformed", error.to_string(), None, at_ms, true);
    }

    pub fn record_note(&mut self, kind: &str, text: String, at_ms: f64) {
        self.push(kind, text, None, at_ms, false);
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(crate::format::number).unwrap_or_else(|| "?".into())
}

/// One line a person can read. Server text is passed through as text; the view escapes it.
pub fn describe(msg: &ServerMessage) -> String {
    match msg {
        ServerMessage::Status(s) => match s.queue_remaining {
            Some(n) => format!("queue remaining {n}"),
            None => "status".into(),
        },
        ServerMessage::FeatureFlags(f) => format!(
            "feature flags: preview metadata {}",
            if f.supports_preview_metadata {
                "on"
            } else {
                "off"
            }
        ),
        ServerMessage::ExecutionStart(m) => format!("prompt {} started", short_id(&m.prompt_id)),
        ServerMessage::ExecutionCached(m) => format!(
            "prompt {}: {} cached node(s)",
            short_id(&m.prompt_id),
            m.nodes.len()
        ),
        ServerMessage::Executing(m) => match (&m.node, &m.prompt_id) {
            (Some(n), _) => format!("executing node {n}"),
            (None, Some(p)) => format!("prompt {} done executing", short_id(p)),
            (None, None) => "executing (no node)".into(),
        },
        ServerMessage::Progress(m) => format!(
            "node {} step {}/{}",
            m.node.as_deref().unwrap_or("?"),
            opt(m.value),
            opt(m.max)
        ),
        ServerMessage::ProgressState(m) => format!("{} node(s) reporting", m.nodes.len()),
        ServerMessage::Executed(m) => {
            format!("node {} produced {} output(s)", m.node, m.outputs.len())
        }
        ServerMessage::ExecutionSuccess(m) => {
            format!("prompt {} succeeded", short_id(&m.prompt_id))
        }
        ServerMessage::ExecutionError(m) => format!(
            "prompt {} failed at node {} ({}): {}",
            short_id(&m.prompt_id),
            m.node_id.as_deref().unwrap_or("?"),
            m.node_type.as_deref().unwrap_or("?"),
            m.exception_message.as_deref().unwrap_or("").trim_end()
        ),
        ServerMessage::ExecutionInterrupted(m) => format!(
            "prompt {} interrupted at node {}",
            short_id(&m.prompt_id),
            m.node_id.as_deref().unwrap_or("?")
        ),
        ServerMessage::Logs(l) => match l.entries.last() {
            Some(e) => e.message.trim_end().to_owned(),
            None => "logs".into(),
        },
        ServerMessage::CrystoolsMonitor(m) => format!(
            "monitor: cpu {}%",
            crate::format::or_na(m.cpu_utilization, crate::format::number)
        ),
        ServerMessage::SeedTelemetry(t) => format!(
            "scene {} {}",
            t.scene_id,
            t.status.as_deref().unwrap_or("update")
        ),
        ServerMessage::TelemetryHello(h) => format!(
            "extension v{} on ComfyUI {}: {} running, {} pending",
            h.extension_version.as_deref().unwrap_or("?"),
            h.comfyui_version.as_deref().unwrap_or("?"),
            h.running.len(),
            h.pending.len()
        ),
        ServerMessage::TelemetryQueued(q) => format!(
            "prompt {} queued ({} nodes)",
            short_id(&q.prompt_id),
            q.node_count
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into())
        ),
        ServerMessage::TelemetryGpu(g) => format!(
            "gpu {}: {} free",
            g.name.as_deref().unwrap_or("?"),
            crate::format::or_na(g.vram_free, crate::format::mb)
        ),
        ServerMessage::TelemetryDropped(d) => format!(
            "the extension dropped {} message(s) for this slow client",
            d.count.unwrap_or(0)
        ),
        ServerMessage::Preview(p) => {
            format!("preview {} ({} bytes)", p.mime.as_str(), p.bytes.len())
        }
        ServerMessage::ProgressText(t) => format!("node {}: {}", t.node_id, t.text.trim_end()),
        ServerMessage::Unknown { kind } => format!("unhandled message type {kind}"),
    }
}
