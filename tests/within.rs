//! `within`: a deadline for the whole batch. When it passes, live children
//! are dropped, nothing more is created, and every unfinished input reports
//! `Elapsed::Batch`.

mod common;
use common::*;
use fanout::Elapsed;
use fanout::prelude::*;
use std::time::{Duration, Instant};

on_every_executor! {
    async fn never_ending_children_are_stopped_on_time_and_every_slot_reports() {
        let tracker = Tracker::new();
        let started = Instant::now();
        let children = (0..10).map(|i| tracker.track(i, futures::future::pending::<u8>()));
        let out = children.bounded(3).within(Duration::from_millis(100)).gather().await;
        let took = started.elapsed();
        assert_eq!(out, vec![Err(Elapsed::Batch); 10]);
        assert!(took >= Duration::from_millis(100) && took < at_most_ms(600), "took {took:?}");
        assert_eq!(tracker.created(), 3, "inputs never admitted are never created");
        assert_eq!(tracker.alive(), 0);
    }

    async fn finished_children_keep_their_outputs() {
        let children = [5u64, 100_000, 5, 100_000].map(|ms| async move {
            sleep_ms(ms).await;
            ms
        });
        let out = children.within(race_ms(150)).gather().await;
        assert_eq!(out, [Ok(5), Err(Elapsed::Batch), Ok(5), Err(Elapsed::Batch)]);
    }

    async fn a_batch_deadline_miss_is_told_apart_from_a_child_deadline_miss() {
        let tracker = Tracker::new();
        // Input 0 is quick; every other input hangs and takes a 40 ms child
        // deadline to leave; the batch ends at 300 ms, part-way through.
        let children = (0..50).map(|i| {
            tracker.track(i, async move {
                if i > 0 {
                    futures::future::pending::<()>().await;
                }
                i
            })
        });
        let out = children
            .bounded(1)
            .with_deadline(Duration::from_millis(40))
            .within(Duration::from_millis(300))
            .gather()
            .await;
        assert_eq!(out.len(), 50);
        assert_eq!(out[0], Ok(0));
        assert_eq!(out[1], Err(Elapsed::Child));
        assert_eq!(out[49], Err(Elapsed::Batch));
        let child_misses = out.iter().filter(|r| **r == Err(Elapsed::Child)).count();
        let batch_misses = out.iter().filter(|r| **r == Err(Elapsed::Batch)).count();
        assert!(child_misses >= 2, "{child_misses} child misses");
        assert_eq!(child_misses + batch_misses, 49);
        // Every input after the cut was reported without being created.
        assert_eq!(tracker.created(), 1 + child_misses + 1);
    }

    async fn an_input_of_unknown_length_ends_at_the_last_admitted_child() {
        let tracker = Tracker::new();
        // `filter` cannot say how many inputs are left.
        let children = (0..100)
            .filter(|i| i % 2 == 0)
            .map(|i| tracker.track(i, futures::future::pending::<usize>()));
        // Under Miri, whose clock advances with each step of code it runs,
        // 50 ms can pass before the fourth admission.
        let deadline = Duration::from_millis(if cfg!(miri) { 2_000 } else { 50 });
        let out = children.bounded(4).within(deadline).gather().await;
        assert_eq!(out, vec![Err(Elapsed::Batch); 4]);
        assert_eq!(tracker.created(), 4);
    }

    async fn a_zero_batch_deadline_gives_admitted_children_one_poll() {
        let tracker = Tracker::new();
        let children = (0..4).map(|i| tracker.track(i, async move {
            if i % 2 == 1 {
                // Woken at once: a second poll would finish it.
                yield_once(()).await;
            }
            i
        }));
        let out = children.within(Duration::ZERO).gather().await;
        assert_eq!(out, [Ok(0), Err(Elapsed::Batch), Ok(2), Err(Elapsed::Batch)]);
        assert_eq!(tracker.polls(), 4);
    }
}

on_every_executor! {
    // Found by mutation testing: nothing pinned that inputs never admitted
    // are counted only when the input's length is exact.
    async fn inputs_of_an_inexact_length_are_reported_only_once_admitted() {
        let tracker = Tracker::new();
        // A size hint of (4, Some(10)): at least 4 more, maybe 10.
        let children = (0..4)
            .chain((4..10).filter(|_| true))
            .map(|i| tracker.track(i, futures::future::pending::<u8>()));
        // Under Miri, 20 ms can pass before the second admission.
        let deadline = Duration::from_millis(if cfg!(miri) { 2_000 } else { 20 });
        let out = children.bounded(2).within(deadline).gather().await;
        assert_eq!(out, [Err(Elapsed::Batch), Err(Elapsed::Batch)]);
        assert_eq!(tracker.created(), 2);
    }
}

// Found by mutation testing: nothing checked that the timers of a batch cut
// off by its deadline are stopped. A stream kept after its end would be
// woken by them later, for nothing.
#[test]
fn a_batch_cut_off_by_its_deadline_leaves_no_timer_to_wake_its_task() {
    use futures::StreamExt;
    use std::task::{Context, Poll};
    let _watchdog = common::watchdog::Watchdog::start();
    let (wake, waker) = CountedWake::new();
    let mut cx = Context::from_waker(&waker);
    // When the batch deadline (20 ms) passes, two timers are armed for
    // 100 ms: the children's own deadlines, and the rate's for the third
    // start.
    let mut batch = (0..3)
        .map(|_| futures::future::pending::<()>())
        .rate(2, Duration::from_millis(100))
        .with_deadline(Duration::from_millis(100))
        .within(Duration::from_millis(20))
        .as_completed();
    let mut outputs = Vec::new();
    loop {
        match batch.poll_next_unpin(&mut cx) {
            Poll::Ready(Some((index, output))) => outputs.push((index, output)),
            Poll::Ready(None) => break,
            Poll::Pending => std::thread::sleep(Duration::from_millis(2)),
        }
    }
    outputs.sort_by_key(|&(index, _)| index);
    assert_eq!(
        outputs,
        (0..3).map(|i| (i, Err(Elapsed::Batch))).collect::<Vec<_>>()
    );
    let woken = wake.count();
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        wake.count(),
        woken,
        "a timer of the ended batch woke the task"
    );
}

on_every_executor! {
    /// Regression: the batch deadline was looked at between passes only,
    /// and one pass may start up to 1,024 children. An input that took 2 ms
    /// to pull each child (a parse, a synchronous cursor) was pulled 1,024
    /// times, and a 20 ms batch ended after about 2.5 s. Now the deadline is
    /// looked at before every pull.
    async fn an_input_slow_to_pull_is_not_pulled_past_the_batch_deadline() {
        let tracker = Tracker::new();
        let children = (0..).map(|i| {
            let busy = Instant::now();
            while busy.elapsed() < Duration::from_millis(2) {
                std::hint::spin_loop();
            }
            tracker.track(i, futures::future::pending::<u8>())
        });
        let started = Instant::now();
        let out = children.within(Duration::from_millis(20)).gather().await;
        let took = started.elapsed();
        // About 10 pulls fit in 20 ms; the timer thread may be late on a
        // busy machine, so allow far more, but well under one pass.
        assert!(tracker.created() < 300, "{} inputs pulled", tracker.created());
        assert_eq!(out.len(), tracker.created(), "every child pulled reports");
        assert!(out.iter().all(|output| *output == Err(Elapsed::Batch)));
        assert!(took < at_most_ms(1_000), "took {took:?}");
        assert_eq!(tracker.alive(), 0);
    }
}
