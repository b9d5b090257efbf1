//! A slow child holds one slot; the others keep flowing through the rest.

mod common;
use common::*;
use fanout::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Instant;

on_every_executor! {
    async fn a_slow_child_does_not_stall_its_siblings() {
        let started = Instant::now();
        let finished_at = Arc::new(Mutex::new(Vec::new()));
        let children = (0..21u64).map(|i| {
            let finished_at = finished_at.clone();
            async move {
                // Miri runs the fast children far slower: give the slow one room.
                let slow = if cfg!(miri) { 30_000 } else { 1_000 };
                sleep_ms(if i == 0 { slow } else { 10 }).await;
                finished_at.lock().unwrap().push((i, started.elapsed()));
                i
            }
        });
        let out = children.bounded(3).gather().await;
        assert_eq!(out, (0..21).collect::<Vec<_>>());
        let finished_at = finished_at.lock().unwrap();
        // Every fast child finished before the slow one...
        assert_eq!(finished_at.last().map(|(i, _)| *i), Some(0));
        // ...and through the two free slots: ten waves of 10 ms, not a wait
        // for the slow child (3x slack and more).
        let last_fast = finished_at[finished_at.len() - 2].1;
        assert!(last_fast < at_most_ms(500), "last fast child at {last_fast:?}");
    }
}
