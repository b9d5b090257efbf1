//! `rate`: at most `max` children start in any window of `per`, in bursts
//! of up to `max`; it composes with limits and deadlines, and the deadline
//! clock still starts at admission.

mod common;
use common::*;
use fanout::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Children that note when they were built. Building happens at admission
/// (the input is pulled once the rate allows a start), so these are the
/// start times, a few microseconds after the batch's own clock reading.
fn noting_starts(
    count: usize,
    starts: Arc<Mutex<Vec<Instant>>>,
) -> impl Iterator<Item = impl Future<Output = usize>> {
    (0..count).map(move |i| {
        starts.lock().unwrap().push(Instant::now());
        async move { i }
    })
}

/// The most starts found within any window of length `per`. The slack
/// allows for the time between the batch's clock reading and the child's.
fn most_starts_in_any_window(starts: &[Instant], per: Duration) -> usize {
    let slack = Duration::from_millis(2);
    (0..starts.len())
        .map(|first| {
            starts[first..]
                .iter()
                .take_while(|&&start| start < starts[first] + per - slack)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// Children that note when their first poll begins (their start, as the
/// rate counts it) and spend `work(i)` of the task's time in that poll.
/// Those for which `waits(i)` stay pending after it (so the batch goes on
/// admitting in the same pass); the others finish.
fn slow_starters(
    count: usize,
    starts: Arc<Mutex<Vec<Instant>>>,
    work: impl Fn(usize) -> Duration + Clone,
    waits: impl Fn(usize) -> bool + Clone,
) -> impl Iterator<Item = impl Future<Output = usize>> {
    (0..count).map(move |i| {
        let (starts, work, waits) = (starts.clone(), work.clone(), waits.clone());
        async move {
            starts.lock().unwrap().push(Instant::now());
            std::thread::sleep(work(i));
            if waits(i) {
                yield_once(()).await;
            }
            i
        }
    })
}

/// Asserts that each start comes at least `per` (less a little slack for
/// the clock readings) after the start `max` places before it.
fn assert_no_window_holds_more_than(starts: &[Instant], max: usize, per: Duration) {
    for k in max..starts.len() {
        let gap = starts[k] - starts[k - max];
        assert!(
            gap >= per - Duration::from_millis(2),
            "start {k} came {gap:?} after start {}: more than {max} starts in {per:?}",
            k - max
        );
    }
}

/// An interval `margin` short of the longest that can still be added to the
/// clock's current reading: `rate` accepts it, but once the clock has moved
/// on by more than `margin`, a window of it that starts then ends past the
/// last instant the clock can represent.
fn barely_representable(margin: Duration) -> Duration {
    let nanos = |n: u128| Duration::new((n / 1_000_000_000) as u64, (n % 1_000_000_000) as u32);
    let now = Instant::now();
    // The longest addable interval, by bisection over nanoseconds.
    let (mut fits, mut overflows) = (0, Duration::MAX.as_nanos() + 1);
    while overflows - fits > 1 {
        let mid = fits + (overflows - fits) / 2;
        match now.checked_add(nanos(mid)) {
            Some(_) => fits = mid,
            None => overflows = mid,
        }
    }
    nanos(fits) - margin
}

on_every_executor! {
    async fn fifty_inputs_at_a_hundred_per_second_take_about_half_a_second() {
        let starts = Arc::new(Mutex::new(Vec::new()));
        let began = Instant::now();
        // Evenly spaced: one start per 10 ms.
        let out = noting_starts(50, starts.clone()).rate(1, Duration::from_millis(10)).gather().await;
        let took = began.elapsed();
        assert_eq!(out, (0..50).collect::<Vec<_>>());
        assert!(took >= Duration::from_millis(490), "49 gaps of 10 ms, took {took:?}");
        assert!(took < at_most_ms(1_500), "took {took:?}");
        let starts = starts.lock().unwrap();
        assert_eq!(most_starts_in_any_window(&starts, Duration::from_millis(10)), 1);
    }

    async fn a_slow_first_poll_does_not_let_a_third_start_into_the_window() {
        // Regression: starts were stamped with the clock read before the
        // first child's 90 ms poll, so three children started within 10 ms.
        let starts = Arc::new(Mutex::new(Vec::new()));
        let per = Duration::from_millis(100);
        // Input 0 takes 90 ms in its first poll and waits; input 1 starts
        // right after it in the same pass, at 90 ms.
        let work = |i| Duration::from_millis(if i == 0 { 90 } else { 0 });
        let out = slow_starters(6, starts.clone(), work, |i| i == 0).rate(2, per).gather().await;
        assert_eq!(out, [0, 1, 2, 3, 4, 5]);
        assert_no_window_holds_more_than(&starts.lock().unwrap(), 2, per);
    }

    async fn first_polls_that_take_time_never_crowd_a_window() {
        let starts = Arc::new(Mutex::new(Vec::new()));
        let per = Duration::from_millis(50);
        let work = |_| Duration::from_micros(300);
        let out = slow_starters(40, starts.clone(), work, |i| i % 3 == 0).rate(10, per).gather().await;
        assert_eq!(out.len(), 40);
        assert_no_window_holds_more_than(&starts.lock().unwrap(), 10, per);
    }

    async fn starts_come_in_bursts_of_max_and_never_exceed_it_in_any_window() {
        let starts = Arc::new(Mutex::new(Vec::new()));
        let per = Duration::from_millis(100);
        let out = noting_starts(30, starts.clone()).rate(10, per).gather().await;
        assert_eq!(out.len(), 30);
        let starts = starts.lock().unwrap();
        assert_eq!(most_starts_in_any_window(&starts, per), 10);
        // Three bursts of ten: each burst starts together, and each waits
        // for the one ten places before it to be `per` old.
        for burst in starts.chunks(10) {
            let spread = burst[9] - burst[0];
            assert!(spread < at_most_ms(50), "a burst spread over {spread:?}");
        }
        for i in 10..30 {
            assert!(starts[i] - starts[i - 10] >= per - Duration::from_millis(2));
        }
    }

    async fn with_a_limit_both_caps_hold() {
        let tracker = Tracker::new();
        let starts = Arc::new(Mutex::new(Vec::new()));
        let per = Duration::from_millis(60);
        let children = {
            let starts = starts.clone();
            let tracker = tracker.clone();
            (0..12).map(move |i| {
                starts.lock().unwrap().push(Instant::now());
                tracker.track(i, async move {
                    sleep_ms(5).await;
                    i
                })
            })
        };
        let out = children.bounded(2).rate(4, per).gather().await;
        assert_eq!(out, (0..12).collect::<Vec<_>>());
        assert_eq!(tracker.peak_running(), 2);
        assert!(most_starts_in_any_window(&starts.lock().unwrap(), per) <= 4);
    }

    async fn the_deadline_clock_starts_at_admission_not_while_waiting_for_the_rate() {
        // The last of 10 children starts 180 ms after the first; each runs
        // 10 ms. A 100 ms deadline counted from creation or from the batch's
        // start would fail the later ones.
        for deadline_first in [false, true] {
            let children = (0..10).map(|i| async move {
                sleep_ms(10).await;
                i
            });
            // (Under Miri, far slower, the deadline is only a formality.)
            let (per, deadline) = (Duration::from_millis(20), at_most_ms(100));
            let out = if deadline_first {
                children.with_deadline(deadline).rate(1, per).gather().await
            } else {
                children.rate(1, per).with_deadline(deadline).gather().await
            };
            let expected: Vec<Result<usize, fanout::Elapsed>> = (0..10).map(Ok).collect();
            assert_eq!(out, expected, "deadline first: {deadline_first}");
        }
    }

    async fn inputs_are_not_created_before_the_rate_allows_them() {
        let tracker = Tracker::new();
        let children = (0..5).map(|i| tracker.track(i, async move { i }));
        let mut batch = children.rate(2, Duration::from_secs(60)).as_completed();
        use futures::StreamExt;
        assert!(batch.next().await.is_some());
        assert!(batch.next().await.is_some());
        // The third would have to wait a minute: it has not been created,
        // and dropping the batch now leaves nothing behind.
        let waited = futures::future::select(batch.next(), Box::pin(sleep_ms(30))).await;
        assert!(matches!(waited, futures::future::Either::Right(_)));
        assert_eq!(tracker.created(), 2);
        drop(batch);
        assert_eq!(tracker.alive(), 0);
    }

    async fn an_empty_input_with_a_rate_ends_at_once() {
        let out = std::iter::empty::<std::future::Ready<u8>>()
            .rate(1, Duration::from_secs(3_600))
            .gather()
            .await;
        assert!(out.is_empty());
    }

    async fn a_batch_held_back_by_its_rate_sleeps_until_the_window_frees() {
        // Three ready children at one per 150 ms: the batch waits twice.
        // It should be polled about once per start, not spin on a timer
        // armed for the past.
        let mut polls = 0;
        let mut batch = (0..3).map(|i| async move { i }).rate(1, Duration::from_millis(150)).gather();
        let started = Instant::now();
        let out = std::future::poll_fn(|cx| {
            polls += 1;
            std::pin::Pin::new(&mut batch).poll(cx)
        })
        .await;
        assert_eq!(out, [0, 1, 2]);
        assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
        assert!(polls <= 20, "{polls} polls for two waits: the batch spins");
    }

    async fn a_batch_waiting_for_its_rate_leaves_shared_permits_to_others() {
        // `slow` may start one child per minute; its second input waits for
        // the rate and must leave the limiter's other permit to `busy`.
        let limiter = fanout::Limiter::new(2);
        let slow = (0..2).map(|i| async move {
            if i == 0 { sleep_ms(50).await }
            i
        }).bounded_by(&limiter).rate(1, Duration::from_secs(60)).as_completed();
        let busy = (0..20).map(|i| async move { yield_once(i).await }).bounded_by(&limiter).gather();
        use futures::StreamExt;
        let mut slow = Box::pin(slow);
        let (first, busy) = futures::join!(slow.next(), busy);
        assert_eq!(first, Some((0, 0)));
        assert_eq!(busy.len(), 20);
    }

    async fn a_window_that_ends_past_the_clocks_range_never_frees() {
        // Regression: the window's end was computed unchecked at each later
        // admission, so the second start panicked "overflow when adding
        // duration to instant" in the middle of the batch. Such a window
        // never frees: two children start, the third waits until `within`
        // ends the batch.
        let tracker = Tracker::new();
        let children = (0..3).map(|i| tracker.track(i, async move { i }));
        let batch = children
            .rate(2, barely_representable(Duration::from_millis(500)))
            .within(Duration::from_millis(100));
        // Built, not yet polled: the first start comes after the margin.
        sleep_ms(1_200).await;
        let out = batch.gather().await;
        assert_eq!(out, [Ok(0), Ok(1), Err(fanout::Elapsed::Batch)]);
        assert_eq!(tracker.created(), 2, "the third input was created");
    }
}

#[test]
#[should_panic(expected = "`rate(0, ..)` would never admit a child")]
fn a_rate_of_zero_panics() {
    let _ = [async { 1 }].rate(0, Duration::from_secs(1));
}

#[test]
#[should_panic(expected = "has no interval to count starts in")]
fn a_zero_interval_panics() {
    let _ = [async { 1 }].bounded(1).rate(1, Duration::ZERO);
}

#[test]
#[should_panic(expected = "too long to measure")]
fn an_interval_too_long_to_measure_panics() {
    let _ = [async { 1 }]
        .with_deadline(Duration::from_secs(1))
        .rate(1, Duration::MAX);
}
