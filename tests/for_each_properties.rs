//! Property tests of the ends that take the consumer's body (`for_each`,
//! `fold`, `try_for_each`, `forward`), in completion order (`as_completed`)
//! and in input order (`in_order`): random batches of children that are
//! ready, yield, are woken by another thread racing their poll, or register
//! their waker once with a reactor thread and fail if polled again before
//! it wakes them; a body that awaits a random wake-up of the same kinds
//! between items; random limits. After each
//! case: no hang, every output seen exactly once (in input order for
//! `in_order`), at most the limit of outputs waiting for the body in
//! completion order and at most `in_order`'s window less one in input
//! order, and after `try_for_each`'s error no child left alive.
//!
//! 256 cases per property under `cargo test` (`PROPTEST_CASES` overrides).

mod common;
use common::driver::or_stuck;
use common::scripted::wake_racing;
use common::strict::Reactor;
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
    /// Registers its waker once with the reactor thread, and fails if
    /// polled again before that wake-up.
    Strict,
}

fn wait() -> impl Strategy<Value = Wait> {
    prop_oneof![
        3 => Just(Wait::Nothing),
        3 => Just(Wait::Yield),
        2 => Just(Wait::Thread),
        1 => Just(Wait::Timer),
    ]
}

fn child_wait() -> impl Strategy<Value = Wait> {
    prop_oneof![8 => wait(), 2 => Just(Wait::Strict)]
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

async fn wait_for(how: Wait, reactor: &Reactor) {
    match how {
        Wait::Strict => reactor.child(()).await,
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

/// The order the body takes the outputs in.
#[derive(Debug, Clone, Copy)]
enum Order {
    /// A batch's own, or `as_completed()`'s.
    Completion,
    /// `in_order()`'s.
    Input,
}

#[derive(Debug, Clone)]
struct Case {
    children: Vec<Wait>,
    limit: Option<usize>,
    bodies: Vec<Wait>,
    end: End,
    order: Order,
}

fn case() -> impl Strategy<Value = Case> {
    let children = prop::collection::vec(child_wait(), 0..300);
    let limit = prop_oneof![1 => Just(None), 4 => (1usize..12).prop_map(Some)];
    let bodies = prop::collection::vec(child_wait(), 1..8);
    let end = prop_oneof![
        2 => Just(End::ForEach),
        1 => Just(End::Fold),
        1 => (0usize..300).prop_map(End::TryForEach),
        1 => Just(End::Forward),
    ];
    let order = prop_oneof![Just(Order::Completion), Just(Order::Input)];
    (children, limit, bodies, end, order).prop_map(|(children, limit, bodies, end, order)| Case {
        children,
        limit,
        bodies,
        end,
        order,
    })
}

/// Runs `case`'s end over `$end` (an `AsCompleted` or an `InOrder`),
/// whose items `$split` turns into `(input index, output)`: the error
/// `try_for_each` ended with, if any.
macro_rules! consume {
    ($case:expr, $end:expr, $split:expr, $note:expr, $body_wait:expr, $reactor:expr, $seen:expr) => {{
        let split = $split;
        let note = $note;
        let body_wait = $body_wait;
        let reactor: &Reactor = $reactor;
        match $case.end {
            End::ForEach => {
                $end.for_each(|item| {
                    let (index, output) = split(item);
                    note(index, output);
                    wait_for(body_wait(output), reactor)
                })
                .await;
                None
            }
            End::Fold => {
                let count = $end
                    .fold(0, |count, item| {
                        let (index, output) = split(item);
                        note(index, output);
                        async move {
                            wait_for(body_wait(output), reactor).await;
                            count + 1
                        }
                    })
                    .await;
                assert_eq!(count, $seen.lock().unwrap().len());
                None
            }
            End::TryForEach(fail_at) => $end
                .try_for_each(|item| {
                    let (index, output) = split(item);
                    note(index, output);
                    async move {
                        wait_for(body_wait(output), reactor).await;
                        if output == fail_at {
                            Err(output)
                        } else {
                            Ok(())
                        }
                    }
                })
                .await
                .err(),
            End::Forward => {
                let (sink, received) = futures::channel::mpsc::unbounded();
                $end.forward(sink).await.expect("the channel is open");
                use futures::StreamExt;
                let received: Vec<_> = received.collect().await;
                for item in received {
                    let (index, output) = split(item);
                    note(index, output);
                }
                None
            }
        }
    }};
}

/// Runs `case`: the outputs the body saw, the most that waited for it, and
/// the error `try_for_each` ended with.
async fn run(case: &Case, tracker: &Tracker) -> (Vec<usize>, usize, Option<usize>) {
    let reactor = Reactor::new();
    let reactor = &reactor;
    let children = case.children.clone();
    let batch = (0..children.len()).map(|i| {
        let wait = children[i];
        tracker.track(i, async move {
            wait_for(wait, reactor).await;
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
    let failed = match case.order {
        Order::Completion => consume!(
            case,
            batch.as_completed(),
            |item: (usize, usize)| item,
            &note,
            &body_wait,
            reactor,
            seen
        ),
        Order::Input => consume!(
            case,
            batch.in_order(),
            |output: usize| (output, output),
            &note,
            &body_wait,
            reactor,
            seen
        ),
    };
    let seen = seen.into_inner().unwrap();
    (seen, peak.load(SeqCst), failed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    #[cfg_attr(miri, ignore = "hundreds of cases: far too slow under Miri, and proptest reads the working directory, which Miri's isolation forbids")]
    fn a_body_that_awaits_loses_nothing_and_holds_at_most_the_limit(case in case()) {
        let _watchdog = Watchdog::start();
        let tracker = Tracker::new();
        let (seen, peak, failed) =
            futures::executor::block_on(or_stuck(WATCHDOG, run(&case, &tracker)));
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        sorted.dedup();
        prop_assert_eq!(sorted.len(), seen.len(), "an output seen twice");
        if let Order::Input = case.order {
            prop_assert_eq!(&sorted, &seen, "in_order's body saw an output out of order");
        }
        match (case.end, failed) {
            (End::TryForEach(_), Some(at)) => {
                prop_assert_eq!(seen.last(), Some(&at), "the error is the last body's");
                prop_assert_eq!(tracker.alive(), 0, "a child outlived the error");
            }
            _ => prop_assert_eq!(sorted, (0..case.children.len()).collect::<Vec<_>>(), "outputs lost"),
        }
        if let (Some(limit), false) = (case.limit, matches!(case.end, End::Forward)) {
            // In input order the window (2 places per slot) bounds them.
            let most = match case.order {
                Order::Completion => limit,
                Order::Input => 2 * limit - 1,
            };
            prop_assert!(peak <= most, "{} outputs waited under a limit of {} ({:?} order)", peak, limit, case.order);
        }
        prop_assert_eq!(tracker.alive(), 0);
    }
}
