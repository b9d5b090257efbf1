//! Regression: panics met while a batch refilled a slot, after it had
//! already chosen the output to hand on, were lost or lost that output.
//!
//! - A child panicking on its first poll during the refill was held; a
//!   consumer that stopped after one item and dropped the stream never saw
//!   the panic.
//! - A panic in the input iterator during the refill unwound over the
//!   chosen output.
//! - Under an own bound, polling again after an input panic hung: the
//!   permit taken for the missing input was never returned.
//!
//! Now such a panic ends the batch at once (every child dropped) and is
//! resumed at the next poll, or when the batch is dropped, after the chosen
//! output has been handed on. After a panic a batch yields nothing more.

mod common;
use common::*;
use fanout::prelude::*;
use futures::{FutureExt, StreamExt};
use std::panic::{AssertUnwindSafe, catch_unwind};

on_every_executor! {
    async fn a_child_panicking_during_the_refill_is_not_lost_when_the_stream_is_dropped() {
        let tracker = Tracker::new();
        let children = (0..5).map(|i| {
            tracker.track(i, async move {
                assert!(i != 1, "child {i} panicked on its first poll");
                i
            })
        });
        let mut stream = children.bounded(1).as_completed();
        // Child 0 finishes; refilling its slot starts child 1, which panics.
        assert_eq!(stream.next().await, Some((0, 0)));
        let dropped = catch_unwind(AssertUnwindSafe(move || drop(stream)));
        let payload = dropped.expect_err("the panic goes on when the stream is dropped");
        assert_eq!(panic_message(&*payload), "child 1 panicked on its first poll");
        assert_eq!(tracker.alive(), 0);
    }

    async fn a_child_panicking_during_the_refill_panics_at_the_next_poll() {
        let tracker = Tracker::new();
        let children = (0..5).map(|i| {
            tracker.track(i, async move {
                if i == 0 {
                    yield_once(()).await;
                }
                assert!(i != 2, "child {i} panicked");
                i
            })
        });
        let mut stream = children.bounded(2).as_completed();
        // Child 0 waits, child 1 finishes at once; refilling its slot
        // starts child 2, which panics.
        assert_eq!(stream.next().await, Some((1, 1)));
        let next = AssertUnwindSafe(stream.next()).catch_unwind().await;
        assert_eq!(panic_message(&*next.expect_err("the panic")), "child 2 panicked");
        assert_eq!(tracker.alive(), 0, "every sibling dropped before the panic went on");
        // The batch has ended: it yields nothing more, and does not hang.
        assert_eq!(stream.next().now_or_never(), Some(None));
        assert!(futures::stream::FusedStream::is_terminated(&stream));
    }

    async fn an_input_panic_during_the_refill_keeps_the_chosen_output() {
        let tracker = Tracker::new();
        let inputs = (0..5).map(|i| {
            assert!(i != 1, "input {i} could not be built");
            tracker.track(i, async move { i })
        });
        let mut stream = inputs.bounded(1).as_completed();
        assert_eq!(stream.next().await, Some((0, 0)), "the output chosen before the panic");
        let next = AssertUnwindSafe(stream.next()).catch_unwind().await;
        assert_eq!(panic_message(&*next.expect_err("the panic")), "input 1 could not be built");
        assert_eq!(stream.next().now_or_never(), Some(None));
        assert_eq!(tracker.alive(), 0);
    }

    async fn polling_again_after_an_input_panic_under_an_own_bound_does_not_hang() {
        let tracker = Tracker::new();
        let inputs = (0..10).map(|i| {
            assert!(i != 2, "input {i} could not be built");
            tracker.track(i, futures::future::pending::<usize>())
        });
        let mut stream = inputs.bounded(3).as_completed();
        let first = AssertUnwindSafe(stream.next()).catch_unwind().await;
        assert_eq!(panic_message(&*first.expect_err("the panic")), "input 2 could not be built");
        assert_eq!(tracker.alive(), 0, "the two admitted children were dropped first");
        assert_eq!(stream.next().now_or_never(), Some(None), "ended, not hung");
    }

    async fn gather_polled_again_after_a_panic_says_so() {
        let children = (0..4).map(|i| async move {
            assert!(i != 3, "child {i} panicked");
            i
        });
        let mut gather = Box::pin(children.bounded(2).gather());
        let first = AssertUnwindSafe(gather.as_mut()).catch_unwind().await;
        assert_eq!(panic_message(&*first.expect_err("the child's panic")), "child 3 panicked");
        let again = AssertUnwindSafe(gather.as_mut()).catch_unwind().await;
        let message = panic_message(&*again.expect_err("refused")).to_owned();
        assert!(message.contains("`Gather` polled again after a panic"), "{message}");
    }

    async fn an_on_each_panic_drops_every_child_before_it_goes_on() {
        let tracker = Tracker::new();
        let children = (0..10).map(|i| {
            tracker.track(i, async move {
                if i > 0 {
                    futures::future::pending::<()>().await;
                }
                i
            })
        });
        let batch = children.bounded(4).on_each(|_, _| panic!("the hook gave up")).gather();
        let caught = AssertUnwindSafe(batch).catch_unwind().await;
        assert_eq!(panic_message(&*caught.expect_err("the hook's panic")), "the hook gave up");
        assert_eq!(tracker.alive(), 0);
    }
}
