//! A panicking child's panic reaches the caller, and its siblings are
//! dropped exactly once.

mod common;
use common::*;
use fanout::Limiter;
use fanout::prelude::*;
use futures::FutureExt;
use futures::StreamExt;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

on_every_executor! {
    async fn a_panicking_child_propagates_and_its_siblings_are_dropped() {
        let tracker = Tracker::new();
        let children = (0..50).map(|i| {
            tracker.track(i, async move {
                sleep_ms(if i == 2 { 20 } else { 10_000 }).await;
                assert!(i != 2, "child {i} failed");
                i
            })
        });
        let batch = children.bounded(4).gather();
        let caught = AssertUnwindSafe(batch).catch_unwind().await;
        let payload = caught.expect_err("the child's panic reaches the caller");
        assert_eq!(panic_message(&*payload), "child 2 failed");
        assert_eq!(tracker.created(), 4, "no input pulled after the panic");
        assert_eq!(tracker.dropped(), 4, "every child dropped exactly once");
    }

    async fn a_panic_under_deadlines_drops_the_siblings_too() {
        let tracker = Tracker::new();
        let children = (0..3).map(|i| {
            tracker.track(i, async move {
                sleep_ms(if i == 1 { 10 } else { 10_000 }).await;
                if i == 1 {
                    panic!("boom");
                }
                i
            })
        });
        let batch = children.with_deadline(Duration::from_secs(30)).gather();
        let caught = AssertUnwindSafe(batch).catch_unwind().await;
        assert_eq!(panic_message(&*caught.unwrap_err()), "boom");
        assert_eq!(tracker.alive(), 0);
        assert_eq!(tracker.dropped(), 3);
    }

    async fn a_panic_under_every_terminal_drops_siblings_once_and_returns_permits() {
        let limiter = Limiter::new(3);
        let children = |tracker: &Tracker| {
            let tracker = tracker.clone();
            (0..30).map(move |i| {
                tracker.track(i, async move {
                    sleep_ms(if i == 4 { 15 } else if i < 4 { 5 } else { 10_000 }).await;
                    assert!(i != 4, "child {i} panicked");
                    Ok::<usize, String>(i)
                })
            })
        };
        for terminal in ["gather", "try_gather", "as_completed"] {
            let tracker = Tracker::new();
            let batch = children(&tracker).bounded_by(&limiter);
            let caught = match terminal {
                "gather" => AssertUnwindSafe(batch.gather().map(drop)).catch_unwind().await,
                "try_gather" => AssertUnwindSafe(batch.try_gather().map(drop)).catch_unwind().await,
                _ => AssertUnwindSafe(batch.as_completed().collect::<Vec<_>>().map(drop)).catch_unwind().await,
            };
            let payload = caught.expect_err("the panic reaches the caller");
            assert_eq!(panic_message(&*payload), "child 4 panicked", "{terminal}");
            assert_eq!(tracker.alive(), 0, "{terminal}: siblings dropped");
            assert_eq!(tracker.dropped(), tracker.created(), "{terminal}: dropped exactly once");
            assert_eq!(limiter.available(), 3, "{terminal}: permits returned");
        }
        // Nothing is poisoned: the same limiter runs the next batch.
        let out = (0..10).map(|i| async move { i }).bounded_by(&limiter).gather().await;
        assert_eq!(out, (0..10).collect::<Vec<_>>());
    }
}
