//! Bugs found by review in stream inputs, `until` and `in_order`, each
//! pinned on every executor:
//!
//! - a batch stopped by `until` (or whose input ended) stayed in a shared
//!   limiter's queue while it lived, and swallowed a permit freed for
//!   another batch;
//! - an unbounded `in_order` took every output that came early in one poll,
//!   so behind a stuck first child one `poll_next` never returned;
//! - after a panic, `in_order` yielded `None` yet still counted the outputs
//!   it had held in its size hint and said it was not terminated.

mod common;
use common::source::endless_behind_a_stuck_head;
use common::*;
use fanout::Limiter;
use fanout::prelude::*;
use futures::channel::oneshot;
use futures::future::FutureExt;
use futures::stream::{FusedStream, Stream, StreamExt};
use std::panic::AssertUnwindSafe;
use std::task::Poll;

on_every_executor! {
    async fn a_stopped_batch_leaves_the_limiter_queue_at_once() {
        let limiter = Limiter::new(1);
        // A hog holds the only permit until released.
        let (release, released) = oneshot::channel::<()>();
        let mut hog = [async move { released.await.unwrap() }].bounded_by(&limiter).as_completed();
        assert!(futures::poll!(hog.next()).is_pending());
        // Batch `stopped` queues for a permit, then its signal fires and its
        // input ends; it is kept, not dropped.
        let (fire, fired) = oneshot::channel::<()>();
        let mut stopped = (0..3).map(|i| async move { i }).bounded_by(&limiter).until(fired).as_completed();
        assert!(futures::poll!(stopped.next()).is_pending());
        // Batch `waiting` queues behind it.
        let mut waiting = [async { 7 }].bounded_by(&limiter).gather();
        assert!(futures::poll!(&mut waiting).is_pending());
        fire.send(()).unwrap();
        assert_eq!(stopped.next().await, None);
        // The hog's permit, once freed, goes to the batch still waiting.
        release.send(()).unwrap();
        assert_eq!(hog.next().await, Some((0, ())));
        assert_eq!(futures::poll!(&mut waiting), Poll::Ready(vec![7]));
        drop(stopped);
        assert_eq!(limiter.available(), 1);
    }

    async fn an_unbounded_in_order_behind_a_stuck_child_lets_the_executor_in() {
        let tracker = Tracker::new();
        // Child 0 never finishes; every later one is ready on its first
        // poll, and the input never ends.
        let source = endless_behind_a_stuck_head(&tracker);
        let mut in_order = source.in_order();
        assert!(futures::poll!(in_order.next()).is_pending(), "one poll came back");
        let after_one_poll = tracker.created();
        assert!(after_one_poll <= 2 * 256 + 2, "{after_one_poll} children created in one poll");
        assert!(futures::poll!(in_order.next()).is_pending());
        assert!(tracker.created() > after_one_poll, "the next poll goes on");
    }

    async fn in_order_ends_fused_and_empty_after_a_panic() {
        let children = (0..10).map(|i| async move {
            if i == 0 {
                // Still asleep when input 3 panics. Under Miri, whose clock
                // advances with each step of code it runs on any thread,
                // 50 ms pass while the panic is printed and unwound; awake
                // by then, this child's output and those up to input 3
                // would come first, in input order, and the panic after.
                sleep_ms(if cfg!(miri) { 5_000 } else { 50 }).await;
            }
            assert!(i != 3, "input 3 broke");
            i
        });
        let mut in_order = children.bounded(4).in_order();
        let caught = AssertUnwindSafe(in_order.next()).catch_unwind().await;
        assert!(caught.is_err(), "input 3's panic goes on");
        assert_eq!(in_order.next().await, None);
        assert_eq!(in_order.size_hint(), (0, Some(0)));
        assert!(in_order.is_terminated());
    }
}
