//! A crawler: a batch whose input is a channel, fed with the links of the
//! pages it fetches. Adding work to a running batch needs nothing more.
//!
//! Run it with `cargo run --example crawl`. It starts its own HTTP server on
//! 127.0.0.1 serving a small site of 40 linked pages, whose links also lead
//! to paths that answer 500, one that takes 2 s and one that closes the
//! connection, and crawls it from the home page on smol: at most 8 fetches
//! at once, 500 ms each. The channel's sender stays in the loop that reads
//! the outcomes, and is dropped once every path found has finished.

mod support;

use std::time::{Duration, Instant};
use support::crawl::{BOUND, crawl};
use support::http_server;

fn main() {
    let addr = http_server::start();
    println!("crawling http://{addr} from /page/0, bounded({BOUND}), 500 ms each");
    let started = Instant::now();
    let crawl = smol::block_on(crawl(addr, "/page/0", Duration::from_millis(500)));
    println!(
        "{} paths found: {} fetched, {} failed, {} timed out in {:.2} s",
        crawl.discovered.len(),
        crawl.fetched.len(),
        crawl.failed.len(),
        crawl.timed_out.len(),
        started.elapsed().as_secs_f64()
    );
    for (path, error) in &crawl.failed {
        println!("  failed    {path:<10} {error}");
    }
    for path in &crawl.timed_out {
        println!("  timed out {path}");
    }
    println!("at most {} fetches in flight", crawl.peak_in_flight);
}
