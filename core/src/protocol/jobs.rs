//! `/api/jobs` of newer ComfyUI (0.36+, comfy_execution/jobs.py): one list of pending, running
//! and finished prompts with their times, and a status that says "cancelled". Decoded as
//! leniently as the other HTTP answers; a server without it answers 404 and is read through
//! `/api/queue` + `/api/history` instead.

use super::{lenient, DecodeError};
use serde_json::Value;

/// jobs.py `JobStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    InProgress,
    Completed,
    Failed,
    /// Interrupted while running, or removed from the queue before it ran.
    Cancelled,
    Unknown,
}

impl JobStatus {
    pub fn parse(s: &str) -> JobStatus {
        match s {
            "pending" => JobStatus::Pending,
            "in_progress" => JobStatus::InProgress,
            "completed" => JobStatus::Completed,
            "failed" => JobStatus::Failed,
            "cancelled" => JobStatus::Cancelled,
            _ => JobStatus::Unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub status: JobStatus,
    /// The queue number (`priority`).
    pub number: Option<i64>,
    /// Server epoch ms.
    pub create_time: Option<i64>,
    pub execution_start_time: Option<i64>,
    pub execution_end_time: Option<i64>,
    pub error_message: Option<String>,
    pub outputs_count: Option<u32>,
}

fn job(v: &Value) -> Option<Job> {
    let map = v.as_object()?;
    let int = |f: &str| map.get(f).and_then(lenient::number_of).map(|n| n as i64);
    Some(Job {
        id: map.get("id").and_then(lenient::id_of)?,
        status: map
            .get("status")
            .and_then(Value::as_str)
            .map_or(JobStatus::Unknown, JobStatus::parse),
        number: int("priority"),
        create_time: int("create_time"),
        execution_start_time: int("execution_start_time"),
        execution_end_time: int("execution_end_time"),
        error_message: map
            .get("execution_error")
            .and_then(|e| e.get("exception_message"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        outputs_count: int("outputs_count").and_then(|n| u32::try_from(n).ok()),
    })
}

/// Decodes a jobs list (`{"jobs": [...], ...}` or a bare array) or one job's detail (an
/// object with an `id`). Jobs that cannot be read are skipped.
pub fn decode_jobs(body: &str) -> Result<Vec<Job>, DecodeError> {
    let value = crate::json::parse(body).map_err(|e| DecodeError::bad_data("jobs", e))?;
    let list = match &value {
        Value::Array(items) => items.as_slice(),
        Value::Object(map) => match map.get("jobs") {
            Some(Value::Array(items)) => items.as_slice(),
            _ if map.contains_key("id") => std::slice::from_ref(&value),
            _ => return Err(DecodeError::bad_data("jobs", "no \"jobs\" list")),
        },
        _ => return Err(DecodeError::bad_data("jobs", "not an object")),
    };
    Ok(list.iter().filter_map(job).collect())
}
