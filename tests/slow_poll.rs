//! `on_slow_poll`: every poll of a child that holds the task longer than the
//! threshold is reported with the child's input index and how long it took.

mod common;
use common::*;
use fanout::Elapsed;
use fanout::prelude::*;
use futures::{FutureExt, StreamExt};
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Reports = Arc<Mutex<Vec<(usize, Duration)>>>;

/// A report callback that keeps every report.
fn recorder() -> (Reports, impl Fn(usize, Duration) + Send + Sync + 'static) {
    let reports = Reports::default();
    let sink = reports.clone();
    (reports, move |index, took| {
        sink.lock().unwrap().push((index, took))
    })
}

/// Blocks the whole task, as a synchronous call inside a child would.
fn block_for(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

// Thresholds sit far from both the blocking time (120 ms) and the
// non-blocking polls (microseconds), so a busy machine does not flip them.
const THRESHOLD: Duration = Duration::from_millis(40);

on_every_executor! {
    async fn a_blocking_child_is_reported_with_its_index_and_time() {
        let (reports, report) = recorder();
        let children = (0..6).map(|i| async move {
            yield_once(()).await;
            if i == 3 {
                block_for(120);
            }
            i
        });
        let out = children.bounded(3).on_slow_poll(THRESHOLD, report).gather().await;
        assert_eq!(out, [0, 1, 2, 3, 4, 5]);
        let reports = reports.lock().unwrap();
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert_eq!(reports[0].0, 3);
        assert!(reports[0].1 >= Duration::from_millis(120), "{reports:?}");
    }

    async fn every_slow_poll_is_reported_not_just_the_first() {
        let (reports, report) = recorder();
        let children = (0..3).map(|i| async move {
            if i == 1 {
                block_for(60);
                yield_once(()).await;
                block_for(60);
            }
            i
        });
        let out = children.on_slow_poll(Duration::from_millis(20), report).gather().await;
        assert_eq!(out, [0, 1, 2]);
        let reports = reports.lock().unwrap();
        let indices: Vec<usize> = reports.iter().map(|&(index, _)| index).collect();
        assert_eq!(indices, [1, 1], "one report per slow poll");
    }

    async fn composes_with_deadlines_and_limits_in_any_order() {
        let children = || (0..4).map(|i| async move {
            if i == 2 {
                block_for(120);
            }
            i
        });
        let deadline = Duration::from_secs(30);
        let (first, report_first) = recorder();
        let one = children()
            .on_slow_poll(THRESHOLD, report_first)
            .with_deadline(deadline)
            .bounded(2)
            .gather()
            .await;
        let (last, report_last) = recorder();
        let two = children()
            .bounded(2)
            .with_deadline(deadline)
            .on_slow_poll(THRESHOLD, report_last)
            .gather()
            .await;
        assert_eq!(one, two);
        assert_eq!(one, (0..4).map(Ok).collect::<Vec<Result<usize, Elapsed>>>());
        for reports in [first, last] {
            let reports = reports.lock().unwrap();
            assert_eq!(reports.iter().map(|r| r.0).collect::<Vec<_>>(), [2]);
        }
    }

    // The report is held by the batch, as an `on_each` hook is: it may
    // borrow from the caller's stack, and it is told in the order the slow
    // polls happened.
    async fn a_report_borrows_from_the_stack() {
        let mut slow = Vec::new();
        let children = (0..4).map(|i| async move {
            if i % 2 == 1 {
                block_for(60);
            }
            i
        });
        let out = children
            .bounded(1)
            .on_slow_poll(Duration::from_millis(20), |index, _| slow.push(index))
            .gather()
            .await;
        assert_eq!(out, [0, 1, 2, 3]);
        assert_eq!(slow, [1, 3]);
    }

    // A slow poll in the refill after an output was handed on is reported
    // by the batch's next poll, before its next output.
    async fn a_slow_poll_in_a_refill_is_reported_at_the_next_poll() {
        let reported = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&reported);
        let children = (0..2).map(|i| async move {
            if i == 1 {
                block_for(60);
            }
            i
        });
        let mut outputs = children
            .bounded(1)
            .on_slow_poll(Duration::from_millis(20), move |_, _| {
                counter.fetch_add(1, SeqCst);
            })
            .as_completed();
        assert_eq!(outputs.next().await, Some((0, 0)));
        // Input 1 ran, slowly, in the refill that followed.
        assert_eq!(reported.load(SeqCst), 0, "not yet: the refill came after the poll");
        assert_eq!(outputs.next().await, Some((1, 1)));
        assert_eq!(reported.load(SeqCst), 1);
        assert_eq!(outputs.next().await, None);
    }

    // `on_slow_poll` wraps the input that `until` wrapped: the signal
    // still stops it.
    async fn a_stop_signal_given_before_on_slow_poll_still_stops_the_input() {
        let (reports, report) = recorder();
        let out = (0..3)
            .map(|i| async move { i })
            .bounded(2)
            .until(async {})
            .on_slow_poll(THRESHOLD, report)
            .gather()
            .await;
        assert!(out.is_empty(), "the signal had fired: nothing is admitted");
        assert!(reports.lock().unwrap().is_empty());
    }

    async fn a_second_on_slow_poll_replaces_the_first() {
        let mut first = 0;
        let mut second = 0;
        let children = (0..2).map(|i| async move {
            block_for(60);
            i
        });
        let out = children
            .on_slow_poll(Duration::from_millis(20), |_, _| first += 1)
            .bounded(2)
            .on_slow_poll(Duration::from_millis(20), |_, _| second += 1)
            .gather()
            .await;
        assert_eq!(out, [0, 1]);
        assert_eq!((first, second), (0, 2));
    }

    // A panic in the report is the batch's, not a child's: even under
    // `catch_panics` it ends the batch, every child dropped first.
    async fn a_panic_in_the_report_ends_the_batch_after_dropping_its_children() {
        let tracker = Tracker::new();
        let children = (0..3).map(|i| {
            tracker.track(i, async move {
                if i == 2 {
                    block_for(120);
                    return i;
                }
                futures::future::pending::<usize>().await
            })
        });
        let batch = children
            .on_slow_poll(THRESHOLD, |index, _| panic!("input {index} was slow"))
            .catch_panics()
            .gather();
        let caught = std::panic::AssertUnwindSafe(batch).catch_unwind().await;
        let payload = caught.expect_err("the report's panic goes on");
        assert_eq!(panic_message(&*payload), "input 2 was slow");
        assert_eq!(tracker.created(), 3);
        assert_eq!(tracker.alive(), 0, "every child dropped before the panic went on");
    }
}
