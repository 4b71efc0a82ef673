//! Following a run the socket does not report, under the React dashboard's queue policy.
//!
//! A followed run is polled in `/api/queue` until it leaves the queue (execution done), then in
//! `/api/history/{id}` until its entry appears. The five knobs bound that: total wait, poll
//! interval, number of history polls (0 = unbounded), how long after execution the outputs may
//! take to appear, and how many failed history requests are retried before giving up.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePolicy {
    pub max_wait_s: u32,
    pub poll_interval_s: u32,
    /// 0 = unbounded.
    pub max_attempts: u32,
    pub post_execution_timeout_s: u32,
    pub retry_budget: u32,
}

impl Default for QueuePolicy {
    /// The seed pipeline's defaults.
    fn default() -> Self {
        QueuePolicy {
            max_wait_s: 600,
            poll_interval_s: 2,
            max_attempts: 0,
            post_execution_timeout_s: 30,
            retry_budget: 1,
        }
    }
}

impl QueuePolicy {
    /// The policy as stored: the JSON object its `Serialize` derive writes (fields in
    /// declaration order), written by hand so the page links no serde serializer for it.
    pub fn to_json(&self) -> String {
        format!(
            "{{\"max_wait_s\":{},\"poll_interval_s\":{},\"max_attempts\":{},\"post_execution_timeout_s\":{},\"retry_budget\":{}}}",
            self.max_wait_s,
            self.poll_interval_s,
            self.max_attempts,
            self.post_execution_timeout_s,
            self.retry_budget
        )
    }

    /// The policy as stored (the JSON object its `Serialize` writes), or `None` when the text is
    /// not one: the caller falls back to the defaults. Read from a `Value`, not through the
    /// derive, whose own field matcher and map loop were compiled into the live page's wasm only
    /// for this (issue #22). The derive's rules: every field present, each an integer that fits
    /// a `u32`; other fields are ignored.
    pub fn from_json(text: &str) -> Option<QueuePolicy> {
        let value = crate::json::parse(text).ok()?;
        let map = value.as_object()?;
        let field = |key: &str| {
            map.get(key)
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
        };
        Some(QueuePolicy {
            max_wait_s: field("max_wait_s")?,
            poll_interval_s: field("poll_interval_s")?,
            max_attempts: field("max_attempts")?,
            post_execution_timeout_s: field("post_execution_timeout_s")?,
            retry_budget: field("retry_budget")?,
        })
    }

    /// Guards against settings that would poll in a tight loop or never.
    pub fn sanitized(self) -> QueuePolicy {
        QueuePolicy {
            max_wait_s: self.max_wait_s.clamp(1, 7 * 24 * 3600),
            poll_interval_s: self.poll_interval_s.clamp(1, 3600),
            max_attempts: self.max_attempts,
            post_execution_timeout_s: self.post_execution_timeout_s.clamp(1, 24 * 3600),
            retry_budget: self.retry_budget.min(100),
        }
    }
}

/// How following a run ended; the seed's `HistoryExitReason` vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExitReason {
    #[serde(rename = "success")]
    Success,
    #[serde(rename = "maxWait")]
    MaxWait,
    #[serde(rename = "attemptLimit")]
    AttemptLimit,
    #[serde(rename = "postExecution")]
    PostExecution,
    #[serde(rename = "unknown")]
    Unknown,
}

impl ExitReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ExitReason::Success => "success",
            ExitReason::MaxWait => "maxWait",
            ExitReason::AttemptLimit => "attemptLimit",
            ExitReason::PostExecution => "postExecution",
            ExitReason::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<ExitReason> {
        Some(match s {
            "success" => ExitReason::Success,
            "maxWait" => ExitReason::MaxWait,
            "attemptLimit" => ExitReason::AttemptLimit,
            "postExecution" => ExitReason::PostExecution,
            "unknown" => ExitReason::Unknown,
            _ => return None,
        })
    }
}

/// What is kept on the run: the policy in effect and how much of it was used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowRecord {
    pub policy: QueuePolicy,
    pub started_ms: f64,
    /// History requests made.
    pub attempts: u32,
    /// Failed history requests that were retried.
    pub retries: u32,
    /// Time spent following; `None` when it is not known (imported runs).
    pub waited_ms: Option<f64>,
    /// When the run left the queue: execution is over, outputs are on their way.
    pub execution_done_ms: Option<f64>,
    pub exit: Option<ExitReason>,
}

/// What a history poll found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poll {
    /// The entry is there and complete (success or error).
    Found,
    /// Not (yet) in history.
    Missing,
    /// The request failed (network, HTTP error, unreadable body).
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Next {
    /// Poll again at this local time (epoch ms).
    PollAt(f64),
    Done(ExitReason),
}

impl FollowRecord {
    pub fn new(policy: QueuePolicy, now_ms: f64) -> FollowRecord {
        FollowRecord {
            policy: policy.sanitized(),
            started_ms: now_ms,
            attempts: 0,
            retries: 0,
            waited_ms: Some(0.0),
            execution_done_ms: None,
            exit: None,
        }
    }

    pub fn is_done(&self) -> bool {
        self.exit.is_some()
    }

    fn interval_ms(&self) -> f64 {
        self.policy.poll_interval_s as f64 * 1000.0
    }

    /// The run left the queue: from now on the post-execution timeout runs.
    pub fn execution_done(&mut self, now_ms: f64) {
        self.execution_done_ms.get_or_insert(now_ms);
    }

    /// Checks the time limits without a poll (the run may sit in the queue for long).
    pub fn check(&mut self, now_ms: f64) -> Option<ExitReason> {
        if let Some(exit) = self.exit {
            return Some(exit);
        }
        let waited = (now_ms - self.started_ms).max(0.0);
        self.waited_ms = Some(waited);
        let exit = if self
            .execution_done_ms
            .is_some_and(|d| now_ms - d >= self.policy.post_execution_timeout_s as f64 * 1000.0)
        {
            Some(ExitReason::PostExecution)
        } else if waited >= self.policy.max_wait_s as f64 * 1000.0 {
            Some(ExitReason::MaxWait)
        } else {
            None
        };
        self.exit = exit;
        exit
    }

    /// Records a history poll's result and says what to do next.
    pub fn on_poll(&mut self, poll: Poll, now_ms: f64) -> Next {
        if let Some(exit) = self.exit {
            return Next::Done(exit);
        }
        self.attempts += 1;
        self.waited_ms = Some((now_ms - self.started_ms).max(0.0));
        let exit = match poll {
            Poll::Found => Some(ExitReason::Success),
            Poll::Failed if self.retries >= self.policy.retry_budget => Some(ExitReason::Unknown),
            Poll::Failed => {
                self.retries += 1;
                None
            }
            Poll::Missing => None,
        };
        let exit = exit.or_else(|| {
            if self.policy.max_attempts > 0 && self.attempts >= self.policy.max_attempts {
                Some(ExitReason::AttemptLimit)
            } else {
                self.check(now_ms)
            }
        });
        match exit {
            Some(exit) => {
                self.exit = Some(exit);
                Next::Done(exit)
            }
            None => Next::PollAt(now_ms + self.interval_ms()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the derive reads, for comparison.
    fn derived(text: &str) -> Option<QueuePolicy> {
        serde_json::from_str(text).ok()
    }

    #[test]
    fn writes_what_the_derive_writes() {
        for policy in [
            QueuePolicy::default(),
            QueuePolicy {
                max_wait_s: u32::MAX,
                poll_interval_s: 0,
                max_attempts: 7,
                post_execution_timeout_s: 45,
                retry_budget: 3,
            },
        ] {
            assert_eq!(policy.to_json(), serde_json::to_string(&policy).unwrap());
        }
    }

    #[test]
    fn reads_what_it_writes_and_what_the_derive_reads() {
        let policy = QueuePolicy {
            max_wait_s: 4_000_000_000,
            poll_interval_s: 5,
            max_attempts: 0,
            post_execution_timeout_s: 45,
            retry_budget: 3,
        };
        let text = serde_json::to_string(&policy).unwrap();
        assert_eq!(QueuePolicy::from_json(&text), Some(policy));
        for text in [
            text.as_str(),
            r#"{"max_wait_s":1,"poll_interval_s":2,"max_attempts":3,"post_execution_timeout_s":4,"retry_budget":5,"later":"x"}"#,
            r#"{"max_wait_s":1,"poll_interval_s":2,"max_attempts":3,"post_execution_timeout_s":4}"#,
            r#"{"max_wait_s":-1,"poll_interval_s":2,"max_attempts":3,"post_execution_timeout_s":4,"retry_budget":5}"#,
            r#"{"max_wait_s":1.5,"poll_interval_s":2,"max_attempts":3,"post_execution_timeout_s":4,"retry_budget":5}"#,
            r#"{"max_wait_s":4294967296,"poll_interval_s":2,"max_attempts":3,"post_execution_timeout_s":4,"retry_budget":5}"#,
            r#"{"max_wait_s":"1","poll_interval_s":2,"max_attempts":3,"post_execution_timeout_s":4,"retry_budget":5}"#,
            r#"{"max_wait_s":null,"poll_interval_s":2,"max_attempts":3,"post_execution_timeout_s":4,"retry_budget":5}"#,
            "null",
            "{}",
            "not json",
            "",
        ] {
            assert_eq!(QueuePolicy::from_json(text), derived(text), "{text}");
        }
    }
}
