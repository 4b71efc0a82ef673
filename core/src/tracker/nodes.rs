//! Per-node messages: `progress_state` (the truth for each node when the server sends it),
//! `executing` (only the node to show), `progress`, `executed`, `execution_cached`, and the
//! error and interrupt that end a prompt at a node.
//!
//! Several nodes can run at once (async nodes), so nothing here ends a node because another
//! started, once `progress_state` reports the run. Expanded nodes (`5.0.0.1`) and loop copies
//! (`7.0.0.2_12`) are attributed to the prompt node they are shown as, counted as its copies,
//! and never added to the prompt's node count.

use super::*;
use crate::protocol::{
    Executed, Executing, ExecutionCached, ExecutionError, ExecutionInterrupted, NodeProgress,
    NodeState, Progress, ProgressState,
};
use crate::run::NodeOrigin;

/// ComfyUI's `exception_type` for an `ExecutionBlocker` with a message: the node was blocked
/// on purpose, the prompt goes on and its history records success.
const EXECUTION_BLOCKED: &str = "ExecutionBlocked";

/// The states of one prompt node and all the copies shown as it, in one `progress_state`.
#[derive(Default)]
struct Aggregate<'a> {
    own: Option<&'a NodeProgress>,
    copies: Vec<&'a NodeProgress>,
}

impl Aggregate<'_> {
    fn all(&self) -> impl Iterator<Item = &NodeProgress> {
        self.own.into_iter().chain(self.copies.iter().copied())
    }

    fn running(&self) -> bool {
        self.all().any(|p| p.state == NodeState::Running)
    }

    fn finished(&self) -> bool {
        self.all().all(|p| p.state == NodeState::Finished)
    }

    /// The figures to show: the node's own, else the copy running now (or the last one).
    fn shown(&self) -> Option<&NodeProgress> {
        self.own.or_else(|| {
            self.copies
                .iter()
                .rev()
                .find(|p| p.state == NodeState::Running)
                .or(self.copies.last())
                .copied()
        })
    }
}

impl Tracker {
    /// A run created by a message other than `execution_start` (a prompt without client id,
    /// or a replay): its end may never be sent to us, so the server is asked about it.
    fn touch_streamed(&mut self, prompt_id: &str, now_ms: f64) -> &mut Run {
        let created = !self.runs.contains_key(prompt_id);
        if created {
            self.request(Request::ReadQueue);
            self.await_server(prompt_id);
        }
        self.touch(prompt_id, RunSource::Stream, now_ms).0
    }

    /// Starts the run unless it already ended: a replayed frame never reopens a finished run.
    fn start_unless_ended(&mut self, prompt_id: &str, now_ms: f64, out: &mut Vec<Change>) -> bool {
        if self
            .runs
            .get(prompt_id)
            .is_some_and(|r| r.status.is_terminal())
        {
            return false;
        }
        self.touch_streamed(prompt_id, now_ms);
        self.start(prompt_id, now_ms, out);
        true
    }

    pub(super) fn progress_state(&mut self, m: &ProgressState, now_ms: f64, out: &mut Vec<Change>) {
        // A second prompt reporting progress while another still looks running: without a
        // client id no `execution_start` or end is sent, so the first one ended unseen.
        if self.active.as_deref().is_some_and(|a| a != m.prompt_id) {
            for previous in self.open_runs_except(&m.prompt_id) {
                self.settle_by_server(&previous);
            }
            self.active = None;
        }
        if !self.start_unless_ended(&m.prompt_id, now_ms, out) {
            return;
        }
        let Some(run) = self.runs.get_mut(&m.prompt_id) else {
            return;
        };
        run.server_node_states = true;
        // Each reported node under the node it counts for, grouped in id order: sorted pairs,
        // not a `BTreeMap`, for this one use (issue #22).
        let mut homes: Vec<(String, &NodeProgress)> = m
            .nodes
            .iter()
            .map(|p| (run.attribute(&p.node_id, origin_of(p)), p))
            .collect();
        crate::sort::sort_by(&mut homes, |a, b| a.0.cmp(&b.0));
        let mut groups: Vec<(String, Aggregate<'_>)> = Vec::new();
        for (home, p) in homes {
            if groups.last().is_none_or(|(id, _)| *id != home) {
                groups.push((home.clone(), Aggregate::default()));
            }
            let Some((_, group)) = groups.last_mut() else {
                continue;
            };
            if home == p.node_id {
                group.own = Some(p);
            } else {
                group.copies.push(p);
            }
        }
        for (id, group) in &groups {
            apply_aggregate(run.node_mut(id), group, now_ms);
        }
        pick_current(run);
        out.push(Change::Field(Field::Run(m.prompt_id.clone())));
    }

    pub(super) fn executing(&mut self, m: &Executing, now_ms: f64, out: &mut Vec<Change>) {
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
        if !self.start_unless_ended(&prompt, now_ms, out) {
            return;
        }
        let Some(run) = self.runs.get_mut(&prompt) else {
            return;
        };
        let origin = NodeOrigin {
            display: m.display_node.as_deref(),
            ..Default::default()
        };
        let shown = run.attribute(node_id, origin);
        if !run.server_node_states {
            // Without `progress_state` (older servers) nodes run one after another: a new
            // `executing` is the only sign that the previous node ended.
            if let Some(previous) = run.current_node.clone().filter(|p| *p != shown) {
                let node = run.node_mut(&previous);
                if node.status == NodeStatus::Running {
                    node.advance(NodeStatus::Finished, now_ms);
                }
            }
            run.node_mut(&shown).advance(NodeStatus::Running, now_ms);
        }
        run.current_node = Some(shown.clone());
        self.last_node = Some((prompt.clone(), node_id.clone()));
        out.push(Change::Field(Field::Run(prompt)));
    }

    pub(super) fn progress(&mut self, m: &Progress, now_ms: f64, out: &mut Vec<Change>) {
        let Some(prompt) = m.prompt_id.clone().or_else(|| self.active.clone()) else {
            return;
        };
        if !self.start_unless_ended(&prompt, now_ms, out) {
            return;
        }
        let Some(run) = self.runs.get_mut(&prompt) else {
            return;
        };
        let node_id = m
            .node
            .as_deref()
            .map(|n| run.attribute(n, NodeOrigin::default()))
            .or_else(|| run.current_node.clone());
        if let Some(node_id) = node_id {
            let server_states = run.server_node_states;
            let node = run.node_mut(&node_id);
            node.value = m.value.or(node.value);
            node.max = m.max.or(node.max);
            if !server_states {
                node.advance(NodeStatus::Running, now_ms);
            }
            if run.current_node.is_none() {
                run.current_node = Some(node_id.clone());
            }
            let raw = m.node.clone().unwrap_or(node_id);
            self.last_node = Some((prompt.clone(), raw));
        }
        out.push(Change::Field(Field::Run(prompt)));
    }

    pub(super) fn executed(&mut self, m: &Executed, now_ms: f64, out: &mut Vec<Change>) {
        let ended = self
            .runs
            .get(&m.prompt_id)
            .is_some_and(|r| r.status.is_terminal());
        if !ended {
            self.start_unless_ended(&m.prompt_id, now_ms, out);
        }
        let run = self.touch(&m.prompt_id, RunSource::Stream, now_ms).0;
        let origin = NodeOrigin {
            display: m.display_node.as_deref(),
            ..Default::default()
        };
        let shown = run.attribute(&m.node, origin);
        if shown == m.node || !run.server_node_states {
            // A copy's output does not finish the node it is shown as: its state says that.
            run.node_mut(&shown).advance(NodeStatus::Finished, now_ms);
        }
        let added = add_outputs(run, &m.outputs);
        if added > 0 {
            self.lifecycle(
                out,
                &m.prompt_id,
                LifecycleKind::Output { artifacts: added },
                now_ms,
            );
        }
        out.push(Change::Field(Field::Run(m.prompt_id.clone())));
    }

    pub(super) fn execution_cached(
        &mut self,
        m: &ExecutionCached,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) {
        if !self.start_unless_ended(&m.prompt_id, now_ms, out) {
            return;
        }
        let run = self.touch(&m.prompt_id, RunSource::Stream, now_ms).0;
        for id in &m.nodes {
            run.node_mut(id).advance(NodeStatus::Cached, now_ms);
        }
        out.push(Change::Field(Field::Run(m.prompt_id.clone())));
    }

    pub(super) fn execution_error(
        &mut self,
        m: &ExecutionError,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) {
        let run = self.touch(&m.prompt_id, RunSource::Stream, now_ms).0;
        if m.exception_type.as_deref() == Some(EXECUTION_BLOCKED) {
            // Not a failure: the node was blocked, the prompt goes on and ends in success.
            if let Some(id) = &m.node_id {
                let shown = run.attribute(id, NodeOrigin::default());
                let node = run.node_mut(&shown);
                node.blocked = m.exception_message.clone().or(Some(String::new()));
                node.advance(NodeStatus::Finished, now_ms);
                if node.class_type.is_none() {
                    node.class_type = m.node_type.clone();
                }
            }
            out.push(Change::Field(Field::Run(m.prompt_id.clone())));
            return;
        }
        if run.status.is_settled() {
            return;
        }
        run.error = Some(m.clone());
        run.mark_executed(&m.executed);
        if let Some(id) = &m.node_id {
            let shown = run.attribute(id, NodeOrigin::default());
            let node = run.node_mut(&shown);
            node.advance(NodeStatus::Failed, now_ms);
            if node.class_type.is_none() {
                node.class_type = m.node_type.clone();
            }
        }
        self.finish(&m.prompt_id, RunStatus::Failed, m.timestamp, now_ms, out);
    }

    pub(super) fn execution_interrupted(
        &mut self,
        m: &ExecutionInterrupted,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) {
        let run = self.touch(&m.prompt_id, RunSource::Stream, now_ms).0;
        if run.status.is_settled() {
            return;
        }
        run.interrupted_node = m.node_id.clone();
        run.mark_executed(&m.executed);
        if let Some(id) = &m.node_id {
            let shown = run.attribute(id, NodeOrigin::default());
            let node = run.node_mut(&shown);
            node.advance(NodeStatus::Interrupted, now_ms);
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
}

fn origin_of(p: &NodeProgress) -> NodeOrigin<'_> {
    NodeOrigin {
        display: p.display_node_id.as_deref(),
        real: p.real_node_id.as_deref(),
        parent: p.parent_node_id.as_deref(),
    }
}

/// One prompt node from its own state and its copies' in one `progress_state`.
fn apply_aggregate(node: &mut crate::run::NodeRecord, group: &Aggregate<'_>, now_ms: f64) {
    let copies = group.copies.len() as u32;
    let new_copy = copies > node.copies;
    node.copies = node.copies.max(copies);
    if let Some(p) = group.shown() {
        node.value = p.value.or(node.value);
        node.max = p.max.or(node.max);
    }
    // The frame lists every node that is not pending, so the running one's activity is the
    // current one; none means it has cleared.
    node.activity = group.all().find_map(|p| p.activity.clone());
    if let Some(seconds) = group.all().filter_map(|p| p.seconds).reduce(f64::max) {
        node.server_seconds = Some(seconds);
    }
    if group.all().any(|p| p.state == NodeState::Error) {
        node.advance(NodeStatus::Failed, now_ms);
    } else if group.running() {
        if node.status == NodeStatus::Finished && new_copy {
            // A loop's next iteration: the body node runs again.
            node.status = NodeStatus::Running;
        }
        node.advance(NodeStatus::Running, now_ms);
    } else if group.finished() {
        node.started_ms.get_or_insert(now_ms);
        if node.advance(NodeStatus::Finished, now_ms) || new_copy {
            node.finished_ms = Some(now_ms);
        }
    }
}

/// The node to show: the one `executing` named while it still runs, else the running node that
/// started last (a prompt without client id sends no `executing` at all).
fn pick_current(run: &mut Run) {
    let still_running = run
        .current_node
        .as_deref()
        .and_then(|id| run.node(id))
        .is_some_and(|n| n.status == NodeStatus::Running);
    if still_running {
        return;
    }
    let latest = run
        .nodes
        .iter()
        .filter(|n| n.status == NodeStatus::Running)
        .max_by(|a, b| {
            a.started_ms
                .unwrap_or(0.0)
                .total_cmp(&b.started_ms.unwrap_or(0.0))
                .then_with(|| crate::run::node_order(&a.id, &b.id))
        })
        .map(|n| n.id.clone());
    if latest.is_some() {
        run.current_node = latest;
    }
}
