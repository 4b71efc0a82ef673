//! What `runs-lost` and `stream-drops` share: on each server, the runs a rule flags, kept when
//! there are enough of them and a one-sided binomial test says their rate exceeds the rule's
//! baseline (p ≤ 0.05). Sample: every run of the server.

use super::facts::RunFact;
use super::finding::{fig, Evidence, Figure, Unit};
use super::stats::{proportion_above_p, significant};
use super::Ctx;

/// One server's flagged runs, in start order, with the test's result.
pub(crate) struct ServerRate<'a> {
    pub name: String,
    /// The server's runs.
    pub n: usize,
    /// At least the rule's minimum, never empty.
    pub flagged: Vec<&'a RunFact>,
    pub p: f64,
}

impl ServerRate<'_> {
    pub fn k(&self) -> usize {
        self.flagged.len()
    }

    pub fn share(&self) -> f64 {
        self.k() as f64 / self.n as f64
    }

    /// When the latest flagged run started.
    pub fn last_ms(&self) -> f64 {
        self.flagged.last().map_or(0.0, |f| f.start_ms)
    }

    /// The evidence: the latest flagged runs, then `flagged_name` (their count), the runs, the
    /// share, `extra`, and when the last started.
    pub fn evidence(&self, ctx: &Ctx, flagged_name: &str, extra: &[Figure]) -> Evidence {
        let mut figures = vec![
            fig(flagged_name, self.k() as f64, Unit::Count),
            fig("runs", self.n as f64, Unit::Count),
            fig("share", self.share(), Unit::Share),
        ];
        figures.extend_from_slice(extra);
        figures.push(fig("last_at", self.last_ms(), Unit::EpochMs));
        Evidence::of(
            self.p,
            self.n,
            ctx.latest(self.flagged.iter().copied()),
            figures,
        )
    }
}

/// The servers whose runs `flag` at least `min` of, at a rate significantly above `baseline`.
pub(crate) fn flagged<'a>(
    ctx: &Ctx<'a>,
    min: usize,
    baseline: f64,
    flag: impl Fn(&RunFact) -> bool,
) -> Vec<ServerRate<'a>> {
    let mut out = Vec::new();
    for (server, runs) in &ctx.servers {
        let flagged: Vec<&RunFact> = runs.iter().copied().filter(|f| flag(f)).collect();
        if flagged.len() < min.max(1) {
            continue;
        }
        let p = proportion_above_p(flagged.len(), runs.len(), baseline);
        if significant(p) {
            out.push(ServerRate {
                name: ctx.name(*server).to_owned(),
                n: runs.len(),
                flagged,
                p,
            });
        }
    }
    out
}
