//! A history query as it lives in the URL (`/history?status=failed&q=boom`), so a view can be
//! bookmarked or shared. Parsing never fails: an unreadable value is dropped, not an error page.

use super::StoredRun;
use crate::endpoint::encode;
use crate::follow::ExitReason;
use crate::protocol::decimal;
use crate::run::RunStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    StartTime,
    Duration,
    Status,
}

impl SortKey {
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::StartTime => "start",
            SortKey::Duration => "duration",
            SortKey::Status => "status",
        }
    }

    pub fn parse(s: &str) -> Option<SortKey> {
        Some(match s {
            "start" => SortKey::StartTime,
            "duration" => SortKey::Duration,
            "status" => SortKey::Status,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistoryQuery {
    pub status: Option<RunStatus>,
    /// An exit reason of the follow policy, or `streamed`.
    pub exit_reason: Option<String>,
    /// Inclusive start bound, epoch ms.
    pub from_ms: Option<f64>,
    /// Exclusive end bound, epoch ms.
    pub to_ms: Option<f64>,
    pub gpu: Option<String>,
    pub server: Option<String>,
    pub workflow: Option<String>,
    /// Free text, matched case-insensitively against prompt id, node types, outputs, errors.
    pub text: Option<String>,
    pub sort: SortKey,
    /// Oldest / shortest first instead of newest / longest.
    pub ascending: bool,
}

/// `YYYY-MM-DD` (UTC) to epoch ms, for the date inputs.
pub fn parse_date(s: &str) -> Option<f64> {
    let mut parts = s.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.get(..2).unwrap_or("").parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days as f64 * 86_400_000.0)
}

/// Epoch ms to `YYYY-MM-DD` (UTC).
pub fn format_date(ms: f64) -> String {
    let days = (ms / 86_400_000.0).floor() as i64;
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

fn non_empty(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

impl HistoryQuery {
    /// Reads `status=`, `q=`, `from=`, `to=`, `exit=`, `gpu=`, `server=`, `workflow=`, `sort=`
    /// and `order=asc` (values already percent-decoded).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> HistoryQuery {
        let mut q = HistoryQuery::default();
        for (k, v) in pairs {
            match k {
                "status" => q.status = RunStatus::parse(v.trim()),
                "q" => q.text = non_empty(v),
                "from" => q.from_ms = parse_date(v).or_else(|| decimal(v)),
                // `to` is a day: everything before the next midnight.
                "to" => {
                    q.to_ms = parse_date(v)
                        .map(|d| d + 86_400_000.0)
                        .or_else(|| decimal(v))
                }
                "exit" => {
                    q.exit_reason = non_empty(v).filter(|e| {
                        ExitReason::parse(e).is_some() || e == "streamed" || e == "following"
                    })
                }
                "gpu" => q.gpu = non_empty(v),
                "server" => q.server = non_empty(v),
                "workflow" => q.workflow = non_empty(v),
                "sort" => q.sort = SortKey::parse(v.trim()).unwrap_or_default(),
                "order" => q.ascending = v.trim() == "asc",
                _ => {}
            }
        }
        q
    }

    /// The query string (without `?`) that reproduces this query; empty for no filter.
    pub fn to_query_string(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut push = |k: &str, v: &str| parts.push(format!("{k}={}", encode(v)));
        if let Some(s) = self.status {
            push("status", s.as_str());
        }
        if let Some(t) = &self.text {
            push("q", t);
        }
        if let Some(f) = self.from_ms {
            push("from", &format_date(f));
        }
        if let Some(t) = self.to_ms {
            push("to", &format_date(t - 86_400_000.0));
        }
        if let Some(e) = &self.exit_reason {
            push("exit", e);
        }
        if let Some(g) = &self.gpu {
            push("gpu", g);
        }
        if let Some(s) = &self.server {
            push("server", s);
        }
        if let Some(w) = &self.workflow {
            push("workflow", w);
        }
        if self.sort != SortKey::StartTime {
            push("sort", self.sort.as_str());
        }
        if self.ascending {
            push("order", "asc");
        }
        parts.join("&")
    }

    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.exit_reason.is_none()
            && self.from_ms.is_none()
            && self.to_ms.is_none()
            && self.gpu.is_none()
            && self.server.is_none()
            && self.workflow.is_none()
            && self.text.is_none()
    }

    /// What free text looks for in `StoredRun::search` (which is lower-cased): the one
    /// definition both the scan (`matches`) and the text index use.
    pub fn search_needle(&self) -> Option<String> {
        self.text
            .as_ref()
            .map(|t| crate::lowercase::to_lowercase(t))
    }

    /// Whether free text is the only filter, so a text index's matches are the whole answer.
    pub fn is_text_only(&self) -> bool {
        self.text.is_some()
            && HistoryQuery {
                text: None,
                ..self.clone()
            }
            .is_empty()
    }

    /// Whether a stored run passes every filter. The store narrows with an index first and
    /// uses this for the rest, so both paths agree by construction.
    pub fn matches(&self, r: &StoredRun) -> bool {
        self.status.is_none_or(|s| r.status == s.as_str())
            && self
                .exit_reason
                .as_ref()
                .is_none_or(|e| &r.exit_reason == e)
            && self.from_ms.is_none_or(|f| r.start_ms >= f)
            && self.to_ms.is_none_or(|t| r.start_ms < t)
            && self
                .gpu
                .as_ref()
                .is_none_or(|g| r.gpu.eq_ignore_ascii_case(g))
            && self.server.as_ref().is_none_or(|s| &r.server == s)
            && self.workflow.as_ref().is_none_or(|w| &r.workflow == w)
            && self
                .search_needle()
                .is_none_or(|needle| r.search.contains(&needle))
    }

    /// Orders two matching runs as the list shows them.
    pub fn compare(&self, a: &StoredRun, b: &StoredRun) -> std::cmp::Ordering {
        let ord = match self.sort {
            SortKey::StartTime => a.start_ms.total_cmp(&b.start_ms),
            SortKey::Duration => a.duration_ms.total_cmp(&b.duration_ms),
            SortKey::Status => a.status.cmp(&b.status),
        }
        .then_with(|| a.start_ms.total_cmp(&b.start_ms))
        .then_with(|| a.key.cmp(&b.key));
        if self.ascending {
            ord
        } else {
            ord.reverse()
        }
    }
}

/// Epoch ms to ISO-8601 UTC with milliseconds, as exports and the seed's metadata use.
pub fn format_iso(ms: f64) -> String {
    if !ms.is_finite() {
        return String::new();
    }
    // In whole milliseconds (the fraction is dropped anyway): a float remainder would bring
    // `fmod` into the pages that format times (issue #22).
    let day_ms = (ms.floor() as i64).rem_euclid(86_400_000) as u64;
    let (secs, millis) = (day_ms / 1000, day_ms % 1000);
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}Z",
        format_date(ms),
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60,
        millis
    )
}

/// Reads `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`; a time without zone is taken as UTC.
pub fn parse_iso(s: &str) -> Option<f64> {
    let s = s.trim();
    let day = parse_date(s.get(..10)?)?;
    let rest = s.get(10..).unwrap_or("");
    let Some(time) = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' ')) else {
        return rest.is_empty().then_some(day);
    };
    let (clock, offset_min) = if let Some(c) = time.strip_suffix('Z') {
        (c, 0i64)
    } else if let Some(at) = time.rfind(['+', '-']).filter(|at| *at >= 8) {
        let (c, z) = time.split_at(at);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let hm: Vec<i64> = z[1..].split(':').filter_map(|p| p.parse().ok()).collect();
        (
            c,
            sign * (hm.first().copied().unwrap_or(0) * 60 + hm.get(1).copied().unwrap_or(0)),
        )
    } else {
        (time, 0)
    };
    let mut parts = clock.split(':');
    // serde_json's number reader, not `str::parse::<f64>` (see `protocol::lenient::decimal`).
    let h = decimal(parts.next()?)?;
    let m = decimal(parts.next()?)?;
    let sec = decimal(parts.next().unwrap_or("0"))?;
    if !(0.0..24.0).contains(&h) || !(0.0..60.0).contains(&m) || !(0.0..61.0).contains(&sec) {
        return None;
    }
    Some(day + ((h * 60.0 + m) * 60.0 + sec) * 1000.0 - offset_min as f64 * 60_000.0)
}
