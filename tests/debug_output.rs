//! Every public type's `Debug` output shows the batch's state (limit,
//! deadlines, how many children were admitted and are in flight, how many
//! outputs were collected) without asking the children to be `Debug`.

mod common;
use fanout::Limiter;
use fanout::prelude::*;
use futures::StreamExt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Children that are not `Debug`: input 0 finishes at once, the rest wait.
fn children() -> impl Iterator<Item = impl Future<Output = Result<u8, u8>>> + std::fmt::Debug {
    struct NotDebug;
    (0..5u8).map(|i| {
        let _not_debug = NotDebug;
        async move {
            if i > 0 {
                futures::future::pending::<()>().await;
            }
            Ok(i)
        }
    })
}

/// Polls `future` once with a no-op waker.
fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    let waker = futures::task::noop_waker();
    Pin::new(future).poll(&mut Context::from_waker(&waker))
}

on_every_executor! {
    async fn a_batch_shows_its_limit_and_counts() {
        let batch = children().bounded(3);
        assert_eq!(format!("{batch:?}"), "Bounded { limit: Some(3), admitted: 0, in_flight: 0, .. }");
        let mut batch = batch.as_completed();
        assert_eq!(batch.next().await, Some((0, Ok(0))));
        assert_eq!(
            format!("{batch:?}"),
            "AsCompleted { batch: Bounded { limit: Some(3), admitted: 4, in_flight: 3, .. } }"
        );
    }

    async fn a_batch_with_deadlines_shows_them() {
        let mut batch = children()
            .with_deadline(Duration::from_secs(7))
            .within(Duration::from_secs(9))
            .bounded(2)
            .as_completed();
        assert_eq!(batch.next().await, Some((0, Ok(Ok(0)))));
        assert_eq!(
            format!("{batch:?}"),
            "AsCompleted { batch: Deadline { deadline: Some(7s), within: Some(9s), limit: Some(2), admitted: 3, in_flight: 2, .. } }"
        );
    }

    async fn the_wrappers_show_the_batch_they_wrap() {
        let limiter = Limiter::new(2);
        let mut caught = children().bounded_by(&limiter).catch_panics().as_completed();
        assert!(matches!(caught.next().await, Some((0, Ok(Ok(0))))));
        assert_eq!(
            format!("{caught:?}"),
            "AsCompleted { batch: CatchPanics { batch: Bounded { limit: Some(2), admitted: 3, in_flight: 2, .. } } }"
        );
        assert_eq!(format!("{limiter:?}"), "Limiter { capacity: 2, available: 0 }");
    }

    async fn the_collecting_futures_show_how_many_outputs_they_hold() {
        let mut gather = children().bounded(2).gather();
        assert!(poll_once(&mut gather).is_pending());
        assert_eq!(
            format!("{gather:?}"),
            "Gather { batch: Bounded { limit: Some(2), admitted: 3, in_flight: 2, .. }, collected: 1 }"
        );
        let mut try_gather = children().bounded(2).try_gather();
        assert!(poll_once(&mut try_gather).is_pending());
        assert!(format!("{try_gather:?}").ends_with("collected: 1 }"), "{try_gather:?}");
        let mut report = children().bounded(2).report();
        assert!(poll_once(&mut report).is_pending());
        assert!(format!("{report:?}").starts_with("Reporting { batch: Bounded"), "{report:?}");
        assert!(format!("{report:?}").ends_with("collected: 1 }"), "{report:?}");
        // An output that waits for an earlier input counts as collected.
        let mut last_first: Vec<_> = children().collect();
        last_first.reverse();
        let mut gather = last_first.gather();
        assert!(poll_once(&mut gather).is_pending());
        assert!(format!("{gather:?}").ends_with("collected: 1 }"), "{gather:?}");
    }

    async fn in_order_shows_its_window_and_what_waits() {
        // Input 0 finishes at once, the rest never: nothing waits.
        let mut in_order = children().bounded(2).in_order();
        assert_eq!(in_order.next().await, Some(Ok(0)));
        assert_eq!(
            format!("{in_order:?}"),
            "InOrder { batch: Bounded { limit: Some(2), admitted: 3, in_flight: 2, .. }, window: 4, next_index: 1, waiting: 0 }"
        );
    }

    async fn a_batch_over_a_stream_or_with_a_signal_shows_the_same_counts() {
        let over_a_stream = futures::stream::iter(0..2).map(|i| async move { i }).bounded(2);
        assert_eq!(format!("{over_a_stream:?}"), "Bounded { limit: Some(2), admitted: 0, in_flight: 0, .. }");
        let stopped = children().bounded(2).until(futures::future::pending::<()>());
        assert_eq!(format!("{stopped:?}"), "Bounded { limit: Some(2), admitted: 0, in_flight: 0, .. }");
    }

    async fn a_batch_timing_its_polls_shows_the_same_counts() {
        let mut batch = children().bounded(1).on_slow_poll(Duration::from_secs(3), |_, _| {}).as_completed();
        let _ = batch.next().await;
        assert_eq!(
            format!("{batch:?}"),
            "AsCompleted { batch: Bounded { limit: Some(1), admitted: 2, in_flight: 1, .. } }"
        );
    }
}

#[test]
fn a_caught_panic_shows_its_message() {
    let _watchdog = common::watchdog::Watchdog::start();
    let out =
        futures::executor::block_on([async { panic!("out of cheese") }].catch_panics().gather());
    let panicked = out
        .into_iter()
        .next()
        .expect("one output")
        .expect_err("it panicked");
    assert_eq!(
        format!("{panicked:?}"),
        "Panicked { message: Some(\"out of cheese\") }"
    );
}

/// The consumer ends show the end they take outputs from, how many outputs
/// wait for the body, and the most that ever did.
#[test]
fn the_consumer_ends_show_their_end_and_the_outputs_waiting() {
    // Input 0 finishes at once and its body never does; 1 to 3 run.
    let mut for_each = Box::pin(
        children()
            .bounded(3)
            .for_each(|_| futures::future::pending::<()>()),
    );
    assert!(poll_once(&mut for_each).is_pending());
    assert_eq!(
        format!("{for_each:?}"),
        "ForEach { feed: Feeder { end: AsCompleted { batch: Bounded { limit: Some(3), admitted: 4, in_flight: 3, .. } }, waiting: 0, peak_waiting: 1 }, .. }"
    );
    let mut fold = Box::pin(
        children()
            .bounded(2)
            .in_order()
            .fold((), |(), _| futures::future::pending::<()>()),
    );
    assert!(poll_once(&mut fold).is_pending());
    assert_eq!(
        format!("{fold:?}"),
        "Fold { feed: Feeder { end: InOrder { batch: Bounded { limit: Some(2), admitted: 3, in_flight: 2, .. }, window: 4, next_index: 1, waiting: 0 }, waiting: 0, peak_waiting: 1 }, .. }"
    );
    let try_for_each = children()
        .bounded(1)
        .try_for_each(|_| async { Ok::<(), ()>(()) });
    assert!(format!("{try_for_each:?}").starts_with("TryForEach { feed: Some(Feeder { end: AsCompleted { batch: Bounded { limit: Some(1), admitted: 0"));
    let forward = children().bounded(1).forward(futures::sink::drain());
    assert!(format!("{forward:?}").starts_with("Forward { feed: Some(Feeder { end: AsCompleted { batch: Bounded { limit: Some(1), admitted: 0"));
}
