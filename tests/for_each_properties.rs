//! Property tests of the ends that take the consumer's body (`for_each`,
//! `fold`, `try_for_each`, `forward`): random batches of children that are
//! ready, yield, or are woken by another thread racing their poll; a body
//! that awaits a random wake-up between items (nothing, a yield, another
//! thread, a timer); random limits. After each case: no hang, every output
//! seen exactly once, at most the limit of outputs waiting for the body,
//! and after `try_for_each`'s error no child left alive.
//!
//! 256 cases per property under `cargo test` (`PROPTEST_CASES` overrides).

mod common;
use common::driver::or_stuck;
use common::scripted::wake_racing;
use common::watchdog::Watchdog;
use common::{Tracker, yield_once};
use fanout::prelude::*;
use proptest::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll};
use std::time::Duration;

const WATCHDOG: Duration = Duration::from_secs(30);

/// How a child or a body waits.
#[derive(Debug, Clone, Copy)]
enum Wait {
    Nothing,
    Yield,
    /// Woken by another thread, which races the poll that handed it the
    /// waker.
    Thread,
    /// A 200 µs timer.
    Timer,
}

fn wait() -> impl Strategy<Value = Wait> {
    prop_oneof![
        3 => Just(Wait::Nothing),
        3 => Just(Wait::Yield),
        2 => Just(Wait::Thread),
        1 => Just(Wait::Timer),
    ]
}

/// Pending once, woken by another thread racing this poll.
struct ThreadWoken(bool);

impl Future for ThreadWoken {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        wake_racing(cx.waker().clone(), Duration::from_micros(20));
        Poll::Pending
    }
}

async fn wait_for(how: Wait) {
    match how {
        Wait::Nothing => {}
        Wait::Yield => yield_once(()).await,
        Wait::Thread => ThreadWoken(false).await,
        Wait::Timer => futures_timer::Delay::new(Duration::from_micros(200)).await,
    }
}

#[derive(Debug, Clone, Copy)]
enum End {
    ForEach,
    Fold,
    /// `try_for_each`, the body failing at this output (if any arrives).
    TryForEach(usize),
    Forward,
}

#[derive(Debug, Clone)]
struct Case {
    children: Vec<Wait>,
    limit: Option<usize>,
    bodies: Vec<Wait>,
    end: End,
}

fn case() -> impl Strategy<Value = Case> {
    let children = prop::collection::vec(wait(), 0..300);
    let limit = prop_oneof![1 => Just(None), 4 => (1usize..12).prop_map(Some)];
    let bodies = prop::collection::vec(wait(), 1..8);
    let end = prop_oneof![
        2 => Just(End::ForEach),
        1 => Just(End::Fold),
        1 => (0usize..300).prop_map(End::TryForEach),
        1 => Just(End::Forward),
    ];
    (children, limit, bodies, end).prop_map(|(children, limit, bodies, end)| Case {
        children,
        limit,
        bodies,
        end,
    })
}

/// Runs `case`: the outputs the body saw, the most that waited for it, and
/// the error `try_for_each` ended with.
async fn run(case: &Case, tracker: &Tracker) -> (Vec<usize>, usize, Option<usize>) {
    let children = case.children.clone();
    let batch = (0..children.len()).map(|i| {
        let wait = children[i];
        tracker.track(i, async move {
            wait_for(wait).await;
            i
        })
    });
    let batch = match case.limit {
        Some(limit) => batch.bounded(limit),
        None => batch.bounded(usize::MAX),
    };
    let seen = Mutex::new(Vec::new());
    let consumed = AtomicUsize::new(0);
    let peak = AtomicUsize::new(0);
    // Called as each body starts: how many finished outputs wait besides
    // this one.
    let note = |index: usize, output: usize| {
        assert_eq!(index, output);
        let waiting = tracker.finished() - consumed.fetch_add(1, SeqCst) - 1;
        peak.fetch_max(waiting, SeqCst);
        seen.lock().unwrap().push(output);
    };
    let bodies = &case.bodies;
    let body_wait = |n: usize| bodies[n % bodies.len()];
    let mut failed = None;
    match case.end {
        End::ForEach => {
            batch
                .for_each(|(index, output)| {
                    note(index, output);
                    wait_for(body_wait(output))
                })
                .await
        }
        End::Fold => {
            let count = batch
                .fold(0, |count, (index, output)| {
                    note(index, output);
                    async move {
                        wait_for(body_wait(output)).await;
                        count + 1
                    }
                })
                .await;
            assert_eq!(count, seen.lock().unwrap().len());
        }
        End::TryForEach(fail_at) => {
            let ended = batch
                .try_for_each(|(index, output)| {
                    note(index, output);
                    async move {
                        wait_for(body_wait(output)).await;
                        if output == fail_at {
                            Err(output)
                        } else {
                            Ok(())
                        }
                    }
                })
                .await;
            failed = ended.err();
        }
        End::Forward => {
            let (sink, received) = futures::channel::mpsc::unbounded();
            batch.forward(sink).await.expect("the channel is open");
            use futures::StreamExt;
            let received: Vec<(usize, usize)> = received.collect().await;
            for (index, output) in received {
                note(index, output);
            }
        }
    }
    let seen = seen.into_inner().unwrap();
    (seen, peak.load(SeqCst), failed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_body_that_awaits_loses_nothing_and_holds_at_most_the_limit(case in case()) {
        let _watchdog = Watchdog::start();
        let tracker = Tracker::new();
        let (seen, peak, failed) =
            futures::executor::block_on(or_stuck(WATCHDOG, run(&case, &tracker)));
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        sorted.dedup();
        prop_assert_eq!(sorted.len(), seen.len(), "an output seen twice");
        match (case.end, failed) {
            (End::TryForEach(_), Some(at)) => {
                prop_assert_eq!(seen.last(), Some(&at), "the error is the last body's");
                prop_assert_eq!(tracker.alive(), 0, "a child outlived the error");
            }
            _ => prop_assert_eq!(sorted, (0..case.children.len()).collect::<Vec<_>>(), "outputs lost"),
        }
        if let (Some(limit), false) = (case.limit, matches!(case.end, End::Forward)) {
            prop_assert!(peak <= limit, "{} outputs waited under a limit of {}", peak, limit);
        }
        prop_assert_eq!(tracker.alive(), 0);
    }
}
