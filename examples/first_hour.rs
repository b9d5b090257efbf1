//! A first hour with fanout: four programs an async Rust developer writes
//! early on, each against a small simulated service (no network; see
//! `first_hour/service.rs`):
//!
//! 1. 200 requests, at most 20 at once, 200 ms each, and a report of what
//!    became of them;
//! 2. a pipeline from a channel, its results written in input order, with
//!    a graceful stop;
//! 3. two batches under one cap on requests in flight, and a rate;
//! 4. fail fast: every response, or the first error.
//!
//! Run it with `cargo run --example first_hour`. It needs no runtime: it
//! runs on `futures::executor::block_on`. `first_hour_without_fanout`
//! writes the same four programs with futures-util and tokio and prints
//! the same lines.

#[path = "first_hour/service.rs"]
mod service;

use fanout::prelude::*;
use fanout::{Elapsed, Limiter, Report};
use futures::StreamExt;
use futures::channel::{mpsc, oneshot};
use service::{DEADLINE, FetchError, Response, Writer, fetch};
use std::ops::Range;
use std::time::Duration;

/// The service allows 20 requests in any 100 ms.
const RATE_WINDOW: Duration = Duration::from_millis(100);

// A missed deadline comes back as the service's own error, so that `?`,
// `try_gather` and `flatten_errors` hand out one error type.
impl From<Elapsed> for FetchError {
    fn from(_: Elapsed) -> Self {
        FetchError::TimedOut
    }
}

/// 1. Every request runs, at most 20 at once, each for at most 200 ms
///    from its start; the report sorts what became of each by index.
async fn fan_out(count: u32) -> Report<Response, FetchError> {
    (0..count)
        .map(fetch)
        .bounded(20)
        .with_deadline(DEADLINE)
        .report()
        .await
}

/// 1, continued. Every request runs to its end, none cut short by
/// another's failure; then `?` on each output, in input order.
async fn total_bytes(ids: &[u32]) -> Result<usize, FetchError> {
    let responses = ids
        .iter()
        .map(|&id| fetch(id))
        .bounded(20)
        .with_deadline(DEADLINE)
        .flatten_errors()
        .gather()
        .await;
    let mut total = 0;
    for response in responses {
        total += response?.body.len();
    }
    Ok(total)
}

/// 2. Fetches each id the channel brings, at most 4 at once, and writes
///    each result in input order as soon as it and every earlier one are
///    done. Once `stop` fires nothing more is taken from the channel; the
///    requests running then finish and are written.
async fn pipeline(jobs: mpsc::Receiver<u32>, stop: oneshot::Receiver<()>, writer: &mut Writer) {
    jobs.map(fetch)
        .bounded(4)
        .with_deadline(DEADLINE)
        .flatten_errors()
        .until(stop)
        .in_order()
        // Not `StreamExt::for_each`: this one keeps the requests running
        // while a write awaits.
        .for_each(|result| writer.write(result))
        .await;
}

type Results = Vec<Result<Response, FetchError>>;

/// 3. Two batches that hold at most 5 requests in flight between them,
///    run concurrently.
async fn shared_cap(images: Range<u32>, pages: Range<u32>) -> (Results, Results) {
    let cap = Limiter::new(5);
    // The service's rate is 20 in any 100 ms. A rate shared by several
    // batches, as `Limiter` shares a cap, does not exist yet: each batch
    // gets half.
    let batch = |ids: Range<u32>| ids.map(fetch).bounded_by(&cap).rate(10, RATE_WINDOW);
    futures::join!(batch(images).gather(), batch(pages).gather())
}

/// 4. Every response in input order, or the first error to happen: the
///    requests still running are dropped, and no more are started.
async fn fail_fast(ids: Range<u32>) -> Result<Vec<Response>, FetchError> {
    ids.map(fetch)
        .bounded(8)
        .with_deadline(DEADLINE)
        .try_gather()
        .await
}

async fn program_1() {
    service::reset_gauges();
    let report = fan_out(200).await;
    let failed: Vec<u32> = report.failed.iter().map(|(i, _)| *i as u32).collect();
    let timed_out: Vec<u32> = report.timed_out.iter().map(|(i, _)| *i as u32).collect();
    println!("1. fan-out: {report}");
    println!("   failed {failed:?}, timed out {timed_out:?}");
    assert_eq!(report.to_string(), "187 ok, 8 failed, 5 timed out");
    assert!(failed.iter().all(|&id| service::fails(id)));
    assert!(timed_out.iter().all(|&id| service::hangs(id)));
    assert!(service::most_in_flight() <= 20);

    let all_fine = total_bytes(&[1, 2, 3]).await;
    let one_hangs = total_bytes(&[1, 13, 7]).await;
    println!("   `?` on each output: {all_fine:?}, then {one_hangs:?}");
    assert_eq!(all_fine, Ok(27));
    assert_eq!(one_hangs, Err(FetchError::TimedOut));
}

async fn program_2() {
    service::reset_gauges();
    let (jobs, queue) = mpsc::channel(16);
    let (stop, stopped) = oneshot::channel();
    let mut writer = Writer::new(20, stop);
    futures::join!(
        service::produce(jobs, 999),
        pipeline(queue, stopped, &mut writer)
    );
    let written = writer.written.len();
    let (failed, timed_out) = writer.failures();
    println!(
        "2. pipeline: stop asked after 20 writes; {written} written in input order ({failed} failed, {timed_out} timed out), then it ended"
    );
    assert!(writer.in_input_order());
    assert!((20..100).contains(&written), "{written} written");
    assert_eq!(
        service::started(),
        written,
        "a request started after the stop"
    );
}

async fn program_3() {
    service::reset_gauges();
    let (images, pages) = shared_cap(0..30, 100..130).await;
    let ok = images.iter().chain(&pages).filter(|r| r.is_ok()).count();
    let most_in_flight = service::most_in_flight();
    let most_starts = service::most_starts_within(RATE_WINDOW);
    println!(
        "3. shared cap: {} requests in two batches, {ok} ok; at most 5 in flight, at most 20 starts in any 100 ms",
        images.len() + pages.len()
    );
    assert_eq!((images.len(), pages.len(), ok), (30, 30, 58));
    assert!(most_in_flight <= 5, "{most_in_flight} in flight");
    assert!(most_starts <= 20, "{most_starts} starts in 100 ms");
}

async fn program_4() {
    service::reset_gauges();
    let fine = fail_fast(0..7).await;
    assert_eq!(fine.as_ref().map(Vec::len), Ok(7));

    service::reset_gauges();
    let failed = fail_fast(0..50).await;
    let started = service::started();
    println!(
        "4. fail fast: 0..7 gave {} responses; 0..50 stopped at {}, {started} of 50 started, none left running",
        fine.map_or(0, |responses| responses.len()),
        failed
            .as_ref()
            .map_or_else(ToString::to_string, |_| "nothing".into())
    );
    assert_eq!(failed.err(), Some(FetchError::Status { id: 7, code: 500 }));
    assert!(started < 50);
    assert_eq!(service::in_flight(), 0);
}

fn main() {
    futures::executor::block_on(async {
        program_1().await;
        program_2().await;
        program_3().await;
        program_4().await;
    });
}
