//! `fanout::deadline(budget, child)`: a deadline per input, counted from
//! the child's first poll (its admission), that never polls the child
//! without its own wake-up.

mod common;
use common::strict::Reactor;
use common::*;
use fanout::prelude::*;
use fanout::{Elapsed, deadline};
use futures::FutureExt;
use futures::future::FusedFuture;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Pending for good, and it registers no waker: any poll after its first
/// is one it never asked for, and fails the test.
struct NeverWoken {
    polls: usize,
}

impl Future for NeverWoken {
    type Output = u8;

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u8> {
        self.polls += 1;
        assert_eq!(self.polls, 1, "a child nobody woke was polled again");
        Poll::Pending
    }
}

/// Counts its drops.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

on_every_executor! {
    async fn each_input_keeps_its_own_deadline() {
        // Budgets and work per input: the second and the fourth run out.
        let jobs = [(300, 10), (20, 10_000), (10_000, 30), (5, 10_000)];
        let tracker = Tracker::new();
        let out = jobs
            .iter()
            .enumerate()
            .map(|(i, &(budget, work))| {
                deadline(ms(budget), tracker.track(i, async move {
                    sleep_ms(work).await;
                    work
                }))
            })
            .bounded(4)
            .gather()
            .await;
        assert_eq!(out, [Ok(10), Err(Elapsed::Child), Ok(30), Err(Elapsed::Child)]);
        assert_eq!(tracker.alive(), 0, "the timed-out children were dropped");
        assert_eq!(tracker.finished(), 2);
    }

    async fn the_clock_starts_at_the_first_poll_not_at_creation() {
        // Made together, run one at a time: the second waits 150 ms for its
        // slot, then needs 10 ms of its 80 ms. Counted from creation, it
        // would run out before it started.
        let children: Vec<_> = [150u64, 10]
            .into_iter()
            .map(|work| deadline(ms(80_u64.max(work + 70)), async move {
                sleep_ms(work).await;
                work
            }))
            .collect();
        let out = children.bounded(1).gather().await;
        assert_eq!(out, [Ok(150), Ok(10)]);
    }

    async fn the_deadlines_timer_never_polls_a_child_that_was_not_woken() {
        let out = (0..8)
            .map(|i| deadline(ms(10 + i * 5), NeverWoken { polls: 0 }))
            .bounded(4)
            .gather()
            .await;
        assert_eq!(out, vec![Err(Elapsed::Child); 8]);
    }

    async fn children_that_register_their_waker_once_finish_in_time() {
        let reactor = Reactor::new();
        let n: u32 = if cfg!(miri) { 50 } else { 2_000 };
        let out = (0..n)
            .map(|i| deadline(Duration::from_secs(30), reactor.child(i)))
            .bounded(64)
            .gather()
            .await;
        assert_eq!(out, (0..n).map(Ok).collect::<Vec<_>>());
    }

    async fn a_zero_budget_leaves_the_first_poll_and_nothing_more() {
        let out = [deadline(Duration::ZERO, yield_once(1).boxed()), deadline(Duration::ZERO, async { 2 }.boxed())]
            .gather()
            .await;
        assert_eq!(out, [Err(Elapsed::Child), Ok(2)]);
    }

    async fn a_budget_too_long_for_the_clock_never_passes() {
        let out = [deadline(Duration::MAX, yield_once(7))].gather().await;
        assert_eq!(out, [Ok(7)]);
    }

    async fn it_composes_with_the_batchs_own_deadline() {
        // The child's own deadline (20 ms) passes first: Ok(Err(Child));
        // the batch's (300 ms, per child) passes first: Err(Child).
        let out = [(20, 10_000), (10_000, 10_000)]
            .map(|(budget, work)| deadline(ms(budget), sleep_ms(work)))
            .with_deadline(ms(300))
            .gather()
            .await;
        assert_eq!(out, [Ok(Err(Elapsed::Child)), Err(Elapsed::Child)]);
    }
}

#[test]
fn a_timed_out_child_is_dropped_at_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let counter = DropCounter(drops.clone());
    let child = async move {
        let _counter = counter;
        futures::future::pending::<()>().await;
    };
    let started = Instant::now();
    let mut timed = Box::pin(deadline(ms(20), child));
    let out = futures::executor::block_on(timed.as_mut());
    assert_eq!(out, Err(Elapsed::Child));
    assert_eq!(
        drops.load(SeqCst),
        1,
        "dropped when it resolved, not with the wrapper"
    );
    assert!(timed.is_terminated());
    assert!(started.elapsed() >= ms(20));
}

#[test]
fn an_output_ready_with_the_deadline_wins() {
    // Ready at its first poll, with a zero budget: the output, not Elapsed.
    let out = futures::executor::block_on(deadline(Duration::ZERO, async { 5 }));
    assert_eq!(out, Ok(5));
}

#[test]
fn polling_it_after_it_resolved_panics_with_a_message() {
    let mut timed = Box::pin(deadline(ms(1), async { 1 }));
    assert_eq!(futures::executor::block_on(timed.as_mut()), Ok(1));
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let waker = futures::task::noop_waker();
        let _ = timed.as_mut().poll(&mut Context::from_waker(&waker));
    }))
    .expect_err("a second poll panics");
    assert_eq!(
        panic_message(&*again),
        "fanout: a `Deadline` was polled after it resolved"
    );
}

#[test]
fn its_debug_output_says_its_budget_and_whether_it_resolved() {
    let timed = deadline(ms(250), async { 1 });
    assert_eq!(
        format!("{timed:?}"),
        "Deadline { budget: 250ms, resolved: false, .. }"
    );
    assert!(!timed.is_terminated(), "not before it resolved");
}
