use super::Rows;
use crate::state::Live;
use crate::ui::text::text;
use leptos::prelude::*;
use telemetry_core::follow::QueuePolicy;
use telemetry_core::format;
use telemetry_core::run::Run;

struct Knob {
    key: &'static str,
    label: &'static str,
    value: String,
    shown: String,
    used: String,
    used_shown: String,
    help: &'static str,
}

fn knobs(policy: &QueuePolicy, run: Option<&Run>) -> Vec<Knob> {
    let follow = run.and_then(|r| r.follow.as_ref());
    let waited = follow
        .and_then(|f| f.waited_ms)
        .map(|w| format::number((w / 1000.0).floor()));
    let attempts = follow.map(|f| f.attempts.to_string());
    let post = follow.and_then(|f| {
        f.execution_done_ms
            .zip(f.waited_ms)
            .map(|(d, w)| format::number(((f.started_ms + w - d) / 1000.0).max(0.0).floor()))
    });
    let retries = follow.map(|f| f.retries.to_string());
    // A streamed run used none of the policy; a followed one may not have reached a limit's
    // phase yet (still queued) or may not know (imported): say which, never show a zero.
    let idle = if follow.is_some() {
        "not reached or not recorded"
    } else {
        "not used: streamed"
    };
    let used = |v: Option<String>, unit: &str, of: String| match v {
        Some(v) => (v.clone(), format!("{v}{unit} of {of}")),
        None => (String::new(), idle.to_owned()),
    };
    let attempts_limit = if policy.max_attempts == 0 {
        "unbounded".to_owned()
    } else {
        policy.max_attempts.to_string()
    };
    let (w, ws) = used(waited, " s", format!("{} s", policy.max_wait_s));
    let (a, as_) = used(attempts, "", attempts_limit.clone());
    let (p, ps) = used(post, " s", format!("{} s", policy.post_execution_timeout_s));
    let (r, rs) = used(retries, "", policy.retry_budget.to_string());
    vec![
        Knob {
            key: "max_wait_s",
            label: "Max wait",
            value: policy.max_wait_s.to_string(),
            shown: format!("{} s", policy.max_wait_s),
            used: w,
            used_shown: ws,
            help: "How long to wait for a run's history entry in total.",
        },
        Knob {
            key: "poll_interval_s",
            label: "Poll interval",
            value: policy.poll_interval_s.to_string(),
            shown: format!("{} s", policy.poll_interval_s),
            used: String::new(),
            used_shown: String::new(),
            help: "Time between queue and history polls.",
        },
        Knob {
            key: "max_attempts",
            label: "Max history polls",
            value: if policy.max_attempts == 0 {
                "unbounded".into()
            } else {
                policy.max_attempts.to_string()
            },
            shown: attempts_limit,
            used: a,
            used_shown: as_,
            help: "History requests before giving up; 0 means unbounded (until max wait).",
        },
        Knob {
            key: "post_execution_timeout_s",
            label: "Post-execution timeout",
            value: policy.post_execution_timeout_s.to_string(),
            shown: format!("{} s", policy.post_execution_timeout_s),
            used: p,
            used_shown: ps,
            help: "How long outputs may take to appear after execution ends.",
        },
        Knob {
            key: "retry_budget",
            label: "Retry budget",
            value: policy.retry_budget.to_string(),
            shown: if policy.retry_budget == 0 {
                "no retries".into()
            } else {
                format!(
                    "{} retr{}",
                    policy.retry_budget,
                    if policy.retry_budget == 1 { "y" } else { "ies" }
                )
            },
            used: r,
            used_shown: rs,
            help: "Retries of a failed history request before giving up.",
        },
    ]
}

/// The follow policy in effect for a run and how much of each limit it used. A run that
/// streamed used none of it, and the card says so rather than showing zeros.
#[component]
pub fn QueuePolicyCard(run: Live<Option<Run>>) -> impl IntoView {
    let setting = crate::state::handles().policy;
    let items = move || {
        let current = setting.0.get();
        run.with(|r| {
            let policy = r
                .as_ref()
                .and_then(|r| r.follow.as_ref())
                .map(|f| f.policy)
                .unwrap_or(current);
            knobs(&policy, r.as_ref())
        })
    };
    let window = move || {
        let current = setting.0.get();
        let p = run
            .with(|r| r.as_ref().and_then(|r| r.follow.as_ref()).map(|f| f.policy))
            .unwrap_or(current);
        // The poll loop stops at whichever limit comes first (the React card took the max).
        let by_attempts = (p.max_attempts > 0).then(|| p.max_attempts * p.poll_interval_s);
        match by_attempts {
            Some(a) if a < p.max_wait_s => format!(
                "gives up after {a} s ({} polls × {} s), before the {} s max wait",
                p.max_attempts, p.poll_interval_s, p.max_wait_s
            ),
            _ => format!("gives up after at most {} s", p.max_wait_s),
        }
    };
    view! {
        <section class="card" data-testid="queue-policy-card">
            <h2>"Queue policy"</h2>
            <ul class="knobs">
                <Rows each=items key=|k| (k.key, k.value.clone(), k.used_shown.clone()) let:k>
                    <li data-testid="queue-policy-knob" data-knob=k.key data-value=k.value.clone() data-used=k.used.clone() title=k.help>
                        <span class="knob-label">{k.label}</span>
                        <span class="knob-value">{k.shown.clone()}</span>
                        <span class="muted small">{k.used_shown.clone()}</span>
                    </li>
                </Rows>
            </ul>
            <p class="muted small">"Following a run that does not stream " {text(window)} "."</p>
        </section>
    }
}
