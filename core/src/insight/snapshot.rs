//! The insight aggregates as text, for the snapshot the shell keeps with the store: the names,
//! one per line, then one line per run fact with its fields separated by tabs.
//!
//! Written by hand rather than derived: serde's code for these types (a visitor per struct,
//! field-name matching, options and sequences, both directions) was about 30 kB of the wasm
//! chunk every page with findings loads (issue #22); this is a few kB, and reads and writes
//! faster. Numbers are exact: an integer below 2^53 (every epoch-ms time) as its digits, any
//! other value as `x` and the hex of its bits, so a snapshot restores to the same findings.
//! Text fields escape `\`, tab and newline. Anything malformed makes the whole read `None`
//! (the caller then rebuilds the aggregates from the runs).

use super::aggregates::InsightAggregates;
use super::error_class::ErrorClass;
use super::facts::{ErrorFact, MemoryFact, Names, NodeFact, RunFact, Sym};
use crate::history::series::MemoryKind;
use crate::run::RunStatus;

/// The first line of every snapshot: a different layout is a different tag.
const TAG: &str = "insight-facts 1";
/// Fields of a fact's line.
const FIELDS: usize = 18;

impl InsightAggregates {
    /// Every name and fact as text, for [`from_snapshot`](Self::from_snapshot).
    pub fn to_snapshot(&self) -> String {
        let (names, facts) = self.parts();
        let mut out = String::with_capacity(64 + facts.len() * 160);
        out.push_str(TAG);
        out.push('\n');
        out.push_str(&names.len().to_string());
        for i in 0..names.len() {
            out.push('\n');
            escape(&mut out, names.get(i as Sym));
        }
        for f in facts {
            out.push('\n');
            fact(&mut out, f);
        }
        out
    }

    /// The aggregates a snapshot holds; `None` when it is not one this build wrote.
    pub fn from_snapshot(text: &str) -> Option<InsightAggregates> {
        let mut lines = text.split('\n');
        if lines.next()? != TAG {
            return None;
        }
        let n: usize = lines.next()?.parse().ok()?;
        let names: Vec<String> = (0..n)
            .map(|_| lines.next().and_then(unescape))
            .collect::<Option<_>>()?;
        let names = Names::from(names);
        if names.len() != n {
            // A name listed twice: the symbols after it would be off by one.
            return None;
        }
        let facts = lines
            .map(|line| read_fact(line, names.len()))
            .collect::<Option<Vec<_>>>()?;
        Some(InsightAggregates::from_parts(names, facts))
    }
}

fn fact(out: &mut String, f: &RunFact) {
    escape(out, &f.prompt_id);
    for s in [f.server, f.workflow, f.gpu, f.exit_reason] {
        tab_int(out, u64::from(s));
    }
    out.push('\t');
    num(out, f.start_ms);
    out.push('\t');
    num(out, f.last_ms);
    out.push('\t');
    out.push_str(f.status.as_str());
    for v in [f.duration_ms, f.queue_wait_ms] {
        out.push('\t');
        if let Some(v) = v {
            num(out, v);
        }
    }
    out.push('\t');
    if let Some(m) = &f.memory {
        num(out, m.peak);
        out.push(',');
        num(out, m.total);
        out.push(',');
        out.push_str(m.kind.as_str());
    }
    out.push('\t');
    if let Some(e) = &f.error {
        out.push_str(e.class.as_str());
        out.push(',');
        out.push_str(&e.node_type.to_string());
    }
    out.push('\t');
    if let Some(e) = &f.error {
        escape(out, &e.text);
    }
    out.push('\t');
    for (i, n) in f.nodes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&n.id.to_string());
        out.push(',');
        out.push_str(&n.class.to_string());
        out.push(',');
        if let Some(ms) = n.ms {
            num(out, f64::from(ms));
        }
        out.push(',');
        out.push(char::from(
            b'0' + u8::from(n.cached) + 2 * u8::from(n.executed),
        ));
    }
    out.push('\t');
    for (i, (s, v)) in f.params.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&s.to_string());
        out.push(',');
        num(out, *v);
    }
    out.push('\t');
    if let Some(h) = f.graph_hash {
        out.push_str(&h.to_string());
    }
    out.push('\t');
    out.push(if f.fully_cached { '1' } else { '0' });
    out.push('\t');
    out.push(if f.stream_lost { '1' } else { '0' });
}

fn read_fact(line: &str, names: usize) -> Option<RunFact> {
    let fields: Vec<&str> = line.split('\t').collect();
    if fields.len() != FIELDS {
        return None;
    }
    let sym = |s: &str| s.parse::<Sym>().ok().filter(|s| (*s as usize) < names);
    let opt_num = |s: &str| match s {
        "" => Some(None),
        s => read_num(s).map(Some),
    };
    let memory = match fields[10] {
        "" => None,
        m => {
            let mut p = m.split(',');
            let (peak, total) = (read_num(p.next()?)?, read_num(p.next()?)?);
            let kind = match p.next()? {
                "vram" => MemoryKind::Vram,
                "ram" => MemoryKind::Ram,
                _ => return None,
            };
            Some(MemoryFact { peak, total, kind })
        }
    };
    let error = match fields[11] {
        "" => None,
        e => {
            let (class, node_type) = e.split_once(',')?;
            Some(ErrorFact {
                class: *ErrorClass::ALL.iter().find(|c| c.as_str() == class)?,
                node_type: sym(node_type)?,
                text: unescape(fields[12])?.into(),
            })
        }
    };
    let nodes = items(fields[13])
        .map(|n| {
            let mut p = n.split(',');
            let (id, class) = (sym(p.next()?)?, sym(p.next()?)?);
            let ms = opt_num(p.next()?)?.map(|v| v as f32);
            let flags = match p.next()? {
                "0" => 0,
                "1" => 1,
                "2" => 2,
                "3" => 3,
                _ => return None,
            };
            Some(NodeFact {
                id,
                class,
                ms,
                cached: flags & 1 != 0,
                executed: flags & 2 != 0,
            })
        })
        .collect::<Option<_>>()?;
    let params = items(fields[14])
        .map(|p| {
            let (s, v) = p.split_once(',')?;
            Some((sym(s)?, read_num(v)?))
        })
        .collect::<Option<_>>()?;
    Some(RunFact {
        prompt_id: unescape(fields[0])?.into(),
        server: sym(fields[1])?,
        workflow: sym(fields[2])?,
        gpu: sym(fields[3])?,
        exit_reason: sym(fields[4])?,
        start_ms: read_num(fields[5])?,
        last_ms: read_num(fields[6])?,
        status: RunStatus::parse(fields[7])?,
        duration_ms: opt_num(fields[8])?,
        queue_wait_ms: opt_num(fields[9])?,
        memory,
        error,
        nodes,
        params,
        graph_hash: match fields[15] {
            "" => None,
            h => Some(h.parse().ok()?),
        },
        fully_cached: flag(fields[16])?,
        stream_lost: flag(fields[17])?,
    })
}

/// The space-separated items of a list field (none when empty).
fn items(field: &str) -> impl Iterator<Item = &str> {
    field.split(' ').filter(|s| !s.is_empty())
}

fn flag(s: &str) -> Option<bool> {
    match s {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

fn tab_int(out: &mut String, v: u64) {
    out.push('\t');
    out.push_str(&v.to_string());
}

/// Integers below 2^53 as digits, anything else (fractions, -0, infinities, NaN) as `x` and the
/// hex of its bits: exact both ways, without a float formatter.
fn num(out: &mut String, v: f64) {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if v.fract() == 0.0 && v.abs() < EXACT && !(v == 0.0 && v.is_sign_negative()) {
        out.push_str(&(v as i64).to_string());
    } else {
        out.push('x');
        out.push_str(&format!("{:x}", v.to_bits()));
    }
}

fn read_num(s: &str) -> Option<f64> {
    match s.strip_prefix('x') {
        Some(hex) => u64::from_str_radix(hex, 16).ok().map(f64::from_bits),
        None => s.parse::<i64>().ok().map(|v| v as f64),
    }
}

fn escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            't' => '\t',
            'n' => '\n',
            _ => return None,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> InsightAggregates {
        let mut names = Names::default();
        let server = names.intern("http://gpu\tbox:8188");
        let workflow = names.intern("line one\nline two \\ done");
        let empty = names.intern("");
        let node = names.intern("12");
        let class = names.intern("KSampler");
        let fact = |prompt_id: &str, start_ms: f64| RunFact {
            prompt_id: prompt_id.into(),
            server,
            workflow,
            gpu: empty,
            exit_reason: empty,
            start_ms,
            last_ms: start_ms + 0.25,
            status: RunStatus::Failed,
            duration_ms: Some(1234.5),
            queue_wait_ms: None,
            memory: Some(MemoryFact {
                peak: 3.5e9,
                total: f64::INFINITY,
                kind: MemoryKind::Ram,
            }),
            stream_lost: true,
            error: Some(ErrorFact {
                class: ErrorClass::OutOfMemory,
                node_type: class,
                text: "CUDA out of memory:\ttried\n\\ 2 GiB".into(),
            }),
            nodes: vec![
                NodeFact {
                    id: node,
                    class,
                    ms: Some(0.1),
                    cached: false,
                    executed: true,
                },
                NodeFact {
                    id: node,
                    class: empty,
                    ms: None,
                    cached: true,
                    executed: false,
                },
            ]
            .into(),
            params: vec![(class, -0.0), (node, 1e300)].into(),
            graph_hash: Some(u64::MAX),
            fully_cached: false,
        };
        let plain = RunFact {
            memory: None,
            error: None,
            nodes: Vec::new().into(),
            params: Vec::new().into(),
            graph_hash: None,
            status: RunStatus::Succeeded,
            duration_ms: None,
            queue_wait_ms: Some(0.0),
            fully_cached: true,
            stream_lost: false,
            ..fact("run/scene-001", 1_765_000_000_123.0)
        };
        InsightAggregates::from_parts(names, vec![fact("a\tb", -1.5), plain])
    }

    #[test]
    fn a_snapshot_reads_back_to_the_same_aggregates() {
        let a = sample();
        let text = a.to_snapshot();
        assert_eq!(InsightAggregates::from_snapshot(&text), Some(a));
        let empty = InsightAggregates::new();
        assert_eq!(
            InsightAggregates::from_snapshot(&empty.to_snapshot()),
            Some(empty)
        );
    }

    #[test]
    fn times_are_written_as_their_digits() {
        let text = sample().to_snapshot();
        assert!(text.contains("\t1765000000123\t"), "{text}");
    }

    #[test]
    fn anything_else_is_not_a_snapshot() {
        let text = sample().to_snapshot();
        for bad in [
            String::new(),
            "{\"names\":[],\"facts\":[]}".to_owned(),
            text.replace(TAG, "insight-facts 0"),
            text.replace("\tfailed\t", "\tbroken\t"),
            text.replace("\tout-of-memory,", "\tout-of-mind,"),
            format!("{text}\n"),
            text[..text.len() - 3].to_owned(),
        ] {
            assert_eq!(InsightAggregates::from_snapshot(&bad), None, "{bad:?}");
        }
    }
}
