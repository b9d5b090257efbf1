//! `try_gather`: every success in input order, or the first failure in
//! time, with every sibling dropped before the error is handed out.

mod common;
use common::*;
use fanout::Elapsed;
use fanout::prelude::*;
use std::future::Future;
use std::time::{Duration, Instant};

/// Input `i` waits `ms[i]` and then fails if `fail[i]`.
fn calls<'a>(
    tracker: &'a Tracker,
    plan: &'a [(u64, bool)],
) -> impl Iterator<Item = impl Future<Output = Result<usize, String>>> + 'a {
    plan.iter().enumerate().map(move |(i, &(ms, fail))| {
        tracker.track(i, async move {
            sleep_ms(ms).await;
            if fail {
                Err(format!("input {i} failed"))
            } else {
                Ok(i)
            }
        })
    })
}

#[derive(Debug, PartialEq)]
enum FetchError {
    TimedOut(Elapsed),
    Refused(&'static str),
}

impl From<Elapsed> for FetchError {
    fn from(elapsed: Elapsed) -> Self {
        FetchError::TimedOut(elapsed)
    }
}

on_every_executor! {
    async fn all_successes_come_back_in_input_order() {
        let tracker = Tracker::new();
        let plan = [(40, false), (10, false), (30, false), (0, false)];
        let out = calls(&tracker, &plan).bounded(2).try_gather().await;
        assert_eq!(out, Ok(vec![0, 1, 2, 3]));
    }

    async fn the_first_failure_drops_the_siblings_and_pulls_no_more_input() {
        let tracker = Tracker::new();
        let mut plan = vec![(10_000, false); 100];
        plan[3] = (20, true);
        let started = Instant::now();
        let mut batch = std::pin::pin!(calls(&tracker, &plan).bounded(5).try_gather());
        let out = std::future::poll_fn(|cx| batch.as_mut().poll(cx)).await;
        assert_eq!(out, Err("input 3 failed".to_string()));
        // Dropped before the error was handed out, while the future lives.
        assert_eq!(tracker.alive(), 0);
        // The failure stops admission: input 3's slot was not refilled, so
        // exactly the first five inputs were ever created.
        assert_eq!(tracker.created(), 5);
        assert!(started.elapsed() < at_most_ms(3_000), "did not wait for the siblings");
    }

    async fn the_error_returned_is_the_first_in_time_not_in_input_order() {
        let tracker = Tracker::new();
        let plan = [(10_000, false), (300, true), (10_000, false), (10_000, false), (20, true)];
        let out = calls(&tracker, &plan).try_gather().await;
        assert_eq!(out, Err("input 4 failed".to_string()));
        assert_eq!(tracker.alive(), 0);
    }

    async fn a_missed_deadline_fails_the_batch_through_from_elapsed() {
        async fn fetch(i: u64) -> Result<u64, FetchError> {
            sleep_ms(if i == 2 { 10_000 } else { 10 }).await;
            Ok(i)
        }
        async fn fetch_all() -> Result<Vec<u64>, FetchError> {
            let pages = (0..4).map(fetch).bounded(2).with_deadline(Duration::from_millis(100)).try_gather().await?;
            Ok(pages)
        }
        assert_eq!(fetch_all().await, Err(FetchError::TimedOut(Elapsed::Child)));

        // The child's own errors come back unchanged.
        let refused = [async { Err::<u8, _>(FetchError::Refused("no")) }]
            .with_deadline(Duration::from_secs(5))
            .try_gather()
            .await;
        assert_eq!(refused, Err(FetchError::Refused("no")));
    }

    async fn a_batch_deadline_fails_try_gather_too() {
        let out = (0..3u64)
            .map(|i| async move {
                sleep_ms(if i == 0 { 5 } else { 10_000 }).await;
                Ok::<_, FetchError>(i)
            })
            .within(Duration::from_millis(50))
            .try_gather()
            .await;
        assert_eq!(out, Err(FetchError::TimedOut(Elapsed::Batch)));
    }

    async fn an_empty_input_succeeds_at_once() {
        let none: Vec<std::future::Ready<Result<u8, String>>> = Vec::new();
        assert_eq!(none.try_gather().await, Ok(vec![]));
    }
}

#[test]
fn a_failure_on_a_first_poll_is_not_overtaken_by_one_found_after_it() {
    let _watchdog = common::watchdog::Watchdog::start();
    // Input 2 fails on its first poll, in the refill after input 0's
    // success, while input 1's failure is ready but not yet polled: input 2
    // failed first, so its error is the one handed out.
    use futures::channel::oneshot;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    type Child = Pin<Box<dyn Future<Output = Result<u32, &'static str>> + Send>>;
    let (succeed, succeeded) = oneshot::channel::<()>();
    let (fail_later, failed_later) = oneshot::channel::<()>();
    let children: Vec<Child> = vec![
        Box::pin(async move {
            succeeded.await.unwrap();
            Ok(0)
        }),
        Box::pin(async move {
            failed_later.await.unwrap();
            Err("found after it")
        }),
        Box::pin(async { Err("first in time") }),
    ];
    let mut batch = std::pin::pin!(children.bounded(2).try_gather());
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    assert!(batch.as_mut().poll(&mut cx).is_pending());
    succeed.send(()).unwrap();
    fail_later.send(()).unwrap();
    assert_eq!(
        batch.as_mut().poll(&mut cx),
        Poll::Ready(Err("first in time"))
    );
}
