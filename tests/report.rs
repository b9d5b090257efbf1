//! `report`: every outcome sorted into successes, failures, deadline misses
//! and panics, each with its input index, and a one-line summary.

mod common;
use common::*;
use fanout::end::Outcome;
use fanout::prelude::*;
use fanout::{Elapsed, Report};
use std::time::Duration;

on_every_executor! {
    async fn counts_and_indices_of_every_kind_of_outcome() {
        let calls = (0..22usize).map(|i| async move {
            match i {
                5 => Err(format!("call {i} refused")),
                9 => {
                    sleep_ms(10_000).await;
                    Ok(i)
                }
                _ => {
                    sleep_ms((i % 3) as u64 * 5).await;
                    Ok(i)
                }
            }
        });
        let report = calls.bounded(4).with_deadline(Duration::from_millis(150)).report().await;
        assert_eq!(report.to_string(), "20 ok, 1 failed, 1 timed out");
        assert_eq!(report.len(), 22);
        assert!(!report.all_ok());
        let ok_indices: Vec<usize> = report.ok.iter().map(|(i, _)| *i).collect();
        let expected: Vec<usize> = (0..22).filter(|i| *i != 5 && *i != 9).collect();
        assert_eq!(ok_indices, expected, "sorted by input index");
        assert!(report.ok.iter().all(|(i, v)| i == v));
        assert_eq!(report.failed, [(5, "call 5 refused".to_string())]);
        assert_eq!(report.timed_out, [(9, Elapsed::Child)]);
        assert!(report.panicked.is_empty());
    }

    async fn panics_and_batch_deadlines_are_reported_too() {
        let calls = (0..5usize).map(|i| async move {
            match i {
                1 => panic!("call {i} crashed"),
                3 | 4 => {
                    futures::future::pending::<()>().await;
                    Ok(i)
                }
                _ => Err::<usize, usize>(i),
            }
        });
        let report = calls.within(Duration::from_secs(1)).catch_panics().report().await;
        assert_eq!(report.to_string(), "0 ok, 2 failed, 2 timed out, 1 panicked");
        assert_eq!(report.failed, [(0, 0), (2, 2)]);
        assert_eq!(report.timed_out, [(3, Elapsed::Batch), (4, Elapsed::Batch)]);
        assert_eq!(report.panicked.len(), 1);
        assert_eq!(report.panicked[0].0, 1);
        assert_eq!(report.panicked[0].1.message(), Some("call 1 crashed"));
        assert_eq!(report.len(), 5, "every kind of outcome counts");
        assert!(!report.is_empty());
    }
}

#[test]
fn a_report_can_be_collected_from_outcomes() {
    let report: Report<&str, &str> = [
        (2, Outcome::Ok("c")),
        (0, Outcome::Failed("a")),
        (1, Outcome::Ok("b")),
        (3, Outcome::TimedOut(Elapsed::Batch)),
    ]
    .into_iter()
    .collect();
    assert_eq!(report.ok, [(1, "b"), (2, "c")]);
    assert_eq!(report.failed, [(0, "a")]);
    assert_eq!(report.to_string(), "2 ok, 1 failed, 1 timed out");
    let empty: Report<(), ()> = std::iter::empty().collect();
    assert!(empty.is_empty() && empty.all_ok());
    assert_eq!(empty.to_string(), "0 ok, 0 failed, 0 timed out");
}

on_every_executor! {
    /// Inputs a batch deadline stopped before their admission are counted
    /// apart from children that ran out of time, in the lists and in the
    /// summary.
    async fn inputs_never_started_have_a_place_of_their_own() {
        let calls = (0..6).map(|i| async move {
            if i == 2 {
                futures::future::pending::<()>().await; // stuck
            }
            Ok::<_, String>(i)
        });
        let report = calls.bounded(1).within(Duration::from_millis(50)).report().await;
        assert_eq!(report.to_string(), "2 ok, 0 failed, 1 timed out, 3 not started");
        assert_eq!(report.ok, [(0, 0), (1, 1)]);
        assert_eq!(report.timed_out, [(2, Elapsed::Batch)]);
        assert_eq!(report.not_started, [3, 4, 5]);
        assert_eq!(report.len(), 6);
        assert!(!report.all_ok());
    }
}

#[test]
fn a_collected_report_sorts_not_started_apart() {
    let report: fanout::Report<u8, ()> = [
        (3, Outcome::NotStarted),
        (1, Outcome::NotStarted),
        (0, Outcome::TimedOut(Elapsed::Batch)),
    ]
    .into_iter()
    .collect();
    assert_eq!(report.not_started, [1, 3]);
    assert_eq!(report.timed_out, [(0, Elapsed::Batch)]);
    assert_eq!(
        report.to_string(),
        "0 ok, 0 failed, 1 timed out, 2 not started"
    );
}

#[test]
fn not_ok_lists_every_input_that_did_not_return_ok_in_input_order() {
    let report: Report<u8, &str> = [
        (5, Outcome::NotStarted),
        (0, Outcome::Ok(1)),
        (4, Outcome::TimedOut(Elapsed::Child)),
        (1, Outcome::Failed("no")),
        (3, Outcome::Ok(2)),
        (2, Outcome::TimedOut(Elapsed::Batch)),
    ]
    .into_iter()
    .collect();
    assert_eq!(report.not_ok(), [1, 2, 4, 5]);
    let all_ok: Report<u8, ()> = [(0, Outcome::Ok(1))].into_iter().collect();
    assert!(all_ok.not_ok().is_empty());
}

on_every_executor! {
    async fn not_ok_includes_caught_panics() {
        let calls = (0..4).map(|i| async move {
            assert!(i != 2, "input 2 panics");
            if i == 3 { Err(i) } else { Ok(i) }
        });
        let report = calls.bounded(2).catch_panics().report().await;
        assert_eq!(report.not_ok(), [2, 3]);
    }
}
