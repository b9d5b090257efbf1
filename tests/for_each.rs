//! `for_each`, `try_for_each` and `fold`: the consumer's async body runs
//! beside the children, so they keep running (and finishing, and being
//! timed honestly) while it awaits; outputs waiting for it are at most the
//! batch's limit.

mod common;
use common::*;
use fanout::prelude::*;
use fanout::{Elapsed, Limiter};
use futures::FutureExt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

/// A job of five 20 ms steps (100 ms of waiting in all), ten times that
/// under Miri (see [`tour_ms`]).
async fn five_steps(i: usize) -> usize {
    for _ in 0..5 {
        sleep_ms(tour_ms(20)).await;
    }
    i
}

/// The slow-consumer tour's times: as given, and ten times longer under
/// Miri, whose clock advances with each step of code it runs, so that the
/// batch's own work there fills a good part of a 300 ms deadline.
fn tour_ms(ms: u64) -> u64 {
    if cfg!(miri) { 10 * ms } else { ms }
}

/// A body's wait that another thread ends.
async fn woken_by_another_thread() {
    let (done, wait) = futures::channel::oneshot::channel();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1));
        let _ = done.send(());
    });
    wait.await.unwrap();
}

on_every_executor! {
    /// The tour's slow consumer: 12 jobs of 100 ms, 4 at once, a 300 ms
    /// deadline each, a consumer that awaits 150 ms per item. Awaiting in an
    /// `as_completed` loop starves the children (about 4 ok, 8 timed out);
    /// `for_each` keeps them running, and admits none only to wait.
    async fn a_slow_consumer_times_no_child_out() {
        let ok = AtomicUsize::new(0);
        (0..12)
            .map(five_steps)
            .bounded(4)
            .with_deadline(Duration::from_millis(tour_ms(300)))
            .for_each(|(_, output)| {
                let ok = &ok;
                async move {
                    sleep_ms(tour_ms(150)).await;
                    if output.is_ok() {
                        ok.fetch_add(1, SeqCst);
                    }
                }
            })
            .await;
        assert_eq!(ok.load(SeqCst), 12, "children timed out behind a busy consumer");
    }

    async fn outputs_waiting_for_the_body_are_at_most_the_limit() {
        for limit in [1, 3, 8] {
            let tracker = Tracker::new();
            let consumed = AtomicUsize::new(0);
            let peak = AtomicUsize::new(0);
            let seen = (0..40)
                .map(|i| tracker.track(i, yield_once(i)))
                .bounded(limit)
                .fold(Vec::new(), |mut seen, (index, output)| {
                    // Finished and not yet handed to a body, this one aside.
                    let waiting = tracker.finished() - consumed.fetch_add(1, SeqCst) - 1;
                    peak.fetch_max(waiting, SeqCst);
                    async move {
                        assert_eq!(index, output);
                        sleep_ms(1).await;
                        seen.push(output);
                        seen
                    }
                })
                .await;
            let mut seen = seen;
            seen.sort_unstable();
            assert_eq!(seen, (0..40).collect::<Vec<_>>(), "limit {limit}");
            assert!(peak.load(SeqCst) <= limit, "limit {limit}: {} waited", peak.load(SeqCst));
            assert_eq!(tracker.alive(), 0);
        }
    }

    async fn bodies_that_await_timers_threads_and_yields_see_every_output() {
        let seen = Mutex::new(Vec::new());
        (0..30)
            .map(|i| async move {
                if i % 3 == 0 {
                    sleep_ms(1).await;
                }
                i
            })
            .bounded(5)
            .for_each(|(index, output)| {
                let seen = &seen;
                async move {
                    match index % 3 {
                        0 => sleep_ms(1).await,
                        1 => woken_by_another_thread().await,
                        _ => yield_once(()).await,
                    }
                    seen.lock().unwrap().push(output);
                }
            })
            .await;
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        assert_eq!(seen, (0..30).collect::<Vec<_>>());
    }

    async fn try_for_each_stops_at_the_first_error_and_drops_every_child() {
        let limiter = Limiter::new(3);
        let tracker = Tracker::new();
        let result = (0..100)
            .map(|i| tracker.track(i, async move {
                if i > 4 {
                    futures::future::pending::<()>().await;
                }
                i
            }))
            .bounded_by(&limiter)
            .try_for_each(|(_, i)| async move { if i == 2 { Err(format!("input {i}")) } else { Ok(()) } })
            .await;
        assert_eq!(result, Err("input 2".to_string()));
        assert_eq!(tracker.alive(), 0, "children dropped before the error came back");
        assert!(tracker.created() < 10, "no input pulled after the error: {}", tracker.created());
        assert_eq!(limiter.available(), 3, "every permit back");
    }

    async fn a_panicking_body_drops_the_children_and_goes_on() {
        let limiter = Limiter::new(2);
        let tracker = Tracker::new();
        let caught = std::panic::AssertUnwindSafe(
            (0..10)
                .map(|i| tracker.track(i, async move {
                    if i > 0 {
                        futures::future::pending::<()>().await;
                    }
                    i
                }))
                .bounded_by(&limiter)
                .for_each(|(_, i)| async move { panic!("body {i}") }),
        )
        .catch_unwind()
        .await;
        let payload = caught.expect_err("the body's panic goes on");
        assert_eq!(panic_message(&*payload), "body 0");
        assert_eq!(tracker.alive(), 0);
        assert_eq!(limiter.available(), 2);
    }

    async fn dropping_it_mid_body_drops_the_children_and_returns_the_permits() {
        let limiter = Limiter::new(2);
        let tracker = Tracker::new();
        let started = AtomicUsize::new(0);
        let run = (0..10)
            .map(|i| tracker.track(i, async move { i }))
            .bounded_by(&limiter)
            .for_each(|_| {
                started.fetch_add(1, SeqCst);
                futures::future::pending::<()>()
            });
        let mut run = Box::pin(run);
        assert!(futures::poll!(run.as_mut()).is_pending());
        assert_eq!(started.load(SeqCst), 1, "one body at a time");
        drop(run);
        assert_eq!(tracker.alive(), 0);
        assert_eq!(limiter.available(), 2);
    }

    async fn it_composes_with_within_until_rate_and_catch_panics() {
        let outputs = Mutex::new(Vec::new());
        let (stop, stopped) = futures::channel::oneshot::channel::<()>();
        let stop = Mutex::new(Some(stop));
        (0..)
            .map(|i: usize| async move {
                assert!(i != 3, "input 3 panics");
                yield_once(i).await
            })
            .bounded(4)
            .rate(1_000, Duration::from_secs(1))
            .until(stopped)
            .within(Duration::from_secs(30))
            .catch_panics()
            .for_each(|(index, output)| {
                if index == 9 {
                    if let Some(stop) = stop.lock().unwrap().take() {
                        let _ = stop.send(());
                    }
                }
                outputs.lock().unwrap().push((index, output.map_err(|p| p.message().map(str::to_owned))));
                async {}
            })
            .await;
        let outputs = outputs.into_inner().unwrap();
        assert!(outputs.len() >= 10, "{} outputs", outputs.len());
        assert!(outputs.contains(&(3, Err(Some("input 3 panics".to_string())))));
        assert!(outputs.iter().all(|(i, o)| *i == 3 || *o == Ok(Ok(*i))));
        let _: Option<Elapsed> = None;
    }

    async fn as_completed_has_them_too_and_goes_on_from_where_it_stands() {
        use futures::StreamExt;
        let mut stream = (0..6).map(yield_once).bounded(2).as_completed();
        let first = stream.next().await.expect("an output");
        let rest = stream.fold(vec![first.1], |mut seen, (_, i)| async move {
            seen.push(i);
            seen
        });
        let mut seen = rest.await;
        seen.sort_unstable();
        assert_eq!(seen, [0, 1, 2, 3, 4, 5]);
    }
}

/// A sink for the tests: takes items into a list; ready (and flushed) only
/// every other time it is asked, waking its task when it says no; fails at
/// the item `fail_at` if set; or never ready if `stuck`.
#[derive(Default)]
struct TestSink {
    items: Vec<(usize, usize)>,
    asked: usize,
    fail_at: Option<usize>,
    stuck: bool,
    closed: bool,
}

impl futures::Sink<(usize, usize)> for TestSink {
    type Error = String;

    fn poll_ready(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), String>> {
        self.asked += 1;
        if self.stuck {
            return std::task::Poll::Pending;
        }
        if self.asked % 2 == 0 {
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        std::task::Poll::Ready(Ok(()))
    }

    fn start_send(mut self: std::pin::Pin<&mut Self>, item: (usize, usize)) -> Result<(), String> {
        if Some(item.1) == self.fail_at {
            return Err(format!("refused {}", item.1));
        }
        self.items.push(item);
        Ok(())
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), String>> {
        self.asked += 1;
        if self.asked % 2 == 0 {
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_close(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), String>> {
        let flushed = futures::ready!(self.as_mut().poll_flush(cx));
        self.closed = true;
        std::task::Poll::Ready(flushed)
    }
}

on_every_executor! {
    async fn forward_sends_every_output_into_a_slow_sink_and_closes_it() {
        let mut sink = TestSink::default();
        (0..50).map(yield_once).bounded(4).forward(&mut sink).await.unwrap();
        let mut items = sink.items.clone();
        items.sort_unstable();
        assert_eq!(items, (0..50).map(|i| (i, i)).collect::<Vec<_>>());
        assert!(sink.closed, "closed at the end");
    }

    async fn forward_stops_at_the_sinks_error_and_drops_every_child() {
        let limiter = Limiter::new(3);
        let tracker = Tracker::new();
        let mut sink = TestSink { fail_at: Some(5), ..TestSink::default() };
        let result = (0..100)
            .map(|i| tracker.track(i, async move {
                if i > 7 {
                    futures::future::pending::<()>().await;
                }
                i
            }))
            .bounded_by(&limiter)
            .forward(&mut sink)
            .await;
        assert_eq!(result, Err("refused 5".to_string()));
        assert_eq!(tracker.alive(), 0);
        assert_eq!(limiter.available(), 3);
        assert!(!sink.closed, "a failed sink is not closed");
    }

    async fn a_sink_never_ready_holds_at_most_the_limit_and_children_still_finish() {
        let limiter = Limiter::new(4);
        let tracker = Tracker::new();
        let mut sink = TestSink { stuck: true, ..TestSink::default() };
        let mut run = Box::pin(
            (0..100)
                .map(|i| tracker.track(i, yield_once(i)))
                .bounded_by(&limiter)
                .forward(&mut sink),
        );
        for _ in 0..20 {
            assert!(futures::poll!(run.as_mut()).is_pending());
            yield_once(()).await;
        }
        assert_eq!(tracker.finished(), 4, "the children ran to their end, the limit of them");
        assert_eq!(tracker.created(), 4, "no child admitted only to wait");
        drop(run);
        assert_eq!(tracker.alive(), 0);
        assert_eq!(limiter.available(), 4);
        assert!(sink.items.is_empty());
    }
}

on_every_executor! {
    /// Found by `tests/for_each_properties.rs`: the room left under a limit
    /// of `usize::MAX` overflowed when added to the admitted count.
    async fn a_limit_of_usize_max_does_not_overflow() {
        let sum = (1..=5)
            .map(yield_once)
            .bounded(usize::MAX)
            .fold(0, |sum, (_, i)| async move { sum + i })
            .await;
        assert_eq!(sum, 15);
    }
}

// The same ends on `in_order()`: the body gets each output alone, in input
// order, and the children keep running while it awaits; the outputs
// waiting for it keep to the window (2 places per slot).
on_every_executor! {
    /// The tour's slow consumer again, in input order.
    async fn in_order_for_each_times_no_child_out_behind_a_slow_consumer() {
        let seen = Mutex::new(Vec::new());
        (0..12)
            .map(five_steps)
            .bounded(4)
            .with_deadline(Duration::from_millis(tour_ms(300)))
            .in_order()
            .for_each(|output| {
                let seen = &seen;
                async move {
                    sleep_ms(tour_ms(150)).await;
                    seen.lock().unwrap().push(output);
                }
            })
            .await;
        let expected: Vec<Result<usize, Elapsed>> = (0..12).map(Ok).collect();
        assert_eq!(seen.into_inner().unwrap(), expected);
    }

    async fn in_order_for_each_keeps_the_window_behind_a_slow_first_child() {
        for limit in [1, 3] {
            let tracker = Tracker::new();
            let consumed = AtomicUsize::new(0);
            let peak_waiting = AtomicUsize::new(0);
            let peak_ahead = AtomicUsize::new(0);
            let seen = (0..40)
                .map(|i| tracker.track(i, async move {
                    if i % 10 == 0 {
                        sleep_ms(20).await;
                    }
                    yield_once(i).await
                }))
                .bounded(limit)
                .in_order()
                .fold(Vec::new(), |mut seen, output| {
                    let consumed = consumed.fetch_add(1, SeqCst);
                    // Finished and not yet handed to a body, this one aside.
                    peak_waiting.fetch_max(tracker.finished() - consumed - 1, SeqCst);
                    // Admitted past the first output not yet handed on.
                    peak_ahead.fetch_max(tracker.created() - consumed, SeqCst);
                    async move {
                        sleep_ms(1).await;
                        seen.push(output);
                        seen
                    }
                })
                .await;
            assert_eq!(seen, (0..40).collect::<Vec<_>>(), "limit {limit}");
            let window = 2 * limit;
            assert!(peak_waiting.load(SeqCst) < window, "limit {limit}: {} waited", peak_waiting.load(SeqCst));
            assert!(peak_ahead.load(SeqCst) <= window, "limit {limit}: {} admitted ahead", peak_ahead.load(SeqCst));
            assert_eq!(tracker.alive(), 0);
        }
    }

    async fn in_order_try_for_each_stops_at_the_first_error_in_input_order() {
        let limiter = Limiter::new(3);
        let tracker = Tracker::new();
        let seen = Mutex::new(Vec::new());
        let result = (0..100u64)
            .map(|i| tracker.track(i as usize, async move {
                // Later inputs finish first while they run together.
                sleep_ms(3 * (3 - i % 3)).await;
                if i > 6 {
                    futures::future::pending::<()>().await;
                }
                i
            }))
            .bounded_by(&limiter)
            .in_order()
            .try_for_each(|i| {
                seen.lock().unwrap().push(i);
                async move { if i == 2 { Err(format!("input {i}")) } else { Ok(()) } }
            })
            .await;
        assert_eq!(result, Err("input 2".to_string()));
        assert_eq!(seen.into_inner().unwrap(), [0, 1, 2], "bodies in input order, none after the error");
        assert_eq!(tracker.alive(), 0, "children dropped before the error came back");
        assert_eq!(limiter.available(), 3, "every permit back");
    }

    async fn in_order_fold_and_forward_keep_input_order() {
        let reversed = || (0..8u64).map(|i| async move {
            sleep_ms(2 * (8 - i)).await;
            i
        });
        let folded = reversed()
            .bounded(4)
            .in_order()
            .fold(Vec::new(), |mut seen, i| async move {
                yield_once(()).await;
                seen.push(i);
                seen
            })
            .await;
        assert_eq!(folded, (0..8).collect::<Vec<_>>());
        let mut sink = Vec::new();
        reversed().bounded(4).in_order().forward(&mut sink).await.unwrap();
        assert_eq!(sink, (0..8).collect::<Vec<_>>());
    }

    async fn in_order_taken_mid_stream_goes_on_from_where_it_stands() {
        use futures::StreamExt;
        let tracker = Tracker::new();
        // Input 0 is slow: 1 to 3 finish early and wait in the window.
        let mut stream = (0..8)
            .map(|i| tracker.track(i, async move {
                if i == 0 {
                    sleep_ms(10).await;
                }
                i
            }))
            .bounded(4)
            .in_order();
        assert_eq!(stream.next().await, Some(0));
        let mut seen = Vec::new();
        stream
            .for_each(|i| {
                seen.push(i);
                async {}
            })
            .await;
        assert_eq!(seen, [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(tracker.alive(), 0);
    }

    async fn in_order_a_panicking_body_drops_the_children_and_goes_on() {
        let limiter = Limiter::new(2);
        let tracker = Tracker::new();
        let caught = std::panic::AssertUnwindSafe(
            (0..10)
                .map(|i| tracker.track(i, async move {
                    if i > 0 {
                        futures::future::pending::<()>().await;
                    }
                    i
                }))
                .bounded_by(&limiter)
                .in_order()
                .for_each(|i| async move { panic!("body {i}") }),
        )
        .catch_unwind()
        .await;
        let payload = caught.expect_err("the body's panic goes on");
        assert_eq!(panic_message(&*payload), "body 0");
        assert_eq!(tracker.alive(), 0);
        assert_eq!(limiter.available(), 2);
    }

    /// Children that register their waker once with a reactor thread, and
    /// fail if polled again before it wakes them.
    async fn in_order_for_each_runs_children_that_register_their_waker_once() {
        let reactor = common::strict::Reactor::new();
        let reactor = &reactor;
        let mut seen = Vec::new();
        (0..500)
            .map(|i| reactor.child(i))
            .bounded(5)
            .in_order()
            .for_each(|i| {
                seen.push(i);
                yield_once(())
            })
            .await;
        assert_eq!(seen, (0..500).collect::<Vec<_>>());
        assert_eq!(reactor.woken(), 500);
    }
}

on_every_executor! {
    /// A body that registers its waker once with a reactor thread, and
    /// fails if polled again before that wake-up: the children's wake-ups,
    /// which wake the task too, must not poll it.
    async fn a_body_that_registers_its_waker_once_is_polled_only_after_its_wake_up() {
        let reactor = common::strict::Reactor::new();
        let reactor = &reactor;
        let seen = AtomicUsize::new(0);
        (0..300)
            .map(|i| async move {
                if i % 2 == 0 {
                    woken_by_another_thread().await;
                }
                i
            })
            .bounded(8)
            .for_each(|_| {
                seen.fetch_add(1, SeqCst);
                reactor.child(())
            })
            .await;
        let mut in_order = Vec::new();
        (0..300)
            .map(|i| async move {
                if i % 3 == 0 {
                    yield_once(()).await;
                }
                i
            })
            .bounded(8)
            .in_order()
            .for_each(|i| {
                in_order.push(i);
                reactor.child(())
            })
            .await;
        assert_eq!(seen.load(SeqCst), 300);
        assert_eq!(in_order, (0..300).collect::<Vec<_>>());
        assert_eq!(reactor.woken(), 600);
    }
}

on_every_executor! {
    /// The deadline clock of a child admitted by a consuming end starts at
    /// the end of the poll that admitted it, as for the collecting ends: a
    /// stuck child times out.
    async fn a_stuck_child_times_out_under_for_each() {
        let seen = Mutex::new(Vec::new());
        (0..4)
            .map(|i| async move {
                if i == 1 {
                    futures::future::pending::<()>().await;
                }
                i
            })
            .bounded(2)
            .with_deadline(Duration::from_millis(20))
            .in_order()
            .for_each(|output| {
                seen.lock().unwrap().push(output);
                async {}
            })
            .await;
        assert_eq!(seen.into_inner().unwrap(), [Ok(0), Err(Elapsed::Child), Ok(2), Ok(3)]);
    }

    /// The budget of outputs per poll ran out while the body waits for the
    /// very children still to be taken in: the end must come back for them
    /// (it wakes its task), or nothing ever wakes the body.
    async fn a_body_waiting_on_children_past_the_output_budget_is_not_stranded() {
        const CHILDREN: usize = 1_000;
        let finished = AtomicUsize::new(0);
        let (all_done, on_all_done) = futures::channel::oneshot::channel::<()>();
        let all_done = Mutex::new(Some(all_done));
        let on_all_done = Mutex::new(Some(on_all_done));
        let seen = AtomicUsize::new(0);
        (0..CHILDREN)
            .map(|i| {
                let (finished, all_done) = (&finished, &all_done);
                async move {
                    if finished.fetch_add(1, SeqCst) + 1 == CHILDREN {
                        let _ = all_done.lock().unwrap().take().unwrap().send(());
                    }
                    i
                }
            })
            .as_completed() // unbounded: `Iterator::for_each` would be found first
            .for_each(|_| {
                seen.fetch_add(1, SeqCst);
                // The first body waits until every child has run.
                let wait = on_all_done.lock().unwrap().take();
                async move {
                    if let Some(wait) = wait {
                        wait.await.unwrap();
                    }
                }
            })
            .await;
        assert_eq!(seen.load(SeqCst), CHILDREN);
    }
}

/// While the body waits and no child has an output, a poll of a consuming
/// end returns without waking its own task: it waits for a wake-up, it
/// does not spin through its budget of outputs and wake itself.
#[test]
fn a_waiting_consumer_does_not_spin() {
    let (wake, waker) = CountedWake::new();
    let mut cx = std::task::Context::from_waker(&waker);
    let (release, released) = futures::channel::oneshot::channel::<()>();
    let mut released = Some(released);
    let (finish, finished) = futures::channel::oneshot::channel::<()>();
    let finished = futures::future::FutureExt::shared(finished);
    let mut run = Box::pin(
        (0..4)
            .map(|i| {
                let finished = finished.clone();
                async move {
                    if i >= 2 {
                        let _ = finished.await;
                    }
                    i
                }
            })
            .bounded(4)
            .for_each(|_| {
                // The first body waits to be released; the rest are quick.
                let wait = released.take();
                async move {
                    if let Some(wait) = wait {
                        let _ = wait.await;
                    }
                }
            }),
    );
    use std::future::Future;
    // Children 0 and 1 finish at once: one is in the body, one waits for
    // it; children 2 and 3 wait too.
    assert!(run.as_mut().poll(&mut cx).is_pending());
    // (The first poll may wake the task once: a `FuturesUnordered` that
    // has just polled every future it holds yields so.)
    let after_first = wake.count();
    assert!(run.as_mut().poll(&mut cx).is_pending());
    assert_eq!(
        wake.count(),
        after_first,
        "the end woke its own task with nothing to do"
    );
    release.send(()).unwrap();
    finish.send(()).unwrap();
    assert!(
        wake.count() > 0,
        "the body's and children's wake-ups reach the task"
    );
    while run.as_mut().poll(&mut cx).is_pending() {}
}

on_every_executor! {
    /// More outputs than one poll takes in, into a sink always ready: the
    /// end must wake its task to come back for the rest.
    async fn forward_past_its_output_budget_is_not_stranded() {
        let mut sink = Vec::new();
        (0..1_000)
            .map(|i| async move { i })
            .as_completed()
            .forward(&mut sink)
            .await
            .unwrap();
        assert_eq!(sink.len(), 1_000);
    }
}
