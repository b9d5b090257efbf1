//! The four programs of `first_hour`, written with futures-util and tokio
//! instead of fanout, against the same simulated service, printing the
//! same lines: a measure of what fanout saves, and of what it does not.
//!
//! Run it with `cargo run --example first_hour_without_fanout`. It runs on
//! tokio's multi-threaded runtime: `tokio::time::timeout` and `JoinSet`
//! need one.

#[path = "first_hour/service.rs"]
mod service;

use futures::channel::{mpsc, oneshot};
use futures::stream::{self, StreamExt, TryStreamExt};
use service::{DEADLINE, FetchError, Response, Writer, fetch};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{MissedTickBehavior, interval, timeout};

/// The service allows 20 requests in any 100 ms.
const RATE_WINDOW: Duration = Duration::from_millis(100);

/// What became of each request, by index.
#[derive(Default)]
struct Outcomes {
    ok: Vec<(u32, Response)>,
    failed: Vec<(u32, FetchError)>,
    timed_out: Vec<u32>,
}

/// 1. Every request runs, at most 20 at once, each for at most 200 ms
///    from its start; what became of each is sorted by index.
async fn fan_out(count: u32) -> Outcomes {
    let mut results = stream::iter(0..count)
        // The timeout is made when the request is first polled, that is,
        // when `buffer_unordered` takes it in: its clock starts then.
        .map(|id| async move { (id, timeout(DEADLINE, fetch(id)).await) })
        .buffer_unordered(20);
    let mut outcomes = Outcomes::default();
    while let Some((id, result)) = results.next().await {
        match result {
            Ok(Ok(response)) => outcomes.ok.push((id, response)),
            Ok(Err(error)) => outcomes.failed.push((id, error)),
            Err(_) => outcomes.timed_out.push(id),
        }
    }
    outcomes.ok.sort_by_key(|(id, _)| *id);
    outcomes.failed.sort_by_key(|(id, _)| *id);
    outcomes.timed_out.sort_unstable();
    outcomes
}

/// 1, continued. Every request runs to its end, none cut short by
/// another's failure; then `?` on each output, in input order.
async fn total_bytes(ids: &[u32]) -> Result<usize, FetchError> {
    let responses: Vec<_> = stream::iter(ids)
        .map(|&id| async move {
            let response = timeout(DEADLINE, fetch(id)).await;
            response.unwrap_or(Err(FetchError::TimedOut))
        })
        .buffered(20)
        .collect()
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
    let mut results = jobs
        .take_until(stop)
        .map(|id| async move {
            let response = timeout(DEADLINE, fetch(id)).await;
            response.unwrap_or(Err(FetchError::TimedOut))
        })
        .buffered(4);
    // While a write awaits, nothing polls `results`: the requests wait too,
    // and their timeouts run on. Writes here are short enough.
    while let Some(result) = results.next().await {
        writer.write(result).await;
    }
}

type Results = Vec<Result<Response, FetchError>>;

/// 3. Two batches that hold at most 5 requests in flight between them,
///    run concurrently.
async fn shared_cap(images: Range<u32>, pages: Range<u32>) -> (Results, Results) {
    let cap = Arc::new(Semaphore::new(5));
    tokio::join!(capped(images, cap.clone()), capped(pages, cap))
}

/// 3, continued: one batch under the shared cap. The service's rate is 20
/// in any 100 ms; each batch gets half, as one start every 11 ms: a tick
/// (and the spawned task after it) comes up to a millisecond or two late,
/// never early, so eleven starts 10 ms apart can fall within 100 ms.
async fn capped(ids: Range<u32>, cap: Arc<Semaphore>) -> Results {
    let mut ticks = interval(RATE_WINDOW / 10 + Duration::from_millis(1));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut requests = JoinSet::new();
    for id in ids {
        let permit = cap.clone().acquire_owned().await.unwrap();
        ticks.tick().await;
        requests.spawn(async move {
            let _permit = permit;
            (id, fetch(id).await)
        });
    }
    let mut results = requests.join_all().await;
    results.sort_by_key(|(id, _)| *id);
    results.into_iter().map(|(_, result)| result).collect()
}

/// 4. Every response in input order, or the first error to happen: the
///    requests still running are dropped, and no more are started.
async fn fail_fast(ids: Range<u32>) -> Result<Vec<Response>, FetchError> {
    // `buffered` would keep input order but report an error only once
    // every earlier request is done: `buffer_unordered` and the index make
    // the first error to happen end it.
    let mut responses: Vec<_> = stream::iter(ids)
        .map(|id| async move {
            let response = timeout(DEADLINE, fetch(id)).await;
            Ok((id, response.map_err(|_| FetchError::TimedOut)??))
        })
        .buffer_unordered(8)
        .try_collect()
        .await?;
    responses.sort_by_key(|(id, _)| *id);
    Ok(responses
        .into_iter()
        .map(|(_, response)| response)
        .collect())
}

async fn program_1() {
    service::reset_gauges();
    let outcomes = fan_out(200).await;
    let failed: Vec<u32> = outcomes.failed.iter().map(|(id, _)| *id).collect();
    let timed_out = &outcomes.timed_out;
    let summary = format!(
        "{} ok, {} failed, {} timed out",
        outcomes.ok.len(),
        failed.len(),
        timed_out.len()
    );
    println!("1. fan-out: {summary}");
    println!("   failed {failed:?}, timed out {timed_out:?}");
    assert_eq!(summary, "187 ok, 8 failed, 5 timed out");
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
    tokio::join!(
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

#[tokio::main]
async fn main() {
    program_1().await;
    program_2().await;
    program_3().await;
    program_4().await;
}
