//! `AdaptiveLimit`: a cap on children in flight, shared like a `Limiter`,
//! that moves with how its children go. It stays within its range; no
//! child starts while the children in flight fill the limit as it stands
//! then, even right after a shrink below them (those finish, none is
//! dropped); refusals and missed deadlines halve it once per round trip,
//! however many children report them; only the children's own outcomes
//! teach it (not a batch deadline, not a panic); and every permit comes
//! back, whatever ends the chain.
//!
//! The children are counted in flight from their first poll to their end
//! ([`InFlight`]): where every batch sharing the limit runs in one task,
//! nothing moves the limit between a child's admission and its first poll,
//! so each start is checked against `limit.current()` exactly.

mod common;
mod shared_limits;
use common::source::{Gap, Length, TestSource};
use common::strict::Reactor;
use common::*;
use fanout::limits::ChangeReason;
use fanout::prelude::*;
use fanout::{AdaptiveLimit, Elapsed, Limiter};
use futures::channel::oneshot;
use futures::{FutureExt, StreamExt};
use shared_limits::{InFlight, Overloaded};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The last change of `limit`, as `(from, to, reason)`.
fn last_change(limit: &AdaptiveLimit) -> Option<(usize, usize, ChangeReason)> {
    limit
        .last_change()
        .map(|change| (change.from, change.to, change.reason))
}

/// A child that wakes itself once, then returns `out`: it finishes in the
/// batch's next pass, after every sibling admitted with it.
fn after_a_yield<T>(out: T) -> impl Future<Output = T> {
    yield_once(out)
}

/// Twenty calls, counted by `probe`, that take a few milliseconds; every
/// fifth is refused.
fn calls(
    probe: &InFlight,
) -> impl Iterator<Item = impl Future<Output = Result<usize, Overloaded>>> {
    let probe = probe.clone();
    (0..20).map(move |i| {
        probe.watch(i, async move {
            sleep_ms(2).await;
            if i % 5 == 4 { Err(Overloaded) } else { Ok(i) }
        })
    })
}

/// What [`calls`] return, in input order.
fn calls_expected() -> Vec<Result<usize, Overloaded>> {
    (0..20)
        .map(|i| if i % 5 == 4 { Err(Overloaded) } else { Ok(i) })
        .collect()
}

on_every_executor! {
    async fn refusals_never_take_the_limit_below_the_least_of_its_range() {
        let limit = AdaptiveLimit::new(8, 3..=16);
        let probe = InFlight::under(&limit);
        let n = if cfg!(miri) { 30 } else { 60 };
        // Every call is refused: each round trip halves the limit once,
        // 8 -> 4 -> 3 (not 2), and there it stays.
        let out = (0..n)
            .map(|i| probe.watch(i, after_a_yield(Err::<usize, _>(Overloaded))))
            .bounded_by(&limit)
            .overloaded_when(Result::is_err)
            .gather()
            .await;
        assert_eq!(out, vec![Err(Overloaded); n]);
        assert_eq!(limit.current(), 3);
        assert_eq!(last_change(&limit), Some((4, 3, ChangeReason::Overloaded)));
        probe.assert_never_over();
        assert_eq!(limit.in_flight(), 0);
    }

    async fn fast_calls_never_take_the_limit_above_the_most_of_its_range() {
        let limit = AdaptiveLimit::new(2, 1..=5);
        let probe = InFlight::under(&limit);
        let most = Arc::new(AtomicUsize::new(0));
        let each = if cfg!(miri) { 15 } else { 30 };
        // Calls of 20 ms each, all served, from two batches that always
        // have one waiting in line: the limit grows by about one per round
        // trip (2 -> 5 takes nine calls), the batches in line are let in
        // as it grows, and it stops at 5.
        let batch = |first: usize| {
            let (shared, most, probe) = (limit.clone(), most.clone(), probe.clone());
            (first..first + each)
                .map(move |i| {
                    let (limit, most) = (shared.clone(), most.clone());
                    probe.watch(i, async move {
                        most.fetch_max(limit.current(), SeqCst);
                        sleep_ms(20).await;
                        i
                    })
                })
                .bounded_by(&limit)
                .gather()
        };
        let (a, b) = futures::join!(batch(0), batch(100));
        assert_eq!((a, b), ((0..each).collect(), (100..100 + each).collect()));
        let most = most.load(SeqCst);
        assert!(most <= 5 && limit.current() <= 5, "grew past its range: {most}, now {}", limit.current());
        assert!(probe.peak() <= 5, "{} in flight at once", probe.peak());
        if !cfg!(miri) {
            // (Under Miri the round trips are on its own clock: only the
            // bounds are checked there.)
            assert_eq!(most, 5, "sixty fast calls did not grow the limit from 2 to 5");
            assert_eq!(probe.peak(), 5, "the limit grew, the children in flight did not");
        }
        probe.assert_never_over();
        assert_eq!(limit.in_flight(), 0);
    }

    async fn a_call_alone_in_flight_counts_itself_toward_growth() {
        // The limit grows only while at least half of it is in use, and
        // the call being judged is one of those in use: under a limit of
        // 2, calls served one at a time (one batch of one after another)
        // use half of it, and grow it to 3; under 3 they no longer do.
        let limit = AdaptiveLimit::new(2, 1..=8);
        for i in 0..12 {
            let out = std::iter::once(async move {
                sleep_ms(5).await;
                i
            })
            .bounded_by(&limit)
            .gather()
            .await;
            assert_eq!(out, [i]);
        }
        if !cfg!(miri) {
            // (Under Miri the round trips are on its own clock: only the
            // bookkeeping is checked there.)
            assert_eq!(
                last_change(&limit),
                Some((2, 3, ChangeReason::Grew)),
                "one call in flight of a limit of 2 is half of it in use"
            );
            assert_eq!(limit.current(), 3, "one call in flight of 3 is less than half");
        }
        assert_eq!(limit.in_flight(), 0);
    }

    async fn a_shrink_below_the_children_in_flight_lets_every_one_finish() {
        let limit = AdaptiveLimit::new(16, 1..=16);
        let probe = InFlight::under(&limit);
        let tracker = Tracker::new();
        let n = if cfg!(miri) { 32 } else { 48 };
        // All sixteen start at once; input 0 is refused in the next pass,
        // which halves the limit to 8 with fifteen still running.
        let children = (0..n).map(|i| {
            tracker.track(i, probe.watch(i, async move {
                if i == 0 {
                    return after_a_yield(Err(Overloaded)).await;
                }
                sleep_ms(10).await;
                Ok(i)
            }))
        });
        let out = children
            .bounded_by(&limit)
            .overloaded_when(Result::is_err)
            .gather()
            .await;
        let expected: Vec<_> = (0..n).map(|i| if i == 0 { Err(Overloaded) } else { Ok(i) }).collect();
        assert_eq!(out, expected, "every output, once, in input order");
        assert_eq!(tracker.finished(), n, "every child ran to its end: none dropped");
        assert_eq!(tracker.alive(), 0);
        assert_eq!(probe.peak(), 16);
        assert!(
            probe.beyond_at_end() > 0,
            "the shrink never left more children running than the limit allowed: the test missed its case"
        );
        probe.assert_never_over();
        assert_eq!(limit.in_flight(), 0);
    }

    async fn refusals_from_one_round_trip_halve_the_limit_once() {
        let reactor = Reactor::new();
        let limit = AdaptiveLimit::new(32, 1..=32);
        // Two batches of sixteen fill the limit before any child ends,
        // then every one of the 32 is refused: halved once, not 32 times.
        let refusals = |count: usize| {
            (0..count)
                .map(|_| reactor.child(Err::<(), _>(Overloaded)))
                .bounded_by(&limit)
                .overloaded_when(Result::is_err)
                .gather()
        };
        let (a, b) = futures::join!(refusals(16), refusals(16));
        assert_eq!((a.len(), b.len()), (16, 16));
        assert_eq!(limit.current(), 16);
        assert_eq!(last_change(&limit), Some((32, 16, ChangeReason::Overloaded)));
        // Children admitted after that decrease may cause the next: one
        // more round trip of refusals halves it once more.
        let again = refusals(16).await;
        assert_eq!(again, vec![Err(Overloaded); 16]);
        assert_eq!(limit.current(), 8);
        assert_eq!(last_change(&limit), Some((16, 8, ChangeReason::Overloaded)));
        assert_eq!(limit.in_flight(), 0);
    }

    async fn a_missed_deadline_counts_as_overload_once_per_round_trip() {
        let limit = AdaptiveLimit::new(8, 1..=8);
        let tracker = Tracker::new();
        // Eight children that never finish all miss their deadline.
        let deadline = ms(if cfg!(miri) { 1_000 } else { 30 });
        let out = (0..8)
            .map(|i| tracker.track(i, futures::future::pending::<()>()))
            .bounded_by(&limit)
            .with_deadline(deadline)
            .gather()
            .await;
        assert_eq!(out, vec![Err(Elapsed::Child); 8]);
        assert_eq!(limit.current(), 4);
        assert_eq!(last_change(&limit), Some((8, 4, ChangeReason::DeadlinePassed)));
        assert_eq!((tracker.alive(), limit.in_flight()), (0, 0));
    }

    async fn a_batch_deadline_teaches_the_limit_nothing() {
        let limit = AdaptiveLimit::new(8, 1..=8);
        let tracker = Tracker::new();
        // Cut mid-flight: every child still running, none finished.
        let deadline = ms(if cfg!(miri) { 1_000 } else { 30 });
        let out = (0..12)
            .map(|i| tracker.track(i, futures::future::pending::<u32>()))
            .bounded_by(&limit)
            .overloaded_when(|_| true)
            .within(deadline)
            .gather()
            .await;
        assert_eq!(out, vec![Err(Elapsed::Batch); 12]);
        // A zero batch deadline: the first pass gives each child the limit
        // lets in its first poll, and the cut ends every one of them.
        let out = (0..12)
            .map(|i| tracker.track(i, futures::future::pending::<u32>()))
            .bounded_by(&limit)
            .overloaded_when(|_| true)
            .within(Duration::ZERO)
            .gather()
            .await;
        assert_eq!(out, vec![Err(Elapsed::Batch); 12]);
        assert_eq!(tracker.created(), 16, "each batch created what the limit let in");
        assert_eq!((limit.current(), limit.last_change()), (8, None));
        assert_eq!((tracker.alive(), limit.in_flight()), (0, 0));
    }

    async fn a_panicking_child_teaches_the_limit_nothing() {
        let limit = AdaptiveLimit::new(8, 1..=8);
        // Caught as values, before and after a yield, under a classifier
        // that would call any output overload.
        let out = (0..12u32)
            .map(|i| async move {
                if i % 2 == 0 {
                    yield_once(()).await;
                }
                assert!(i > 100, "child {i} broke");
                i
            })
            .bounded_by(&limit)
            .catch_panics()
            .overloaded_when(|_| true)
            .gather()
            .await;
        assert_eq!(out.len(), 12);
        assert!(out.iter().all(Result::is_err), "{out:?}");
        assert_eq!((limit.current(), limit.last_change()), (8, None));
        assert_eq!(limit.in_flight(), 0);
    }

    async fn the_classifier_sees_each_finished_childs_own_output() {
        let limit = AdaptiveLimit::new(8, 1..=8);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let children = (0..6u32).map(|i| async move {
            match i {
                3 => Err(Overloaded),
                4 => panic!("child 4 broke"),
                5 => futures::future::pending().await,
                _ => yield_once(Ok(i)).await,
            }
        });
        let deadline = ms(if cfg!(miri) { 1_000 } else { 50 });
        let out = children
            .bounded_by(&limit)
            .with_deadline(deadline)
            .catch_panics()
            .overloaded_when(move |out: &Result<u32, Overloaded>| {
                log.lock().unwrap().push(*out);
                out.is_err()
            })
            .gather()
            .await;
        assert_eq!(out.len(), 6);
        assert!(out[4].is_err(), "child 4's panic, caught");
        assert!(matches!(out[5], Ok(Err(Elapsed::Child))), "child 5 missed its deadline");
        let mut seen = seen.lock().unwrap().clone();
        seen.sort_by_key(|out| out.map_or(u32::MAX, |i| i));
        // Not the panic, not the missed deadline: only outputs the
        // children returned, as they returned them.
        assert_eq!(seen, [Ok(0), Ok(1), Ok(2), Err(Overloaded)]);
        assert_eq!(limit.in_flight(), 0);
    }

    async fn without_an_adaptive_limit_the_classifier_is_never_called() {
        let calls = Arc::new(AtomicUsize::new(0));
        let classify = || {
            let calls = calls.clone();
            move |_: &u32| {
                calls.fetch_add(1, SeqCst);
                true
            }
        };
        let children = || (0..10u32).map(yield_once);
        let expected: Vec<u32> = (0..10).collect();
        assert_eq!(children().overloaded_when(classify()).gather().await, expected);
        assert_eq!(children().bounded(3).overloaded_when(classify()).gather().await, expected);
        let limiter = Limiter::new(3);
        assert_eq!(children().bounded_by(&limiter).overloaded_when(classify()).gather().await, expected);
        assert_eq!(calls.load(SeqCst), 0);
        // The same chain under an adaptive limit asks it of every output.
        let limit = AdaptiveLimit::new(3, 1..=3);
        assert_eq!(children().bounded_by(&limit).overloaded_when(classify()).gather().await, expected);
        assert_eq!(calls.load(SeqCst), 10);
    }

    async fn a_panicking_classifier_ends_the_batch_after_dropping_every_child() {
        // Input 2 finishes on its first poll (judged while admitting), or
        // after a yield (judged as it leaves the running set).
        for at_first_poll in [true, false] {
            let limit = AdaptiveLimit::new(4, 1..=8);
            let tracker = Tracker::new();
            let children = (0..10usize).map(|i| {
                tracker.track(i, async move {
                    if i != 2 {
                        futures::future::pending::<()>().await;
                    } else if !at_first_poll {
                        yield_once(()).await;
                    }
                    i
                })
            });
            let batch = children
                .bounded_by(&limit)
                .overloaded_when(|&out| {
                    assert!(out != 2, "the classifier broke on output {out}");
                    false
                })
                .gather();
            let caught = AssertUnwindSafe(batch).catch_unwind().await;
            let payload = caught.expect_err("the classifier's panic goes on");
            assert_eq!(panic_message(&*payload), "the classifier broke on output 2");
            assert_eq!(tracker.alive(), 0, "every child dropped (at first poll: {at_first_poll})");
            assert_eq!(limit.in_flight(), 0, "every permit back (at first poll: {at_first_poll})");
            assert_eq!((limit.current(), limit.last_change()), (4, None));
        }
    }

    /// As an input's or the `on_each` hook's panic met while a slot is
    /// refilled after an output was chosen: the output is handed on
    /// first, and the panic comes at the next poll.
    async fn a_panicking_classifier_during_the_refill_keeps_the_chosen_output() {
        let limit = AdaptiveLimit::new(1, 1..=1);
        let tracker = Tracker::new();
        let children = (0..5usize).map(|i| tracker.track(i, async move { i }));
        let mut stream = children
            .bounded_by(&limit)
            .overloaded_when(|&out| {
                assert!(out != 1, "the classifier broke on output {out}");
                false
            })
            .as_completed();
        // Child 0 finishes; refilling its slot starts child 1, which
        // finishes on its first poll, and the classifier panics on it.
        let first = AssertUnwindSafe(stream.next()).catch_unwind().await;
        let first = first.unwrap_or_else(|payload| {
            panic!("the output chosen before the panic was lost: `{}`", panic_message(&*payload))
        });
        assert_eq!(first, Some((0, 0)));
        let next = AssertUnwindSafe(stream.next()).catch_unwind().await;
        assert_eq!(panic_message(&*next.expect_err("the panic")), "the classifier broke on output 1");
        assert_eq!(stream.next().now_or_never(), Some(None));
        assert_eq!((tracker.alive(), limit.in_flight()), (0, 0));
    }

    async fn a_stop_while_shrunk_lets_the_running_children_finish() {
        let limit = AdaptiveLimit::new(8, 1..=8);
        let probe = InFlight::under(&limit);
        let tracker = Tracker::new();
        let (stop, stopped) = oneshot::channel::<()>();
        let stop = Arc::new(Mutex::new(Some(stop)));
        // Input 0 is refused once all eight run: the limit halves to 4
        // with seven running. Input 10, admitted once fewer than 4 run,
        // sends the stop at its first poll: nothing after it is created.
        let children = (0..40).map(|i| {
            let stop = stop.clone();
            tracker.track(i, probe.watch(i, async move {
                if i == 0 {
                    return after_a_yield(Err(Overloaded)).await;
                }
                if i == 10 {
                    let _ = stop.lock().unwrap().take().map(|stop| stop.send(()));
                }
                sleep_ms(5).await;
                Ok(i)
            }))
        });
        let out = children
            .bounded_by(&limit)
            .overloaded_when(Result::is_err)
            .until(stopped)
            .gather()
            .await;
        let expected: Vec<_> = (0..=10).map(|i| if i == 0 { Err(Overloaded) } else { Ok(i) }).collect();
        assert_eq!(out, expected);
        assert_eq!((tracker.created(), tracker.finished(), tracker.alive()), (11, 11, 0));
        assert!(probe.beyond_at_end() > 0, "the shrink left no more running than the limit");
        probe.assert_never_over();
        assert_eq!(limit.in_flight(), 0);
    }

    async fn a_batch_deadline_while_shrunk_returns_every_permit() {
        let limit = AdaptiveLimit::new(8, 1..=8);
        let tracker = Tracker::new();
        // Input 0 is refused once all eight run: halved to 4, with seven
        // running that never finish; the batch deadline cuts them while
        // the limit still keeps back three of their permits.
        let deadline = ms(if cfg!(miri) { 1_000 } else { 40 });
        let out = (0..12)
            .map(|i| {
                tracker.track(i, async move {
                    if i == 0 {
                        return after_a_yield(Err(Overloaded)).await;
                    }
                    futures::future::pending().await
                })
            })
            .bounded_by(&limit)
            .overloaded_when(|out: &Result<(), Overloaded>| out.is_err())
            .within(deadline)
            .gather()
            .await;
        assert_eq!(out[0], Ok(Err(Overloaded)));
        assert!(out[1..].iter().all(|out| *out == Err(Elapsed::Batch)), "{out:?}");
        assert_eq!((tracker.created(), tracker.alive()), (8, 0));
        assert_eq!(limit.current(), 4);
        assert_eq!(limit.in_flight(), 0);
        // Nothing owed and nothing extra: a new batch runs exactly 4 at once.
        let fresh = Tracker::new();
        let out = (0..10)
            .map(|i| fresh.track(i, futures::future::pending::<()>()))
            .bounded_by(&limit)
            .within(deadline)
            .gather()
            .await;
        assert_eq!(out.len(), 10);
        assert_eq!(fresh.peak_running(), 4);
        assert_eq!(limit.in_flight(), 0);
    }

    async fn gather_under_an_adaptive_limit() {
        let limit = AdaptiveLimit::new(3, 1..=6);
        let probe = InFlight::under(&limit);
        let out = calls(&probe).bounded_by(&limit).overloaded_when(Result::is_err).gather().await;
        assert_eq!(out, calls_expected());
        probe.assert_never_over();
        assert_eq!((probe.now(), limit.in_flight()), (0, 0));
    }

    async fn try_gather_under_an_adaptive_limit() {
        let limit = AdaptiveLimit::new(3, 1..=6);
        let probe = InFlight::under(&limit);
        let out = calls(&probe).bounded_by(&limit).overloaded_when(Result::is_err).try_gather().await;
        assert_eq!(out, Err(Overloaded));
        // The refusal halved the limit before the siblings were dropped.
        assert_eq!(last_change(&limit).map(|(_, _, reason)| reason), Some(ChangeReason::Overloaded));
        probe.assert_never_over();
        assert_eq!((probe.now(), limit.in_flight()), (0, 0));
        let served = (0..8).map(|i| yield_once(Ok::<_, Overloaded>(i))).bounded_by(&limit).try_gather().await;
        assert_eq!(served, Ok((0..8).collect::<Vec<_>>()));
        assert_eq!(limit.in_flight(), 0);
    }

    async fn as_completed_under_an_adaptive_limit() {
        let limit = AdaptiveLimit::new(3, 1..=6);
        let probe = InFlight::under(&limit);
        let mut out: Vec<_> = calls(&probe)
            .bounded_by(&limit)
            .overloaded_when(Result::is_err)
            .as_completed()
            .collect()
            .await;
        out.sort_by_key(|&(index, _)| index);
        let expected: Vec<_> = calls_expected().into_iter().enumerate().collect();
        assert_eq!(out, expected);
        probe.assert_never_over();
        assert_eq!((probe.now(), limit.in_flight()), (0, 0));
    }

    async fn in_order_under_an_adaptive_limit() {
        let limit = AdaptiveLimit::new(3, 1..=6);
        let probe = InFlight::under(&limit);
        let out: Vec<_> = calls(&probe)
            .bounded_by(&limit)
            .overloaded_when(Result::is_err)
            .in_order()
            .collect()
            .await;
        assert_eq!(out, calls_expected());
        probe.assert_never_over();
        assert_eq!((probe.now(), limit.in_flight()), (0, 0));
    }

    async fn report_under_an_adaptive_limit() {
        let limit = AdaptiveLimit::new(3, 1..=6);
        let probe = InFlight::under(&limit);
        let report = calls(&probe).bounded_by(&limit).overloaded_when(Result::is_err).report().await;
        assert_eq!((report.ok.len(), report.failed.len(), report.len()), (16, 4, 20));
        let mut failed: Vec<_> = report.failed.iter().map(|&(index, _)| index).collect();
        failed.sort();
        assert_eq!(failed, [4, 9, 14, 19]);
        probe.assert_never_over();
        assert_eq!((probe.now(), limit.in_flight()), (0, 0));
    }

    async fn for_each_under_an_adaptive_limit() {
        let limit = AdaptiveLimit::new(3, 1..=6);
        let probe = InFlight::under(&limit);
        let received = Mutex::new(Vec::new());
        calls(&probe)
            .bounded_by(&limit)
            .overloaded_when(Result::is_err)
            .for_each(|item| {
                let received = &received;
                async move {
                    // A body that awaits: outputs wait for it meanwhile.
                    yield_once(()).await;
                    received.lock().unwrap().push(item);
                }
            })
            .await;
        let mut received = received.into_inner().unwrap();
        received.sort_by_key(|&(index, _)| index);
        let expected: Vec<_> = calls_expected().into_iter().enumerate().collect();
        assert_eq!(received, expected);
        probe.assert_never_over();
        assert_eq!((probe.now(), limit.in_flight()), (0, 0));
    }

    async fn a_stream_input_under_an_adaptive_limit() {
        let limit = AdaptiveLimit::new(4, 1..=8);
        let probe = InFlight::under(&limit);
        let maker = probe.clone();
        // Pending before some items, woken by itself or by another thread.
        let source = TestSource::new(Length::Ends(30), move |i| {
            maker.watch(i, async move {
                if i % 3 == 0 {
                    yield_once(()).await;
                }
                if i % 7 == 6 { Err(Overloaded) } else { Ok(i) }
            })
        })
        .gaps(|i| match i % 4 {
            1 => Gap::SelfWake,
            3 => Gap::Thread(ms(1)),
            _ => Gap::None,
        });
        let out = source.bounded_by(&limit).overloaded_when(Result::is_err).gather().await;
        let expected: Vec<_> = (0..30).map(|i| if i % 7 == 6 { Err(Overloaded) } else { Ok(i) }).collect();
        assert_eq!(out, expected);
        assert!(limit.last_change().is_some(), "the refusals moved the limit");
        probe.assert_never_over();
        assert_eq!((probe.now(), limit.in_flight()), (0, 0));
    }

    async fn batches_in_one_task_share_the_limit_and_its_lessons() {
        let limit = AdaptiveLimit::new(6, 2..=6);
        let probe = InFlight::under(&limit);
        let batch = |first: usize| {
            let probe = probe.clone();
            (first..first + 30)
                .map(move |i| {
                    probe.watch(i, async move {
                        sleep_ms(1 + (i % 3) as u64).await;
                        if i % 11 == 10 { Err(Overloaded) } else { Ok(i) }
                    })
                })
                .bounded_by(&limit)
                .overloaded_when(Result::is_err)
                .gather()
        };
        let (a, b, c) = futures::join!(batch(0), batch(100), batch(200));
        for (out, first) in [(a, 0), (b, 100), (c, 200)] {
            let expected: Vec<_> = (first..first + 30)
                .map(|i| if i % 11 == 10 { Err(Overloaded) } else { Ok(i) })
                .collect();
            assert_eq!(out, expected);
        }
        assert!(limit.last_change().is_some());
        assert!(limit.range().contains(&limit.current()));
        probe.assert_never_over();
        assert_eq!((probe.now(), limit.in_flight()), (0, 0));
    }
}

/// A permit freed while a batch waits in line is handed to that batch;
/// if the limit then shrinks below the children still running before the
/// batch takes it, the batch must not start a child on it: no child
/// starts until fewer than the limit are in flight.
#[test]
fn a_shrink_takes_back_a_permit_handed_to_a_waiting_batch() {
    let _watchdog = common::watchdog::Watchdog::start();
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let limit = AdaptiveLimit::new(4, 1..=4);
    let probe = InFlight::under(&limit);
    let (served, serve) = oneshot::channel::<()>();
    let (refused, refuse) = oneshot::channel::<()>();
    let (serve, refuse) = (Mutex::new(Some(serve)), Mutex::new(Some(refuse)));
    // `a` takes all four permits: inputs 0 and 1 run for good, input 2 is
    // served and input 3 refused when the test says.
    let a_children = (0..4usize).map(|i| {
        let wait = match i {
            2 => serve.lock().unwrap().take(),
            3 => refuse.lock().unwrap().take(),
            _ => None,
        };
        probe.watch(i, async move {
            match wait {
                Some(wait) => {
                    let _ = wait.await;
                }
                None => futures::future::pending().await,
            }
            if i == 3 { Err(Overloaded) } else { Ok(i) }
        })
    });
    let mut a = a_children
        .bounded_by(&limit)
        .overloaded_when(Result::is_err)
        .as_completed();
    assert!(a.poll_next_unpin(&mut cx).is_pending());
    assert_eq!((probe.now(), limit.in_flight()), (4, 4));
    // `b` waits in line for a permit.
    let mut b = Box::pin(
        (10..12usize)
            .map(|i| probe.watch(i, async move { i }))
            .bounded_by(&limit)
            .gather(),
    );
    assert!(b.as_mut().poll(&mut cx).is_pending());
    // Input 2 is served: its permit is handed to `b`, not yet polled.
    served.send(()).unwrap();
    assert_eq!(next_output(&mut a, &mut cx), (2, Ok(2)));
    // Input 3 is refused: the limit halves to 2, with inputs 0 and 1
    // still running. They fill it.
    refused.send(()).unwrap();
    assert_eq!(next_output(&mut a, &mut cx), (3, Err(Overloaded)));
    assert_eq!(limit.current(), 2);
    assert!(b.as_mut().poll(&mut cx).is_pending());
    probe.assert_never_over();
    // Once `a` is gone, `b` runs.
    drop(a);
    assert_eq!(b.as_mut().poll(&mut cx), Poll::Ready(vec![10, 11]));
    probe.assert_never_over();
    assert_eq!(limit.in_flight(), 0);
}

/// Polls `stream` by hand until it yields an item.
fn next_output<S: futures::Stream + Unpin>(stream: &mut S, cx: &mut Context<'_>) -> S::Item {
    for _ in 0..100 {
        match stream.poll_next_unpin(cx) {
            Poll::Ready(Some(item)) => return item,
            Poll::Ready(None) => panic!("the stream ended"),
            Poll::Pending => {}
        }
    }
    panic!("no output after 100 polls")
}

/// Batches on several threads: each start is checked against the top of
/// the range, since another thread may move the limit between a child's
/// admission and its first poll.
#[test]
#[cfg_attr(
    miri,
    ignore = "tokio's multi-thread runtime; the block_on tests cover the same code under Miri"
)]
fn batches_spawned_and_joined_on_several_threads_share_one_limit() {
    let _watchdog = common::watchdog::Watchdog::start();
    let runtime = common::executors::tokio_multi_thread_runtime(4);
    let limit = AdaptiveLimit::new(6, 2..=6);
    let probe = InFlight::at_most(6);
    let batch = |first: usize| {
        let (limit, probe) = (limit.clone(), probe.clone());
        async move {
            let out = (first..first + 60)
                .map(|i| {
                    probe.watch(i, async move {
                        if i % 2 == 0 {
                            tokio::task::yield_now().await;
                        } else {
                            tokio::time::sleep(ms(1)).await;
                        }
                        if i % 9 == 8 { Err(Overloaded) } else { Ok(i) }
                    })
                })
                .bounded_by(&limit)
                .overloaded_when(Result::is_err)
                .gather()
                .await;
            let expected: Vec<_> = (first..first + 60)
                .map(|i| if i % 9 == 8 { Err(Overloaded) } else { Ok(i) })
                .collect();
            assert_eq!(out, expected, "the batch from input {first}");
        }
    };
    runtime.block_on(async {
        let spawned: Vec<_> = (1..=4).map(|k| tokio::spawn(batch(k * 1_000))).collect();
        futures::join!(batch(0), batch(100));
        for handle in spawned {
            handle.await.expect("a spawned batch");
        }
    });
    probe.assert_never_over();
    assert_eq!((probe.starts(), probe.now()), (360, 0));
    assert_eq!(limit.in_flight(), 0);
    assert!(
        limit.last_change().is_some(),
        "the refusals moved the limit"
    );
    let current = limit.current();
    assert!(limit.range().contains(&current));
    // No permit lost or made on the way: a new batch runs exactly the
    // limit at once.
    let fresh = Tracker::new();
    let out = runtime.block_on(
        (0..20)
            .map(|i| fresh.track(i, futures::future::pending::<()>()))
            .bounded_by(&limit)
            .within(ms(30))
            .gather(),
    );
    assert_eq!(out.len(), 20);
    assert_eq!(fresh.peak_running(), current);
    assert_eq!(limit.in_flight(), 0);
}

#[test]
#[should_panic(expected = "could shrink to 0 and never admit a child")]
fn a_range_from_zero_panics() {
    let _ = AdaptiveLimit::new(1, 0..=4);
}

#[test]
#[should_panic(expected = "`AdaptiveLimit::new(_, 4..=2)` has an empty range")]
fn an_empty_range_panics() {
    let (least, most) = std::hint::black_box((4, 2));
    let _ = AdaptiveLimit::new(3, least..=most);
}

#[test]
#[should_panic(expected = "`AdaptiveLimit::new(9, 1..=8)` starts outside its range")]
fn a_start_outside_the_range_panics() {
    let _ = AdaptiveLimit::new(9, 1..=8);
}
