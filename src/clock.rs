//! The clock deadlines, rate limits and slow-poll reports read.
//!
//! `std::time::Instant::now` panics on `wasm32-unknown-unknown`, which has no
//! system clock of its own; with the `wasm` feature the crate reads the
//! browser's (or the JavaScript host's) clock there instead.

#[cfg(all(feature = "wasm", target_arch = "wasm32", target_os = "unknown"))]
pub(crate) use web_time::Instant;

#[cfg(not(all(feature = "wasm", target_arch = "wasm32", target_os = "unknown")))]
pub(crate) use std::time::Instant;
