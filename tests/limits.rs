//! `bounded(n)` keeps exactly n children in flight; without it every child
//! runs at once.

mod common;
use common::*;
use fanout::prelude::*;
use std::time::{Duration, Instant};

on_every_executor! {
    async fn unbounded_gather_runs_every_child_at_once() {
        let tracker = Tracker::new();
        let started = Instant::now();
        let children = (0..10).map(|i| tracker.track(i, sleep_ms(200)));
        let out = children.gather().await;
        let took = started.elapsed();
        assert_eq!(out.len(), 10);
        assert_eq!(tracker.peak_running(), 10);
        // One wave of 200 ms, not ten: 3x slack for a loaded machine.
        assert!(took < at_most_ms(600), "took {took:?}");
    }

    async fn peak_in_flight_equals_the_bound() {
        let tracker = Tracker::new();
        let started = Instant::now();
        let children = (0..20).map(|i| tracker.track(i, sleep_ms(50)));
        let out = children.bounded(5).gather().await;
        let took = started.elapsed();
        assert_eq!(out.len(), 20);
        assert_eq!(tracker.peak_running(), 5);
        assert_eq!(tracker.finished(), 20);
        // Four waves of 50 ms: never faster, and not much slower.
        assert!(took >= Duration::from_millis(195), "took {took:?}: fewer than four waves");
        assert!(took < at_most_ms(600), "took {took:?}");
    }

    async fn a_bound_above_the_input_length_runs_everything() {
        let tracker = Tracker::new();
        let children = (0..7).map(|i| tracker.track(i, sleep_ms(20)));
        children.bounded(100).gather().await;
        assert_eq!(tracker.peak_running(), 7);
    }

    async fn a_bound_of_one_runs_children_one_after_another() {
        let tracker = Tracker::new();
        let children = (0..6).map(|i| tracker.track(i, sleep_ms(5)));
        children.bounded(1).gather().await;
        assert_eq!(tracker.peak_running(), 1);
        assert_eq!(tracker.peak_alive(), 1);
    }
}

#[test]
#[should_panic(expected = "`bounded(0)` would never admit a child")]
fn a_bound_of_zero_panics_at_the_call() {
    let _ = [async { 1 }].bounded(0);
}

#[test]
#[should_panic(expected = "`bounded(0)` would never admit a child")]
fn a_bound_of_zero_after_a_deadline_panics_at_the_call() {
    let _ = [async { 1 }]
        .with_deadline(Duration::from_secs(1))
        .bounded(0);
}
