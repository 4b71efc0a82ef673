//! What the live page says about the node that runs now: which prompt node (never a loop or
//! expansion copy's id), which iteration of a loop it is on, what it says it is doing (newer
//! servers' `progress_state` `activity`) and its step. Built here so the view only prints it.

use super::{NodeRecord, Run};
use crate::format;

#[derive(Debug, Clone, PartialEq)]
pub struct CurrentNode {
    /// The prompt's own node id: copies (`5.0.0.1`) are attributed to the node shown as them.
    pub id: String,
    /// How many times the node has run so far in this prompt: the loop iteration it is on, 1
    /// when it does not loop.
    pub iteration: u32,
    pub activity: Option<String>,
    /// "node 2 (Body) · iteration 3 · Loading model: step 4 of 10", as much as is known.
    pub text: String,
}

impl Run {
    /// The current node's step progress, `(value, max)`.
    pub fn step(&self) -> Option<(f64, f64)> {
        let node = self.node(self.current_node.as_deref()?)?;
        Some((node.value?, node.max?))
    }
}

/// How many times a node ran under its own id and as copies (loop iterations, expansions):
/// never less than 1, so a node that did not loop reads "1".
pub fn iterations(node: &NodeRecord) -> u32 {
    node.copies.max(1)
}

/// The node the run is on, when it is running and the node is known.
pub fn current_node(run: &Run) -> Option<CurrentNode> {
    let id = run.current_node.clone()?;
    let node = run.node(&id);
    let iteration = node.map_or(1, iterations);
    let activity = node
        .and_then(|n| n.activity.clone())
        .filter(|a| !a.is_empty());
    let mut text = format!("node {id}");
    if let Some(class) = node.and_then(|n| n.class_type.as_deref()) {
        text.push_str(&format!(" ({class})"));
    }
    if iteration > 1 {
        text.push_str(&format!(" · iteration {iteration}"));
    }
    if let Some(a) = &activity {
        text.push_str(&format!(" · {a}"));
    }
    if let Some((value, max)) = run.step() {
        text.push_str(&format!(
            ": step {} of {}",
            format::number(value),
            format::number(max)
        ));
    }
    Some(CurrentNode {
        id,
        iteration,
        activity,
        text,
    })
}

/// The page's title: the running run's progress first ("42% · ComfyUI telemetry"), so a tab
/// in the background still says where the run is; the plain name otherwise.
pub fn page_title(run: Option<&Run>) -> String {
    const NAME: &str = "ComfyUI telemetry";
    match run.filter(|r| r.status == super::RunStatus::Running) {
        Some(r) => match r.progress() {
            Some(f) => format!("{} · {NAME}", format::percent(f)),
            None => format!("running · {NAME}"),
        },
        None => NAME.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{NodeStatus, RunSource};

    fn run_on(node: NodeRecord) -> Run {
        let mut run = Run::new("s", "P", RunSource::Stream, 0.0);
        run.current_node = Some(node.id.clone());
        run.nodes.push(node);
        run
    }

    #[test]
    fn a_plain_node_is_iteration_one_with_its_step() {
        let mut n = NodeRecord::new("3");
        n.class_type = Some("KSampler".into());
        n.status = NodeStatus::Running;
        n.value = Some(4.0);
        n.max = Some(20.0);
        let c = current_node(&run_on(n)).unwrap();
        assert_eq!((c.id.as_str(), c.iteration), ("3", 1));
        assert_eq!(c.text, "node 3 (KSampler): step 4 of 20");
    }

    #[test]
    fn a_loop_body_says_its_iteration_and_activity() {
        let mut n = NodeRecord::new("2");
        n.class_type = Some("Body".into());
        n.copies = 12;
        n.activity = Some("Loading model".into());
        let c = current_node(&run_on(n)).unwrap();
        assert_eq!(c.iteration, 12);
        assert_eq!(c.activity.as_deref(), Some("Loading model"));
        assert_eq!(c.text, "node 2 (Body) · iteration 12 · Loading model");
    }

    #[test]
    fn the_title_shows_a_running_runs_progress_only() {
        let mut run = Run::new("s", "P", RunSource::Stream, 0.0);
        assert_eq!(page_title(None), "ComfyUI telemetry");
        run.status = crate::run::RunStatus::Running;
        assert_eq!(page_title(Some(&run)), "running · ComfyUI telemetry");
        run.node_total = Some(4);
        for id in ["1", "2"] {
            let mut n = NodeRecord::new(id);
            n.status = NodeStatus::Finished;
            n.in_prompt = true;
            run.nodes.push(n);
        }
        assert_eq!(page_title(Some(&run)), "50% · ComfyUI telemetry");
        run.status = crate::run::RunStatus::Succeeded;
        assert_eq!(page_title(Some(&run)), "ComfyUI telemetry");
    }

    #[test]
    fn nothing_without_a_current_node_and_an_empty_activity_is_none() {
        assert_eq!(
            current_node(&Run::new("s", "P", RunSource::Stream, 0.0)),
            None
        );
        let mut n = NodeRecord::new("1");
        n.activity = Some(String::new());
        assert_eq!(current_node(&run_on(n)).unwrap().activity, None);
    }
}
