//! The same 200 requests inside a tokio program, with reqwest: fanout needs
//! no glue to embed in tokio. At most 10 in flight, 500 ms for each, every
//! outcome reported.
//!
//! Run it with `cargo run --example http_tokio`. It starts its own HTTP
//! server on 127.0.0.1 (some paths answer at once, one after 2 s, some with
//! a 500, one closes the connection).

mod support;

use fanout::prelude::*;
use std::time::{Duration, Instant};
use support::http_server;

/// GETs `url` and returns the body; a non-2xx status is an error.
async fn fetch(client: &reqwest::Client, url: &str) -> Result<String, reqwest::Error> {
    client
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let addr = http_server::start();
    let urls: Vec<String> = http_server::paths()
        .iter()
        .map(|path| format!("http://{addr}{path}"))
        .collect();
    // Straight to the local server, whatever proxy the environment names.
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client");
    println!(
        "fetching {} URLs from http://{addr} with reqwest on tokio, bounded(10), 500 ms each",
        urls.len()
    );
    let started = Instant::now();
    let report = urls
        .iter()
        .map(|url| fetch(&client, url))
        .bounded(10)
        .with_deadline(Duration::from_millis(500))
        .report()
        .await;
    println!("{report} in {:.2} s", started.elapsed().as_secs_f64());
    for (index, error) in &report.failed {
        let why = match error.status() {
            Some(status) => status.to_string(),
            None => "the connection closed before an answer".to_string(),
        };
        println!("  failed    #{index:<3} {why}");
    }
    for (index, elapsed) in &report.timed_out {
        println!("  timed out #{index:<3} {elapsed}");
    }
}
