//! No starvation: a child that is always ready again cannot starve its
//! siblings or the executor, and the cost per child stays flat with 100,000
//! children under a contended limiter on tokio.

mod common;
use common::*;
use fanout::prelude::*;
use fanout::{Elapsed, Limiter};
use futures_test::task::new_count_waker;
use std::future::Future;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Wakes itself on every poll and never finishes.
fn always_ready_again() -> impl Future<Output = u64> {
    std::future::poll_fn(|cx| {
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

on_every_executor! {
    async fn a_child_that_is_always_ready_again_does_not_starve_its_siblings() {
        let started = Instant::now();
        let busy = Box::pin(always_ready_again()) as std::pin::Pin<Box<dyn Future<Output = u64> + Send>>;
        let mut children = vec![busy];
        for ms in [10, 20, 30, 40] {
            children.push(Box::pin(async move {
                sleep_ms(ms).await;
                ms
            }));
        }
        let out = children.with_deadline(Duration::from_millis(300)).gather().await;
        assert_eq!(out, [Err(Elapsed::Child), Ok(10), Ok(20), Ok(30), Ok(40)]);
        assert!(started.elapsed() < at_most_ms(3_000), "took {:?}", started.elapsed());
    }
}

#[test]
fn one_poll_of_the_batch_polls_each_child_at_most_once() {
    let _watchdog = common::watchdog::Watchdog::start();
    // The batch's version of futures-rs's `polled_only_once_at_most_per_iteration`.
    let (waker, wakes) = new_count_waker();
    let mut cx = Context::from_waker(&waker);
    let tracker = Tracker::new();
    let children = (0..10).map(|i| tracker.track(i, always_ready_again()));
    let mut batch = std::pin::pin!(children.gather());
    for round in 1..=20 {
        let polls_before = tracker.polls();
        assert!(batch.as_mut().poll(&mut cx).is_pending());
        let polls = tracker.polls() - polls_before;
        assert!(
            polls <= 10,
            "round {round}: {polls} child polls in one poll of the batch"
        );
        assert!(polls >= 1, "round {round}: no progress");
        assert!(
            wakes.get() >= round,
            "round {round}: pending without a wake-up"
        );
    }
}

#[test]
#[cfg_attr(miri, ignore)] // tokio's runtime; the block_on tests cover the same code under Miri
fn a_hundred_thousand_children_under_a_contended_limiter_cost_two_polls_each_on_tokio() {
    let _watchdog = common::watchdog::Watchdog::start();
    let n = 50_000;
    let tracker = Tracker::new();
    let limiter = Limiter::new(64);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (a, b) = runtime.block_on(async {
        let first = (0..n)
            .map(|i| tracker.track(i, yield_once(i)))
            .bounded_by(&limiter)
            .gather();
        let second = (n..2 * n)
            .map(|i| tracker.track(i, yield_once(i)))
            .bounded_by(&limiter)
            .gather();
        futures::join!(first, second)
    });
    assert_eq!(a.len() + b.len(), 2 * n);
    // Linear: every child is polled exactly twice (pending once, then
    // ready), never re-polled because of its siblings.
    assert_eq!(tracker.polls(), 2 * 2 * n);
    assert_eq!(tracker.peak_running(), 64);
    assert_eq!(limiter.available(), 64);
}
