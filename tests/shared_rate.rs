//! `SharedRate`: at most `max` children start in any window of `per`,
//! counted exactly across every batch that shares it, whichever thread it
//! runs on and whenever it began; busy batches take turns first come,
//! first served; a batch that ends, is stopped, cut off or dropped leaves
//! the line and blocks no one; and `rate_by` composes with the limits,
//! the deadlines, every end and both kinds of input.
//!
//! A start is a child's first poll: [`Starts`] stamps it as that poll
//! begins, after the rate's own stamp, so the windows are checked with no
//! slack at all.

mod common;
mod shared_limits;
use common::driver::FreshWakers;
use common::source::{Gap, Length, SaysEmpty, TestSource};
use common::*;
use fanout::prelude::*;
use fanout::{AdaptiveLimit, Elapsed, Limiter, SharedRate};
use futures::StreamExt;
use futures::channel::oneshot;
use futures::future::{self, Either};
use shared_limits::{InFlight, Starts};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// `count` children of batch `name`, their starts noted in `starts`; the
/// odd ones wait a little after they start.
fn children(
    starts: &Starts,
    name: char,
    count: usize,
) -> impl Iterator<Item = impl Future<Output = usize> + use<>> + use<> {
    children_of(starts, name, count, |i| async move {
        if i % 2 == 1 {
            yield_once(()).await;
        }
        i
    })
}

/// `count` children of batch `name`, `child(i)` for input `i`, their
/// starts noted in `starts` by the outermost wrapper, so that nothing of
/// the test's runs between fanout's first poll and the note.
fn children_of<F: Future, C: Fn(usize) -> F>(
    starts: &Starts,
    name: char,
    count: usize,
    child: C,
) -> impl Iterator<Item = impl Future<Output = F::Output> + use<F, C>> + use<F, C> {
    let starts = starts.clone();
    (0..count).map(move |i| starts.watch(name, child(i)))
}

/// `n` milliseconds, a hundred times longer under Miri: its clock runs
/// with the steps it takes, and a poll there can outlast a short window.
fn scaled_ms(n: u64) -> Duration {
    ms(if cfg!(miri) { 100 * n } else { n })
}

/// `count` outputs of [`children`].
fn outputs(count: usize) -> Vec<usize> {
    (0..count).collect()
}

/// The order in which busy batches start their children when each start
/// goes to the batch first in line: the first batch takes the opening
/// start and is then first in line for the next, the others behind it in
/// the order they were first polled; a batch that starts a child goes to
/// the back of the line if it has more.
fn first_come_first_served(names: &str, each: usize) -> String {
    let mut left: HashMap<char, usize> = names.chars().map(|name| (name, each)).collect();
    let mut line: VecDeque<char> = names.chars().collect();
    let mut order = String::new();
    let opening = line[0];
    order.push(opening);
    *left.get_mut(&opening).unwrap() -= 1;
    while let Some(name) = line.pop_front() {
        let left = left.get_mut(&name).unwrap();
        if *left == 0 {
            continue;
        }
        order.push(name);
        *left -= 1;
        if *left > 0 {
            line.push_back(name);
        }
    }
    order
}

/// `future`, which must finish: a batch held in line behind one that went
/// away would wait for ever. Fails after three seconds, far past what the
/// tests here take (no more than a few windows of tens of milliseconds);
/// under Miri, whose clock runs with the steps it takes, the watchdog
/// alone is left.
///
/// The tests give it the waiting batch inside [`FreshWakers`], so that it
/// is polled only when woken itself: in a task it shares with the batch
/// ahead of it, the wake-up of that one would poll it too.
async fn not_blocked<F: Future>(future: F) -> F::Output {
    if cfg!(miri) {
        return future.await;
    }
    match future::select(pin!(future), pin!(sleep_ms(3_000))).await {
        Either::Left((out, _)) => out,
        Either::Right(_) => panic!("a batch was still waiting in line after 3 s"),
    }
}

/// How many batches wait in `rate`'s line, as its `Debug` output says.
fn waiting(rate: &SharedRate) -> String {
    let debug = format!("{rate:?}");
    let at = debug
        .find("waiting: ")
        .expect("the line's length in the Debug output");
    debug[at..].trim_end_matches([' ', '}']).to_owned()
}

on_every_executor! {
    /// A batch under a rate asks an input whose hint says it is empty for
    /// its next item before it waits for the window: one that had items
    /// after all loses none of them, and the child pulled ahead of its
    /// start still starts no earlier than the window lets it, under a
    /// batch's own rate and a shared one alike.
    async fn an_input_whose_hint_says_empty_loses_no_item_and_keeps_the_window() {
        let (max, per) = (2, scaled_ms(30));
        for shared in [false, true] {
            let starts = Starts::new();
            let lying = SaysEmpty(children(&starts, 'l', 6));
            let out = if shared {
                lying.rate_by(&SharedRate::new(max, per)).gather().await
            } else {
                lying.rate(max, per).gather().await
            };
            assert_eq!(out, outputs(6), "shared: {shared}");
            assert_eq!(starts.len(), 6);
            starts.assert_no_window_holds_more_than(max, per);
            let stream = SaysEmpty(futures::stream::iter(children(&starts, 's', 3)));
            assert_eq!(stream.rate(max, per).gather().await, outputs(3));
        }
    }

    async fn no_window_holds_more_than_max_starts_across_batches() {
        let (max, per) = (3, ms(30));
        let rate = SharedRate::new(max, per);
        let starts = Starts::new();
        let n = if cfg!(miri) { 3 } else { 8 };
        // Four batches, two of which begin later, in the middle of windows.
        let batch = |name: char, after_ms: u64| {
            let batch = children(&starts, name, n).rate_by(&rate).gather();
            async move {
                if after_ms > 0 {
                    sleep_ms(after_ms).await;
                }
                batch.await
            }
        };
        let (a, b, c, d) = futures::join!(batch('a', 0), batch('b', 0), batch('c', 17), batch('d', 45));
        for out in [a, b, c, d] {
            assert_eq!(out, outputs(n));
        }
        assert_eq!(starts.len(), 4 * n);
        starts.assert_no_window_holds_more_than(max, per);
        assert_eq!(waiting(&rate), "waiting: 0");
    }

    async fn an_input_slow_to_build_a_child_lets_no_start_into_its_window_early() {
        // Building each of `a`'s children takes most of a window, in its
        // input's `next` (a request built synchronously): the start is
        // when the child's first poll begins, not when it was reserved.
        let per = scaled_ms(40);
        let rate = SharedRate::new(1, per);
        let starts = Starts::new();
        let slow = children_of(&starts, 'a', 3, |i| {
            std::thread::sleep(scaled_ms(25));
            async move { i }
        });
        let (a, b) = futures::join!(
            slow.rate_by(&rate).gather(),
            children(&starts, 'b', 3).rate_by(&rate).gather(),
        );
        assert_eq!((a, b), (outputs(3), outputs(3)));
        starts.assert_no_window_holds_more_than(1, per);
    }

    async fn two_busy_batches_take_turns_when_the_window_is_full() {
        // All in one task: nothing races, so the order is exactly first
        // come, first served.
        let per = scaled_ms(5);
        let rate = SharedRate::new(1, per);
        let starts = Starts::new();
        let each = if cfg!(miri) { 4 } else { 8 };
        let (a, b) = futures::join!(
            children(&starts, 'a', each).rate_by(&rate).gather(),
            children(&starts, 'b', each).rate_by(&rate).gather(),
        );
        assert_eq!((a, b), (outputs(each), outputs(each)));
        // "aababab...b": `a` takes the opening start and the next, then
        // turns alternate until `a` runs out.
        assert_eq!(starts.order(), first_come_first_served("ab", each));
        starts.assert_no_window_holds_more_than(1, per);
    }

    async fn three_busy_batches_take_turns_when_the_window_is_full() {
        let per = scaled_ms(5);
        let rate = SharedRate::new(1, per);
        let starts = Starts::new();
        let each = if cfg!(miri) { 3 } else { 6 };
        let (a, b, c) = futures::join!(
            children(&starts, 'a', each).rate_by(&rate).gather(),
            children(&starts, 'b', each).rate_by(&rate).gather(),
            children(&starts, 'c', each).rate_by(&rate).gather(),
        );
        assert_eq!((a, b, c), (outputs(each), outputs(each), outputs(each)));
        assert_eq!(starts.order(), first_come_first_served("abc", each));
        starts.assert_no_window_holds_more_than(1, per);
    }

    async fn a_batch_dropped_while_first_in_line_lets_the_next_go() {
        let rate = SharedRate::new(1, ms(40));
        let starts = Starts::new();
        let mut first = children(&starts, 'a', 3).rate_by(&rate).as_completed();
        // It took the opening start, and waits first in line for the next.
        assert_eq!(first.next().await, Some((0, 0)));
        let second = children(&starts, 'b', 2).rate_by(&rate).gather();
        let drop_first = async move {
            sleep_ms(5).await;
            drop(first);
        };
        // `second` queues behind `first`, which goes away.
        let (out, ()) = futures::join!(not_blocked(FreshWakers::new(second)), drop_first);
        assert_eq!(out, outputs(2));
        assert_eq!(starts.order(), "abb");
        starts.assert_no_window_holds_more_than(1, ms(40));
        assert_eq!(waiting(&rate), "waiting: 0");
    }

    async fn a_batch_stopped_while_first_in_line_lets_the_next_go() {
        let per = scaled_ms(40);
        let rate = SharedRate::new(1, per);
        let starts = Starts::new();
        let ended = Arc::new(Mutex::new(String::new()));
        let (stop, stopped) = oneshot::channel::<()>();
        // `first` starts a long call, then waits first in line for its next
        // start when it is stopped. Its call runs on: the batch must leave
        // the line at once, not when the call ends and the batch with it.
        let first = children_of(&starts, 'a', 3, |i| {
            let ended = ended.clone();
            async move {
                futures_timer::Delay::new(scaled_ms(300)).await;
                ended.lock().unwrap().push('a');
                i
            }
        })
        .rate_by(&rate)
        .until(stopped)
        .gather();
        let second = children(&starts, 'b', 2).rate_by(&rate).gather();
        let second = async {
            let out = second.await;
            ended.lock().unwrap().push('b');
            out
        };
        let stopper = async move {
            futures_timer::Delay::new(scaled_ms(5)).await;
            stop.send(()).unwrap();
        };
        let (a, b, ()) = futures::join!(first, not_blocked(FreshWakers::new(second)), stopper);
        assert_eq!(a, [0], "stopped after its first child");
        assert_eq!(b, outputs(2));
        // Two windows of 40 ms for `second`, 300 ms for the call.
        assert_eq!(*ended.lock().unwrap(), "ba", "the stopped batch kept its place in line while its call ran");
        assert_eq!(starts.order(), "abb");
        starts.assert_no_window_holds_more_than(1, per);
        assert_eq!(waiting(&rate), "waiting: 0");
    }

    async fn a_batch_cut_off_while_first_in_line_lets_the_next_go() {
        let per = scaled_ms(40);
        let rate = SharedRate::new(1, per);
        let starts = Starts::new();
        let first = children(&starts, 'a', 3).rate_by(&rate).within(scaled_ms(15)).gather();
        let second = children(&starts, 'b', 2).rate_by(&rate).gather();
        let (a, b) = futures::join!(first, not_blocked(FreshWakers::new(second)));
        assert_eq!(a, [Ok(0), Err(Elapsed::Batch), Err(Elapsed::Batch)]);
        assert_eq!(b, outputs(2));
        assert_eq!(starts.order(), "abb");
        starts.assert_no_window_holds_more_than(1, per);
        assert_eq!(waiting(&rate), "waiting: 0");
    }

    async fn a_batch_whose_input_ends_while_first_in_line_lets_the_next_go() {
        let rate = SharedRate::new(1, ms(40));
        let starts = Starts::new();
        // A stream that ends after one item: `first` learns it has ended
        // only when it next may start a child.
        let source = TestSource::new(Length::Ends(1), {
            let starts = starts.clone();
            move |i| starts.watch('a', async move { i })
        });
        let first = source.rate_by(&rate).gather();
        let second = children(&starts, 'b', 2).rate_by(&rate).gather();
        let (a, b) = futures::join!(first, not_blocked(FreshWakers::new(second)));
        assert_eq!((a, b), (vec![0], outputs(2)));
        assert_eq!(starts.order(), "abb");
        starts.assert_no_window_holds_more_than(1, ms(40));
        assert_eq!(waiting(&rate), "waiting: 0");
    }

    async fn rate_by_with_a_bound_keeps_both() {
        let (max, per) = (3, ms(20));
        let rate = SharedRate::new(max, per);
        let starts = Starts::new();
        let (a_running, b_running) = (Tracker::new(), Tracker::new());
        let batch = |name: char, running: &Tracker| {
            let running = running.clone();
            children_of(&starts, name, 10, move |i| running.track(i, async move {
                sleep_ms(3).await;
                i
            }))
                .bounded(2)
                .rate_by(&rate)
                .gather()
        };
        let (a, b) = futures::join!(batch('a', &a_running), batch('b', &b_running));
        assert_eq!((a, b), (outputs(10), outputs(10)));
        assert_eq!((a_running.peak_running(), b_running.peak_running()), (2, 2));
        starts.assert_no_window_holds_more_than(max, per);
    }

    async fn rate_by_with_a_shared_limiter_keeps_both() {
        let (max, per) = (4, ms(20));
        let rate = SharedRate::new(max, per);
        let limiter = Limiter::new(3);
        let starts = Starts::new();
        let running = Tracker::new();
        let batch = |name: char| {
            let running = running.clone();
            children_of(&starts, name, 10, move |i| running.track(i, async move {
                sleep_ms(5).await;
                i
            }))
                .bounded_by(&limiter)
                .rate_by(&rate)
                .gather()
        };
        let (a, b, c) = futures::join!(batch('a'), batch('b'), batch('c'));
        assert_eq!((a, b, c), (outputs(10), outputs(10), outputs(10)));
        assert_eq!(running.peak_running(), 3, "the three batches together");
        assert_eq!(limiter.available(), 3);
        starts.assert_no_window_holds_more_than(max, per);
    }

    async fn rate_by_with_an_adaptive_limit_keeps_both() {
        let (max, per) = (4, ms(20));
        let rate = SharedRate::new(max, per);
        let limit = AdaptiveLimit::new(3, 1..=6);
        let probe = InFlight::under(&limit);
        let starts = Starts::new();
        let batch = |name: char| {
            let probe = probe.clone();
            children_of(&starts, name, 10, move |i| probe.watch(i, async move {
                sleep_ms(5).await;
                i
            }))
                .bounded_by(&limit)
                .rate_by(&rate)
                .gather()
        };
        let (a, b) = futures::join!(batch('a'), batch('b'));
        assert_eq!((a, b), (outputs(10), outputs(10)));
        probe.assert_never_over();
        assert_eq!(limit.in_flight(), 0);
        starts.assert_no_window_holds_more_than(max, per);
    }

    async fn the_deadline_clock_starts_at_admission_not_in_line() {
        // Two batches of five at one start per 20 ms: the last child
        // starts some 180 ms in, and each runs 10 ms. A 100 ms deadline
        // counted from the batch's start, or from the time in line, would
        // fail the later ones. (Under Miri it is only a formality.)
        let per = ms(20);
        let rate = SharedRate::new(1, per);
        let starts = Starts::new();
        let deadline = at_most_ms(100);
        let batch = |name: char, deadline_first: bool| {
            let children = children_of(&starts, name, 5, |i| async move {
                sleep_ms(10).await;
                i
            });
            // Either order of the settings is the same batch.
            if deadline_first {
                children.with_deadline(deadline).rate_by(&rate).gather()
            } else {
                children.rate_by(&rate).with_deadline(deadline).gather()
            }
        };
        let (a, b) = futures::join!(batch('a', true), batch('b', false));
        let expected: Vec<Result<usize, Elapsed>> = outputs(5).into_iter().map(Ok).collect();
        assert_eq!((a, b), (expected.clone(), expected));
        starts.assert_no_window_holds_more_than(1, per);
    }

    async fn every_end_shares_the_rate() {
        let (max, per) = (2, ms(10));
        let rate = SharedRate::new(max, per);
        let starts = Starts::new();
        let fallible = |name: char| {
            children_of(&starts, name, 6, |i| yield_once(Ok::<_, ()>(i)))
        };
        let gathered = children(&starts, 'g', 6).rate_by(&rate).gather();
        let tried = fallible('t').rate_by(&rate).try_gather();
        let completed = children(&starts, 'c', 6).rate_by(&rate).as_completed().collect::<Vec<_>>();
        let ordered = children(&starts, 'o', 6).rate_by(&rate).in_order().collect::<Vec<_>>();
        let reported = fallible('r').rate_by(&rate).report();
        let mut each = Vec::new();
        let for_each = children(&starts, 'f', 6).rate_by(&rate).for_each(|(_, i)| {
            each.push(i);
            yield_once(())
        });
        let (g, t, mut c, o, r, ()) = futures::join!(gathered, tried, completed, ordered, reported, for_each);
        assert_eq!(g, outputs(6));
        assert_eq!(t, Ok(outputs(6)));
        c.sort();
        assert_eq!(c, outputs(6).into_iter().enumerate().collect::<Vec<_>>());
        assert_eq!(o, outputs(6));
        assert_eq!((r.ok.len(), r.len()), (6, 6));
        each.sort();
        assert_eq!(each, outputs(6));
        assert_eq!(starts.len(), 36);
        starts.assert_no_window_holds_more_than(max, per);
        assert_eq!(waiting(&rate), "waiting: 0");
    }

    async fn stream_and_iterator_inputs_share_the_rate() {
        let (max, per) = (3, ms(15));
        let rate = SharedRate::new(max, per);
        let starts = Starts::new();
        // A stream pending before some items, woken by itself or by
        // another thread, beside a plain stream and an iterator.
        let gappy = TestSource::new(Length::Ends(9), {
            let starts = starts.clone();
            move |i| starts.watch('s', async move { i })
        })
        .gaps(|i| match i % 3 {
            0 => Gap::SelfWake,
            1 => Gap::Thread(ms(2)),
            _ => Gap::None,
        });
        let plain = futures::stream::iter(children(&starts, 'p', 9));
        let (s, p, i) = futures::join!(
            gappy.rate_by(&rate).gather(),
            plain.rate_by(&rate).gather(),
            children(&starts, 'i', 9).rate_by(&rate).gather(),
        );
        assert_eq!((s, p, i), (outputs(9), outputs(9), outputs(9)));
        starts.assert_no_window_holds_more_than(max, per);
        assert_eq!(waiting(&rate), "waiting: 0");
    }
}

/// Batches spawned on a multi-thread runtime and joined on its driver
/// thread, starting at different times: the windows hold across threads.
#[test]
#[cfg_attr(
    miri,
    ignore = "tokio's multi-thread runtime; the block_on tests cover the same code under Miri"
)]
fn no_window_holds_more_than_max_starts_across_threads() {
    let _watchdog = common::watchdog::Watchdog::start();
    let runtime = common::executors::tokio_multi_thread_runtime(4);
    let (max, per) = (4, ms(25));
    let rate = SharedRate::new(max, per);
    let starts = Starts::new();
    let batch = |name: char, after_ms: u64| {
        let batch = children(&starts, name, 10).rate_by(&rate).gather();
        async move {
            tokio::time::sleep(ms(after_ms)).await;
            batch.await
        }
    };
    runtime.block_on(async {
        let spawned: Vec<_> = "abcd"
            .chars()
            .zip([0, 0, 7, 31])
            .map(|(name, after)| tokio::spawn(batch(name, after)))
            .collect();
        let (e, f) = futures::join!(batch('e', 0), batch('f', 12));
        assert_eq!((e, f), (outputs(10), outputs(10)));
        for handle in spawned {
            assert_eq!(handle.await.expect("a spawned batch"), outputs(10));
        }
    });
    assert_eq!(starts.len(), 60);
    starts.assert_no_window_holds_more_than(max, per);
    assert_eq!(waiting(&rate), "waiting: 0");
}

/// A batch on one thread reserves a start, then builds the child (its
/// input's `next` does the work, as a request built synchronously would);
/// meanwhile a batch on another thread starts children as soon as the
/// windows let it. The reserved start must hold its place until the child
/// starts: no window may hold two starts.
#[test]
fn a_start_reserved_while_its_child_is_built_holds_its_place() {
    let _watchdog = common::watchdog::Watchdog::start();
    let per = ms(20);
    let rate = SharedRate::new(1, per);
    let starts = Starts::new();
    let slow = {
        let (rate, starts) = (rate.clone(), starts.clone());
        std::thread::spawn(move || {
            let inputs = children_of(&starts, 's', 3, |i| {
                // Building this child takes longer than a window.
                std::thread::sleep(ms(50));
                async move { i }
            });
            futures::executor::block_on(inputs.rate_by(&rate).gather())
        })
    };
    let fast = {
        let (rate, starts) = (rate.clone(), starts.clone());
        std::thread::spawn(move || {
            futures::executor::block_on(children(&starts, 'f', 12).rate_by(&rate).gather())
        })
    };
    assert_eq!(slow.join().expect("the slow batch"), [0, 1, 2]);
    assert_eq!(fast.join().expect("the fast batch"), outputs(12));
    starts.assert_no_window_holds_more_than(1, per);
}

/// The gates come in order, the rate before the permit, so that a batch
/// held back by its rate never sits on a permit others could use. Here a
/// permit of a shared `Limiter` is handed to a batch first in the
/// limiter's line just as another batch takes the shared rate's last
/// start: the first must pass the permit on, not keep it for a minute.
#[test]
fn a_batch_held_back_by_the_shared_rate_passes_on_a_permit_handed_to_it() {
    let _watchdog = common::watchdog::Watchdog::start();
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let limiter = Limiter::new(1);
    let rate = SharedRate::new(1, Duration::from_secs(60));
    // `holder` takes the limiter's only permit.
    let (release, released) = oneshot::channel::<()>();
    let mut holder = Box::pin([released].bounded_by(&limiter).gather());
    assert!(holder.as_mut().poll(&mut cx).is_pending());
    // `both` needs a start and a permit: the rate lets it start, and it
    // queues for the permit.
    let tracker = Tracker::new();
    let mut both = Box::pin(
        (0..2)
            .map(|i| tracker.track(i, async move { i }))
            .bounded_by(&limiter)
            .rate_by(&rate)
            .gather(),
    );
    assert!(both.as_mut().poll(&mut cx).is_pending());
    // `permit_only` queues for the permit behind it.
    let mut permit_only = Box::pin(
        [async { "permit only" }]
            .bounded_by(&limiter)
            .as_completed(),
    );
    assert!(permit_only.poll_next_unpin(&mut cx).is_pending());
    // `rate_only` takes the minute's only start.
    let mut rate_only = Box::pin([async { "rate only" }].rate_by(&rate).as_completed());
    assert_eq!(
        rate_only.poll_next_unpin(&mut cx),
        Poll::Ready(Some((0, "rate only")))
    );
    // The holder ends: its permit is handed to `both`, first in the
    // limiter's line, which may not start a child for a minute.
    release.send(()).unwrap();
    assert!(holder.as_mut().poll(&mut cx).is_ready());
    assert!(both.as_mut().poll(&mut cx).is_pending());
    assert_eq!(tracker.created(), 0);
    // `permit_only` must get the permit now.
    assert_eq!(
        permit_only.poll_next_unpin(&mut cx),
        Poll::Ready(Some((0, "permit only"))),
        "a batch waiting for the rate kept the limiter's only permit"
    );
    drop(both);
    assert_eq!(limiter.available(), 1);
}

/// A batch whose input turns out to have ended when it next may start a
/// child gives the start it reserved back: the next batch gets it.
#[test]
fn a_batch_whose_input_has_ended_gives_its_reserved_start_back() {
    let _watchdog = common::watchdog::Watchdog::start();
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let rate = SharedRate::new(2, Duration::from_secs(60));
    // One child, from a stream that says nothing of its length: the batch
    // reserves the window's second start before it learns it has ended.
    let mut items = [1].into_iter();
    let source =
        futures::stream::poll_fn(move |_| Poll::Ready(items.next().map(std::future::ready)));
    let mut first = Box::pin(source.rate_by(&rate).gather());
    assert_eq!(first.as_mut().poll(&mut cx), Poll::Ready(vec![1]));
    // That second start is free again.
    let tracker = Tracker::new();
    let mut next = Box::pin(
        (0..3)
            .map(|i| tracker.track(i, async move { i }))
            .rate_by(&rate)
            .as_completed(),
    );
    assert_eq!(next.poll_next_unpin(&mut cx), Poll::Ready(Some((0, 0))));
    assert!(next.poll_next_unpin(&mut cx).is_pending());
    assert_eq!(tracker.created(), 1, "the window holds two starts");
}

/// A batch whose last child has run ends, whatever the rate: it does not
/// wait for the window to free only to find its input empty.
#[test]
fn a_batch_with_nothing_left_to_start_ends_without_waiting_for_the_window() {
    let _watchdog = common::watchdog::Watchdog::start();
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let rate = SharedRate::new(1, Duration::from_secs(60));
    let mut batch = Box::pin([async { 1 }].rate_by(&rate).gather());
    assert_eq!(
        batch.as_mut().poll(&mut cx),
        Poll::Ready(vec![1]),
        "a batch of one finished child waits a minute for a start it does not need"
    );
    assert_eq!(waiting(&rate), "waiting: 0");
}

#[test]
#[should_panic(expected = "`SharedRate::new(0, ..)` would never admit a child")]
fn a_shared_rate_of_zero_panics() {
    let _ = SharedRate::new(0, Duration::from_secs(1));
}

#[test]
#[should_panic(
    expected = "`SharedRate::new(.., Duration::ZERO)` has no interval to count starts in"
)]
fn a_shared_rate_over_no_interval_panics() {
    let _ = SharedRate::new(1, Duration::ZERO);
}

#[test]
#[should_panic(expected = "the interval given to `SharedRate::new` is too long to measure")]
fn a_shared_rate_over_an_unmeasurable_interval_panics() {
    let _ = SharedRate::new(1, Duration::MAX);
}
