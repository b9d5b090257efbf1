//! Bad or degenerate input is answered at once, never with a hang.

mod common;
use common::*;
use fanout::prelude::*;
use std::future::{Future, Ready};
use std::task::Poll;
use std::time::Duration;

on_every_executor! {
    async fn empty_input_gives_an_empty_vec_at_once() {
        let none = || Vec::<Ready<u8>>::new();
        let mut gather = std::pin::pin!(none().gather());
        assert_eq!(futures::poll!(gather.as_mut()), Poll::Ready(vec![]));
        let mut bounded = std::pin::pin!(none().bounded(3).gather());
        assert_eq!(futures::poll!(bounded.as_mut()), Poll::Ready(vec![]));
        let mut timed = std::pin::pin!(none().bounded(3).with_deadline(Duration::ZERO).gather());
        assert_eq!(futures::poll!(timed.as_mut()), Poll::Ready(vec![]));
    }

    async fn one_hundred_thousand_ready_children_complete_in_order() {
        let tracker = Tracker::new();
        let n = if cfg!(miri) { 300 } else { 100_000 };
        let out = (0..n).map(|i| tracker.track(i, async move { i })).bounded(64).gather().await;
        assert_eq!(out.len(), n);
        assert!(out.iter().enumerate().all(|(i, v)| i == *v), "out of order");
        assert!(tracker.peak_alive() <= 64 + 1);
        assert_eq!(tracker.alive(), 0);
    }
}

#[test]
fn gather_is_fused() {
    use futures::future::FusedFuture;
    let _watchdog = common::watchdog::Watchdog::start();
    let mut gather = std::pin::pin!([async { 7 }].gather());
    assert!(!gather.is_terminated());
    let out = futures::executor::block_on(gather.as_mut());
    assert_eq!(out, [7]);
    assert!(gather.is_terminated());
}

#[test]
#[should_panic(expected = "`Gather` polled after it completed")]
fn polling_gather_after_completion_panics_with_a_message() {
    let _watchdog = common::watchdog::Watchdog::start();
    let mut gather = std::pin::pin!([async { 7 }].gather());
    futures::executor::block_on(gather.as_mut());
    let waker = futures::task::noop_waker();
    let _ = gather
        .as_mut()
        .poll(&mut std::task::Context::from_waker(&waker));
}

#[test]
fn a_batch_reports_how_many_outputs_remain_and_when_it_is_done() {
    use futures::stream::{FusedStream, Stream, StreamExt};
    let _watchdog = common::watchdog::Watchdog::start();
    let mut batch = (0..10).map(|i| async move { i }).bounded(3).as_completed();
    assert_eq!(batch.size_hint(), (10, Some(10)));
    assert!(!batch.is_terminated());
    let first: Vec<_> = futures::executor::block_on((&mut batch).take(4).collect());
    assert_eq!(first.len(), 4);
    // Six to come: those in flight plus those not yet admitted.
    assert_eq!(batch.size_hint(), (6, Some(6)));
    let rest: Vec<_> = futures::executor::block_on((&mut batch).collect());
    assert_eq!(rest.len(), 6);
    assert_eq!(batch.size_hint(), (0, Some(0)));
    assert!(batch.is_terminated());
    // An input that cannot tell its length gives no upper bound.
    let unknown = (0..10)
        .filter(|i| i % 2 == 0)
        .map(|i| async move { i })
        .bounded(3)
        .as_completed();
    assert_eq!(unknown.size_hint(), (0, Some(10)));
}
