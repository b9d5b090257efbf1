//! Per-child deadlines: the clock starts at admission, a child that misses
//! its deadline is dropped at once and its slot goes to the next input.

mod common;
use common::*;
use fanout::Elapsed;
use fanout::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

on_every_executor! {
    async fn the_slow_child_times_out_and_the_others_succeed() {
        let tracker = Tracker::new();
        let started = Instant::now();
        let children = [30, 30, 10_000, 30].into_iter().enumerate().map(|(i, ms)| {
            tracker.track(i, async move {
                sleep_ms(ms).await;
                ms
            })
        });
        let out = children.with_deadline(Duration::from_millis(300)).gather().await;
        let took = started.elapsed();
        assert_eq!(out, [Ok(30), Ok(30), Err(Elapsed::Child), Ok(30)]);
        // The slow child was dropped before `gather` returned, not awaited.
        assert_eq!(tracker.alive(), 0);
        assert_eq!(tracker.finished(), 3);
        assert!(took < at_most_ms(900), "took {took:?}");
    }

    async fn the_clock_starts_at_admission_not_at_creation() {
        // 20 children of 100 ms in waves of 5 take 400 ms in all; a 350 ms
        // deadline counted from creation would fail the last wave.
        for deadline_first in [false, true] {
            let children: Vec<_> = (0..20).map(|i| async move {
                sleep_ms(100).await;
                i
            }).collect();
            let deadline = Duration::from_millis(350);
            let started = Instant::now();
            let out = if deadline_first {
                children.with_deadline(deadline).bounded(5).gather().await
            } else {
                children.bounded(5).with_deadline(deadline).gather().await
            };
            assert!(started.elapsed() >= Duration::from_millis(390), "four waves ran");
            let expected: Vec<Result<i32, Elapsed>> = (0..20).map(Ok).collect();
            assert_eq!(out, expected, "deadline first: {deadline_first}");
        }
    }

    async fn a_timed_out_child_is_dropped_at_once_and_frees_its_slot() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let event = |what: &'static str| {
            let log = log.clone();
            move || log.lock().unwrap().push(what)
        };
        let slow = {
            let on_drop = DropHook(Some(event("slow dropped")));
            async move {
                let _on_drop = on_drop;
                sleep_ms(10_000).await;
                "slow"
            }
        };
        let fast = {
            let started = event("fast started");
            async move {
                started();
                "fast"
            }
        };
        let children: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = &str> + Send>>> =
            vec![Box::pin(slow), Box::pin(fast)];
        let out = children.bounded(1).with_deadline(Duration::from_millis(50)).gather().await;
        assert_eq!(out, [Err(Elapsed::Child), Ok("fast")]);
        assert_eq!(*log.lock().unwrap(), ["slow dropped", "fast started"]);
    }

    async fn a_zero_deadline_gives_each_child_one_poll() {
        let tracker = Tracker::new();
        let children = (0..6).map(|i| {
            tracker.track(i, async move {
                if i % 2 == 1 {
                    sleep_ms(5).await;
                }
                i
            })
        });
        let out = children.bounded(2).with_deadline(Duration::ZERO).gather().await;
        assert_eq!(out, [Ok(0), Err(Elapsed::Child), Ok(2), Err(Elapsed::Child), Ok(4), Err(Elapsed::Child)]);
        assert_eq!(tracker.polls(), 6, "one poll each");
        assert_eq!(tracker.alive(), 0);
    }

    async fn a_deadline_too_large_to_represent_never_passes() {
        let children = (0..3).map(|i| async move {
            sleep_ms(10).await;
            i
        });
        let out = children.with_deadline(Duration::MAX).bounded(2).gather().await;
        assert_eq!(out, [Ok(0), Ok(1), Ok(2)]);
    }

    async fn when_output_and_deadline_are_both_ready_the_output_wins() {
        use std::future::Future;
        let gate = Gate::default();
        let child = {
            let gate = gate.clone();
            async move {
                gate.wait().await;
                "done"
            }
        };
        // Miri runs the first poll slowly enough to pass a short deadline.
        let deadline = Duration::from_millis(if cfg!(miri) { 2_000 } else { 20 });
        let mut batch = std::pin::pin!([child].with_deadline(deadline).gather());
        assert!(futures::poll!(batch.as_mut()).is_pending());
        // Hold the thread past the deadline (the consumer was busy), then
        // let the child finish: both are ready at the next poll.
        std::thread::sleep(deadline * 5);
        gate.open();
        let out = std::future::poll_fn(|cx| batch.as_mut().poll(cx)).await;
        assert_eq!(out, [Ok("done")]);
    }
}

/// Runs a closure when dropped.
struct DropHook<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> Drop for DropHook<F> {
    fn drop(&mut self) {
        if let Some(hook) = self.0.take() {
            hook();
        }
    }
}

/// A future that stays pending until `open` is called.
#[derive(Clone, Default)]
struct Gate(Arc<Mutex<(bool, Option<std::task::Waker>)>>);

impl Gate {
    fn open(&self) {
        let mut state = self.0.lock().unwrap();
        state.0 = true;
        if let Some(waker) = state.1.take() {
            waker.wake();
        }
    }

    async fn wait(&self) {
        futures::future::poll_fn(|cx| {
            let mut state = self.0.lock().unwrap();
            if state.0 {
                std::task::Poll::Ready(())
            } else {
                state.1 = Some(cx.waker().clone());
                std::task::Poll::Pending
            }
        })
        .await
    }
}

#[test]
fn a_timed_out_child_is_dropped_while_its_siblings_keep_finishing_at_once() {
    let _watchdog = common::watchdog::Watchdog::start();
    // Input 0 never finishes; every other input is ready on its first poll,
    // so the children are never all pending at once. The deadline must
    // still drop input 0 on time, not after the last sibling.
    let n = if cfg!(miri) { 2_000 } else { 300_000 };
    let dropped_after = std::sync::Arc::new(std::sync::Mutex::new(None));
    let finished_siblings = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let children = (0..n).map(|i| {
        let finished = finished_siblings.clone();
        let (dropped_after, finished_siblings) = (dropped_after.clone(), finished_siblings.clone());
        let on_drop = DropHook(Some(move || {
            if i == 0 {
                *dropped_after.lock().unwrap() =
                    Some(finished_siblings.load(std::sync::atomic::Ordering::SeqCst));
            }
        }));
        Box::pin(async move {
            let _on_drop = on_drop;
            if i == 0 {
                futures::future::pending::<()>().await;
            }
            finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }) as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
    });
    let out = futures::executor::block_on(
        children
            .bounded(2)
            .with_deadline(Duration::from_millis(5))
            .gather(),
    );
    assert_eq!(out[0], Err(Elapsed::Child));
    let dropped_after = dropped_after.lock().unwrap().expect("input 0 was dropped");
    assert!(
        dropped_after < n - 1,
        "input 0 was dropped only after all {dropped_after} siblings finished"
    );
}
