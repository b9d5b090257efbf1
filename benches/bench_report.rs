//! Measures fanout against the idioms users write instead, in one run, and
//! prints ns per child, the ratios the project's goals are stated in, and
//! peak memory.
//!
//! ```sh
//! cargo run --release --example bench_report            # 10^6 children, median of 5
//! cargo run --release --example bench_report -- 100000 3 # fewer children, 3 runs
//! cargo run --release --example bench_report -- --rss 1000000            # peak RSS, () outputs
//! cargo run --release --example bench_report -- --rss 1000000 deadline   # the same with deadlines
//! cargo run --release --example bench_report -- --expiries          # cost of many deadline expiries
//! ```
//!
//! Every way runs the same children (ready at once, or pending once) on
//! `futures::executor::block_on`, except the tokio idiom, which needs its
//! own (current-thread) runtime.

mod scenarios;

use fanout::prelude::*;
use scenarios::{Kind, Way};
use std::time::Instant;

const BOUNDS: [usize; 3] = [5, 100, 1_000];
const KINDS: [Kind; 2] = [Kind::Ready, Kind::PendingOnce];

/// Median wall time per child, in ns, over `runs` runs.
fn ns_per_child(way: Way, n: u32, bound: usize, kind: Kind, runs: usize) -> f64 {
    let mut samples: Vec<f64> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let checksum = way.run(n, bound, kind);
            let took = started.elapsed();
            assert_eq!(
                checksum,
                u64::from(n) * u64::from(n - 1) / 2,
                "{} lost outputs",
                way.name()
            );
            took.as_nanos() as f64 / f64::from(n)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Peak resident memory of this process, from `/proc/self/status`.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn goal(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// CPU time (user + system) this process has used so far, from
/// `/proc/self/stat`, in clock ticks of 10 ms.
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// Deadline expiries one at a time while the whole bound is in flight:
/// children that never finish, admitted one per 50 µs by a rate, each
/// dropped by a deadline of `bound` x 50 µs, so that one child expires for
/// each one admitted. Prints the CPU time per expiry at a small and a large
/// bound: an expiry that looked at every running child would cost in
/// proportion to the bound; one that looks only at the due children costs
/// the same at both.
fn expiries(n: u32) {
    use std::time::Duration;
    let spacing = Duration::from_micros(50);
    println!(
        "children that never finish, one admitted per {spacing:?}, each expiring after bound x {spacing:?}"
    );
    for bound in [50u32, 15_000] {
        let children = (0..n).map(|_| futures::future::pending::<()>());
        let ticks = cpu_ticks();
        let started = Instant::now();
        let out = futures::executor::block_on(
            children
                .bounded(bound as usize)
                .rate(1, spacing)
                .with_deadline(spacing * bound)
                .gather(),
        );
        let wall = started.elapsed();
        let cpu_ms = cpu_ticks()
            .zip(ticks)
            .map(|(after, before)| (after - before) * 10);
        assert!(out.iter().all(Result::is_err), "every child expires");
        println!(
            "   bound {bound:>5}: {n:>6} expiries, wall {:>6.0} ms, CPU {:>5} ms, {:>6.0} ns CPU per expiry",
            wall.as_secs_f64() * 1e3,
            cpu_ms.map_or("?".to_string(), |ms| ms.to_string()),
            cpu_ms.map_or(f64::NAN, |ms| ms as f64 * 1e6 / f64::from(n)),
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--expiries") {
        let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(20_000);
        expiries(n);
        return;
    }
    if args.first().map(String::as_str) == Some("--rss") {
        let n: u32 = args
            .get(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(1_000_000);
        // One batch per process, so the peak is that batch's. With
        // deadlines each output is a `Result<(), Elapsed>`: one byte.
        let with_deadline = args.get(2).map(String::as_str) == Some("deadline");
        let children = (0..n).map(|_| async {}).bounded(100);
        let outputs = if with_deadline {
            let out =
                futures::executor::block_on(children.with_deadline(scenarios::DEADLINE).gather());
            out.len()
        } else {
            futures::executor::block_on(children.gather()).len()
        };
        assert_eq!(outputs, n as usize);
        println!(
            "{n} children, bounded(100){}: peak RSS {} KiB",
            if with_deadline {
                ".with_deadline(d), 1-byte outputs"
            } else {
                ", () outputs"
            },
            peak_rss_kib().unwrap_or(0)
        );
        return;
    }
    let n: u32 = args
        .first()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    println!("{n} children per run, median of {runs} runs, ns per child (lower is better)\n");
    let mut all_met = true;
    for kind in KINDS {
        for bound in BOUNDS {
            println!("== children {}, bound {bound}", kind.name());
            let mut ns = std::collections::HashMap::new();
            for way in Way::ALL {
                let per_child = ns_per_child(way, n, bound, kind, runs);
                println!("   {:<48} {per_child:>8.1}", way.name());
                ns.insert(way, per_child);
            }
            let ratio = |a: Way, b: Way| ns[&a] / ns[&b];
            let checks = [
                (
                    "deadline cost: with_deadline / plain gather",
                    ratio(Way::FanoutGatherDeadline, Way::FanoutGather),
                    "<= 1.3",
                    ratio(Way::FanoutGatherDeadline, Way::FanoutGather) <= 1.3,
                ),
                (
                    "slow-poll timing: on_slow_poll / plain gather",
                    ratio(Way::FanoutGatherSlowPoll, Way::FanoutGather),
                    "(no goal; cost when enabled)",
                    true,
                ),
                (
                    "buffer_unordered + Delay / fanout with deadline",
                    ratio(Way::BufferUnorderedDelay, Way::FanoutGatherDeadline),
                    ">= 8",
                    ratio(Way::BufferUnorderedDelay, Way::FanoutGatherDeadline) >= 8.0,
                ),
                (
                    "tokio JoinSet + timeout / fanout with deadline",
                    ratio(Way::TokioJoinSet, Way::FanoutGatherDeadline),
                    ">= 8",
                    ratio(Way::TokioJoinSet, Way::FanoutGatherDeadline) >= 8.0,
                ),
                (
                    "fanout gather / buffer_unordered",
                    ratio(Way::FanoutGather, Way::BufferUnordered),
                    "<= 1.0",
                    ratio(Way::FanoutGather, Way::BufferUnordered) <= 1.0,
                ),
                (
                    "fanout gather / futures-buffered",
                    ratio(Way::FanoutGather, Way::FuturesBuffered),
                    "<= 2.5",
                    ratio(Way::FanoutGather, Way::FuturesBuffered) <= 2.5,
                ),
                (
                    "stream input: stream::iter / iterator gather",
                    ratio(Way::FanoutGatherStream, Way::FanoutGather),
                    "<= 1.1",
                    ratio(Way::FanoutGatherStream, Way::FanoutGather) <= 1.1,
                ),
                (
                    "fanout in_order / futures buffered",
                    ratio(Way::FanoutInOrder, Way::Buffered),
                    "<= 1.0",
                    ratio(Way::FanoutInOrder, Way::Buffered) <= 1.0,
                ),
            ];
            for (what, value, target, ok) in checks {
                all_met &= ok;
                println!(
                    "   ratio {what:<48} {value:>6.2}  (goal {target}: {})",
                    goal(ok)
                );
            }
            println!();
        }
    }
    println!("all ratio goals met: {all_met}");
}
