//! `flatten_errors`: one `Result<T, E>` per child. A missed deadline (the
//! child's, the batch's, or an input the batch deadline left unstarted)
//! becomes `E::from(Elapsed)`, a caught panic `E::from(Panicked)`, through
//! every end; `report` and `on_each` still tell them apart; the settings
//! that do not wrap outputs may follow it.

mod common;
use common::*;
use fanout::prelude::*;
use fanout::{Done, Elapsed, Panicked};
use futures::StreamExt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The children's own error, able to hold every reason a child has no
/// output.
#[derive(Debug, Clone, PartialEq)]
enum Failed {
    Refused(usize),
    Late(Elapsed),
    Broke(String),
}

impl From<Elapsed> for Failed {
    fn from(elapsed: Elapsed) -> Self {
        Failed::Late(elapsed)
    }
}

impl From<Panicked> for Failed {
    fn from(panicked: Panicked) -> Self {
        Failed::Broke(panicked.message().unwrap_or_default().to_owned())
    }
}

/// Child `i` by `i % 5`: ok at once, ok after a yield, refused, stuck for
/// good, panicking.
async fn child(i: usize) -> Result<usize, Failed> {
    match i % 5 {
        0 => Ok(i),
        1 => Ok(yield_once(i).await),
        2 => Err(Failed::Refused(i)),
        3 => futures::future::pending().await,
        _ => panic!("child {i} broke"),
    }
}

/// What `child(i)` comes to once flattened, under a short child deadline.
fn expected(i: usize) -> Result<usize, Failed> {
    match i % 5 {
        0 | 1 => Ok(i),
        2 => Err(Failed::Refused(i)),
        3 => Err(Failed::Late(Elapsed::Child)),
        _ => Err(Failed::Broke(format!("child {i} broke"))),
    }
}

const SHORT: Duration = Duration::from_millis(20);

on_every_executor! {
    async fn every_reason_for_no_output_becomes_the_childs_error_in_input_order() {
        let tracker = Tracker::new();
        let out: Vec<Result<usize, Failed>> = (0..23)
            .map(|i| tracker.track(i, child(i)))
            .bounded(4)
            .with_deadline(SHORT)
            .catch_panics()
            .flatten_errors()
            .gather()
            .await;
        assert_eq!(out, (0..23).map(expected).collect::<Vec<_>>());
        assert_eq!(tracker.alive(), 0);
    }

    async fn the_order_of_the_wrapping_settings_before_it_does_not_matter() {
        let flat = |out: Vec<Result<usize, Failed>>| out;
        let a = flat((0..10).map(child).catch_panics().with_deadline(SHORT).bounded(3).flatten_errors().gather().await);
        let b = flat((0..10).map(child).bounded(3).with_deadline(SHORT).catch_panics().flatten_errors().gather().await);
        assert_eq!(a, b);
        assert_eq!(a, (0..10).map(expected).collect::<Vec<_>>());
    }

    async fn without_a_deadline_or_caught_panics_the_outputs_are_the_childrens_own() {
        let calls = (0..6).map(|i| async move { if i % 2 == 0 { Ok(i) } else { Err(Failed::Refused(i)) } });
        let out = calls.bounded(2).flatten_errors().gather().await;
        let own: Vec<Result<usize, Failed>> = (0..6).map(|i| if i % 2 == 0 { Ok(i) } else { Err(Failed::Refused(i)) }).collect();
        assert_eq!(out, own);
        // Only caught panics: a deadline never comes into it.
        let out = (0..10).filter(|i| i % 5 != 3).map(child).catch_panics().flatten_errors().gather().await;
        let want: Vec<_> = (0..10).filter(|i| i % 5 != 3).map(expected).collect();
        assert_eq!(out, want);
    }

    async fn inputs_the_batch_deadline_left_unstarted_become_errors_too() {
        // One slot, held by a child that never finishes: the batch deadline
        // cuts it, and the rest (an exact-size input) never start.
        let tracker = Tracker::new();
        let calls = (0..5).map(|i| tracker.track(i, async move {
            if i == 0 {
                futures::future::pending::<()>().await;
            }
            Ok::<usize, Failed>(i)
        }));
        let out = calls.bounded(1).within(SHORT).flatten_errors().gather().await;
        assert_eq!(out, vec![Err(Failed::Late(Elapsed::Batch)); 5]);
        assert_eq!(tracker.created(), 1, "the other four were never made");
    }

    async fn the_streams_and_for_each_hand_on_flat_outputs() {
        let want: Vec<Result<usize, Failed>> = (0..15).map(expected).collect();
        let in_order: Vec<Result<usize, Failed>> = (0..15)
            .map(child)
            .bounded(3)
            .with_deadline(SHORT)
            .catch_panics()
            .flatten_errors()
            .in_order()
            .collect()
            .await;
        assert_eq!(in_order, want);
        let mut as_completed: Vec<(usize, Result<usize, Failed>)> = (0..15)
            .map(child)
            .bounded(3)
            .with_deadline(SHORT)
            .catch_panics()
            .flatten_errors()
            .as_completed()
            .collect()
            .await;
        as_completed.sort_by_key(|(index, _)| *index);
        assert_eq!(as_completed.into_iter().map(|(_, out)| out).collect::<Vec<_>>(), want);
        let seen = Mutex::new(Vec::new());
        (0..15)
            .map(child)
            .bounded(3)
            .with_deadline(SHORT)
            .catch_panics()
            .flatten_errors()
            .for_each(|(index, out)| {
                let seen = &seen;
                async move {
                    yield_once(()).await;
                    seen.lock().unwrap().push((index, out));
                }
            })
            .await;
        let mut seen = seen.into_inner().unwrap();
        seen.sort_by_key(|(index, _)| *index);
        assert_eq!(seen.into_iter().map(|(_, out)| out).collect::<Vec<_>>(), want);
    }

    async fn the_question_mark_works_on_an_output() {
        async fn first_two() -> Result<usize, Failed> {
            let out = (0..3).map(child).with_deadline(SHORT).flatten_errors().gather().await;
            Ok(out[0].clone()? + out[1].clone()?)
        }
        assert_eq!(first_two().await, Ok(1));
        async fn third() -> Result<usize, Failed> {
            let out = (0..3).map(child).with_deadline(SHORT).flatten_errors().gather().await;
            out[2].clone()
        }
        assert_eq!(third().await, Err(Failed::Refused(2)));
    }

    async fn report_and_on_each_still_tell_the_reasons_apart() {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let hears = heard.clone();
        let report = (0..10)
            .map(child)
            .bounded(4)
            .with_deadline(SHORT)
            .catch_panics()
            .flatten_errors()
            .on_each(move |index, done| {
                let kind = match done {
                    Done::Output(_) => "output",
                    Done::TimedOut(_) => "timed out",
                    Done::NotStarted => "not started",
                    Done::Panicked(_) => "panicked",
                    _ => "something new",
                };
                hears.lock().unwrap().push((index, kind));
            })
            .report()
            .await;
        assert_eq!(report.to_string(), "4 ok, 2 failed, 2 timed out, 2 panicked");
        let mut heard = heard.lock().unwrap().clone();
        heard.sort();
        let kinds: Vec<&str> = heard.iter().map(|(_, kind)| *kind).collect();
        assert_eq!(kinds, ["output", "output", "output", "timed out", "panicked", "output", "output", "output", "timed out", "panicked"]);
    }

    async fn the_settings_that_do_not_wrap_outputs_may_follow_it() {
        let tracker = Tracker::new();
        let (stop, stopped) = futures::channel::oneshot::channel::<()>();
        let out = (0..10)
            .map(|i| tracker.track(i, child(i)))
            .with_deadline(SHORT)
            .catch_panics()
            .flatten_errors()
            .bounded(2)
            .rate(100, Duration::from_millis(1))
            .until(stopped)
            .gather()
            .await;
        assert_eq!(out, (0..10).map(expected).collect::<Vec<_>>());
        assert_eq!(tracker.peak_running(), 2);
        drop(stop);
    }
}

#[test]
fn debug_shows_the_deadline_and_the_caught_panics_it_flattened() {
    let batch = [async { Ok::<u8, Failed>(1) }]
        .bounded(2)
        .with_deadline(SHORT)
        .catch_panics()
        .flatten_errors();
    let shown = format!("{batch:?}");
    assert!(
        shown.starts_with("CatchPanics { batch: Deadline { deadline: Some(20ms)"),
        "{shown}"
    );
    let plain = [async { Ok::<u8, Failed>(1) }].bounded(2).flatten_errors();
    assert!(
        format!("{plain:?}").starts_with("Bounded { limit: Some(2)"),
        "{plain:?}"
    );
}

on_every_executor! {
    /// Adversarial: 2,000 children (past every per-poll budget) that
    /// register their waker once and are woken from another thread (a
    /// poll before their own wake-up panics, and a caught panic would show
    /// as `Broke`), with refused, stuck and panicking ones among them, and
    /// a consumer that awaits between items: every output flat, once, in
    /// input order.
    async fn register_once_children_from_another_thread_past_every_budget() {
        let reactor = common::strict::Reactor::new();
        let reactor = &reactor;
        let outputs = Mutex::new(Vec::new());
        // Under Miri, whose clock advances with each step it runs: fewer
        // children (still past the 256-output budget) and a longer deadline.
        let (n, deadline) = if cfg!(miri) { (300, 3_000) } else { (2_000, 300) };
        (0..n)
            .map(|i| async move {
                match i % 50 {
                    7 => Err(Failed::Refused(i)),
                    13 if i % 250 == 13 => futures::future::pending().await,
                    29 => panic!("child {i} broke"),
                    _ => Ok(reactor.child(i).await),
                }
            })
            .bounded(5)
            .with_deadline(Duration::from_millis(deadline))
            .catch_panics()
            .flatten_errors()
            .in_order()
            .for_each(|out| {
                let outputs = &outputs;
                async move {
                    yield_once(()).await;
                    outputs.lock().unwrap().push(out);
                }
            })
            .await;
        let outputs = outputs.into_inner().unwrap();
        assert_eq!(outputs.len(), n);
        for (i, out) in outputs.into_iter().enumerate() {
            let want = match i % 50 {
                7 => Err(Failed::Refused(i)),
                13 if i % 250 == 13 => Err(Failed::Late(Elapsed::Child)),
                29 => Err(Failed::Broke(format!("child {i} broke"))),
                _ => Ok(i),
            };
            assert_eq!(out, want, "input {i}");
        }
    }
}
