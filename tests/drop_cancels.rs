//! Dropping a batch drops every live child and pulls no more input.

mod common;
use common::*;
use fanout::prelude::*;
use futures::FutureExt;
use std::time::Duration;

/// Input `i` is ready at once when `i < ready`, and never finishes otherwise.
fn children(
    tracker: &Tracker,
    ready: usize,
) -> impl Iterator<Item = impl Future<Output = usize>> + '_ {
    (0..100).map(move |i| {
        tracker.track(i, async move {
            if i >= ready {
                futures::future::pending::<()>().await;
            }
            i
        })
    })
}

use std::future::Future;

on_every_executor! {
    async fn dropping_a_half_done_gather_drops_every_live_child() {
        let tracker = Tracker::new();
        let mut batch = children(&tracker, 3).bounded(5).gather();
        // Let it run until it can make no more progress.
        futures::select! {
            _ = batch => unreachable!("the batch never finishes"),
            _ = sleep_ms(50).fuse() => {}
        }
        // Three finished, five in flight: eight pulled from the input.
        assert_eq!(tracker.created(), 8);
        assert_eq!(tracker.alive(), 5);
        drop(batch);
        assert_eq!(tracker.alive(), 0);
        assert_eq!(tracker.dropped(), 8);
        assert_eq!(tracker.created(), 8, "no input is pulled after the drop");
    }

    async fn dropping_a_batch_with_deadlines_drops_every_live_child() {
        let tracker = Tracker::new();
        let mut batch = children(&tracker, 0).with_deadline(Duration::from_secs(60)).bounded(4).gather();
        futures::select! {
            _ = batch => unreachable!("the deadline is far away"),
            _ = sleep_ms(50).fuse() => {}
        }
        assert_eq!(tracker.created(), 4);
        drop(batch);
        assert_eq!(tracker.alive(), 0);
        assert_eq!(tracker.created(), 4);
    }

    async fn dropping_an_unpolled_batch_creates_nothing() {
        let tracker = Tracker::new();
        let batch = children(&tracker, 100).bounded(5).gather();
        drop(batch);
        assert_eq!(tracker.created(), 0);
    }
}
