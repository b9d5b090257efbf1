//! 200 real HTTP requests on smol, with no tokio anywhere: at most 10 in
//! flight, 500 ms for each, every outcome reported.
//!
//! Run it with `cargo run --example http_smol`. It starts its own HTTP server
//! on 127.0.0.1 (some paths answer at once, one after 2 s, some with a 500,
//! one closes the connection) and fetches from it with hyper's HTTP/1
//! client over smol's TCP.

mod support;

use fanout::prelude::*;
use std::time::{Duration, Instant};
use support::http_server;
use support::smol_fetch::fetch;

fn main() {
    let addr = http_server::start();
    let paths = http_server::paths();
    println!(
        "fetching {} URLs from http://{addr}, bounded(10), 500 ms each",
        paths.len()
    );
    let started = Instant::now();
    let report = smol::block_on(
        paths
            .iter()
            .map(|path| fetch(addr, path))
            .bounded(10)
            .with_deadline(Duration::from_millis(500))
            .report(),
    );
    println!("{report} in {:.2} s", started.elapsed().as_secs_f64());
    for (index, error) in &report.failed {
        println!("  failed    #{index:<3} {:<12} {error}", paths[*index]);
    }
    for (index, elapsed) in &report.timed_out {
        println!("  timed out #{index:<3} {:<12} {elapsed}", paths[*index]);
    }
}
