//! What kind of failure a run's error is, read from its exception type, message and traceback,
//! so failures that share a cause can be counted together whatever their exact wording.

use crate::protocol::ExecutionError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorClass {
    /// The device ran out of memory (`torch.OutOfMemoryError`, "CUDA out of memory",
    /// "Allocation on device").
    OutOfMemory,
    /// A model or file was not where the workflow said (`FileNotFoundError`, "Value not in
    /// list" for a model name, "No such file").
    MissingModel,
    /// The prompt's inputs were refused before or while running (validation errors, missing
    /// required inputs, wrong types or shapes).
    Validation,
    /// An exception raised from code under `custom_nodes/`.
    CustomNode,
    Other,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::OutOfMemory => "out-of-memory",
            ErrorClass::MissingModel => "missing-model",
            ErrorClass::Validation => "validation",
            ErrorClass::CustomNode => "custom-node",
            ErrorClass::Other => "other",
        }
    }

    /// How a person would name it in a sentence.
    pub fn label(self) -> &'static str {
        match self {
            ErrorClass::OutOfMemory => "out of memory",
            ErrorClass::MissingModel => "missing model or file",
            ErrorClass::Validation => "validation error",
            ErrorClass::CustomNode => "custom-node exception",
            ErrorClass::Other => "other error",
        }
    }

    pub const ALL: [ErrorClass; 5] = [
        ErrorClass::OutOfMemory,
        ErrorClass::MissingModel,
        ErrorClass::Validation,
        ErrorClass::CustomNode,
        ErrorClass::Other,
    ];
}

/// Classifies an error. Memory first (an OOM inside a custom node is still an OOM: the fix is
/// the same), then a missing file, then validation, then where the exception was raised.
pub fn classify(error: &ExecutionError) -> ErrorClass {
    let lower = |t: &Option<String>| crate::lowercase::to_lowercase(t.as_deref().unwrap_or(""));
    let (kind, message) = (
        lower(&error.exception_type),
        lower(&error.exception_message),
    );
    let has = |needles: &[&str]| {
        needles
            .iter()
            .any(|n| kind.contains(n) || message.contains(n))
    };
    if has(&[
        "outofmemory",
        "out of memory",
        "allocation on device",
        "failed to allocate",
    ]) {
        return ErrorClass::OutOfMemory;
    }
    if has(&[
        "filenotfound",
        "no such file",
        "not found",
        "value not in list",
        "does not exist",
        "missing model",
    ]) {
        return ErrorClass::MissingModel;
    }
    if has(&[
        "validation",
        "invalid prompt",
        "required input is missing",
        "prompt_outputs_failed",
        "valueerror",
        "typeerror",
    ]) {
        return ErrorClass::Validation;
    }
    let custom = error
        .traceback
        .iter()
        .any(|line| line.replace('\\', "/").contains("custom_nodes/"));
    if custom {
        return ErrorClass::CustomNode;
    }
    ErrorClass::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: &str, message: &str, traceback: &[&str]) -> ExecutionError {
        ExecutionError {
            prompt_id: "p".into(),
            node_id: None,
            node_type: None,
            exception_type: Some(kind.into()),
            exception_message: Some(message.into()),
            traceback: traceback.iter().map(|s| (*s).to_owned()).collect(),
            executed: Vec::new(),
            timestamp: None,
        }
    }

    #[test]
    fn classes_as_comfyui_words_them() {
        let oom = err("torch.OutOfMemoryError", "Allocation on device", &[]);
        assert_eq!(classify(&oom), ErrorClass::OutOfMemory);
        let custom_oom = err(
            "RuntimeError",
            "CUDA out of memory. Tried to allocate 2 GiB",
            &["File \"/c/custom_nodes/x/n.py\""],
        );
        assert_eq!(classify(&custom_oom), ErrorClass::OutOfMemory);
        let missing = err(
            "FileNotFoundError",
            "[Errno 2] No such file: 'v1-5.ckpt'",
            &[],
        );
        assert_eq!(classify(&missing), ErrorClass::MissingModel);
        let invalid = err("ValueError", "width must be a multiple of 8", &[]);
        assert_eq!(classify(&invalid), ErrorClass::Validation);
        let custom = err(
            "RuntimeError",
            "boom",
            &["File \"C:\\ComfyUI\\custom_nodes\\pack\\nodes.py\", line 3"],
        );
        assert_eq!(
            classify(&custom),
            ErrorClass::CustomNode,
            "'boom' is no OOM"
        );
        assert_eq!(
            classify(&err("RuntimeError", "boom", &["File \"execution.py\""])),
            ErrorClass::Other
        );
    }
}
