//! `as_completed`: outputs in completion order with their input index,
//! lazily admitted; and the documented trap of a consumer that awaits
//! something else between items.

mod common;
use common::*;
use fanout::Elapsed;
use fanout::prelude::*;
use futures::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

/// Five steps of 20 ms each: 100 ms of work, but only if polled in between.
async fn five_steps(steps_done: Arc<AtomicUsize>) -> &'static str {
    for _ in 0..5 {
        sleep_ms(20).await;
        steps_done.fetch_add(1, SeqCst);
    }
    "stepped"
}

on_every_executor! {
    async fn yields_in_completion_order_with_input_indices() {
        let waits = [300u64, 10, 150, 60].map(|ms| async move {
            sleep_ms(ms).await;
            ms
        });
        let order: Vec<(usize, u64)> = waits.as_completed().collect().await;
        assert_eq!(order, [(1, 10), (3, 60), (2, 150), (0, 300)]);
    }

    async fn bounded_as_completed_stays_lazy() {
        let tracker = Tracker::new();
        let children = (0..1_000).map(|i| tracker.track(i, sleep_ms(1)));
        let mut done = children.bounded(3).as_completed();
        let mut first = Vec::new();
        for _ in 0..5 {
            first.push(done.next().await.expect("more outputs").0);
        }
        assert!(tracker.created() <= 5 + 3, "created {}", tracker.created());
        assert_eq!(tracker.peak_running(), 3);
        drop(done);
        assert_eq!(tracker.alive(), 0);
        first.sort();
        assert_eq!(first, [0, 1, 2, 3, 4][..first.len()]);
    }

    async fn a_busy_consumer_starves_the_children_and_their_deadlines_still_run() {
        // As documented on `as_completed`: between items nothing is polled.
        let steps_done = Arc::new(AtomicUsize::new(0));
        let children: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = &str> + Send>>> =
            vec![Box::pin(async { "quick" }), Box::pin(five_steps(steps_done.clone()))];
        let mut done = children.with_deadline(Duration::from_millis(300)).as_completed();
        assert_eq!(done.next().await, Some((0, Ok("quick"))));
        // The loop body awaits something else for longer than the deadline.
        sleep_ms(600).await;
        let steps_before = steps_done.load(SeqCst);
        assert_eq!(done.next().await, Some((1, Err(Elapsed::Child))));
        assert!(steps_before <= 1, "the child progressed while the consumer was away");
        assert!(steps_done.load(SeqCst) < 5);

        // The same child under `gather` finishes well within its deadline.
        let steps_done = Arc::new(AtomicUsize::new(0));
        let out = [five_steps(steps_done.clone())].with_deadline(Duration::from_millis(300)).gather().await;
        assert_eq!(out, [Ok("stepped")]);
        assert_eq!(steps_done.load(SeqCst), 5);
    }
}
