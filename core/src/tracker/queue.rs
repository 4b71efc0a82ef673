//! `/api/queue` snapshots and the extension's queue announcements (hello, queued).

use super::*;
use crate::protocol::extension::{Hello, QueuedPrompt};
use crate::protocol::http::{QueueItem, QueueSnapshot};

impl Tracker {
    /// Applies a `/api/queue` answer: runs queued by any client, and which ones left the queue.
    /// Returns the prompt ids that left the queue without us seeing their end, so the shell can
    /// ask `/api/history` how they ended.
    pub fn apply_queue(
        &mut self,
        snapshot: &QueueSnapshot,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) -> Vec<String> {
        self.apply_queue_asked(snapshot, now_ms, now_ms, out)
    }

    /// [`apply_queue`](Self::apply_queue) for an answer to a read sent at `asked_ms`. The
    /// snapshot is as old as that: a run first seen after it (announced by the extension's
    /// `telemetry.queued` while the read was on its way) is missing from it without having left
    /// the queue, so it is neither dropped from the pending list nor reconciled.
    pub fn apply_queue_asked(
        &mut self,
        snapshot: &QueueSnapshot,
        asked_ms: f64,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) -> Vec<String> {
        let asked_ms = asked_ms.min(now_ms);
        let mut present = Vec::new();
        for (item, running) in snapshot
            .running
            .iter()
            .map(|i| (i, true))
            .chain(snapshot.pending.iter().map(|i| (i, false)))
        {
            present.push(item.prompt_id.clone());
            self.apply_queue_item(item, running, now_ms, out);
        }
        self.queue_listed(
            snapshot.running.len() as u32,
            snapshot.pending.len() as u32,
            present.iter().cloned().collect(),
            asked_ms,
            out,
        );
        let mut ids: Vec<&Run> = self
            .open
            .iter()
            .filter(|id| !self.queue_ids.contains(id))
            .filter_map(|id| self.runs.get(id))
            // Seen after the read went out: the snapshot cannot list it yet.
            .filter(|r| r.first_seen_ms <= asked_ms)
            // The run whose events stream to us right now has not left: the queue read may
            // have been answered before it was queued. Its end arrives on the stream.
            .filter(|r| self.streaming.as_deref() != Some(r.prompt_id.as_str()))
            .collect();
        crate::sort::sort_by(&mut ids, |a, b| a.first_seen_ms.total_cmp(&b.first_seen_ms));
        let left: Vec<String> = ids.into_iter().map(|r| r.prompt_id.clone()).collect();
        let mut unfollowed = Vec::new();
        for id in &left {
            let followed = self
                .runs
                .get(id)
                .is_some_and(|r| r.follow.as_ref().is_some_and(|f| !f.is_done()));
            if followed {
                // Another client's run without the extension: polled under the follow policy.
                if !self.follow_next.contains_key(id) {
                    self.follow_history(id, now_ms);
                }
            } else {
                unfollowed.push(id.clone());
            }
        }
        self.reconcile_with_queue(&unfollowed);
        left
    }

    /// The server listed its whole queue (`/api/queue`, or the pending and running jobs of
    /// `/api/jobs`): counts from it, and a new snapshot generation that a run missing from
    /// history is judged against.
    pub(super) fn queue_listed(
        &mut self,
        running: u32,
        pending: u32,
        ids: StrSet,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) {
        self.queue.listed_at_ms = Some(now_ms);
        self.queue.running = Some(running);
        self.queue.pending = Some(pending);
        self.queue.remaining = Some(running.saturating_add(pending));
        self.queue.from_http = true;
        out.push(Change::Field(Field::Queue));
        self.queue_generation += 1;
        self.queue_ids = ids;
    }

    /// The follow policy's queue poll is due: asked like every other read, so a server with
    /// `/api/jobs` answers it with one jobs read.
    pub fn poll_queue(&mut self) {
        self.request(Request::ReadQueue);
    }

    pub(super) fn apply_queue_item(
        &mut self,
        item: &QueueItem,
        running: bool,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) {
        let (full_stream, policy) = (self.extension.is_some(), self.policy);
        let (run, created) = self.touch(&item.prompt_id, RunSource::Polling, now_ms);
        run.number = item.number.or(run.number);
        if run.client_id.is_none() {
            run.client_id = item.client_id.clone();
        }
        if run.node_total.is_none() {
            run.set_class_types(&item.nodes);
        }
        let id = item.prompt_id.clone();
        if created {
            run.status = RunStatus::Queued;
            // Seen already running: when it was queued is unknown, not "now".
            if !running {
                run.queued_at_ms = Some(now_ms);
            }
            // Without the extension, another client's run sends us no events: follow it.
            if !full_stream {
                run.follow = Some(FollowRecord::new(policy, now_ms));
            }
            self.lifecycle(out, &id, LifecycleKind::Queued, now_ms);
        }
        let queued = self
            .runs
            .get(&id)
            .is_some_and(|r| r.status == RunStatus::Queued);
        if running && queued {
            let run = self.runs.get_mut(&id);
            if let Some(run) = run {
                run.status = RunStatus::Running;
                run.started_at_ms.get_or_insert(now_ms);
            }
            self.lifecycle(out, &id, LifecycleKind::Started, now_ms);
        }
        self.reindex(&id);
        out.push(Change::Field(Field::Run(id)));
    }

    pub(super) fn hello(&mut self, h: &Hello, now_ms: f64, out: &mut Vec<Change>) {
        self.extension = Some(ExtensionInfo {
            protocol: h.protocol,
            version: h.extension_version.clone(),
            comfyui_version: h.comfyui_version.clone(),
        });
        let snapshot = QueueSnapshot {
            running: h.running.iter().map(queue_item_of).collect(),
            pending: h.pending.iter().map(queue_item_of).collect(),
        };
        // The hello's queue is a snapshot like `/api/queue`'s: open runs it lacks are read from
        // history, never ended here (its catch-up may still replay their end).
        self.apply_queue(&snapshot, now_ms, out);
        if let Some(prompt) = &h.executing_prompt {
            self.start(prompt, now_ms, out);
            if let Some(run) = self.runs.get_mut(prompt) {
                run.became_streamed();
                if let Some(node) = &h.executing_node {
                    run.current_node = Some(node.clone());
                }
            }
        }
        // What ran before this socket (a restarted server, a reload) is read from history.
        self.request(Request::ReadHistory {
            max_items: HISTORY_PAGE,
            offset: None,
        });
        out.push(Change::Field(Field::Connection));
    }

    /// A run we believed open is gone from the queue and we did not see how it ended.
    pub(super) fn lost_track(&mut self, prompt_id: &str, now_ms: f64, out: &mut Vec<Change>) {
        let open = self
            .runs
            .get(prompt_id)
            .is_some_and(|r| !r.status.is_terminal());
        if open {
            if let Some(run) = self.runs.get_mut(prompt_id) {
                if run.status == RunStatus::Queued {
                    run.status = RunStatus::Running;
                }
            }
            self.finish(prompt_id, RunStatus::Unknown, None, now_ms, out);
        }
    }
}

pub(super) fn queue_item_of(q: &QueuedPrompt) -> QueueItem {
    QueueItem {
        number: q.number,
        prompt_id: q.prompt_id.clone(),
        client_id: q.client_id.clone(),
        nodes: q.nodes.clone(),
        ..Default::default()
    }
}
