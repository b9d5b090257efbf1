//! `on_slow_poll`: every poll of a child that holds the task longer than the
//! threshold is reported with the child's input index and how long it took.

mod common;
use common::*;
use fanout::Elapsed;
use fanout::prelude::*;
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

    async fn a_panic_in_the_report_is_the_childs_panic() {
        let children = (0..3).map(|i| async move {
            if i == 0 {
                block_for(120);
            }
            i
        });
        let out = children
            .on_slow_poll(THRESHOLD, |index, _| panic!("input {index} was slow"))
            .catch_panics()
            .gather()
            .await;
        assert_eq!(out[0].as_ref().unwrap_err().message(), Some("input 0 was slow"));
        assert_eq!(out[1].as_ref().ok(), Some(&1));
        assert_eq!(out[2].as_ref().ok(), Some(&2));
    }
}
