//! The extension's run log (`/telemetry/runs`, docs/telemetry-protocol.md "Run log") as the
//! history tab uses it: its records read as the page's own [`StoredRun`], so they merge with what
//! the browser holds ([`StoredRun::merged_into`]: a record only gains information); where a
//! history row came from; and a run's parameters as text, for the run page and Compare.

use super::record::{Params, StoredRun};
use super::stored_form::{self, Get};
use crate::run::{node_order, RunStatus};
use serde_json::Value;

/// One page of the server's listing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerPage {
    pub runs: Vec<StoredRun>,
    /// Pass back as `cursor=` for the next page; `None` on the last one.
    pub next_cursor: Option<String>,
}

/// Runs of the server's listing body, for the server the page calls `server` (the key of its
/// live records, so the two merge). A record that does not read as a run is skipped: the rest
/// of the log stays usable. `None` when the body is not a listing at all.
pub fn decode_page(body: &str, server: &str) -> Option<ServerPage> {
    let mut value = crate::json::parse(body).ok()?;
    let next_cursor = value
        .get("next_cursor")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let Value::Array(runs) = value.get_mut("runs")?.take() else {
        return None;
    };
    Some(ServerPage {
        runs: runs
            .into_iter()
            .filter_map(|r| decode_run(r, server))
            .collect(),
        next_cursor,
    })
}

/// One record of the log (as `GET /telemetry/runs/{id}` answers), or `None`.
pub fn decode_run(value: Value, server: &str) -> Option<StoredRun> {
    // Read by hand as the store reads its records (`stored_form`): serde's derives for the run
    // types would add a second copy of every run type's decoder to the wasm.
    let o = Get(value.as_object()?);
    let prompt_id = o.0.get("prompt_id")?.as_str()?;
    let status = o.opt_text("status")?;
    let record_run = stored_form::run_from_value(o.0.get("run")?)?;
    let object = |v: &Value| v.as_object().cloned();
    let (params, env) = (o.opt("params", object)?, o.opt("env", object)?);
    if prompt_id.is_empty() || prompt_id != record_run.prompt_id {
        return None;
    }
    let mut run = record_run;
    run.server = server.to_owned();
    // The log says `lost` beside a run it keeps as `unknown` (a run open when ComfyUI died).
    if status.as_deref() == Some("lost")
        && (run.status == RunStatus::Unknown || !run.status.is_terminal())
    {
        run.status = RunStatus::Lost;
    }
    let mut stored = StoredRun::from_run(&run);
    stored.series =
        o.0.get("series")
            .and_then(stored_form::series_from_value)
            .filter(|s| s.prompt_id == stored.prompt_id);
    let mut params: Params = params.unwrap_or_default();
    params.extend(env.unwrap_or_default());
    stored.params = (!params.is_empty()).then_some(params);
    stored.server_only = true;
    Some(stored)
}

/// Where a history row came from (`data-source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowSource {
    /// Only this browser's store holds it.
    Browser,
    /// The server's run log lists it and this browser never saw it itself.
    Server,
    /// Both.
    Both,
}

impl RowSource {
    /// `server_only`: the record's [`StoredRun::server_only`]; `listed`: the server's run log
    /// lists this run now.
    pub fn of(server_only: bool, listed: bool) -> RowSource {
        match (listed, server_only) {
            (false, _) => RowSource::Browser,
            (true, true) => RowSource::Server,
            (true, false) => RowSource::Both,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RowSource::Browser => "browser",
            RowSource::Server => "server",
            RowSource::Both => "both",
        }
    }
}

/// Shown first, in this order; the rest follow by name.
const FIRST: [&str; 10] = [
    "checkpoint",
    "sampler",
    "scheduler",
    "steps",
    "cfg",
    "seed",
    "denoise",
    "width",
    "height",
    "batch",
];

/// Structured twins of flat parameters (`loras` of `lora`, `samplers` of the first sampler's):
/// left out, so that a difference shows once, under its own name. `widgets` (every node's
/// literal inputs) are listed after the named ones, as `node.input`.
const TWINS: [&str; 3] = ["loras", "samplers", "widgets"];

/// A parameter as text: strings as they are, numbers and booleans as JSON writes them, lists
/// and objects as compact JSON; `None` for null.
pub fn param_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(crate::json::to_string(other)),
    }
}

/// The run's parameters as `(name, text)`: the named ones (the common ones first), then each
/// node's literal inputs as `node.input` (custom nodes' values live only there), in node order.
pub fn param_rows(params: &Params) -> Vec<(String, String)> {
    let text = |k: &str, v: &Value| Some((k.to_owned(), param_text(v)?));
    // No sort: the map is ordered by name already (and every `sort_by` is its own copy of the
    // standard library's sort in the wasm).
    let mut rows: Vec<(String, String)> = FIRST
        .iter()
        .filter_map(|k| text(k, params.get(*k)?))
        .collect();
    rows.extend(
        params
            .iter()
            .filter(|(k, _)| !FIRST.contains(&k.as_str()) && !TWINS.contains(&k.as_str()))
            .filter_map(|(k, v)| text(k, v)),
    );
    let mut nodes: Vec<(&String, &Value)> = params
        .get("widgets")
        .and_then(Value::as_object)
        .map(|w| w.iter().collect())
        .unwrap_or_default();
    // Node order (`10` after `9`), by insertion: a handful of nodes.
    for i in 1..nodes.len() {
        let mut j = i;
        while j > 0 && node_order(nodes[j - 1].0, nodes[j].0).is_gt() {
            nodes.swap(j - 1, j);
            j -= 1;
        }
    }
    for (node, widget) in nodes {
        if let Some(inputs) = widget.get("inputs").and_then(Value::as_object) {
            rows.extend(
                inputs
                    .iter()
                    .filter_map(|(k, v)| text(&format!("{node}.{k}"), v)),
            );
        }
    }
    rows
}

/// One parameter that is not the same in every compared run; `values[i]` is run i's text,
/// empty when that run does not record it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDiff {
    pub param: String,
    pub values: Vec<String>,
}

/// Exactly the parameters that differ between `runs`, in the order of [`param_rows`]. Runs
/// without recorded parameters are left out of the comparison: nothing is known to differ.
pub fn param_diff(runs: &[&StoredRun]) -> Vec<ParamDiff> {
    let rows: Vec<Option<Vec<(String, String)>>> = runs
        .iter()
        .map(|r| r.params.as_ref().map(param_rows))
        .collect();
    if rows.iter().filter(|r| r.is_some()).count() < 2 {
        return Vec::new();
    }
    let mut names: Vec<&String> = Vec::new();
    for (name, _) in rows.iter().flatten().flatten() {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let value = |r: &Vec<(String, String)>, name: &str| {
        r.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let out: Vec<ParamDiff> = names
        .into_iter()
        .filter_map(|name| {
            let values: Vec<String> = rows
                .iter()
                .map(|r| r.as_ref().map(|r| value(r, name)).unwrap_or_default())
                .collect();
            let known: Vec<&String> = rows
                .iter()
                .zip(&values)
                .filter(|(r, _)| r.is_some())
                .map(|(_, v)| v)
                .collect();
            known.windows(2).any(|w| w[0] != w[1]).then(|| ParamDiff {
                param: name.clone(),
                values,
            })
        })
        .collect();
    // A node input that differs exactly as a named parameter does (`3.steps` beside `steps`)
    // is that parameter again: shown once, by its name.
    let named: Vec<&Vec<String>> = out
        .iter()
        .filter(|d| !d.param.contains('.'))
        .map(|d| &d.values)
        .collect();
    let twin = |d: &ParamDiff| d.param.contains('.') && named.contains(&&d.values);
    let keep: Vec<bool> = out.iter().map(|d| !twin(d)).collect();
    out.into_iter()
        .zip(keep)
        .filter_map(|(d, k)| k.then_some(d))
        .collect()
}
