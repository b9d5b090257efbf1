//! Measures fanout against the idioms users write instead, in one run, and
//! prints ns per child, the ratios the project's goals are stated in, and
//! peak memory.
//!
//! ```sh
//! cargo run --release --example bench_report            # 10^6 children, median of 5
//! cargo run --release --example bench_report -- 100000 3 # fewer children, 3 runs
//! cargo run --release --example bench_report -- --kinds thread   # children woken by another thread
//! cargo run --release --example bench_report -- --kinds timer    # 10^5 children on real timers, CPU time
//! cargo run --release --example bench_report -- 100000 3 --kinds ready,pending,thread,timer
//! cargo run --release --example bench_report -- --rss 1000000            # peak RSS, () outputs
//! cargo run --release --example bench_report -- --rss 1000000 deadline   # the same with deadlines
//! cargo run --release --example bench_report -- --expiries          # cost of many deadline expiries
//! cargo run --release --example bench_report -- --slow-consumer     # a consumer that awaits, 3 runs (about 1 min)
//! cargo run --release --example bench_report -- --slow-consumer-way "fanout for_each" 5  # one way of it, for a profiler
//! cargo run --release --example bench_report -- --rss-endless       # peak RSS over endless inputs, 10^3 vs 10^6 taken
//! cargo run --release --example bench_report -- --rss-endless in_order stream 1000000  # one of them
//! cargo run --release --example bench_report -- --service           # fixed and adaptive limits against a simulated service (about 75 s)
//! cargo run --release --example bench_report -- --service 1         # the same with 1 s phases
//! ```
//!
//! Every way runs the same children on `futures::executor::block_on`,
//! except the tokio idiom, which needs its own (current-thread) runtime.
//! The kinds of children (`Kind` in `scenarios.rs`, named as `--kinds`
//! takes them):
//!
//! - `ready` at once and `pending` once (waking themselves in their first
//!   poll): the default, at bounds 5, 100 and 1,000 (about 75 s).
//! - `thread`: woken in batches by another thread, as by a reactor, at the
//!   same bounds (about 6.5 minutes: a wake-up from another thread costs
//!   microseconds where the other kinds cost nanoseconds).
//! - `timer`: a tenth as many children, each waiting 1 to 10 ms on a real
//!   timer, at bound 1,000 only (about a minute). The timers set the wall
//!   time, so the section also prints the CPU time of the whole process
//!   (every thread: the timer's, the reactor's), and its goals are stated
//!   in CPU time, which is what a server pays.

mod scenarios;
mod service;
mod slow_consumer;

use fanout::prelude::*;
use futures::StreamExt;
use scenarios::{Child, Kind, Way};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const BOUNDS: [usize; 3] = [5, 100, 1_000];
/// The kinds run without `--kinds`.
const DEFAULT_KINDS: [Kind; 2] = [Kind::Ready, Kind::PendingOnce];
/// The only bound of the timer kind.
const TIMER_BOUND: usize = 1_000;

/// Medians over the runs of one way, per child, in ns.
#[derive(Debug, Clone, Copy)]
struct PerChild {
    wall: f64,
    /// CPU time of the whole process (NaN where `cpu_time` has none).
    cpu: f64,
}

/// Runs `run` (`name`, over `n` children) `runs` times, checks its
/// checksum, and returns the medians.
fn per_child(name: &str, n: u32, runs: usize, run: impl Fn() -> u64) -> PerChild {
    let (mut wall, mut cpu) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let cpu_before = cpu_time();
        let started = Instant::now();
        let checksum = run();
        let took = started.elapsed();
        let cpu_took = cpu_time()
            .zip(cpu_before)
            .map(|(after, before)| after.saturating_sub(before));
        assert_eq!(
            checksum,
            u64::from(n) * u64::from(n - 1) / 2,
            "{name} lost outputs"
        );
        wall.push(took.as_nanos() as f64 / f64::from(n));
        cpu.push(cpu_took.map_or(f64::NAN, |t| t.as_nanos() as f64 / f64::from(n)));
    }
    let median = |mut samples: Vec<f64>| {
        samples.sort_by(f64::total_cmp);
        samples[samples.len() / 2]
    };
    PerChild {
        wall: median(wall),
        cpu: median(cpu),
    }
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

/// CPU time (user + system) this process has used so far, all its threads
/// together, to the microsecond, from `getrusage`.
#[cfg(unix)]
fn cpu_time() -> Option<Duration> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage writes one `rusage` where it is pointed, and this
    // points to room for one.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: getrusage returned 0, so it filled the `rusage` in.
    let usage = unsafe { usage.assume_init() };
    let time = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).ok()?)
            .checked_add(Duration::from_micros(u64::try_from(t.tv_usec).ok()?))
    };
    time(usage.ru_utime)?.checked_add(time(usage.ru_stime)?)
}

#[cfg(not(unix))]
fn cpu_time() -> Option<Duration> {
    None
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
        let cpu_before = cpu_time();
        let started = Instant::now();
        let out = futures::executor::block_on(
            children
                .bounded(bound as usize)
                .rate(1, spacing)
                .with_deadline(spacing * bound)
                .gather(),
        );
        let wall = started.elapsed();
        let cpu_ms = cpu_time()
            .zip(cpu_before)
            .map(|(after, before)| after.saturating_sub(before).as_secs_f64() * 1e3);
        assert!(out.iter().all(Result::is_err), "every child expires");
        println!(
            "   bound {bound:>5}: {n:>6} expiries, wall {:>6.0} ms, CPU {:>5.0} ms, {:>6.0} ns CPU per expiry",
            wall.as_secs_f64() * 1e3,
            cpu_ms.unwrap_or(f64::NAN),
            cpu_ms.map_or(f64::NAN, |ms| ms * 1e6 / f64::from(n)),
        );
    }
}

/// How the endless rows end their chain.
#[derive(Debug, Clone, Copy)]
enum End {
    InOrder,
    AsCompleted,
}

impl End {
    const ALL: [End; 2] = [End::InOrder, End::AsCompleted];

    fn arg(self) -> &'static str {
        match self {
            End::InOrder => "in_order",
            End::AsCompleted => "as_completed",
        }
    }

    fn from_arg(arg: &str) -> Option<End> {
        End::ALL.into_iter().find(|end| end.arg() == arg)
    }
}

/// Where the endless rows' children come from.
#[derive(Debug, Clone, Copy)]
enum Source {
    Stream,
    Iter,
}

impl Source {
    const ALL: [Source; 2] = [Source::Stream, Source::Iter];

    fn arg(self) -> &'static str {
        match self {
            Source::Stream => "stream",
            Source::Iter => "iter",
        }
    }

    fn from_arg(arg: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|source| source.arg() == arg)
    }

    fn name(self) -> &'static str {
        match self {
            Source::Stream => "stream::repeat_with(..)",
            Source::Iter => "(0..).map(..)",
        }
    }
}

/// The first `k` outputs of an endless input of children pending once,
/// `bounded(100)`: `.take(k)` on the output stream, so the input never
/// ends. Returns how many outputs came and the sum of their values.
fn first_of_endless(end: End, source: Source, k: usize) -> (usize, u64) {
    let add = |(count, total): (usize, u64), value: u32| (count + 1, total + u64::from(value));
    macro_rules! first_k {
        ($input:expr) => {
            match end {
                End::InOrder => {
                    $input
                        .bounded(100)
                        .in_order()
                        .take(k)
                        .fold((0, 0), |acc, value| async move { add(acc, value) })
                        .await
                }
                End::AsCompleted => {
                    $input
                        .bounded(100)
                        .as_completed()
                        .take(k)
                        .fold((0, 0), |acc, (_, value)| async move { add(acc, value) })
                        .await
                }
            }
        };
    }
    futures::executor::block_on(async {
        match source {
            Source::Stream => {
                let mut next = 0;
                first_k!(futures::stream::repeat_with(move || {
                    next += 1;
                    Child::pending_once(next - 1)
                }))
            }
            Source::Iter => first_k!((0..).map(Child::pending_once)),
        }
    })
}

/// One measurement in this process: the first `k` outputs of an endless
/// input, then the peak RSS.
fn endless_rss(end: End, source: Source, k: usize) {
    let (count, total) = first_of_endless(end, source, k);
    assert_eq!(count, k, "the output stream ended early");
    if let End::InOrder = end {
        let k = k as u64;
        assert_eq!(total, k * (k - 1) / 2, "in_order skipped an input");
    }
    println!(
        "first {k} of an endless {} into bounded(100).{}(): peak RSS {} KiB",
        source.name(),
        end.arg(),
        peak_rss_kib().unwrap_or(0)
    );
}

/// Peak RSS for the first 10^3 and the first 10^6 outputs of an endless
/// input, each in a fresh process (this program with `--rss-endless ..`),
/// so each peak is that batch's alone: over an endless input, memory
/// must not grow with how far the consumer reads.
fn endless_rss_rows() -> bool {
    println!(
        "endless input of children pending once, bounded(100), `.take(k)` on the output; peak RSS, each in a fresh process\n"
    );
    let exe = std::env::current_exe().expect("the path of this program");
    let peak = |end: End, source: Source, k: usize| -> u64 {
        let out = std::process::Command::new(&exe)
            .args(["--rss-endless", end.arg(), source.arg(), &k.to_string()])
            .output()
            .expect("run the measurement in a fresh process");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "measurement failed: {stdout}");
        stdout
            .split("peak RSS ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .expect("a peak RSS in KiB")
    };
    let mut all_met = true;
    for end in End::ALL {
        for source in Source::ALL {
            let (small, large) = (peak(end, source, 1_000), peak(end, source, 1_000_000));
            let way = format!("{}() over {}", end.arg(), source.name());
            println!("   {way:<48} first 10^3: {small:>6} KiB, first 10^6: {large:>6} KiB");
            let value = large as f64 / small as f64;
            let ok = (0.9..=1.1).contains(&value);
            all_met &= ok;
            let what = format!("peak RSS 10^6 / 10^3: {}, {}", end.arg(), source.arg());
            println!(
                "   ratio {what:<48} {value:>6.2}  (goal within 10%, flat: {})",
                goal(ok)
            );
        }
    }
    all_met
}

/// The slow-consumer scenario (see `slow_consumer.rs`): each way `runs`
/// times, in turn; the medians, and the goals of the `for_each` row.
fn slow_consumer_rows(runs: usize) -> bool {
    use slow_consumer::{WAYS, run};
    println!(
        "A consumer that awaits: 1,000 children of 1-20 ms, 20 at once, 100 ms each; 2 ms awaited per output"
    );
    println!("(median of {runs} runs; CPU time is the whole process's, every thread)");
    println!(
        "| way | wall | CPU | timed out | most outputs waiting |\n| --- | --- | --- | --- | --- |"
    );
    let mut results: Vec<Vec<slow_consumer::Run>> = WAYS.iter().map(|_| Vec::new()).collect();
    for _ in 0..runs {
        for (way, results) in WAYS.iter().zip(&mut results) {
            results.push(run(way, cpu_time));
        }
    }
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let mut rows = Vec::new();
    for (way, results) in WAYS.iter().zip(&results) {
        let wall = median(results.iter().map(|r| r.wall.as_secs_f64()).collect());
        let cpu = median(
            results
                .iter()
                .map(|r| r.cpu.map_or(f64::NAN, |cpu| cpu.as_secs_f64()))
                .collect(),
        );
        let timed_out = results.iter().map(|r| r.timed_out).max().unwrap_or(0);
        let waiting = results.iter().filter_map(|r| r.peak_waiting).max();
        println!(
            "| {way} | {wall:.2} s | {cpu:.3} s | {timed_out} (most in a run) | {} |",
            waiting.map_or("-".to_string(), |w| w.to_string())
        );
        rows.push((wall, cpu, timed_out, waiting));
    }
    let row = |name: &str| {
        rows[WAYS
            .iter()
            .position(|way| *way == name)
            .expect("a way of that name")]
    };
    let for_each = row("fanout for_each");
    let on_tokio = row("fanout for_each on tokio, tokio sleep in the body");
    let join_set = row("tokio JoinSet + Semaphore + timeout + loop");
    let goals = [
        ("for_each: no timeout", for_each.2 == 0),
        (
            "for_each: wall <= 1.05x the JoinSet idiom's",
            for_each.0 <= 1.05 * join_set.0,
        ),
        (
            "for_each: CPU below the JoinSet idiom's",
            for_each.1 < join_set.1,
        ),
        (
            "for_each: at most 20 outputs waiting",
            for_each.3.is_some_and(|w| w <= 20),
        ),
        (
            "for_each on tokio (the JoinSet idiom's runtime and consumer await): CPU below the JoinSet idiom's",
            on_tokio.1 < join_set.1,
        ),
    ];
    let mut all_met = true;
    for (goal, met) in goals {
        println!("{goal}: {}", if met { "met" } else { "NOT met" });
        all_met &= met;
    }
    all_met
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--slow-consumer") {
        let runs = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(3);
        slow_consumer_rows(runs);
        return;
    }
    if args.first().map(String::as_str) == Some("--slow-consumer-way") {
        // One way of the slow-consumer scenario, for a profiler.
        let way = args.get(1).map(String::as_str).unwrap_or("fanout for_each");
        let runs = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(1);
        for _ in 0..runs {
            let run = slow_consumer::run(way, cpu_time);
            println!(
                "{way}: wall {:?}, CPU {:?}, {} timed out",
                run.wall, run.cpu, run.timed_out
            );
        }
        return;
    }
    if args.first().map(String::as_str) == Some("--service") {
        let phase = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(4.0);
        let all_met = service::service_rows(Duration::from_secs_f64(phase));
        println!("\nall service goals met: {all_met}");
        return;
    }
    if args.first().map(String::as_str) == Some("--expiries") {
        let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(20_000);
        expiries(n);
        return;
    }
    if args.first().map(String::as_str) == Some("--rss-endless") {
        let parse = |i: usize| args.get(i).map(String::as_str);
        if args.len() == 1 {
            let all_met = endless_rss_rows();
            println!("\nall endless-input goals met: {all_met}");
            return;
        }
        let end = parse(1).and_then(End::from_arg);
        let source = parse(2).and_then(Source::from_arg);
        let (Some(end), Some(source)) = (end, source) else {
            eprintln!("usage: --rss-endless [<in_order|as_completed> <stream|iter> [<k>]]");
            std::process::exit(2);
        };
        let k = parse(3).and_then(|k| k.parse().ok()).unwrap_or(1_000_000);
        endless_rss(end, source, k);
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
    let Some((kinds, args)) = take_kinds(args) else {
        let names: Vec<&str> = Kind::ALL.iter().map(|kind| kind.arg()).collect();
        eprintln!("usage: --kinds <comma-separated: {}>", names.join(","));
        std::process::exit(2);
    };
    let n: u32 = args
        .first()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    println!("{n} children per run, median of {runs} runs, ns per child (lower is better)\n");
    let mut all_met = true;
    for kind in kinds {
        kind.prepare();
        if kind == Kind::Timer {
            all_met &= timer_rows(n / 10, runs);
            continue;
        }
        for bound in BOUNDS {
            println!("== children {}, bound {bound}", kind.name());
            if kind == Kind::Thread {
                println!("   (sequential await left out: one round trip to the reactor per child)");
            }
            let mut ns = HashMap::new();
            for way in kind.ways() {
                let per_child = per_child(way.name(), n, runs, || way.run(n, bound, kind)).wall;
                println!("   {:<48} {per_child:>8.1}", way.name());
                ns.insert(way, per_child);
            }
            all_met &= goal_checks(&ns);
            println!();
        }
    }
    println!("all ratio goals met: {all_met}");
}

/// `--kinds <names>` taken out of `args`: the kinds it names, comma
/// separated, or the default kinds without it; `None` for a name that is
/// no kind's.
fn take_kinds(mut args: Vec<String>) -> Option<(Vec<Kind>, Vec<String>)> {
    let Some(at) = args.iter().position(|arg| arg == "--kinds") else {
        return Some((DEFAULT_KINDS.to_vec(), args));
    };
    let names = args.get(at + 1)?.clone();
    args.drain(at..at + 2);
    let kinds = names
        .split(',')
        .map(Kind::from_arg)
        .collect::<Option<_>>()?;
    Some((kinds, args))
}

/// Prints the goals as ratios of the figures per way (`ns`, per child),
/// and returns whether all were met.
fn goal_checks(ns: &HashMap<Way, f64>) -> bool {
    let ratio = |a: Way, b: Way| ns[&a] / ns[&b];
    let checks = [
        (
            "deadline cost: with_deadline / plain gather",
            ratio(Way::FanoutGatherDeadline, Way::FanoutGather),
            "<= 1.1",
            ratio(Way::FanoutGatherDeadline, Way::FanoutGather) <= 1.1,
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
    let mut all_met = true;
    for (what, value, target, ok) in checks {
        all_met &= ok;
        println!(
            "   ratio {what:<48} {value:>6.2}  (goal {target}: {})",
            goal(ok)
        );
    }
    all_met
}

/// `n` children each waiting 1 to 10 ms on a real timer, `bounded(1000)`:
/// wall and CPU time per child, and CPU time per run, for every way and
/// for tokio's idiom on futures-timer (no goal: it tells the two timers'
/// costs apart). The goals are checked on CPU time; the timers set the
/// wall time. Returns whether all were met.
fn timer_rows(n: u32, runs: usize) -> bool {
    println!(
        "== children {}, bound {TIMER_BOUND}: {n} children, ns per child of wall and of CPU time (every thread), CPU ms per run; goals in CPU time",
        Kind::Timer.name()
    );
    println!("   (sequential await left out: 5.5 ms per child)");
    println!("   {:<48} {:>8} {:>8} {:>8}", "", "wall", "CPU", "CPU ms");
    let row = |name: &str, figures: PerChild| {
        println!(
            "   {name:<48} {:>8.1} {:>8.1} {:>8.1}",
            figures.wall,
            figures.cpu,
            figures.cpu * f64::from(n) / 1e6
        );
    };
    let mut cpu = HashMap::new();
    for way in Kind::Timer.ways() {
        let figures = per_child(way.name(), n, runs, || way.run(n, TIMER_BOUND, Kind::Timer));
        row(way.name(), figures);
        cpu.insert(way, figures.cpu);
    }
    let name = "tokio JoinSet + ..., on futures-timer (no goal)";
    row(
        name,
        per_child(name, n, runs, || {
            scenarios::tokio_join_set_on_futures_timer(n, TIMER_BOUND)
        }),
    );
    let all_met = goal_checks(&cpu);
    println!();
    all_met
}
