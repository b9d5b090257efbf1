//! A panicking child's panic reaches the caller, and its siblings are
//! dropped exactly once.

mod common;
use common::*;
use fanout::prelude::*;
use futures::FutureExt;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

fn message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("<not a string>")
}

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
        assert_eq!(message(&*payload), "child 2 failed");
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
        assert_eq!(message(&*caught.unwrap_err()), "boom");
        assert_eq!(tracker.alive(), 0);
        assert_eq!(tracker.dropped(), 3);
    }
}
