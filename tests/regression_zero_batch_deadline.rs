//! Regression: `within(Duration::ZERO)` created and polled every input,
//! where `within(1 ns)` created as many as the bound allows. Each child cut
//! on its first poll freed its slot for the next, so the cut-off (which
//! stops pulling input) was never reached, and over an endless input the
//! batch never ended. Now a zero batch deadline admits what the limit
//! allows in the first pass, gives each its first poll, and cuts.

mod common;
use common::*;
use fanout::Elapsed;
use fanout::prelude::*;
use std::time::Duration;

on_every_executor! {
    async fn a_zero_batch_deadline_creates_only_what_the_bound_admits() {
        let tracker = Tracker::new();
        let out = (0..1_000)
            .map(|i| tracker.track(i, futures::future::pending::<()>()))
            .bounded(2)
            .within(Duration::ZERO)
            .gather()
            .await;
        assert_eq!(out, vec![Err(Elapsed::Batch); 1_000], "every input reports the cut");
        assert_eq!(tracker.created(), 2, "only the first pass's inputs were created");
        assert_eq!(tracker.polls(), 2, "each polled once");
        assert_eq!(tracker.alive(), 0);
    }

    async fn a_zero_batch_deadline_ends_an_endless_input() {
        let tracker = Tracker::new();
        let out = (0usize..)
            .map(|i| tracker.track(i, async move { i }))
            .bounded(3)
            .within(Duration::ZERO)
            .gather()
            .await;
        // Ready children keep their outputs; nothing after the first pass.
        assert_eq!(out, [Ok(0), Ok(1), Ok(2)]);
        assert_eq!(tracker.created(), 3);
    }

    async fn a_zero_batch_deadline_creates_no_more_than_a_tiny_one() {
        for within in [Duration::ZERO, Duration::from_nanos(1)] {
            let tracker = Tracker::new();
            let out = (0..50)
                .map(|i| tracker.track(i, futures::future::pending::<()>()))
                .bounded(2)
                .within(within)
                .gather()
                .await;
            assert_eq!(out.len(), 50, "{within:?}");
            // A 1 ns deadline may pass before the first admission.
            assert!(tracker.created() <= 2, "{within:?}: {} created", tracker.created());
        }
    }
}
