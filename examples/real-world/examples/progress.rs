//! A live progress bar for a fan-out: `on_each` hears every request as it
//! finishes and keeps an `indicatif` bar and its ok / failed / timed-out
//! counts up to date.
//!
//! Run it with `cargo run --example progress`. Like `http_smol`, it starts
//! its own HTTP server on 127.0.0.1 and fetches 200 URLs from it on smol;
//! starts are rate-limited to 200 per second so the bar has time to move.

mod support;

use fanout::Done;
use fanout::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;
use support::http_server;
use support::smol_fetch::fetch;

fn main() {
    let addr = http_server::start();
    let paths = http_server::paths();
    let bar = ProgressBar::new(paths.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}").expect("a valid template"),
    );
    let live = bar.clone();
    let (mut ok, mut failed, mut timed_out) = (0, 0, 0);
    let report = smol::block_on(
        paths
            .iter()
            .map(|path| fetch(addr, path))
            .bounded(10)
            .rate(20, Duration::from_millis(100))
            .with_deadline(Duration::from_millis(500))
            .on_each(move |_index, done| {
                match done {
                    Done::Output(Ok(_)) => ok += 1,
                    Done::TimedOut(_) => timed_out += 1,
                    // A failure, or whatever else `Done` grows to say.
                    _ => failed += 1,
                }
                live.set_message(format!("{ok} ok, {failed} failed, {timed_out} timed out"));
                live.inc(1);
            })
            .report(),
    );
    bar.finish();
    println!("done: {report}");
}
