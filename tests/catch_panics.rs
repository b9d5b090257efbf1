//! `catch_panics`: a panicking child's slot holds the panic, its siblings
//! run on undisturbed. Without it the panic propagates, after the siblings
//! have been dropped.

mod common;
use common::*;
use fanout::Elapsed;
use fanout::prelude::*;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

on_every_executor! {
    async fn a_panicking_child_does_not_disturb_its_siblings() {
        let tracker = Tracker::new();
        let children = (0..6).map(|i| {
            tracker.track(i, async move {
                sleep_ms(if i == 2 { 5 } else { 40 }).await;
                assert!(i != 2, "child {i} broke");
                i * 10
            })
        });
        let out = children.bounded(3).catch_panics().gather().await;
        assert_eq!(out.len(), 6);
        for (i, result) in out.iter().enumerate() {
            match result {
                Ok(value) => assert_eq!(*value, i * 10),
                Err(panicked) => {
                    assert_eq!(i, 2);
                    assert_eq!(panicked.message(), Some("child 2 broke"));
                    assert_eq!(panicked.to_string(), "the child panicked: child 2 broke");
                }
            }
        }
        assert_eq!(tracker.finished(), 5, "every sibling ran to the end");
        assert_eq!(tracker.alive(), 0);
    }

    async fn panics_and_deadlines_are_both_values() {
        let children = (0..3).map(|i| async move {
            match i {
                0 => 0,
                1 => panic!("{}", String::from("owned message")),
                _ => {
                    sleep_ms(10_000).await;
                    2
                }
            }
        });
        let out = children.with_deadline(Duration::from_millis(50)).catch_panics().gather().await;
        assert!(matches!(out[0], Ok(Ok(0))));
        assert_eq!(out[1].as_ref().unwrap_err().message(), Some("owned message"));
        assert!(matches!(out[2], Ok(Err(Elapsed::Child))));
    }

    async fn a_payload_that_is_not_a_string_is_kept() {
        let out = [async { std::panic::panic_any(7u32) }].catch_panics().gather().await;
        let panicked = out.into_iter().next().unwrap().unwrap_err();
        assert_eq!(panicked.message(), None);
        assert_eq!(panicked.into_payload().downcast_ref::<u32>(), Some(&7));
    }

    async fn without_it_the_siblings_are_dropped_before_the_panic_reaches_the_caller() {
        let tracker = Tracker::new();
        let children = (0..20).map(|i| {
            tracker.track(i, async move {
                sleep_ms(if i == 1 { 5 } else { 10_000 }).await;
                assert!(i != 1, "boom");
            })
        });
        let mut batch = std::pin::pin!(children.bounded(4).gather());
        let mut alive_when_caught = None;
        std::future::poll_fn(|cx| {
            match catch_unwind(AssertUnwindSafe(|| batch.as_mut().poll(cx))) {
                Ok(poll) => poll.map(|_| unreachable!("the batch panics")),
                Err(_) => {
                    // The batch itself still exists: only its children are gone.
                    alive_when_caught = Some(tracker.alive());
                    std::task::Poll::Ready(())
                }
            }
        })
        .await;
        assert_eq!(alive_when_caught, Some(0));
        assert_eq!(tracker.created(), 4);
        assert_eq!(tracker.dropped(), 4);
    }
}
