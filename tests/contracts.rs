//! The `Stream`, `FusedStream` and `FusedFuture` contracts of every public
//! type: `size_hint` counts exactly the items still to come when the input
//! knows its length, and `is_terminated` turns true exactly at the end.

mod common;
use common::*;
use fanout::Elapsed;
use fanout::end::Outcome;
use fanout::prelude::*;
use futures::future::FusedFuture;
use futures::stream::{FusedStream, Stream, StreamExt};
use std::pin::Pin;
use std::time::Duration;

/// Drains `stream` one item at a time, checking at every step that its
/// size hint is exactly the number of items still to come and that it is
/// not terminated while any is. Returns how many items it yielded.
async fn check_stream_contract<S>(mut stream: Pin<&mut S>, expected: usize) -> usize
where
    S: Stream + FusedStream + ?Sized,
{
    let mut seen = 0;
    loop {
        let left = expected - seen;
        assert_eq!(stream.size_hint(), (left, Some(left)), "after {seen} items");
        if left > 0 {
            assert!(
                !stream.is_terminated(),
                "terminated with {left} items to come"
            );
        }
        match stream.next().await {
            Some(_) => seen += 1,
            None => break,
        }
    }
    assert_eq!(seen, expected);
    assert_eq!(stream.size_hint(), (0, Some(0)));
    assert!(stream.is_terminated());
    // A fused stream keeps saying it has ended.
    assert!(stream.next().await.is_none());
    seen
}

fn children(count: usize) -> impl Iterator<Item = impl Future<Output = Result<usize, usize>>> {
    (0..count).map(|i| async move {
        if i % 3 == 0 {
            yield_once(()).await;
        }
        if i % 4 == 1 { Err(i) } else { Ok(i) }
    })
}

use std::future::Future;

/// Polls a fused future to its end, checking `is_terminated` on the way.
async fn check_future_contract<F: FusedFuture + Unpin>(mut future: F) -> F::Output {
    assert!(!future.is_terminated());
    let output = (&mut future).await;
    assert!(future.is_terminated(), "terminated once it has resolved");
    output
}

on_every_executor! {
    async fn a_bounded_batch_keeps_the_stream_contracts() {
        let batch = std::pin::pin!(children(9).bounded(2).as_completed());
        check_stream_contract(batch, 9).await;
    }

    async fn a_batch_with_a_deadline_keeps_the_stream_contracts() {
        let batch = std::pin::pin!(children(9).bounded(2).with_deadline(Duration::from_secs(60)).as_completed());
        check_stream_contract(batch, 9).await;
        let cut = std::pin::pin!(
            (0..7).map(|_| futures::future::pending::<()>()).bounded(2).within(Duration::from_millis(10)).as_completed()
        );
        check_stream_contract(cut, 7).await;
    }

    async fn a_batch_that_catches_panics_keeps_the_stream_contracts() {
        let batch = std::pin::pin!(children(8).bounded(3).catch_panics().as_completed());
        check_stream_contract(batch, 8).await;
        let timed = std::pin::pin!(children(8).with_deadline(Duration::from_secs(60)).catch_panics().as_completed());
        check_stream_contract(timed, 8).await;
    }

    async fn a_batch_timing_its_polls_keeps_the_stream_contracts() {
        let timed = std::pin::pin!(children(7).bounded(2).on_slow_poll(Duration::from_secs(60), |_, _| {}).as_completed());
        check_stream_contract(timed, 7).await;
    }

    async fn as_completed_keeps_the_stream_contracts() {
        let plain = std::pin::pin!(children(10).bounded(4).as_completed());
        check_stream_contract(plain, 10).await;
        let caught = std::pin::pin!(children(10).bounded(4).catch_panics().as_completed());
        check_stream_contract(caught, 10).await;
        let timed = std::pin::pin!(children(10).with_deadline(Duration::from_secs(60)).as_completed());
        check_stream_contract(timed, 10).await;
    }

    async fn in_order_keeps_the_stream_contracts() {
        let plain = std::pin::pin!(children(10).bounded(3).in_order());
        check_stream_contract(plain, 10).await;
        let timed = std::pin::pin!(children(10).bounded(3).with_deadline(Duration::from_secs(60)).in_order());
        check_stream_contract(timed, 10).await;
        let unbounded = std::pin::pin!(children(10).in_order());
        check_stream_contract(unbounded, 10).await;
    }

    async fn a_batch_over_a_stream_keeps_the_stream_contracts() {
        let batch = std::pin::pin!(futures::stream::iter(children(9)).bounded(2).as_completed());
        check_stream_contract(batch, 9).await;
        let in_order = std::pin::pin!(futures::stream::iter(children(9)).bounded(2).in_order());
        check_stream_contract(in_order, 9).await;
    }

    async fn a_batch_with_a_stop_signal_says_its_length_is_unknown_and_ends_fused() {
        let mut batch = children(6).bounded(2).until(futures::future::pending::<()>()).as_completed();
        assert_eq!(batch.size_hint(), (0, Some(6)));
        let mut seen = 0;
        while batch.next().await.is_some() {
            seen += 1;
        }
        assert_eq!(seen, 6);
        assert_eq!(batch.size_hint(), (0, Some(0)));
        assert!(batch.is_terminated());
        assert!(batch.next().await.is_none());
    }

    async fn the_collecting_futures_say_when_they_have_resolved() {
        let out = check_future_contract(Box::pin(children(6).bounded(2).gather())).await;
        assert_eq!(out.len(), 6);
        let first_error = check_future_contract(Box::pin(children(6).bounded(2).try_gather())).await;
        assert_eq!(first_error, Err(1));
        let report = check_future_contract(Box::pin(children(6).bounded(2).report())).await;
        assert_eq!(report.to_string(), "4 ok, 2 failed, 0 timed out");
    }

    async fn report_without_a_deadline_sorts_every_outcome() {
        let report = children(9).bounded(2).report().await;
        assert_eq!(report.ok, [(0, 0), (2, 2), (3, 3), (4, 4), (6, 6), (7, 7), (8, 8)]);
        assert_eq!(report.failed, [(1, 1), (5, 5)]);
        assert!(report.timed_out.is_empty() && report.panicked.is_empty());
        let caught = children(9).bounded(2).catch_panics().report().await;
        assert_eq!(caught.len(), 9);
        assert_eq!(caught.failed.len(), 2);
    }

    async fn report_with_deadlines_sorts_every_outcome() {
        let calls = (0..6).map(|i| async move {
            if i == 4 {
                futures::future::pending::<()>().await;
            }
            if i == 2 { Err(i) } else { Ok(i) }
        });
        let report = calls.bounded(3).with_deadline(Duration::from_millis(20)).report().await;
        assert_eq!(report.ok, [(0, 0), (1, 1), (3, 3), (5, 5)]);
        assert_eq!(report.failed, [(2, 2)]);
        assert_eq!(report.timed_out, [(4, Elapsed::Child)]);
        let outcomes: Vec<_> = [(0, Outcome::<u8, ()>::Ok(1)), (1, Outcome::TimedOut(Elapsed::Batch))].into_iter().collect::<fanout::Report<_, _>>().timed_out;
        assert_eq!(outcomes, [(1, Elapsed::Batch)]);
    }
}
