//! What the examples and their tests share: a real HTTP server on
//! 127.0.0.1 with the 200 paths they fetch and a small site to crawl, an
//! HTTP client for smol, the crawler, and the SQLite job.

#![allow(dead_code)]

pub(crate) mod crawl;
pub(crate) mod http_server;
pub(crate) mod smol_fetch;
pub(crate) mod sqlite_job;
