//! Outputs come back in input order, whatever order the children finish in,
//! and children are admitted in input order.

mod common;
use common::*;
use fanout::prelude::*;
use std::sync::{Arc, Mutex};

on_every_executor! {
    async fn later_inputs_finishing_first_keep_their_place() {
        let finish_order = Arc::new(Mutex::new(Vec::new()));
        // Child i waits until child i + 1 has finished: the last input
        // finishes first, whatever the timing.
        let (senders, receivers): (Vec<_>, Vec<_>) =
            (0..6).map(|_| futures::channel::oneshot::channel::<()>()).unzip();
        let mut receivers: Vec<_> = receivers.into_iter().map(Some).collect();
        let mut senders: Vec<_> = senders.into_iter().map(Some).collect();
        let children: Vec<_> = (0..6u64)
            .map(|i| {
                let finish_order = finish_order.clone();
                let after = if i < 5 { receivers[i as usize + 1].take() } else { None };
                let done = senders[i as usize].take();
                async move {
                    if let Some(after) = after {
                        after.await.unwrap();
                    }
                    finish_order.lock().unwrap().push(i);
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                    i * 100
                }
            })
            .collect();
        let out = children.gather().await;
        assert_eq!(out, [0, 100, 200, 300, 400, 500]);
        assert_eq!(*finish_order.lock().unwrap(), [5, 4, 3, 2, 1, 0], "the test must reorder");
    }

    async fn bounded_batches_keep_input_order_too() {
        let children = (0..12u64).map(|i| async move {
            sleep_ms((i % 4) * 15).await;
            i
        });
        let out = children.bounded(3).gather().await;
        assert_eq!(out, (0..12).collect::<Vec<_>>());
    }

    async fn failures_are_values_in_their_place() {
        let children = (0..5).map(|i| async move {
            sleep_ms(10).await;
            if i == 3 { Err(format!("item {i} failed")) } else { Ok(i) }
        });
        let out = children.bounded(2).gather().await;
        assert_eq!(out, [Ok(0), Ok(1), Ok(2), Err("item 3 failed".to_string()), Ok(4)]);
    }

    async fn children_are_admitted_in_input_order() {
        let tracker = Tracker::new();
        let children = (0..30u64).map(|i| tracker.track(i as usize, sleep_ms(i % 3 * 5)));
        children.bounded(4).gather().await;
        assert_eq!(tracker.start_order(), (0..30).collect::<Vec<_>>());
    }
}
