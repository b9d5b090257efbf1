//! Model check: a child's wake-up from another thread, against every step
//! of the batch that could race it.
//!
//! Each child registers its waker once, on its first poll, with a reactor
//! thread of its own, then looks whether the reactor has marked it done
//! (ready at once if so). The reactor marks the child done, then wakes the
//! waker it was given, if any yet. So a wake-up can land anywhere: during
//! the child's first poll, between that poll and its hand-over to the
//! `FuturesUnordered`, before or after its slot's first poll there, after
//! it finished, and after its home was taken by the next child (under
//! `bounded(1)` the second child always moves into the first one's home).
//! loom runs the batch and both reactors under every interleaving of their
//! steps, up to `LOOM_MAX_PREEMPTIONS` preemptions.
//!
//! What must hold in every one:
//! - no wake-up is lost: the batch ends with both outputs (a lost one
//!   leaves the batch's task asleep with the reactors done, which loom
//!   reports as a deadlock);
//! - a child is polled again only after its own wake-up, and only with the
//!   waker it registered: a late wake-up meant for the home's earlier child
//!   is never taken as the next child's (rule 13 of the design).
//!
//! Run with `RUSTFLAGS="--cfg fanout_loom" cargo test --release --features
//! loom --test loom_wake_ups`. On a failure the events of the failing
//! interleaving are printed, in order.

#![cfg(fanout_loom)]

use fanout::prelude::*;
use futures::StreamExt;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::{Arc, Mutex};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

std::thread_local! {
    /// What happened in the interleaving being run, in the order loom ran
    /// it: printed when the model fails.
    ///
    /// Plain state outside loom's model, per OS thread: loom runs every
    /// thread of a model on the test's own, one at a time, so this order is
    /// the interleaving's, and it adds no steps to explore.
    static TRACE: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn note(event: String) {
    TRACE.with(|trace| trace.borrow_mut().push(event));
}

/// Prints the trace of the interleaving that failed, at the panic itself:
/// loom reports a deadlock by a panic whose unwinding aborts the process.
fn print_the_trace_on_failure() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            report(info);
            let events = TRACE.with(|trace| trace.borrow().join("\n  "));
            eprintln!("the failing interleaving:\n  {events}");
        }));
    });
}

/// The batch's task: woken through loom, so that a lost wake-up leaves it
/// asleep for good, which loom reports as a deadlock.
struct Task(loom::sync::Notify);

impl std::task::Wake for Task {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        note("task: woken".to_owned());
        self.0.notify();
    }
}

/// Runs `future` to the end on this thread, asleep while it is pending.
fn block_on<F: Future>(future: F) -> F::Output {
    let task = std::sync::Arc::new(Task(loom::sync::Notify::new()));
    let waker = Waker::from(std::sync::Arc::clone(&task));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        note("task: pending, asleep".to_owned());
        task.0.wait();
    }
}

/// A child's side of its reactor.
struct Registration {
    /// How many events the reactor has had for the child.
    events: AtomicUsize,
    /// How many the child waits for.
    needs: usize,
    waker: Mutex<Option<Waker>>,
    /// How many wake-ups the reactor has begun to send, and how many of
    /// those calls have returned (bookkeeping, outside the model: see
    /// `TRACE`).
    wakes_begun: std::sync::atomic::AtomicUsize,
    wakes_done: std::sync::atomic::AtomicUsize,
}

/// The reactor's whole life: each event in turn, each followed by a
/// wake-up of the child if it has registered by then. The last wake-up
/// takes the waker; those before it wake a clone.
fn react(name: char, registration: &Registration) {
    for event in 1..=registration.needs {
        registration.events.fetch_add(1, Ordering::Release);
        note(format!(
            "reactor {name}: event {event} of {}",
            registration.needs
        ));
        let last = event == registration.needs;
        let waker = {
            let mut kept = registration.waker.lock().unwrap();
            if last { kept.take() } else { kept.clone() }
        };
        let Some(waker) = waker else {
            note(format!("reactor {name}: nothing registered yet"));
            continue;
        };
        note(format!("reactor {name}: wakes {name}'s waker"));
        let count = |wakes: &std::sync::atomic::AtomicUsize| {
            wakes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        };
        count(&registration.wakes_begun);
        waker.wake();
        count(&registration.wakes_done);
        note(format!("reactor {name}: {name}'s wake-up delivered"));
    }
}

/// See the module docs.
struct RegisterOnce {
    name: char,
    registration: Arc<Registration>,
    /// The waker of the first poll, once it happened.
    registered: Option<Waker>,
    /// The reactor's wake-up calls that had returned by the child's last
    /// poll: a later poll needs one begun since.
    wakes_done: usize,
    /// What went against rule 13, for the model to fail on.
    broken: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Future for RegisterOnce {
    type Output = char;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<char> {
        let name = self.name;
        let wakes = |wakes: &std::sync::atomic::AtomicUsize| {
            wakes.load(std::sync::atomic::Ordering::SeqCst)
        };
        let (wakes_begun, wakes_done) = (
            wakes(&self.registration.wakes_begun),
            wakes(&self.registration.wakes_done),
        );
        match &self.registered {
            None => {
                *self.registration.waker.lock().unwrap() = Some(cx.waker().clone());
                self.registered = Some(cx.waker().clone());
                note(format!("child {name}: first poll, waker registered"));
            }
            Some(registered) => {
                let own_wake_up = wakes_begun > self.wakes_done;
                let same_waker = cx.waker().will_wake(registered);
                note(format!(
                    "child {name}: polled again (a wake-up of its own sent since its last \
                     poll: {own_wake_up}; the waker it registered: {same_waker})"
                ));
                let mut broken = self.broken.lock().unwrap();
                if !own_wake_up {
                    broken.push(format!("{name} was polled again before its own wake-up"));
                }
                if !same_waker {
                    broken.push(format!(
                        "{name} was polled again with a waker other than the one it registered"
                    ));
                }
            }
        }
        self.wakes_done = wakes_done;
        let events = self.registration.events.load(Ordering::Acquire);
        if events == self.registration.needs {
            note(format!("child {name}: done, ready"));
            Poll::Ready(name)
        } else {
            note(format!("child {name}: {events} events, pending"));
            Poll::Pending
        }
    }
}

/// Children named A, B, ..., the one at index i waiting for `needs[i]`
/// events of its own reactor, under `bounded(1)`, drained by
/// `as_completed`.
fn run(needs: &[usize]) {
    TRACE.with(|trace| trace.borrow_mut().clear());
    let broken = std::sync::Arc::default();
    let names = ('A'..).take(needs.len());
    let registrations: Vec<Arc<Registration>> = needs
        .iter()
        .map(|&needs| {
            Arc::new(Registration {
                events: AtomicUsize::new(0),
                needs,
                waker: Mutex::new(None),
                wakes_begun: std::sync::atomic::AtomicUsize::new(0),
                wakes_done: std::sync::atomic::AtomicUsize::new(0),
            })
        })
        .collect();
    let reactors: Vec<_> = names
        .clone()
        .zip(&registrations)
        .map(|(name, registration)| {
            let registration = Arc::clone(registration);
            loom::thread::spawn(move || react(name, &registration))
        })
        .collect();
    let children = names
        .clone()
        .zip(registrations)
        .map(|(name, registration)| RegisterOnce {
            name,
            registration,
            registered: None,
            wakes_done: 0,
            broken: std::sync::Arc::clone(&broken),
        });
    let mut outputs: Vec<(usize, char)> = block_on(children.bounded(1).as_completed().collect());
    note("batch: ended".to_owned());
    for reactor in reactors {
        reactor.join().unwrap();
    }
    outputs.sort_unstable();
    assert!(
        outputs.iter().map(|&(_, name)| name).eq(names),
        "outputs: {outputs:?}"
    );
    let broken = broken.lock().unwrap();
    assert!(broken.is_empty(), "rule 13 broken: {}", broken.join("; "));
}

/// Two children, one event each: the second always moves into the first
/// one's home, and the first one's wake-up can land after that.
#[test]
fn a_wake_up_is_never_lost_nor_taken_by_the_homes_next_child() {
    print_the_trace_on_failure();
    loom::model(|| run(&[1, 1]));
}

/// One child woken twice: each wake-up, wherever it lands, brings one more
/// poll, and the second is not lost to the first one's.
#[test]
fn every_wake_up_of_a_child_woken_twice_is_heard() {
    print_the_trace_on_failure();
    loom::model(|| run(&[2]));
}
