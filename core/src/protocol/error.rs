use thiserror::Error;

/// Why a frame from the server could not be decoded. `Clone` so the latest one can sit in a signal.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("frame is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("frame has no \"type\" field")]
    MissingType,
    #[error("\"{kind}\" message has unexpected data: {reason}")]
    BadData { kind: String, reason: String },
    #[error("binary frame is {len} bytes, too short for its header")]
    BinaryTooShort { len: usize },
    #[error("binary frame declares {declared} bytes of {what} but only {available} follow")]
    BinaryLength {
        what: &'static str,
        declared: usize,
        available: usize,
    },
    #[error("binary preview metadata is not valid: {0}")]
    BadPreviewMetadata(String),
    #[error("binary frame text is not UTF-8")]
    BadUtf8,
}

impl DecodeError {
    pub(crate) fn bad_data(kind: &str, err: impl std::fmt::Display) -> Self {
        DecodeError::BadData {
            kind: kind.to_owned(),
            reason: err.to_string(),
        }
    }
}
