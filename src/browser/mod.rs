//! Thin wrappers over browser APIs, so the rest of the shell reads as plain Rust.

#[cfg(feature = "alloc-count")]
pub mod alloc_count;
pub mod base_path;
pub mod client_id;
pub mod clock;
pub mod download;
pub mod http;
pub mod location;
pub mod notify;
pub mod page_leave;
pub mod settings_store;
