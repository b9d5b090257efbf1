//! Regression: a `Pending` with no wake-up arranged, after a refill.
//!
//! A child that wakes itself during its first poll (`yield_now`, or any
//! tokio resource once the task's coop budget is spent) asks to let others
//! run first. The engine counted those children and, once two had yielded,
//! returned `Pending` at the top of its next poll, trusting that they had
//! woken the task already. But the count also grew in the refill that runs
//! after an output has been chosen (the slot is refilled before the output
//! is handed on), so their wake-ups were delivered during an earlier poll,
//! which the executor had already spent. The next poll returned `Pending`
//! with nothing arranged, and the batch hung for good.
//!
//! Any poll that ended right after such a refill was enough:
//! - `gather`, `try_gather` and `report` end a poll after 256 outputs, so
//!   300 inputs, 256 of them ready at once and the rest yielding, hung;
//! - an `as_completed` loop whose body awaits something between items;
//! - a stream polled with a different waker each time (moved to another
//!   task, or under `select_all`);
//! - with `within`, the batch sat still until the batch deadline, then
//!   reported children that had been ready as `Elapsed::Batch`.
//!
//! Rule 8 of the design: every `Pending` has a wake-up arranged on the
//! waker of that very poll. Each test here runs under a watchdog, so a
//! hang fails within 20 s instead of stopping the test run.

mod common;
use common::driver::{self, FreshWakers, or_stuck};
use common::*;
use fanout::Report;
use fanout::prelude::*;
use futures::StreamExt;
use std::future::Future;
use std::time::Duration;

/// Long enough for any of these batches, short enough to fail a test run
/// in reasonable time.
const WATCHDOG: Duration = Duration::from_secs(20);

/// The 256 outputs `gather` takes per poll, then children that yield.
const READY: usize = 256;
const LEN: usize = 300;

/// Input `i`: ready at once below `READY`, else woken during its first
/// poll by itself.
async fn ready_then_yielding(i: usize) -> usize {
    if i >= READY {
        yield_once(()).await;
    }
    i
}

on_every_executor! {
    async fn gather_past_its_output_budget_with_children_that_yield() {
        let out = or_stuck(WATCHDOG, (0..LEN).map(ready_then_yielding).gather()).await;
        assert_eq!(out, (0..LEN).collect::<Vec<_>>());
        // With a bound, only a slot at a time is refilled.
        let out = or_stuck(WATCHDOG, (0..LEN).map(ready_then_yielding).bounded(8).gather()).await;
        assert_eq!(out, (0..LEN).collect::<Vec<_>>());
    }

    async fn try_gather_past_its_output_budget_with_children_that_yield() {
        let children = (0..LEN).map(|i| async move { Ok::<_, ()>(ready_then_yielding(i).await) });
        let out = or_stuck(WATCHDOG, children.try_gather()).await;
        assert_eq!(out, Ok((0..LEN).collect::<Vec<_>>()));
    }

    async fn report_past_its_output_budget_with_children_that_yield() {
        let children = (0..LEN).map(|i| async move { Ok::<_, ()>(ready_then_yielding(i).await) });
        let report: Report<usize, ()> = or_stuck(WATCHDOG, children.report()).await;
        assert!(report.all_ok(), "{report}");
        assert_eq!(report.ok, (0..LEN).map(|i| (i, i)).collect::<Vec<_>>());
    }

    async fn as_completed_with_a_loop_body_that_awaits() {
        let mut seen = or_stuck(WATCHDOG, async {
            let mut done = (0..40).map(yield_once).bounded(8).as_completed();
            let mut seen = Vec::new();
            while let Some((index, output)) = done.next().await {
                seen.push((index, output));
                futures_timer::Delay::new(Duration::from_millis(1)).await;
            }
            seen
        })
        .await;
        seen.sort();
        assert_eq!(seen, (0..40).map(|i| (i, i)).collect::<Vec<_>>());
    }

    async fn a_stream_polled_with_a_fresh_waker_each_time() {
        // Polled only when woken on its newest waker, and wake-ups on the
        // waker of an earlier poll are dropped, as when the stream moves
        // between tasks.
        let done = FreshWakers::new((0..LEN).map(ready_then_yielding).bounded(8).as_completed());
        let mut seen: Vec<_> = or_stuck(WATCHDOG, done.collect()).await;
        seen.sort();
        assert_eq!(seen, (0..LEN).map(|i| (i, i)).collect::<Vec<_>>());
    }

    async fn a_stream_under_select_all() {
        // `select_all` polls a stream with a new waker after each item.
        let done = (0..40).map(yield_once).bounded(8).as_completed();
        let mut seen: Vec<_> = or_stuck(WATCHDOG, futures::stream::select_all([done]).collect()).await;
        seen.sort();
        assert_eq!(seen, (0..40).map(|i| (i, i)).collect::<Vec<_>>());
    }

    async fn a_batch_deadline_does_not_stand_in_for_a_wake_up() {
        let out = or_stuck(
            WATCHDOG,
            (0..LEN).map(ready_then_yielding).within(Duration::from_secs(5)).gather(),
        )
        .await;
        let late: Vec<usize> = (0..LEN).filter(|&i| out[i] != Ok(i)).collect();
        assert!(late.is_empty(), "inputs {late:?} ended as {:?}", late.first().map(|&i| out[i]));
    }
}

/// The same batches under the test suite's driver: a fresh waker for every
/// poll, and a `Pending` not followed by a wake-up on that waker fails at
/// once (or after the driver's watchdog) instead of hanging.
#[test]
fn every_pending_is_followed_by_a_wake_up_on_its_own_waker() {
    let _watchdog = common::watchdog::Watchdog::start();
    assert_eq!(
        driver::run((0..LEN).map(ready_then_yielding).gather()),
        (0..LEN).collect::<Vec<_>>()
    );
    let children = (0..LEN).map(|i| async move { Ok::<_, ()>(ready_then_yielding(i).await) });
    assert_eq!(
        driver::run(children.bounded(8).try_gather()),
        Ok((0..LEN).collect::<Vec<_>>())
    );
    let children = (0..LEN).map(|i| async move { Ok::<_, ()>(ready_then_yielding(i).await) });
    assert!(driver::run(children.report()).all_ok());
    let mut seen = driver::run(async {
        let mut done = (0..LEN).map(ready_then_yielding).bounded(8).as_completed();
        let mut seen = Vec::new();
        while let Some(item) = done.next().await {
            seen.push(item);
            // Back to the driver between items: the next poll has a new
            // waker.
            yield_once(()).await;
        }
        seen
    });
    seen.sort();
    assert_eq!(seen, (0..LEN).map(|i| (i, i)).collect::<Vec<_>>());
}

/// The driver itself: it must tell a lost wake-up from a delivered one, or
/// the tests above prove nothing.
mod the_driver {
    use super::*;
    use common::driver::{Driver, Stop};
    use std::task::Poll;

    /// Pending once, with the wake-up arranged on the waker of an earlier
    /// poll: the mistake this file is about, in miniature.
    fn wakes_a_stale_waker() -> impl Future<Output = ()> {
        let mut polls = 0;
        let mut kept = None;
        std::future::poll_fn(move |cx| {
            polls += 1;
            match polls {
                1 => {
                    kept = Some(cx.waker().clone());
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                2 => {
                    kept.take().unwrap().wake();
                    Poll::Pending
                }
                _ => Poll::Ready(()),
            }
        })
    }

    #[test]
    fn reports_a_wake_up_on_an_earlier_poll_s_waker_as_a_stall() {
        let _watchdog = crate::common::watchdog::Watchdog::start();
        let stall = Driver::new()
            .watchdog(Duration::from_millis(200))
            .drive(wakes_a_stale_waker())
            .expect_err("the wake-up went to the first poll's waker");
        assert_eq!(stall.poll, 2);
        assert_eq!(stall.stale_wakes, 1);
        assert!(
            stall
                .to_string()
                .starts_with("Pending with no wake-up arranged on this poll's waker")
        );
    }

    #[test]
    fn accepts_wake_ups_from_other_threads_and_timers() {
        let _watchdog = crate::common::watchdog::Watchdog::start();
        let out = driver::run(async {
            yield_once(()).await;
            sleep_ms(5).await;
            let (tx, rx) = futures::channel::oneshot::channel();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(5));
                tx.send(7).unwrap();
            });
            rx.await.unwrap()
        });
        assert_eq!(out, 7);
    }

    #[test]
    fn with_a_ledger_it_tells_asleep_from_stalled_at_once() {
        use common::ledger::Ledger;
        let _watchdog = crate::common::watchdog::Watchdog::start();
        let ledger = Ledger::new();
        // Nothing arranged at all: asleep for good when that is allowed...
        let asleep = Driver::new()
            .knowing(&ledger)
            .may_idle(true)
            .drive(futures::future::pending::<()>());
        assert!(matches!(asleep, Ok(Stop::Idle)));
        // ...and a stall at once, well before the watchdog, when not.
        let started = std::time::Instant::now();
        let stalled = Driver::new()
            .knowing(&ledger)
            .drive(futures::future::pending::<()>());
        assert!(stalled.is_err());
        assert!(started.elapsed() < Duration::from_secs(5));
        // A promised timer is waited for.
        let timer = ledger.watch(futures_timer::Delay::new(Duration::from_millis(5)));
        assert!(matches!(
            Driver::new().knowing(&ledger).drive(timer),
            Ok(Stop::Ready(()))
        ));
    }
}
