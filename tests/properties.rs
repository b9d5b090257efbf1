//! Property tests: random batch scripts (length, bound, shared limiter,
//! deadline, children that go pending and are woken in different ways, then
//! succeed, fail or never finish, and an optional early drop), checked
//! against every promise of the design after each case.
//!
//! Each property runs 1,000 cases under `cargo test`. For a long hunt:
//! `PROPTEST_CASES=100000 cargo test --release --test properties`.

mod common;
use common::Tracker;
use common::scripted::{End, Script, Scripted, Wake, expected};
use fanout::prelude::*;
use fanout::{Elapsed, Limiter};
use futures::{Stream, TryFutureExt};
use proptest::prelude::*;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

#[derive(Debug, Clone)]
enum Limit {
    None,
    Own(usize),
    Shared(usize),
}

#[derive(Debug, Clone)]
struct Case {
    scripts: Vec<Script>,
    limit: Limit,
    deadline: Option<Duration>,
    /// Drop the batch after this many polls, if it has not finished.
    drop_after: Option<usize>,
}

impl Case {
    fn bound(&self) -> usize {
        match self.limit {
            Limit::None => usize::MAX,
            Limit::Own(n) | Limit::Shared(n) => n,
        }
    }
}

fn script() -> impl Strategy<Value = Script> {
    let wake =
        prop_oneof![8 => Just(Wake::AtOnce), 1 => Just(Wake::OtherThread), 1 => Just(Wake::Timer)];
    let end = prop_oneof![12 => Just(End::Ok), 2 => Just(End::Err), 1 => Just(End::Never)];
    (0u8..4, wake, end).prop_map(|(pendings, wake, end)| Script {
        pendings,
        wake,
        end,
    })
}

fn case() -> impl Strategy<Value = Case> {
    let limit = prop_oneof![
        Just(Limit::None),
        (1usize..64).prop_map(Limit::Own),
        (1usize..64).prop_map(Limit::Shared)
    ];
    let deadline = prop_oneof![
        2 => Just(None),
        1 => (0u64..3).prop_map(|ms| Some(Duration::from_millis(ms))),
        1 => Just(Some(Duration::from_secs(60))),
    ];
    (
        prop::collection::vec(script(), 0..500),
        limit,
        deadline,
        prop::option::of(1usize..40),
    )
        .prop_map(|(scripts, limit, deadline, mut drop_after)| {
            // A child that never ends needs a short deadline or a drop to
            // stop the case quickly.
            let never = scripts.iter().any(|s| s.end == End::Never);
            let short_deadline = deadline.is_some_and(|d| d < Duration::from_secs(1));
            if never && !short_deadline && drop_after.is_none() {
                drop_after = Some(20);
            }
            Case {
                scripts,
                limit,
                deadline,
                drop_after,
            }
        })
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A child's error once deadlines can fail the batch too.
#[derive(Debug, PartialEq)]
enum Failure {
    Child(usize),
    Elapsed,
}

impl From<Elapsed> for Failure {
    fn from(_: Elapsed) -> Self {
        Failure::Elapsed
    }
}

/// Polls `future` to the end, or at most `polls` times when given (waking
/// itself in between so it is polled again), and then drops it.
async fn run_for<F: Future>(future: F, polls: Option<usize>) -> Option<F::Output> {
    let mut future = Box::pin(future);
    let mut left = polls;
    std::future::poll_fn(move |cx| match (future.as_mut().poll(cx), left.as_mut()) {
        (Poll::Ready(output), _) => Poll::Ready(Some(output)),
        (Poll::Pending, None) => Poll::Pending,
        (Poll::Pending, Some(0 | 1)) => Poll::Ready(None),
        (Poll::Pending, Some(left)) => {
            *left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// The promises every case must keep, whatever the terminal.
fn check_bookkeeping(
    case: &Case,
    tracker: &Tracker,
    limiter: Option<&Limiter>,
) -> Result<(), TestCaseError> {
    prop_assert!(
        tracker.peak_running() <= case.bound(),
        "peak in flight {} > bound",
        tracker.peak_running()
    );
    prop_assert!(
        tracker.peak_alive() <= case.bound().saturating_add(1),
        "peak alive {}",
        tracker.peak_alive()
    );
    prop_assert_eq!(tracker.alive(), 0, "every created child is dropped");
    prop_assert_eq!(tracker.dropped(), tracker.created());
    prop_assert!(tracker.created() <= case.scripts.len());
    if let Some(limiter) = limiter {
        prop_assert_eq!(
            limiter.available(),
            limiter.capacity(),
            "every permit returned"
        );
    }
    Ok(())
}

/// One child's output as the case may see it: `None` for a missed deadline.
fn check_output(
    case: &Case,
    index: usize,
    output: Option<Result<usize, usize>>,
) -> Result<(), TestCaseError> {
    let end = case.scripts[index].end;
    match output {
        None => prop_assert!(
            case.deadline.is_some(),
            "input {} timed out without a deadline",
            index
        ),
        Some(value) => prop_assert_eq!(Some(value), expected(index, end), "input {}", index),
    }
    Ok(())
}

fn children<'a>(
    case: &'a Case,
    tracker: &'a Tracker,
) -> impl Iterator<Item = impl Future<Output = Result<usize, usize>> + Send + 'a> + 'a {
    case.scripts
        .iter()
        .enumerate()
        .map(move |(i, script)| tracker.track(i, Scripted::new(i, *script)))
}

fn limiter_for(case: &Case) -> Option<Limiter> {
    match case.limit {
        Limit::Shared(n) => Some(Limiter::new(n)),
        _ => None,
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    #[cfg_attr(miri, ignore)] // thousands of cases: far too slow under Miri
    fn gather_keeps_its_promises(case in case()) {
        let tracker = Tracker::new();
        let limiter = limiter_for(&case);
        let outputs: Option<Vec<Option<Result<usize, usize>>>> = futures::executor::block_on(async {
            let children = children(&case, &tracker);
            match case.deadline {
                None => {
                    let batch = match (&case.limit, &limiter) {
                        (Limit::Own(n), _) => children.bounded(*n).gather(),
                        (_, Some(limiter)) => children.bounded_by(limiter).gather(),
                        _ => children.gather(),
                    };
                    run_for(batch, case.drop_after).await.map(|v| v.into_iter().map(Some).collect())
                }
                Some(deadline) => {
                    let batch = children.with_deadline(deadline);
                    let batch = match (&case.limit, &limiter) {
                        (Limit::Own(n), _) => batch.bounded(*n),
                        (_, Some(limiter)) => batch.bounded_by(limiter),
                        _ => batch,
                    };
                    run_for(batch.gather(), case.drop_after).await.map(|v| v.into_iter().map(Result::ok).collect())
                }
            }
        });
        check_bookkeeping(&case, &tracker, limiter.as_ref())?;
        match outputs {
            Some(outputs) => {
                prop_assert_eq!(outputs.len(), case.scripts.len());
                for (index, output) in outputs.into_iter().enumerate() {
                    check_output(&case, index, output)?;
                }
                prop_assert_eq!(tracker.created(), case.scripts.len());
            }
            None => prop_assert!(case.drop_after.is_some(), "the batch stopped without being dropped"),
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)] // thousands of cases: far too slow under Miri
    fn try_gather_keeps_its_promises(case in case()) {
        let tracker = Tracker::new();
        let limiter = limiter_for(&case);
        // How many inputs had been created when the first child failed.
        let created_at_failure = Arc::new(Mutex::new(None));
        let outcome = futures::executor::block_on(async {
            let children = case.scripts.iter().enumerate().map(|(i, script)| {
                let (tracker_at_failure, created_at_failure) = (tracker.clone(), created_at_failure.clone());
                let child = Scripted::new(i, *script).on_error(move || {
                    created_at_failure.lock().unwrap().get_or_insert(tracker_at_failure.created());
                });
                tracker.track(i, child.map_err(Failure::Child))
            });
            let deadline = case.deadline.unwrap_or(Duration::MAX);
            let batch = children.with_deadline(deadline);
            let batch = match (&case.limit, &limiter) {
                (Limit::Own(n), _) => batch.bounded(*n),
                (_, Some(limiter)) => batch.bounded_by(limiter),
                _ => batch,
            };
            run_for(batch.try_gather(), case.drop_after).await
        });
        check_bookkeeping(&case, &tracker, limiter.as_ref())?;
        match outcome {
            Some(Ok(values)) => {
                prop_assert_eq!(values.len(), case.scripts.len());
                for (index, value) in values.into_iter().enumerate() {
                    check_output(&case, index, Some(Ok(value)))?;
                }
            }
            Some(Err(Failure::Child(index))) => {
                prop_assert_eq!(case.scripts[index].end, End::Err);
                // The failing child was the first to fail, and no input was
                // pulled after it.
                let created = *created_at_failure.lock().unwrap();
                prop_assert_eq!(created, Some(tracker.created()), "input pulled after the failure");
            }
            Some(Err(Failure::Elapsed)) => prop_assert!(case.deadline.is_some()),
            None => prop_assert!(case.drop_after.is_some()),
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)] // thousands of cases: far too slow under Miri
    fn as_completed_keeps_its_promises(case in case()) {
        let tracker = Tracker::new();
        let limiter = limiter_for(&case);
        let collected = futures::executor::block_on(async {
            let deadline = case.deadline.unwrap_or(Duration::MAX);
            let batch = children(&case, &tracker).with_deadline(deadline);
            let batch = match (&case.limit, &limiter) {
                (Limit::Own(n), _) => batch.bounded(*n),
                (_, Some(limiter)) => batch.bounded_by(limiter),
                _ => batch,
            };
            run_for(collect(batch.as_completed()), case.drop_after).await
        });
        check_bookkeeping(&case, &tracker, limiter.as_ref())?;
        if let Some(items) = collected {
            let mut seen = vec![false; case.scripts.len()];
            for (index, output) in items {
                prop_assert!(!seen[index], "input {} reported twice", index);
                seen[index] = true;
                check_output(&case, index, output.ok())?;
            }
            prop_assert!(seen.iter().all(|s| *s), "an input was never reported");
        } else {
            prop_assert!(case.drop_after.is_some());
        }
    }
}

/// Collects a stream into a `Vec` in arrival order.
async fn collect<S: Stream>(stream: S) -> Vec<S::Item> {
    let mut stream = std::pin::pin!(stream);
    let mut items = Vec::new();
    while let Some(item) = futures::StreamExt::next(&mut stream).await {
        items.push(item);
    }
    items
}
