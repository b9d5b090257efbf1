//! `until(signal)`: once the signal resolves, the batch admits nothing more
//! and polls its input no more; the running children finish, and the chain
//! ends with what was done. Tested with the signal before the first poll,
//! mid-batch, after the end, together with `within`, while waiting for a
//! shared permit, on either side of `on_slow_poll`, given twice, and
//! panicking.

mod common;
use common::source::{Gap, Length, TestSource};
use common::*;
use fanout::prelude::*;
use fanout::{Elapsed, Limiter};
use futures::channel::oneshot;
use futures::future::FutureExt;
use futures::stream::StreamExt;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The sending half of a signal, to fire from inside a hook.
type Trigger = Arc<Mutex<Option<oneshot::Sender<()>>>>;

/// A signal, and a way to fire it from inside a hook.
fn signal() -> (Trigger, oneshot::Receiver<()>) {
    let (fire, fired) = oneshot::channel();
    (Arc::new(Mutex::new(Some(fire))), fired)
}

fn fire(sender: &Mutex<Option<oneshot::Sender<()>>>) {
    if let Some(fire) = sender.lock().unwrap().take() {
        let _ = fire.send(());
    }
}

/// Children that take a millisecond or two, tracked.
fn children(tracker: &Tracker) -> impl Iterator<Item = impl Future<Output = usize>> {
    let tracker = tracker.clone();
    (0..1_000).map(move |i| {
        tracker.track(i, async move {
            sleep_ms(1 + i as u64 % 2).await;
            i
        })
    })
}

on_every_executor! {
    async fn a_signal_resolved_before_the_first_poll_admits_nothing() {
        let tracker = Tracker::new();
        let out = children(&tracker).bounded(4).until(async {}).gather().await;
        assert!(out.is_empty());
        let report = children(&tracker)
            .map(|child| child.map(Ok::<usize, String>))
            .bounded(4)
            .until(std::future::ready(()))
            .report()
            .await;
        assert!(report.is_empty());
        let none = children(&tracker).bounded(4).until(async {}).as_completed().next().await;
        assert_eq!(none, None);
        let none = children(&tracker).bounded(4).until(async {}).in_order().next().await;
        assert_eq!(none, None);
        assert_eq!(tracker.created(), 0);
    }

    async fn a_signal_mid_batch_leaves_gather_a_prefix_of_the_input() {
        let tracker = Tracker::new();
        let (sender, fired) = signal();
        let at_signal = Arc::new(AtomicUsize::new(0));
        let (seen, counter) = (at_signal.clone(), tracker.clone());
        let out = children(&tracker)
            .bounded(4)
            .on_each(move |index, _| if index == 9 {
                seen.store(counter.created(), SeqCst);
                fire(&sender);
            })
            .until(fired)
            .gather()
            .await;
        // Nothing was admitted after the signal, and what ran finished.
        assert_eq!(out.len(), at_signal.load(SeqCst));
        assert!(out.len() >= 10, "{} outputs", out.len());
        assert_eq!(out, (0..out.len()).collect::<Vec<_>>());
        assert_eq!(tracker.created(), out.len());
        assert_eq!(tracker.alive(), 0);
    }

    async fn a_signal_mid_batch_leaves_a_report_of_exactly_the_admitted() {
        let tracker = Tracker::new();
        let (sender, fired) = signal();
        let at_signal = Arc::new(AtomicUsize::new(0));
        let (seen, counter) = (at_signal.clone(), tracker.clone());
        let report = children(&tracker)
            .map(|child| child.map(|i| if i % 4 == 3 { Err(i) } else { Ok(i) }))
            .bounded(4)
            .with_deadline(Duration::from_secs(30))
            .on_each(move |index, _| if index == 20 {
                seen.store(counter.created(), SeqCst);
                fire(&sender);
            })
            .until(fired)
            .report()
            .await;
        assert_eq!(report.len(), tracker.created());
        assert_eq!(report.len(), at_signal.load(SeqCst), "{report}");
        assert!(report.len() >= 21, "{report}");
        let failed: Vec<usize> = report.failed.iter().map(|(index, _)| *index).collect();
        assert_eq!(failed, (0..report.len()).filter(|i| i % 4 == 3).collect::<Vec<_>>());
        assert!(report.timed_out.is_empty());
    }

    async fn a_signal_mid_stream_ends_as_completed_and_in_order_after_the_last_running_child() {
        for in_order in [false, true] {
            let tracker = Tracker::new();
            let (sender, fired) = signal();
            // An endless stream input: only the signal ends the batch.
            let maker = tracker.clone();
            let source = TestSource::new(Length::Endless, move |i| maker.track(i, async move {
                sleep_ms(1).await;
                i
            }))
            .gaps(|i| if i % 3 == 0 { Gap::SelfWake } else { Gap::None });
            let probe = source.probe();
            let at_signal = Arc::new(AtomicUsize::new(0));
            let (seen, counter) = (at_signal.clone(), tracker.clone());
            let batch = source
                .bounded(5)
                .on_each(move |index, _| if index == 30 {
                    seen.store(counter.created(), SeqCst);
                    fire(&sender);
                })
                .until(fired);
            let outputs: Vec<usize> = if in_order {
                batch.in_order().collect().await
            } else {
                batch.as_completed().map(|(_, output)| output).collect().await
            };
            assert_eq!(outputs.len(), tracker.created(), "in_order: {in_order}");
            assert_eq!(outputs.len(), at_signal.load(SeqCst), "admitted after the signal");
            assert!(outputs.len() >= 31, "{} outputs", outputs.len());
            if in_order {
                assert_eq!(outputs, (0..outputs.len()).collect::<Vec<_>>());
            }
            assert!(probe.dropped(), "the input is dropped once stopped");
            assert_eq!(probe.pulled(), outputs.len(), "no input pulled after the signal");
        }
    }

    async fn a_signal_after_the_end_changes_nothing() {
        let tracker = Tracker::new();
        let (fire_later, fired) = oneshot::channel::<()>();
        let out = children(&tracker).take(30).bounded(4).until(fired).gather().await;
        assert_eq!(out, (0..30).collect::<Vec<_>>());
        assert!(fire_later.send(()).is_err(), "the signal went with the batch");
    }

    async fn within_stays_the_hard_cut_with_a_signal_set() {
        // The signal never fires; the batch deadline cuts the slow children.
        let tracker = Tracker::new();
        let maker = tracker.clone();
        let slow = (0..100).map(move |i| maker.track(i, async move {
            if i >= 2 {
                futures::future::pending::<()>().await;
            }
            i
        }));
        let started = Instant::now();
        let out = slow
            .bounded(4)
            .until(futures::future::pending::<()>())
            .within(Duration::from_millis(50))
            .gather()
            .await;
        assert_eq!(&out[..2], [Ok(0), Ok(1)]);
        assert!(out[2..].iter().all(|r| *r == Err(Elapsed::Batch)));
        // Inputs never admitted are not reported: under `until`, the
        // input's length is unknown.
        assert_eq!(out.len(), tracker.created());
        assert!(started.elapsed() < at_most_ms(3_000));

        // The signal fires first; the batch deadline then cuts what still runs.
        let tracker = Tracker::new();
        let maker = tracker.clone();
        let (sender, fired) = signal();
        let slow = (0..100).map(move |i| maker.track(i, async move {
            if i % 2 == 1 {
                futures::future::pending::<()>().await;
            }
            i
        }));
        let out = slow
            .bounded(4)
            .on_each(move |index, _| if index == 4 { fire(&sender) })
            .until(fired)
            .within(Duration::from_millis(50))
            .gather()
            .await;
        assert_eq!(out.len(), tracker.created());
        for (index, result) in out.iter().enumerate() {
            if index % 2 == 1 {
                assert_eq!(*result, Err(Elapsed::Batch));
            } else {
                assert_eq!(*result, Ok(index));
            }
        }
        assert_eq!(tracker.alive(), 0);
    }

    async fn a_stopped_batch_waits_for_no_permit() {
        let limiter = Limiter::new(1);
        // Another batch holds the only permit for good.
        let mut hog = [futures::future::pending::<()>()].bounded_by(&limiter).as_completed();
        assert_eq!(futures::poll!(hog.next()), std::task::Poll::Pending);
        assert_eq!(limiter.available(), 0);
        let (fire, fired) = oneshot::channel::<()>();
        let tracker = Tracker::new();
        let mut stopped = children(&tracker).bounded_by(&limiter).until(fired).gather();
        assert_eq!(futures::poll!(&mut stopped), std::task::Poll::Pending);
        fire.send(()).unwrap();
        // The signal wakes the batch, which ends without the permit.
        assert_eq!(stopped.await, Vec::<usize>::new());
        assert_eq!(tracker.created(), 0);
        drop(hog);
        assert_eq!(limiter.available(), 1);
    }

    async fn a_signal_is_checked_before_a_permit_is_taken() {
        let limiter = Limiter::new(2);
        let tracker = Tracker::new();
        let out = children(&tracker).bounded_by(&limiter).until(async {}).gather().await;
        assert!(out.is_empty());
        assert_eq!(limiter.available(), 2);
    }

    async fn a_signal_stops_the_batch_with_on_slow_poll_before_or_after_it() {
        let threshold = Duration::from_secs(5);
        let tracker = Tracker::new();
        let before = children(&tracker).until(async {}).on_slow_poll(threshold, |_, _| {}).gather().await;
        let after = children(&tracker).on_slow_poll(threshold, |_, _| {}).until(async {}).gather().await;
        assert!(before.is_empty(), "{} outputs after the signal", before.len());
        assert!(after.is_empty(), "{} outputs after the signal", after.len());
        assert_eq!(tracker.created(), 0);
    }

    async fn until_given_twice_keeps_the_last() {
        let tracker = Tracker::new();
        let out = children(&tracker).take(20).bounded(4).until(futures::future::pending::<()>()).until(async {}).gather().await;
        assert!(out.is_empty(), "the last signal has fired");
        let out = children(&tracker).take(20).bounded(4).until(async {}).until(futures::future::pending::<()>()).gather().await;
        assert_eq!(out, (0..20).collect::<Vec<_>>(), "the earlier signal is silenced");
    }

    async fn a_panicking_signal_goes_on_after_every_child_is_dropped() {
        let tracker = Tracker::new();
        let maker = tracker.clone();
        let mut polls = 0;
        let signal = std::future::poll_fn(move |cx| {
            polls += 1;
            assert!(polls < 5, "the signal broke");
            cx.waker().wake_by_ref();
            std::task::Poll::<()>::Pending
        });
        let never = (0..100).map(move |i| maker.track(i, futures::future::pending::<usize>()));
        let caught = AssertUnwindSafe(never.until(signal).gather()).catch_unwind().await;
        let payload = caught.expect_err("the signal's panic goes on");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"the signal broke"));
        assert_eq!(tracker.alive(), 0);
        assert!(tracker.created() >= 4);
    }
}

on_every_executor! {
    /// Regression: the stop signal was looked at only once the `in_order`
    /// window had room, so behind a stuck first child and a full window a
    /// signal that had resolved never dropped the input (a channel's
    /// senders never learned nobody listens). The same batch ending in
    /// `as_completed` with every slot taken dropped it at once.
    async fn a_signal_drops_the_input_behind_a_full_in_order_window() {
        let tracker = Tracker::new();
        let source = common::source::endless_behind_a_stuck_head(&tracker);
        let probe = source.probe();
        let (sender, fired) = signal();
        let mut outputs = source.bounded(2).until(fired).in_order();
        // The first child is stuck; the window (twice the limit) fills
        // with outputs that wait for it.
        assert!(futures::poll!(outputs.next()).is_pending());
        let pulled = probe.pulled();
        assert_eq!(pulled, 4, "the window holds the stuck child and three after it");
        assert!(!probe.dropped());
        fire(&sender);
        assert!(futures::poll!(outputs.next()).is_pending(), "the stuck child runs on");
        assert!(probe.dropped(), "the input is dropped once stopped, full window or not");
        assert_eq!(probe.pulled(), pulled, "nothing pulled after the signal");
        assert_eq!(tracker.alive(), 1, "the stuck child still runs");
    }
}
