//! `in_order()`: every output in input order, each as soon as it and every
//! earlier one are done; a slow first child does not stall the others (up
//! to the window of 2n), outputs waiting for it are bounded, a freed slot
//! is refilled at once, and the children run only while the stream is
//! polled.

mod common;
use common::source::{Gap, Length, TestSource, endless_behind_a_stuck_head};
use common::*;
use fanout::prelude::*;
use fanout::{Elapsed, Limiter};
use futures::channel::oneshot;
use futures::stream::{self, StreamExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::Poll;
use std::time::Duration;

/// An output that counts how many of its kind are alive, and the peak: the
/// outputs a stream holds for an earlier one are the alive ones it has not
/// handed out.
struct Counted {
    value: usize,
    alive: Arc<(AtomicUsize, AtomicUsize)>,
}

impl Counted {
    fn new(value: usize, alive: &Arc<(AtomicUsize, AtomicUsize)>) -> Self {
        let now = alive.0.fetch_add(1, SeqCst) + 1;
        alive.1.fetch_max(now, SeqCst);
        Counted {
            value,
            alive: alive.clone(),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.alive.0.fetch_sub(1, SeqCst);
    }
}

/// Lets the executor run other tasks (and timers) for a moment.
async fn settle() {
    for _ in 0..5 {
        yield_once(()).await;
    }
    sleep_ms(5).await;
}

on_every_executor! {
    async fn outputs_come_in_input_order_whatever_the_finishing_order() {
        let waits = (0..60u64).map(|i| async move {
            sleep_ms((i * 7) % 11).await;
            i
        });
        let out: Vec<u64> = waits.bounded(6).in_order().collect().await;
        assert_eq!(out, (0..60).collect::<Vec<_>>());
    }

    async fn a_slow_first_child_does_not_stall_the_rest_and_held_outputs_stay_in_the_window() {
        let n = 4;
        let tracker = Tracker::new();
        let alive = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
        let (release, released) = oneshot::channel::<()>();
        let mut released = Some(released);
        let maker = tracker.clone();
        let counter = alive.clone();
        let children = (0..100).map(move |i| {
            let gate = if i == 0 { released.take() } else { None };
            let counter = counter.clone();
            maker.track(i, async move {
                match gate {
                    Some(gate) => gate.await.unwrap(),
                    None => yield_once(()).await,
                }
                Counted::new(i, &counter)
            })
        });
        let mut in_order = children.bounded(n).in_order();
        for _ in 0..10 {
            assert!(futures::poll!(in_order.next()).is_pending());
            settle().await;
        }
        // The window: inputs 0..2n admitted, n at a time, and no further
        // while input 0 is stuck; 2n - 1 outputs wait for it.
        assert_eq!(tracker.created(), 2 * n);
        assert_eq!(tracker.peak_running(), n, "the others kept running beside the slow one");
        assert_eq!(tracker.alive(), 1, "only the slow child is left");
        assert_eq!(alive.0.load(SeqCst), 2 * n - 1);
        release.send(()).unwrap();
        let mut next = 0;
        while let Some(output) = in_order.next().await {
            assert_eq!(output.value, next);
            next += 1;
        }
        assert_eq!(next, 100);
        assert!(alive.1.load(SeqCst) <= 2 * n, "peak held {}", alive.1.load(SeqCst));
        assert!(tracker.peak_alive() <= n + 1);
    }

    async fn an_endless_input_with_a_stuck_first_child_stays_in_the_window() {
        let tracker = Tracker::new();
        let source = endless_behind_a_stuck_head(&tracker)
        .gaps(|i| if i % 2 == 1 { Gap::SelfWake } else { Gap::None });
        let probe = source.probe();
        let mut in_order = source.bounded(3).in_order();
        for _ in 0..10 {
            assert_eq!(futures::poll!(in_order.next()), Poll::Pending);
            settle().await;
        }
        assert_eq!(tracker.created(), 6);
        assert_eq!(probe.pulled(), 6);
        drop(in_order);
        assert!(probe.dropped());
        assert_eq!(tracker.alive(), 0);
    }

    async fn an_endless_input_streams_in_bounded_memory() {
        let tracker = Tracker::new();
        let maker = tracker.clone();
        let alive = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
        let counter = alive.clone();
        let n = if cfg!(miri) { 200 } else { 10_000 };
        let source = TestSource::new(Length::Endless, move |i| {
            let counter = counter.clone();
            maker.track(i, async move {
                // Every fifth child is slower than its neighbours.
                for _ in 0..(if i % 5 == 0 { 6 } else { 1 }) {
                    yield_once(()).await;
                }
                Counted::new(i, &counter)
            })
        });
        let mut in_order = source.bounded(8).in_order().take(n);
        let mut next = 0;
        while let Some(output) = in_order.next().await {
            assert_eq!(output.value, next);
            next += 1;
        }
        assert_eq!(next, n);
        assert!(tracker.peak_alive() <= 8, "peak alive {}", tracker.peak_alive());
        assert!(alive.1.load(SeqCst) <= 16, "peak held {}", alive.1.load(SeqCst));
    }

    async fn a_freed_slot_is_refilled_before_the_output_is_handed_on() {
        let tracker = Tracker::new();
        let maker = tracker.clone();
        let children = (0..10).map(move |i| maker.track(i, async move {
            if i > 0 {
                futures::future::pending::<()>().await;
            }
            i
        }));
        let mut in_order = children.bounded(3).in_order();
        assert_eq!(in_order.next().await, Some(0));
        // While we hold output 0, the slot it freed already runs input 3.
        assert_eq!(tracker.created(), 4);
        assert_eq!(tracker.alive(), 3);
    }

    async fn the_children_run_only_while_the_stream_is_polled() {
        let tracker = Tracker::new();
        let maker = tracker.clone();
        let children = (0..20).map(move |i| maker.track(i, async move {
            sleep_ms(2).await;
            i
        }));
        let mut in_order = children.bounded(4).in_order();
        assert_eq!(in_order.next().await, Some(0));
        let polls = tracker.polls();
        // The consumer is busy elsewhere: their timers fire, but nobody polls them.
        sleep_ms(30).await;
        assert_eq!(tracker.polls(), polls);
        let rest: Vec<usize> = in_order.collect().await;
        assert_eq!(rest, (1..20).collect::<Vec<_>>());
    }

    async fn deadlines_and_the_batch_cut_keep_their_places() {
        let slow = (0..12).map(|i| async move {
            match i % 4 {
                3 => futures::future::pending::<()>().await,
                _ => sleep_ms(1).await,
            }
            i
        });
        let out: Vec<_> = slow
            .bounded(4)
            .with_deadline(Duration::from_millis(20))
            .in_order()
            .collect()
            .await;
        let expected: Vec<_> = (0..12).map(|i| if i % 4 == 3 { Err(Elapsed::Child) } else { Ok(i) }).collect();
        assert_eq!(out, expected);

        // Input 1 never finishes; the batch deadline cuts it and every input
        // not yet admitted (the input's length is known), in their places.
        let stuck = (0..10).map(|i| async move {
            if i == 1 {
                futures::future::pending::<()>().await;
            }
            i
        });
        let out: Vec<_> = stuck.bounded(2).within(Duration::from_millis(30)).in_order().collect().await;
        assert_eq!(out.len(), 10);
        assert_eq!(out[0], Ok(0));
        assert_eq!(out[1], Err(Elapsed::Batch));
        for (index, result) in out.iter().enumerate().skip(2) {
            assert!(*result == Ok(index) || *result == Err(Elapsed::Batch), "{index}: {result:?}");
        }
    }

    async fn a_childs_panic_goes_on_and_ends_the_stream() {
        let tracker = Tracker::new();
        let maker = tracker.clone();
        let children = (0..10).map(move |i| maker.track(i, async move {
            sleep_ms(1).await;
            assert!(i != 4, "input {i} broke");
            i
        }));
        let mut in_order = children.bounded(3).in_order();
        let (seen, caught) = collect_until_panic(&mut in_order).await;
        assert!(caught.is_err());
        assert!(seen.len() <= 4 && seen == (0..seen.len()).collect::<Vec<_>>(), "{seen:?}");
        assert_eq!(tracker.alive(), 0);
        assert_eq!(in_order.next().await, None, "the stream ended with the panic");

        // Caught, the panic takes its place in order.
        let children = (0..6).map(|i| async move {
            assert!(i != 2, "input {i} broke");
            i
        });
        let out: Vec<_> = children.bounded(2).catch_panics().in_order().collect().await;
        assert_eq!(out.len(), 6);
        assert_eq!(out[2].as_ref().unwrap_err().message(), Some("input 2 broke"));
        assert!(out.iter().enumerate().all(|(i, r)| i == 2 || r.as_ref().ok() == Some(&i)));
    }

    async fn a_shared_limiter_sets_the_window_and_the_cap() {
        let limiter = Limiter::new(2);
        let tracker = Tracker::new();
        let maker = tracker.clone();
        let children = stream::iter(0..50).map(move |i| maker.track(i, yield_once(i)));
        let out: Vec<usize> = children.bounded_by(&limiter).in_order().collect().await;
        assert_eq!(out, (0..50).collect::<Vec<_>>());
        assert!(tracker.peak_alive() <= 2);
        assert_eq!(limiter.available(), 2);
    }

    async fn an_unbounded_batch_has_no_window() {
        let tracker = Tracker::new();
        let maker = tracker.clone();
        let (release, released) = oneshot::channel::<()>();
        let mut released = Some(released);
        let children = (0..300).map(move |i| {
            let gate = if i == 0 { released.take() } else { None };
            maker.track(i, async move {
                if let Some(gate) = gate {
                    gate.await.unwrap();
                }
                i
            })
        });
        let mut in_order = children.in_order();
        // A poll takes in at most 256 early outputs; a few polls admit all.
        for _ in 0..4 {
            assert_eq!(futures::poll!(in_order.next()), Poll::Pending);
        }
        assert_eq!(tracker.created(), 300, "every input admitted while input 0 is stuck");
        release.send(()).unwrap();
        let out: Vec<usize> = in_order.collect().await;
        assert_eq!(out, (0..300).collect::<Vec<_>>());
    }

    async fn an_empty_input_ends_at_once() {
        let none: Vec<u8> = std::iter::empty::<std::future::Ready<u8>>().bounded(3).in_order().collect().await;
        assert!(none.is_empty());
    }
}

#[test]
fn its_debug_output_shows_the_window() {
    let in_order = (0..3).map(|i| async move { i }).bounded(2).in_order();
    let debug = format!("{in_order:?}");
    assert!(
        debug.starts_with("InOrder { batch: Bounded { limit: Some(2)"),
        "{debug}"
    );
    assert!(
        debug.ends_with("window: 4, next_index: 0, waiting: 0 }"),
        "{debug}"
    );
}
