//! Hostile children and wakers: children are never moved after their first
//! poll nor polled after they finish, the batch never spins (it re-polls
//! only children that were woken, and returns `Pending` only with a wake-up
//! arranged), and wake-ups from other threads always get through.

mod common;
use common::scripted::wake_from_another_thread;
use common::*;
use fanout::prelude::*;
use fanout::{Elapsed, Limiter};
use futures::StreamExt;
use futures::channel::oneshot;
use futures_test::future::FutureTestExt;
use futures_test::task::new_count_waker;
use std::future::Future;
use std::task::{Context, Poll};
use std::time::Duration;

/// Pending until woken from another thread, `times` times.
async fn woken_from_elsewhere(times: usize, value: usize) -> usize {
    for _ in 0..times {
        let mut asked = false;
        std::future::poll_fn(|cx| {
            if asked {
                return Poll::Ready(());
            }
            asked = true;
            wake_from_another_thread(cx.waker().clone());
            Poll::Pending
        })
        .await;
    }
    value
}

on_every_executor! {
    async fn children_are_never_moved_after_their_first_poll() {
        let tracker = Tracker::new();
        // `assert_unmoved` panics if the child moves once pinned; the
        // interleaved `Pending`s make every child take several polls.
        let child = |i: usize| tracker.track(i, async move { i }.pending_once().interleave_pending().assert_unmoved());
        let out = (0..50).map(child).bounded(7).gather().await;
        assert_eq!(out, (0..50).collect::<Vec<_>>());
        let out = (0..50).map(child).bounded(7).with_deadline(Duration::from_secs(60)).gather().await;
        assert!(out.iter().enumerate().all(|(i, r)| *r == Ok(i)));
        let mut done: Vec<_> = (0..50).map(child).bounded(3).as_completed().collect().await;
        done.sort();
        assert_eq!(done, (0..50).map(|i| (i, i)).collect::<Vec<_>>());
        let ok = (0..50).map(|i| async move { Ok::<_, ()>(i) }.interleave_pending().assert_unmoved()).bounded(5).try_gather().await;
        assert_eq!(ok, Ok((0..50).collect::<Vec<_>>()));
        // Every child was polled until it finished and never after: the
        // tracker panics on a poll after completion.
        assert_eq!(tracker.finished(), 150);
    }

    async fn children_woken_from_another_thread_complete() {
        let out = (0..40).map(|i| woken_from_elsewhere(3, i)).bounded(6).gather().await;
        assert_eq!(out, (0..40).collect::<Vec<_>>());
        let limiter = Limiter::new(4);
        let (a, b) = futures::join!(
            (0..20).map(|i| woken_from_elsewhere(2, i)).bounded_by(&limiter).gather(),
            (0..20).map(|i| woken_from_elsewhere(2, i)).bounded_by(&limiter).with_deadline(Duration::from_secs(60)).gather(),
        );
        assert_eq!(a.len() + b.len(), 40);
        assert!(b.iter().all(Result::is_ok));
    }
}

#[test]
fn the_batch_re_polls_only_children_that_were_woken() {
    let _watchdog = common::watchdog::Watchdog::start();
    let (waker, wakes) = new_count_waker();
    let mut cx = Context::from_waker(&waker);
    let tracker = Tracker::new();
    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..10).map(|_| oneshot::channel::<usize>()).unzip();
    let children = receivers
        .into_iter()
        .enumerate()
        .map(|(i, rx)| tracker.track(i, async move { rx.await.unwrap() }));
    let mut batch = std::pin::pin!(
        children
            .bounded(4)
            .with_deadline(Duration::from_secs(60))
            .gather()
    );

    assert!(batch.as_mut().poll(&mut cx).is_pending());
    assert_eq!(tracker.polls(), 4, "the four admitted children, once each");
    // `FuturesUnordered` asks for one more poll after a full pass over its
    // children; after that the batch is quiet until a child is woken.
    assert!(batch.as_mut().poll(&mut cx).is_pending());
    let quiet = wakes.get();
    // Spurious polls of the batch do not reach children nobody woke, and
    // the batch does not spin: it asks for no further polls by itself.
    for _ in 0..10 {
        assert!(batch.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(tracker.polls(), 4);
    assert_eq!(
        wakes.get(),
        quiet,
        "the batch woke itself with nothing to do"
    );

    // Waking one child wakes the batch, and only that child is polled
    // again (plus the first poll of the input admitted into its slot).
    let before = wakes.get();
    let mut senders = senders.into_iter();
    senders.next().unwrap().send(0).unwrap();
    assert!(wakes.get() > before, "no wake-up reached the batch's task");
    assert!(batch.as_mut().poll(&mut cx).is_pending());
    assert_eq!(tracker.polls(), 4 + 1 + 1);

    for (i, sender) in senders.enumerate() {
        sender.send(i + 1).unwrap();
    }
    let Poll::Ready(out) = batch.as_mut().poll(&mut cx) else {
        panic!("every child is ready")
    };
    assert_eq!(out, (0..10).map(Ok).collect::<Vec<_>>());
    // Inputs 0..5 were admitted before their value was sent: one pending
    // poll, one ready poll. Inputs 5..10 finish on their first poll.
    assert_eq!(tracker.polls(), 5 * 2 + 5);
}

#[test]
fn pending_comes_with_a_wake_up_from_the_deadline_timer() {
    let _watchdog = common::watchdog::Watchdog::start();
    let (waker, wakes) = new_count_waker();
    let mut cx = Context::from_waker(&waker);
    let mut batch = std::pin::pin!(
        [futures::future::pending::<()>()]
            .with_deadline(Duration::from_millis(20))
            .gather()
    );
    assert!(batch.as_mut().poll(&mut cx).is_pending());
    let before = wakes.get();
    // Nothing else will wake the task: only the batch's timer can.
    let waited = std::time::Instant::now();
    while wakes.get() == before {
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "the deadline timer never woke the task"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        batch.as_mut().poll(&mut cx),
        Poll::Ready(vec![Err(Elapsed::Child)])
    );
}

#[test]
fn pending_comes_with_a_wake_up_from_a_shared_limiter() {
    let _watchdog = common::watchdog::Watchdog::start();
    let (waker, wakes) = new_count_waker();
    let mut cx = Context::from_waker(&waker);
    let limiter = Limiter::new(1);
    let (release, released) = oneshot::channel::<()>();
    let mut holder = Box::pin([released].bounded_by(&limiter).gather());
    let mut waiting = Box::pin([async { 7 }].bounded_by(&limiter).gather());
    assert!(holder.as_mut().poll(&mut cx).is_pending());
    assert!(waiting.as_mut().poll(&mut cx).is_pending());
    let before = wakes.get();
    release.send(()).unwrap();
    assert!(holder.as_mut().poll(&mut cx).is_ready());
    assert!(
        wakes.get() > before,
        "the freed permit did not wake the waiting batch"
    );
    assert_eq!(waiting.as_mut().poll(&mut cx), Poll::Ready(vec![7]));
}
