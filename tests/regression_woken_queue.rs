//! Found in review of the queue of woken children (children that woke
//! themselves during a poll at home wait there, beside the
//! `FuturesUnordered`): when the `FuturesUnordered` always went first, a
//! steady stream of children woken by others kept a self-woken child
//! waiting until the input ran dry, and one that woke itself for ever
//! never reached its deadline. Both sides now take turns; these tests pin
//! each way round.
//!
//! Hand-polled with a waker that does nothing: the batch is polled in a
//! loop, so only the order of its outputs matters.

mod common;

use fanout::Elapsed;
use fanout::prelude::*;
use futures::stream::StreamExt;
use futures::task::noop_waker;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// A relay: child `k` (from 1 on) finishes once the turn has reached it,
/// passes the turn on and wakes the others. Each of them waits on something
/// other than itself, as children waiting on I/O do, so they live in the
/// `FuturesUnordered`, and once started there is always one ready.
#[derive(Default)]
struct Relay {
    turn: usize,
    waiting: Vec<Waker>,
}

type SharedRelay = Arc<Mutex<Relay>>;

fn start(relay: &SharedRelay) {
    let mut relay = relay.lock().unwrap();
    relay.turn = 1;
    relay.waiting.drain(..).for_each(Waker::wake);
}

struct Runner {
    k: usize,
    polled: bool,
    relay: SharedRelay,
}

impl Future for Runner {
    type Output = usize;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let first = !std::mem::replace(&mut self.polled, true);
        let mut relay = self.relay.lock().unwrap();
        if !first && relay.turn >= self.k {
            relay.turn = self.k + 1;
            relay.waiting.drain(..).for_each(Waker::wake);
            return Poll::Ready(self.k);
        }
        relay.waiting.push(cx.waker().clone());
        Poll::Pending
    }
}

type Child = Pin<Box<dyn Future<Output = usize> + Send>>;

/// Input 0 is `first`; every later input a runner of the relay.
fn relay_after(first: Child, relay: &SharedRelay) -> impl Iterator<Item = Child> + use<> {
    let relay = relay.clone();
    std::iter::once(first).chain((1..).map(move |k| {
        Box::pin(Runner {
            k,
            polled: false,
            relay: relay.clone(),
        }) as Child
    }))
}

/// Polls `outputs` until input 0's output comes out; starts the relay at
/// the first `Pending`. Returns that output and how many came before it.
fn until_input_zero<T>(
    mut outputs: impl futures::Stream<Item = (usize, T)> + Unpin,
    relay: &SharedRelay,
    watchdog: Duration,
) -> (T, usize) {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let began = Instant::now();
    let mut before = 0;
    loop {
        match outputs.poll_next_unpin(&mut cx) {
            Poll::Ready(Some((0, output))) => return (output, before),
            Poll::Ready(Some(_)) => before += 1,
            Poll::Ready(None) => panic!("the batch ended without input 0"),
            Poll::Pending => start(relay),
        }
        assert!(
            began.elapsed() < watchdog,
            "input 0 still running after {watchdog:?}, {before} outputs of its siblings out: starved"
        );
    }
}

#[test]
fn a_child_that_woke_itself_is_not_starved_by_children_woken_by_others() {
    let _watchdog = common::watchdog::Watchdog::start();
    let relay = SharedRelay::default();
    let input = relay_after(Box::pin(common::yield_once(0usize)), &relay);
    let (output, before) = until_input_zero(
        input.bounded(3).as_completed(),
        &relay,
        common::at_most_ms(30_000),
    );
    assert_eq!(output, 0);
    assert!(before < 10, "{before} siblings went first");
}

#[test]
fn a_child_that_wakes_itself_for_ever_still_times_out() {
    let _watchdog = common::watchdog::Watchdog::start();
    let spin = std::future::poll_fn(|cx: &mut Context<'_>| {
        cx.waker().wake_by_ref();
        Poll::<usize>::Pending
    });
    let relay = SharedRelay::default();
    let input = relay_after(Box::pin(spin), &relay);
    let outputs = input
        .bounded(3)
        .with_deadline(Duration::from_millis(20))
        .as_completed();
    // The deadline is 20 ms; the watchdog gives it 500 times that.
    let (output, _) = until_input_zero(outputs, &relay, common::at_most_ms(10_000));
    assert_eq!(output, Err(Elapsed::Child));
}

#[test]
fn a_child_woken_by_another_is_not_starved_by_children_that_yield_once() {
    let _watchdog = common::watchdog::Watchdog::start();
    // The other way round: input 0 waits in the `FuturesUnordered` for the
    // relay to start, while every other input yields once and finishes from
    // the queue of woken children, one per call.
    let relay = SharedRelay::default();
    let waits = Box::pin(Runner {
        k: 1,
        polled: false,
        relay: relay.clone(),
    }) as Child;
    let input =
        std::iter::once(waits).chain((1usize..).map(|k| Box::pin(common::yield_once(k)) as Child));
    let outputs = input.bounded(3).as_completed();
    let (_, before) = until_input_zero(outputs, &relay, common::at_most_ms(30_000));
    assert!(before < 10, "{before} siblings went first");
}
