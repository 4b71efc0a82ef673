//! `/api/history` entries: they fill gaps in streamed runs and rebuild the ones never seen.

use super::*;
use crate::protocol::http::HistoryEntry;
use crate::protocol::ServerMessage;

impl Tracker {
    /// Applies a `/api/history` entry. For a run we streamed this only fills gaps (prompt,
    /// outputs, server timestamps); for one we never saw it rebuilds the run.
    pub fn apply_history(&mut self, entry: &HistoryEntry, now_ms: f64, out: &mut Vec<Change>) {
        let (run, created) = self.touch(&entry.prompt_id, RunSource::History, now_ms);
        let saw_end = !created && run.source == RunSource::Stream && run.status.is_settled();
        if !saw_end {
            run.reconstructed = true;
        }
        if let Some(item) = &entry.prompt {
            run.number = item.number.or(run.number);
            if run.client_id.is_none() {
                run.client_id = item.client_id.clone();
            }
            if run.node_total.is_none() || run.workflow.is_none() {
                run.set_class_types(&item.nodes);
            }
        }
        let mut status = match entry.status_str.as_deref() {
            Some("success") => Some(RunStatus::Succeeded),
            Some("error") => Some(RunStatus::Failed),
            _ => None,
        };
        for msg in &entry.messages {
            match msg {
                ServerMessage::ExecutionStart(m) => {
                    run.server_started_ms = run.server_started_ms.or(m.timestamp);
                }
                ServerMessage::ExecutionCached(m) => {
                    for id in &m.nodes {
                        let node = run.node_mut(id);
                        if !node.status.is_done() {
                            node.status = NodeStatus::Cached;
                        }
                    }
                }
                ServerMessage::ExecutionSuccess(m) => {
                    run.server_ended_ms = run.server_ended_ms.or(m.timestamp);
                    status = Some(RunStatus::Succeeded);
                }
                ServerMessage::ExecutionError(m)
                    if m.exception_type.as_deref() == Some("ExecutionBlocked") =>
                {
                    // A blocked node is no failure (ComfyUI does not store these, but a
                    // producer might).
                    if let Some(id) = &m.node_id {
                        run.node_mut(id).blocked = m.exception_message.clone();
                    }
                }
                ServerMessage::ExecutionError(m) => {
                    run.server_ended_ms = run.server_ended_ms.or(m.timestamp);
                    if run.error.is_none() {
                        run.error = Some(m.clone());
                    }
                    if let Some(id) = &m.node_id {
                        run.node_mut(id).status = NodeStatus::Failed;
                    }
                    run.mark_executed(&m.executed);
                    status = Some(RunStatus::Failed);
                }
                ServerMessage::ExecutionInterrupted(m) => {
                    run.server_ended_ms = run.server_ended_ms.or(m.timestamp);
                    run.interrupted_node = run.interrupted_node.clone().or(m.node_id.clone());
                    if let Some(id) = &m.node_id {
                        run.node_mut(id).status = NodeStatus::Interrupted;
                    }
                    run.mark_executed(&m.executed);
                    status = Some(RunStatus::Interrupted);
                }
                _ => {}
            }
        }
        if status == Some(RunStatus::Succeeded) {
            // A successful prompt ran every node it needed; those without `executed` or cache
            // notices just had no UI output. Only those: a node that feeds none of the outputs
            // it executed (partial execution, a dangling node) never ran.
            let needed = entry.prompt.as_ref().and_then(|p| p.needed());
            let in_prompt = |id: &str| {
                entry
                    .prompt
                    .iter()
                    .flat_map(|p| &p.nodes)
                    .any(|(n, _)| n == id)
            };
            for node in run.nodes.iter_mut() {
                let ran = match &needed {
                    Some(needed) => needed.contains(node.id.as_str()) || !in_prompt(&node.id),
                    None => true,
                };
                if ran && !node.status.is_done() {
                    node.status = NodeStatus::Finished;
                }
            }
        }
        let added = add_outputs(run, &entry.outputs);
        let id = entry.prompt_id.clone();
        if added > 0 && !created {
            self.lifecycle(out, &id, LifecycleKind::Output { artifacts: added }, now_ms);
        }
        out.push(Change::Field(Field::Run(id.clone())));
        let final_status = status.unwrap_or(RunStatus::Unknown);
        let server_end = self.runs.get(&id).and_then(|r| r.server_ended_ms);
        let already = self.runs.get(&id).map(|r| r.status);
        match already {
            Some(s) if s.is_settled() => {}
            _ => {
                if created {
                    if let Some(run) = self.runs.get_mut(&id) {
                        run.status = RunStatus::Running;
                    }
                }
                self.finish(&id, final_status, server_end, now_ms, out);
            }
        }
        // A followed run found in any history read (the list, not only its own poll) is found:
        // its follow ends with the server's word, and the read counts as its poll. Left open,
        // it showed no exit reason and no poll until the policy's wait ran out.
        if status.is_some() {
            let follow = self.runs.get_mut(&id).and_then(|r| r.follow.as_mut());
            if let Some(f) = follow.filter(|f| !f.is_done()) {
                f.on_poll(crate::follow::Poll::Found, now_ms);
                self.follow_next.remove(&id);
            }
        }
    }

    /// A run that ended on the stream knowing less than the server's history holds is read
    /// from it once: its prompt was never seen (no workflow, no node count), it succeeded with
    /// prompt nodes not done (frames lost to a reload's catch-up or a dropped message; a
    /// successful prompt ran or cached every node it needed, and the entry says which), or it
    /// has only one of the server's two timestamps (its duration would be a receive-time
    /// guess). The answer fills the gaps through [`Tracker::apply_history`].
    pub(super) fn ask_details_if_poorer(&mut self, prompt_id: &str) {
        let Some(run) = self.runs.get(prompt_id) else {
            return;
        };
        if !run.status.is_settled() || run.source != RunSource::Stream {
            return;
        }
        let unnamed = run.node_total.is_none();
        let nodes_short = run.status == RunStatus::Succeeded
            && run.node_total.is_some_and(|t| run.nodes_done() < t);
        let one_stamp = run.server_started_ms.is_some() != run.server_ended_ms.is_some();
        if (unnamed || nodes_short || one_stamp) && self.details_asked.insert(prompt_id.to_owned())
        {
            self.request(Request::ReadHistoryDetails(prompt_id.to_owned()));
        }
    }

    /// The answer to one `/api/history/{id}` read: the entry, `Ok(None)` (no such entry) or
    /// `Err(())` (the request failed). Followed runs count it as a poll of their policy; other
    /// runs are settled by it, or lost when the server knows them no more.
    pub fn apply_history_entry(
        &mut self,
        prompt_id: &str,
        result: Result<Option<&HistoryEntry>, ()>,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) {
        // Answered: a later start may ask about it again if it still looks running.
        if result.is_ok() {
            self.read_retry.remove(prompt_id);
        }
        if self.asked.remove(prompt_id) {
            self.reindex(prompt_id);
        }
        let followed = self
            .runs
            .get(prompt_id)
            .is_some_and(|r| r.follow.as_ref().is_some_and(|f| !f.is_done()))
            || self.follow_next.contains_key(prompt_id);
        if matches!(result, Ok(None)) && self.settle_cancelled(prompt_id, now_ms, out) {
            return;
        }
        if followed {
            if matches!(result, Ok(None)) && self.awaiting.contains_key(prompt_id) {
                // Followed, and open when the connection dropped: after a reconnect the same
                // rule as for any run applies (lost when neither the queue nor the history of
                // the server we reconnected to knows it), not the follow policy's patience.
                self.history_entry_missing(prompt_id, now_ms, out);
                if let Some(run) = self.runs.get_mut(prompt_id) {
                    if run.status == RunStatus::Lost {
                        if let Some(f) = run.follow.as_mut() {
                            f.exit.get_or_insert(crate::follow::ExitReason::Unknown);
                        }
                        self.follow_next.remove(prompt_id);
                        return;
                    }
                }
            }
            self.apply_history_poll(prompt_id, result, now_ms, out);
            return;
        }
        match result {
            Ok(Some(entry)) => self.apply_history(entry, now_ms, out),
            Ok(None) => self.history_entry_missing(prompt_id, now_ms, out),
            // Asked again when its wait is over, or on the next reconnect, drained queue or
            // dropped-messages notice.
            Err(()) => self.history_read_failed(prompt_id, now_ms),
        }
    }
}
