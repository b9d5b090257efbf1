//! Any `Stream` of futures is an input, with the same chain as an
//! iterator, and every rule of admission holds for it: lazy pull, no stall
//! either way, the stream's wake-ups admit at once, index and clock, refill,
//! drop, fail fast, panics, batch deadlines, endless sources and shared
//! limiters.

mod common;
use common::source::{Gap, Length, TestSource};
use common::*;
use fanout::prelude::*;
use fanout::{Elapsed, Limiter};
use futures::channel::mpsc;
use futures::future::FutureExt;
use futures::stream::{self, StreamExt};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

on_every_executor! {
    async fn a_channel_receiver_mapped_to_futures_starts_the_chain() {
        let (jobs, job_rx) = mpsc::unbounded::<u64>();
        // A producer on another thread, with pauses: the batch is often
        // idle, waiting on the channel alone.
        let producer = std::thread::spawn(move || {
            for job in 0..40 {
                if job % 10 == 0 {
                    std::thread::sleep(Duration::from_millis(5));
                }
                jobs.unbounded_send(job).unwrap();
            }
        });
        let mut results: Vec<(usize, Result<u64, Elapsed>)> = job_rx
            .map(|job| async move { yield_once(job * 2).await })
            .bounded(5)
            .with_deadline(Duration::from_secs(30))
            .as_completed()
            .collect()
            .await;
        producer.join().unwrap();
        results.sort_by_key(|(index, _)| *index);
        // The index is the pull order, which for a channel is send order.
        let expected: Vec<_> = (0..40u64).map(|job| (job as usize, Ok(job * 2))).collect();
        assert_eq!(results, expected);
    }

    async fn every_end_of_the_chain_takes_a_stream() {
        let children = || stream::iter(0..10u32).map(yield_once);
        assert_eq!(children().bounded(3).gather().await, (0..10).collect::<Vec<_>>());
        let ok = children().map(|child| child.map(Ok::<u32, String>));
        assert_eq!(ok.bounded(3).try_gather().await, Ok((0..10).collect::<Vec<_>>()));
        let in_order: Vec<u32> = children().bounded(3).in_order().collect().await;
        assert_eq!(in_order, (0..10).collect::<Vec<_>>());
        let mut done: Vec<_> = children().bounded(3).as_completed().collect().await;
        done.sort();
        assert_eq!(done, (0..10).map(|i| (i as usize, i)).collect::<Vec<_>>());
        let report = children().map(|child| child.map(Ok::<u32, String>)).bounded(3).report().await;
        assert_eq!(report.to_string(), "10 ok, 0 failed, 0 timed out");
    }

    async fn the_stream_is_polled_only_when_a_slot_is_free() {
        let tracker = Tracker::new();
        let maker = tracker.clone();
        let source = TestSource::new(Length::Ends(300), move |i| maker.track(i, async move {
            sleep_ms(1 + (i as u64 % 3)).await;
            i
        }))
        .gaps(|i| match i % 4 {
            0 => Gap::SelfWake,
            1 => Gap::Thread(Duration::from_micros(50)),
            _ => Gap::None,
        })
        .gated(&tracker, 4);
        let probe = source.probe();
        let out = source.bounded(4).gather().await;
        assert_eq!(out, (0..300).collect::<Vec<_>>());
        assert_eq!(probe.polls_while_full(), 0, "polled while every slot was taken");
        assert!(tracker.peak_alive() <= 4, "peak alive {}", tracker.peak_alive());
        assert_eq!(tracker.peak_running(), 4);
        assert_eq!(probe.pulled(), 300);
        assert!(probe.dropped());
    }

    async fn a_pending_stream_does_not_stall_the_running_children() {
        let tracker = Tracker::new();
        let maker = tracker.clone();
        // Items 0 and 1 come at once; item 2 only 300 ms later.
        let source = TestSource::new(Length::Ends(3), move |i| maker.track(i, yield_once(i)))
            .gaps(|i| if i == 2 { Gap::Thread(Duration::from_millis(300)) } else { Gap::None });
        let probe = source.probe();
        let mut done = source.bounded(4).as_completed();
        let first = done.next().await;
        let second = done.next().await;
        // Both children finished while the stream was still pending.
        assert_eq!(probe.pulled(), 2);
        let mut early = vec![first, second];
        early.sort();
        assert_eq!(early, [Some((0, 0)), Some((1, 1))]);
        assert_eq!(done.next().await, Some((2, 2)));
        assert_eq!(done.next().await, None);
    }

    async fn a_stream_that_is_always_ready_does_not_starve_the_running_children() {
        let tracker = Tracker::new();
        let maker = tracker.clone();
        // Child 0 needs one more poll; every later one never finishes, and
        // the stream never ends nor waits. Unbounded: admission alone is
        // endless.
        let source = TestSource::new(Length::Endless, move |i| maker.track(i, async move {
            if i > 0 {
                futures::future::pending::<()>().await;
            }
            yield_once(i).await
        }));
        let first = source.as_completed().next().await;
        assert_eq!(first, Some((0, 0)));
        assert!(tracker.created() <= 4 * 1024, "created {} before child 0 was polled again", tracker.created());
        assert_eq!(tracker.alive(), 0);
    }

    async fn busy_children_do_not_starve_the_stream() {
        let tracker = Tracker::new();
        let maker = tracker.clone();
        // Children that wake themselves on every poll, eight times, and a
        // stream that is pending every third item.
        let source = TestSource::new(Length::Ends(200), move |i| maker.track(i, async move {
            for _ in 0..8 {
                yield_once(()).await;
            }
            i
        }))
        .gaps(|i| if i % 3 == 0 { Gap::SelfWake } else { Gap::None })
        .gated(&tracker, 6);
        let probe = source.probe();
        let out = source.bounded(6).gather().await;
        assert_eq!(out, (0..200).collect::<Vec<_>>());
        assert_eq!(probe.polls_while_full(), 0);
        assert_eq!(tracker.peak_running(), 6);
    }

    async fn each_childs_deadline_starts_at_its_admission_from_a_stream() {
        // 20 children of 100 ms, 5 at once, a 350 ms deadline each: the
        // last ones start 300 ms in, and none times out.
        let source = TestSource::new(Length::Ends(20), |i| async move {
            sleep_ms(100).await;
            i
        })
        .gaps(|i| if i % 2 == 0 { Gap::SelfWake } else { Gap::None });
        let out = source.bounded(5).with_deadline(Duration::from_millis(350)).gather().await;
        assert_eq!(out, (0..20).map(Ok).collect::<Vec<_>>());
    }

    async fn dropping_the_chain_drops_the_stream_and_every_child() {
        let tracker = Tracker::new();
        let maker = tracker.clone();
        let source = TestSource::new(Length::Endless, move |i| maker.track(i, async move {
            if i > 1 {
                futures::future::pending::<()>().await;
            }
            i
        }));
        let probe = source.probe();
        let mut done = source.bounded(4).as_completed();
        assert!(done.next().await.is_some());
        assert!(done.next().await.is_some());
        assert_eq!(tracker.alive(), 4, "the freed slots were refilled");
        drop(done);
        assert!(probe.dropped());
        assert_eq!(tracker.alive(), 0);
        assert_eq!(probe.pulled(), 6, "no input was pulled beyond the slots");
    }

    async fn try_gather_stops_polling_the_stream_at_the_first_failure() {
        let polls_at_failure = Arc::new(AtomicUsize::new(usize::MAX));
        let source = TestSource::new(Length::Endless, |i| async move {
            sleep_ms(1).await;
            if i == 7 { Err(i) } else { Ok(i) }
        })
        .gaps(|i| if i % 2 == 0 { Gap::SelfWake } else { Gap::None });
        let probe = source.probe();
        let seen = polls_at_failure.clone();
        let watcher = probe.clone();
        let out = source
            .bounded(3)
            .on_each(move |index, _| {
                if index == 7 {
                    seen.store(watcher.polls(), SeqCst);
                }
            })
            .try_gather()
            .await;
        assert_eq!(out, Err(7));
        assert_eq!(probe.polls(), polls_at_failure.load(SeqCst), "polled after the failure");
        assert!(probe.dropped());
        assert!(probe.pulled() <= 7 + 3, "pulled {}", probe.pulled());
    }

    async fn a_panic_in_the_stream_goes_on_after_every_child_is_dropped() {
        let tracker = Tracker::new();
        let maker = tracker.clone();
        let source = TestSource::new(Length::PanicsAt(5), move |i| maker.track(i, async move {
            if i % 2 == 0 {
                futures::future::pending::<()>().await;
            }
            yield_once(i).await
        }))
        .gaps(|i| if i == 3 { Gap::SelfWake } else { Gap::None });
        let probe = source.probe();
        let batch = source.bounded(4).gather();
        let caught = AssertUnwindSafe(batch).catch_unwind().await;
        let payload = caught.expect_err("the source's panic goes on");
        assert_eq!(payload.downcast_ref::<String>().map(String::as_str), Some("the source broke at item 5"));
        assert_eq!(tracker.alive(), 0);
        assert!(probe.dropped());
    }

    async fn a_stream_panicking_in_a_refill_hands_on_what_was_chosen_then_panics_then_ends() {
        for in_order in [false, true] {
            let tracker = Tracker::new();
            let maker = tracker.clone();
            // Ready children; the stream breaks when asked for item 3, which
            // happens while the slot of an output already chosen is refilled.
            let source = TestSource::new(Length::PanicsAt(3), move |i| maker.track(i, async move { i }));
            let probe = source.probe();
            let mut outputs: std::pin::Pin<Box<dyn futures::Stream<Item = usize> + Send>> = if in_order {
                Box::pin(source.bounded(2).in_order())
            } else {
                Box::pin(source.bounded(2).as_completed().map(|(_, output)| output))
            };
            let (seen, caught) = collect_until_panic(&mut outputs).await;
            let payload = caught.expect_err("the stream's panic goes on");
            assert_eq!(payload.downcast_ref::<String>().map(String::as_str), Some("the source broke at item 3"));
            assert_eq!(seen, [0, 1, 2], "in_order: {in_order}: every output chosen was handed on first");
            assert_eq!(tracker.alive(), 0);
            assert!(probe.dropped());
            assert_eq!(outputs.next().await, None, "after the panic the stream ends");
        }
    }

    async fn within_cuts_the_batch_while_it_waits_on_the_stream() {
        let started = Instant::now();
        // Two items, then a stream that never yields again nor ends.
        let source = TestSource::new(Length::Endless, yield_once)
            .gaps(|i| if i >= 2 { Gap::Forever } else { Gap::None });
        let probe = source.probe();
        let out = source.bounded(4).within(race_ms(50)).gather().await;
        assert_eq!(out, [Ok(0), Ok(1)]);
        assert!(probe.dropped());
        assert!(started.elapsed() < at_most_ms(3_000), "took {:?}", started.elapsed());
    }

    async fn an_endless_stream_runs_in_memory_bounded_by_the_limit() {
        let tracker = Tracker::new();
        let maker = tracker.clone();
        let n = if cfg!(miri) { 300 } else { 20_000 };
        let source = TestSource::new(Length::Endless, move |i| maker.track(i, async move {
            if i % 5 == 0 { yield_once(i).await } else { i }
        }))
        .gaps(|i| if i % 7 == 0 { Gap::SelfWake } else { Gap::None });
        let total: usize = source
            .bounded(16)
            .as_completed()
            .take(n)
            .map(|(_, output)| output)
            .fold(0, |sum, output| async move { sum + output })
            .await;
        assert!(total > 0);
        assert!(tracker.peak_alive() <= 16, "peak alive {}", tracker.peak_alive());
        assert_eq!(tracker.alive(), 0);
    }

    async fn a_stream_that_ends_at_once_gives_an_empty_batch() {
        let empty = stream::empty::<std::future::Ready<u8>>();
        assert!(empty.bounded(3).gather().await.is_empty());
        let source = TestSource::new(Length::Ends(0), |i| async move { i })
            .gaps(|_| Gap::SelfWake);
        assert!(source.bounded(3).with_deadline(Duration::from_secs(1)).gather().await.is_empty());
    }
}

on_every_executor! {
    async fn under_a_shared_limiter_a_pending_stream_holds_no_permit() {
        let limiter = Limiter::new(1);
        // A batch whose stream is pending: it must not keep the one permit.
        let (waiting_jobs, waiting_rx) = mpsc::unbounded::<u32>();
        let mut waiting = waiting_rx
            .map(|job| async move { job })
            .bounded_by(&limiter)
            .as_completed();
        assert_eq!(futures::poll!(waiting.next()), std::task::Poll::Pending);
        assert_eq!(limiter.available(), 1, "a permit was held while the stream was pending");
        // Another batch runs to the end on that permit meanwhile.
        let other = (0..5).map(yield_once).bounded_by(&limiter).gather().await;
        assert_eq!(other, [0, 1, 2, 3, 4]);
        // The first batch's item comes; it takes the permit then.
        waiting_jobs.unbounded_send(7).unwrap();
        drop(waiting_jobs);
        assert_eq!(waiting.next().await, Some((0, 7)));
        assert_eq!(waiting.next().await, None);
        assert_eq!(limiter.available(), 1);
    }

    async fn under_a_shared_limiter_stream_batches_take_turns_and_never_exceed_it() {
        let limiter = Limiter::new(2);
        let tracker = Tracker::new();
        let batch = |offset: usize| {
            let maker = tracker.clone();
            TestSource::new(Length::Ends(30), move |i| maker.track(offset + i, yield_once(i)))
                .gaps(|i| match i % 3 {
                    0 => Gap::SelfWake,
                    1 => Gap::Thread(Duration::from_micros(30)),
                    _ => Gap::None,
                })
                .bounded_by(&limiter)
                .gather()
        };
        let (a, b, c) = futures::join!(batch(0), batch(100), batch(200));
        for out in [a, b, c] {
            assert_eq!(out, (0..30).collect::<Vec<_>>());
        }
        assert!(tracker.peak_alive() <= 2, "peak alive {}", tracker.peak_alive());
        assert_eq!(limiter.available(), 2);
    }
}
