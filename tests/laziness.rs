//! Admission is lazy: the input is pulled only when a slot is free, so a
//! long input never has more than the bound (plus one) children alive.

mod common;
use common::*;
use fanout::prelude::*;
use futures::StreamExt;
use std::time::Duration;

on_every_executor! {
    async fn ten_thousand_lazy_inputs_never_exceed_the_bound() {
        let tracker = Tracker::new();
        let n = if cfg!(miri) { 200 } else { 10_000 };
        let children = (0..n).map(|i| tracker.track(i, yield_once(i)));
        let out = children.bounded(8).gather().await;
        assert_eq!(out, (0..n).collect::<Vec<_>>());
        assert_eq!(tracker.created(), n);
        assert!(tracker.peak_alive() <= 8 + 1, "peak alive {}", tracker.peak_alive());
        assert_eq!(tracker.peak_running(), 8);
        assert_eq!(tracker.alive(), 0);
    }

    async fn deadlines_keep_admission_lazy() {
        let tracker = Tracker::new();
        let n = if cfg!(miri) { 200 } else { 10_000 };
        let children = (0..n).map(|i| tracker.track(i, yield_once(i)));
        let out = children.with_deadline(Duration::from_secs(60)).bounded(8).gather().await;
        assert!(out.iter().enumerate().all(|(i, r)| *r == Ok(i)));
        assert!(tracker.peak_alive() <= 8 + 1, "peak alive {}", tracker.peak_alive());
    }

    async fn a_finished_slot_is_refilled_before_its_output_is_handed_on() {
        let tracker = Tracker::new();
        // Input 0 is ready at once; the rest never finish.
        let children = (0..10).map(|i| {
            let child = async move {
                if i > 0 {
                    futures::future::pending::<()>().await;
                }
                i
            };
            tracker.track(i, child)
        });
        let mut batch = children.bounded(3).as_completed();
        let first = batch.next().await;
        assert_eq!(first, Some((0, 0)));
        // While we hold that output, three children are admitted: the slot
        // input 0 freed already went to input 3.
        assert_eq!(tracker.alive(), 3);
        assert_eq!(tracker.created(), 4);
        drop(batch);
        assert_eq!(tracker.alive(), 0);
    }
}
