//! The payloads that arrive many times a second (`status`, `progress_state`,
//! `crystools.monitor`, preview metadata), read in one pass without a `Value` tree: keys and
//! short strings are borrowed from the frame, unused fields are skipped, and only what the
//! message keeps is allocated. Results are those of the `Value` readers they replaced (a test
//! compares both on random data): a wrong type reads as absent, the last of duplicate keys wins,
//! and nodes come out in the same order.

use super::wire::{leaf, skip, FromMap, Leaf, Loose, LooseList, Strict};
use super::*;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

fn parse<'a, T: FromMap<'a>>(kind: &str, data: &'a str) -> Result<T, DecodeError> {
    serde_json::from_str::<Strict<T>>(data)
        .map(|s| s.0)
        .map_err(|e| DecodeError::bad_data(kind, e))
}

fn missing(kind: &str, field: &str) -> DecodeError {
    DecodeError::bad_data(kind, format!("missing \"{field}\""))
}

// --- status ---------------------------------------------------------------------------------

#[derive(Default)]
pub(super) struct StatusData {
    status: Option<Outer>,
    sid: Option<String>,
}

#[derive(Default)]
struct Outer {
    exec_info: Option<ExecInfo>,
}

#[derive(Default)]
struct ExecInfo {
    queue_remaining: Option<f64>,
}

impl<'de> FromMap<'de> for StatusData {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "status" => self.status = map.next_value::<Loose<Outer>>()?.0,
            "sid" => self.sid = leaf(map)?.id(),
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl<'de> FromMap<'de> for Outer {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "exec_info" => self.exec_info = map.next_value::<Loose<ExecInfo>>()?.0,
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl<'de> FromMap<'de> for ExecInfo {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "queue_remaining" => self.queue_remaining = leaf(map)?.number(),
            _ => skip(map)?,
        }
        Ok(())
    }
}

pub(super) fn status(kind: &str, data: &str) -> Result<Status, DecodeError> {
    Ok(status_of(parse(kind, data)?))
}

pub(super) fn status_of(d: StatusData) -> Status {
    let queue_remaining = d
        .status
        .and_then(|s| s.exec_info)
        .and_then(|e| e.queue_remaining)
        .filter(|n| *n >= 0.0)
        .map(|n| n.min(u32::MAX as f64) as u32);
    Status {
        queue_remaining,
        sid: d.sid,
    }
}

// --- progress_state --------------------------------------------------------------------------

#[derive(Default)]
pub(super) struct ProgressStateData<'a> {
    prompt_id: Option<String>,
    nodes: Nodes<'a>,
}

#[derive(Default)]
pub(super) enum Nodes<'a> {
    #[default]
    Absent,
    NotObject,
    /// Node key, then the node; in document order.
    Map(Vec<(Cow<'a, str>, NodeProgress)>),
}

impl<'de> FromMap<'de> for ProgressStateData<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "prompt_id" => self.prompt_id = leaf(map)?.id(),
            "nodes" => self.nodes = map.next_value::<Nodes<'de>>()?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Nodes<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodesVisitor)
    }
}

struct NodesVisitor;

impl<'de> Visitor<'de> for NodesVisitor {
    type Value = Nodes<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of nodes")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Nodes<'de>, A::Error> {
        let mut nodes = Vec::new();
        while let Some(super::wire::Key(key)) = map.next_key()? {
            let node = map.next_value::<Loose<NodeData>>()?.0.unwrap_or_default();
            let node = node.into_progress(&key);
            nodes.push((key, node));
        }
        Ok(Nodes::Map(nodes))
    }
    fn visit_unit<E>(self) -> Result<Nodes<'de>, E> {
        Ok(Nodes::Absent)
    }
    fn visit_none<E>(self) -> Result<Nodes<'de>, E> {
        Ok(Nodes::Absent)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Nodes<'de>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Nodes<'de>, E> {
        Ok(Nodes::NotObject)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Nodes<'de>, E> {
        Ok(Nodes::NotObject)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Nodes<'de>, E> {
        Ok(Nodes::NotObject)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Nodes<'de>, E> {
        Ok(Nodes::NotObject)
    }
    fn visit_str<E>(self, _: &str) -> Result<Nodes<'de>, E> {
        Ok(Nodes::NotObject)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Nodes<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Nodes::NotObject)
    }
}

#[derive(Default)]
struct NodeData {
    node_id: Option<String>,
    value: Option<f64>,
    max: Option<f64>,
    state: Option<NodeState>,
    display_node_id: Option<String>,
    parent_node_id: Option<String>,
    real_node_id: Option<String>,
    activity: Option<String>,
    seconds: Option<f64>,
}

impl NodeData {
    /// `key` is the node's key in `nodes`, its id when it names none itself.
    fn into_progress(self, key: &str) -> NodeProgress {
        NodeProgress {
            node_id: self.node_id.unwrap_or_else(|| key.to_owned()),
            value: self.value,
            max: self.max,
            state: self.state.unwrap_or(NodeState::Unknown),
            display_node_id: self.display_node_id,
            parent_node_id: self.parent_node_id,
            real_node_id: self.real_node_id,
            activity: self.activity,
            seconds: self.seconds.filter(|s| *s >= 0.0),
        }
    }
}

impl<'de> FromMap<'de> for NodeData {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "node_id" => self.node_id = leaf(map)?.id(),
            "value" => self.value = leaf(map)?.number(),
            "max" => self.max = leaf(map)?.number(),
            "state" => self.state = leaf(map)?.str().map(NodeState::parse),
            "display_node_id" => self.display_node_id = leaf(map)?.id(),
            "parent_node_id" => self.parent_node_id = leaf(map)?.id(),
            "real_node_id" => self.real_node_id = leaf(map)?.id(),
            "activity" => self.activity = leaf(map)?.string(),
            "seconds" => self.seconds = leaf(map)?.number(),
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// The `Value` reader put nodes in a sorted map first (by key, the last duplicate winning) and
/// then sorted them stably by node order; the same steps give the same order for tied ids.
pub(super) fn progress_state(kind: &str, data: &str) -> Result<ProgressState, DecodeError> {
    progress_state_of(kind, parse(kind, data)?)
}

pub(super) fn progress_state_of(
    kind: &str,
    d: ProgressStateData<'_>,
) -> Result<ProgressState, DecodeError> {
    let prompt_id = d.prompt_id.ok_or_else(|| missing(kind, "prompt_id"))?;
    let mut nodes = match d.nodes {
        Nodes::Absent => Vec::new(),
        Nodes::NotObject => return Err(DecodeError::bad_data(kind, "\"nodes\" is not an object")),
        Nodes::Map(mut entries) => {
            // Stable, so of equal keys the last one read stays last of its run.
            if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
                entries.sort_by(|a, b| a.0.cmp(&b.0));
            }
            let mut nodes = Vec::with_capacity(entries.len());
            let mut entries = entries.into_iter().peekable();
            while let Some((key, node)) = entries.next() {
                if entries.peek().is_none_or(|(next, _)| *next != key) {
                    nodes.push(node);
                }
            }
            nodes
        }
    };
    nodes.sort_by(|a, b| crate::run::node_order(&a.node_id, &b.node_id));
    Ok(ProgressState { prompt_id, nodes })
}

// --- crystools.monitor -----------------------------------------------------------------------

#[derive(Default)]
pub(super) struct MonitorData {
    cpu_utilization: Option<f64>,
    ram_total: Option<f64>,
    ram_used: Option<f64>,
    device_type: Option<String>,
    gpus: Vec<MonitorGpu>,
}

/// Crystools reports `-1` for anything it cannot measure.
fn measured(leaf: Leaf<'_>) -> Option<f64> {
    leaf.number().filter(|n| *n >= 0.0)
}

impl<'de> FromMap<'de> for MonitorData {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "cpu_utilization" => self.cpu_utilization = measured(leaf(map)?),
            "ram_total" => self.ram_total = measured(leaf(map)?),
            "ram_used" => self.ram_used = measured(leaf(map)?),
            "device_type" => self.device_type = leaf(map)?.string(),
            "gpus" => {
                self.gpus = map
                    .next_value::<LooseList<Loose<MonitorGpu>>>()?
                    .0
                    .into_iter()
                    .map(|g| g.0.unwrap_or_default())
                    .collect()
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl<'de> FromMap<'de> for MonitorGpu {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "gpu_utilization" => self.utilization = measured(leaf(map)?),
            "gpu_temperature" => self.temperature = measured(leaf(map)?),
            "vram_total" => self.vram_total = measured(leaf(map)?),
            "vram_used" => self.vram_used = measured(leaf(map)?),
            _ => skip(map)?,
        }
        Ok(())
    }
}

pub(super) fn monitor(kind: &str, data: &str) -> Result<MonitorSample, DecodeError> {
    Ok(monitor_of(parse(kind, data)?))
}

pub(super) fn monitor_of(d: MonitorData) -> MonitorSample {
    MonitorSample {
        cpu_utilization: d.cpu_utilization,
        ram_total: d.ram_total,
        ram_used: d.ram_used,
        device_type: d.device_type,
        gpus: d.gpus,
    }
}

// --- preview metadata (binary event 4) -------------------------------------------------------

#[derive(Default)]
pub(super) struct PreviewMeta {
    pub node_id: Option<String>,
    pub prompt_id: Option<String>,
    pub display_node_id: Option<String>,
    pub mime: Option<ImageMime>,
}

impl<'de> FromMap<'de> for PreviewMeta {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "node_id" => self.node_id = leaf(map)?.id(),
            "prompt_id" => self.prompt_id = leaf(map)?.id(),
            "display_node_id" => self.display_node_id = leaf(map)?.id(),
            "image_type" => {
                self.mime = leaf(map)?.str().map(|t| match t {
                    "image/png" => ImageMime::Png,
                    "image/webp" => ImageMime::Webp,
                    _ => ImageMime::Jpeg,
                })
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// Read as `&str` so the readers are compiled for one `serde_json` input type, not two.
pub(super) fn preview_meta(meta: &[u8]) -> Result<PreviewMeta, DecodeError> {
    let meta =
        std::str::from_utf8(meta).map_err(|e| DecodeError::BadPreviewMetadata(e.to_string()))?;
    serde_json::from_str::<Strict<PreviewMeta>>(meta)
        .map(|s| s.0)
        .map_err(|e| DecodeError::BadPreviewMetadata(e.to_string()))
}
