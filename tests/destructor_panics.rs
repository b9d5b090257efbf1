//! A child whose destructor panics: every sibling is still dropped exactly
//! once, every permit comes back, and the panic that matters reaches the
//! caller.

mod common;
use common::*;
use fanout::Limiter;
use fanout::prelude::*;
use futures::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// A child that panics with `message` when it is dropped, if it has one.
struct PanicsOnDrop<F> {
    future: Pin<Box<F>>,
    message: Option<&'static str>,
}

impl<F: Future> Future for PanicsOnDrop<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.future.as_mut().poll(cx)
    }
}

impl<F> Drop for PanicsOnDrop<F> {
    fn drop(&mut self) {
        if let Some(message) = self.message {
            panic!("{message}");
        }
    }
}

fn panics_on_drop<F>(message: Option<&'static str>, future: F) -> PanicsOnDrop<F> {
    PanicsOnDrop {
        future: Box::pin(future),
        message,
    }
}

/// Child 0 panics in `poll` after a moment, child 1 panics when dropped, the
/// rest never finish.
fn a_panic_and_a_panicking_destructor(
    tracker: Tracker,
) -> impl Iterator<Item = impl Future<Output = usize>> {
    (0..6).map(move |i| {
        let on_drop = (i == 1).then_some("destructor of child 1");
        tracker.track(
            i,
            panics_on_drop(on_drop, async move {
                if i == 0 {
                    sleep_ms(20).await;
                    panic!("child 0 failed");
                }
                futures::future::pending::<usize>().await
            }),
        )
    })
}

on_every_executor! {
    async fn a_destructor_panic_does_not_hide_the_child_panic_nor_leak_siblings() {
        let limiter = Limiter::new(4);
        let tracker = Tracker::new();
        let batch = a_panic_and_a_panicking_destructor(tracker.clone()).bounded_by(&limiter).gather();
        let caught = AssertUnwindSafe(batch).catch_unwind().await;
        let payload = caught.expect_err("the child's panic reaches the caller");
        assert_eq!(panic_message(&*payload), "child 0 failed");
        assert_eq!(tracker.alive(), 0, "every sibling dropped");
        assert_eq!(tracker.dropped(), tracker.created(), "each exactly once");
        assert_eq!(limiter.available(), 4, "every permit returned");
        // Nothing is poisoned: the same limiter runs the next batch.
        let out = (0..6).map(|i| async move { i }).bounded_by(&limiter).gather().await;
        assert_eq!(out, [0, 1, 2, 3, 4, 5]);
    }

    async fn dropping_a_batch_whose_child_panics_when_dropped_still_drops_the_rest() {
        let limiter = Limiter::new(4);
        let tracker = Tracker::new();
        let children = (0..6).map(|i| {
            let on_drop = (i == 1).then_some("destructor of child 1");
            tracker.track(i, panics_on_drop(on_drop, futures::future::pending::<()>()))
        });
        let mut batch = children.bounded_by(&limiter).gather();
        futures::select! {
            _ = batch => unreachable!(),
            _ = sleep_ms(20).fuse() => {}
        }
        assert_eq!(tracker.running(), 4);
        let dropped = std::panic::catch_unwind(AssertUnwindSafe(|| drop(batch)));
        let payload = dropped.expect_err("the destructor's panic reaches whoever dropped the batch");
        assert_eq!(panic_message(&*payload), "destructor of child 1");
        assert_eq!(tracker.alive(), 0, "every sibling dropped");
        assert_eq!(tracker.dropped(), tracker.created(), "each exactly once");
        assert_eq!(limiter.available(), 4, "every permit returned");
    }

    async fn a_destructor_panic_after_the_output_is_caught_like_any_panic() {
        // One permit: if the panicking destructor kept it, the siblings
        // could never be admitted.
        let children = (0..3).map(|i| {
            let on_drop = (i == 0).then_some("destructor of child 0");
            panics_on_drop(on_drop, async move { i })
        });
        let out = children.bounded(1).catch_panics().gather().await;
        assert_eq!(out[0].as_ref().unwrap_err().message(), Some("destructor of child 0"));
        assert_eq!(out[1].as_ref().ok(), Some(&1));
        assert_eq!(out[2].as_ref().ok(), Some(&2));
    }

    async fn a_destructor_panic_when_the_batch_deadline_cuts_drops_the_rest() {
        let tracker = Tracker::new();
        let children = (0..6).map(|i| {
            let on_drop = (i == 2).then_some("destructor of child 2");
            tracker.track(i, panics_on_drop(on_drop, futures::future::pending::<()>()))
        });
        // Under Miri, 20 ms pass before the first admission: the deadline
        // would stop the batch with no child to drop.
        let deadline = Duration::from_millis(if cfg!(miri) { 2_000 } else { 20 });
        let batch = children.bounded(4).within(deadline).gather();
        let caught = AssertUnwindSafe(batch).catch_unwind().await;
        let payload = caught.expect_err("the destructor's panic reaches the caller");
        assert_eq!(panic_message(&*payload), "destructor of child 2");
        assert_eq!(tracker.alive(), 0, "every sibling dropped");
        assert_eq!(tracker.dropped(), 4, "each exactly once, no input pulled after");
    }
}
