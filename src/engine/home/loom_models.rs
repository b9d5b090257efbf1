//! Model check: a child's deadline passing while its own wake-up comes
//! from another thread, and while it finishes.
//!
//! A batch (this thread) drives a [`Running`] as the engine does, under a
//! bound of one: child 0 waits for a reactor thread that marks it done and
//! wakes it, and has a deadline; child 1, admitted into the same home once
//! child 0 has left, wakes itself once and has none. A timer thread fires
//! child 0's deadline: it wakes the batch, which marks the child out of
//! time through its tag, as the engine's timers do. loom runs the three
//! threads under every interleaving of their steps (up to
//! `LOOM_MAX_PREEMPTIONS` preemptions). In every one:
//!
//! - child 0 has exactly one outcome, its output or `Elapsed`, and is
//!   dropped exactly once; its output wins when its wake-up was delivered
//!   before the deadline was marked (the child is polled before its expiry
//!   is looked at); without a wake-up (a second model, where the reactor
//!   never runs) the mark alone ends it;
//! - the mark never reaches child 1, even when it comes after child 0 has
//!   gone: child 1 always ends with its output;
//! - no wake-up is lost: the batch ends (a lost one leaves it asleep for
//!   good, which loom reports as a deadlock).
//!
//! Run with `RUSTFLAGS="--cfg fanout_loom" cargo test --release --features
//! loom --lib loom_models`.

use crate::elapsed::Elapsed;
use crate::engine::finished::{Finished, Lost};
use crate::engine::home::DeadlineTag;
use crate::engine::running::Running;
use crate::engine::slot::Slot;
use crate::sync::{AtomicBool, AtomicWaker, Ordering};
use core::future::{Future, poll_fn};
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use loom::sync::{Arc, Mutex};
use loom::thread;
// Bookkeeping outside the model: loom runs one thread at a time, so these
// are exact, and they add no steps to explore.
use std::sync::atomic::{AtomicBool as Seen, AtomicUsize as Count, Ordering::SeqCst};

/// Child 0's side of its reactor.
#[derive(Default)]
struct Reactor {
    done: AtomicBool,
    waker: Mutex<Option<Waker>>,
    /// The reactor's wake-up call has returned.
    delivered: Seen,
}

impl Reactor {
    /// Marks the child done, then wakes it if it has registered.
    fn react(&self) {
        self.done.store(true, Ordering::Release);
        let waker = self.waker.lock().unwrap().take();
        if let Some(waker) = waker {
            waker.wake();
            self.delivered.store(true, SeqCst);
        }
    }
}

/// The deadline timer: fires once, waking whoever waits on it.
#[derive(Default)]
struct Timer {
    fired: AtomicBool,
    waker: AtomicWaker,
}

impl Timer {
    fn fire(&self) {
        self.fired.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Whether it fired since the last call; if not, `cx` is woken when it
    /// does.
    fn poll_fired(&self, cx: &Context<'_>) -> bool {
        self.waker.register(cx.waker());
        self.fired.swap(false, Ordering::AcqRel)
    }
}

enum Child {
    /// Registers its waker with the reactor on its first poll (only then),
    /// and is ready once the reactor marked it done.
    Waits {
        reactor: Arc<Reactor>,
        registered: bool,
        dropped: std::sync::Arc<Count>,
    },
    /// Wakes itself once, then is ready.
    Yields { yielded: bool },
}

impl Future for Child {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        match self.get_mut() {
            Child::Waits {
                reactor,
                registered,
                ..
            } => {
                if !*registered {
                    *registered = true;
                    *reactor.waker.lock().unwrap() = Some(cx.waker().clone());
                }
                if reactor.done.load(Ordering::Acquire) {
                    Poll::Ready(0)
                } else {
                    Poll::Pending
                }
            }
            Child::Yields { yielded } if !*yielded => {
                *yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Child::Yields { .. } => Poll::Ready(1),
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if let Child::Waits { dropped, .. } = self {
            dropped.fetch_add(1, SeqCst);
        }
    }
}

/// The engine's steps around a [`Running`] of bound one, by hand.
struct Batch {
    running: Running<Child>,
    inputs: std::vec::IntoIter<Child>,
    admitted: usize,
    /// Child 0's deadline, once it waits.
    tag: Option<DeadlineTag>,
    timer: Arc<Timer>,
    reactor: Arc<Reactor>,
    /// Whether the deadline was marked after child 0's wake-up was
    /// delivered.
    marked_after_wake_up: bool,
    outcomes: Vec<Finished<usize>>,
}

impl Batch {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if let Some(tag) = &self.tag {
                if self.timer.poll_fired(cx) {
                    let delivered = self.reactor.delivered.load(SeqCst);
                    if tag.expire(self.running.homes()) && delivered {
                        self.marked_after_wake_up = true;
                    }
                }
            }
            if self.running.is_empty() {
                if let Some(child) = self.inputs.next() {
                    self.start(child, cx);
                    continue;
                }
                return Poll::Ready(());
            }
            let mut yielded = 0;
            if let Some(finished) = self.running.poll_finished(cx, &mut yielded, 2) {
                self.outcomes.push(finished);
                continue;
            }
            if self.running.has_woken() {
                cx.waker().wake_by_ref();
            }
            return Poll::Pending;
        }
    }

    /// Admits `child`: its first poll in a spare home, then its slot.
    fn start(&mut self, child: Child, cx: &Context<'_>) {
        let index = self.admitted;
        self.admitted += 1;
        let home = self.running.spare_home();
        home.move_in(child, index);
        if let Poll::Ready(outcome) = home.poll_first() {
            self.outcomes.push((index, outcome.map_err(Lost::Panicked)));
            return;
        }
        let woke_itself = home.wake_task_meanwhile(cx);
        let home = self.running.take_spare();
        let timed = index == 0;
        if timed {
            self.tag = Some(self.running.tag(&home, index));
        }
        let slot = Slot::new(home, index, timed, None);
        if woke_itself {
            self.running.push_woken(slot);
        } else {
            self.running.push(slot);
        }
    }
}

#[test]
fn a_deadline_racing_the_wake_up_and_the_finish() {
    loom::model(|| run(true));
}

#[test]
fn a_deadline_alone_ends_a_child_never_woken() {
    loom::model(|| run(false));
}

/// One run of the model; child 0's reactor never runs unless
/// `wake_up`, and then only its deadline can end it.
fn run(wake_up: bool) {
    let reactor = Arc::new(Reactor::default());
    let timer = Arc::new(Timer::default());
    let dropped = std::sync::Arc::new(Count::new(0));
    let reacting = wake_up.then(|| {
        let reactor = Arc::clone(&reactor);
        thread::spawn(move || reactor.react())
    });
    let firing = {
        let timer = Arc::clone(&timer);
        thread::spawn(move || timer.fire())
    };
    let inputs = vec![
        Child::Waits {
            reactor: Arc::clone(&reactor),
            registered: false,
            dropped: std::sync::Arc::clone(&dropped),
        },
        Child::Yields { yielded: false },
    ];
    let mut batch = Batch {
        running: Running::default(),
        inputs: inputs.into_iter(),
        admitted: 0,
        tag: None,
        timer,
        reactor,
        marked_after_wake_up: false,
        outcomes: Vec::new(),
    };
    loom::future::block_on(poll_fn(|cx| batch.poll(cx)));
    if let Some(reacting) = reacting {
        reacting.join().unwrap();
    }
    firing.join().unwrap();

    let mut outcomes = std::mem::take(&mut batch.outcomes);
    outcomes.sort_by_key(|(index, _)| *index);
    let [(0, first), (1, second)] = &outcomes[..] else {
        panic!("not one outcome per child: {outcomes:?}");
    };
    match first {
        Ok(0) => assert!(wake_up, "child 0 finished without its wake-up"),
        Err(Lost::Elapsed(Elapsed::Child)) => assert!(
            !batch.marked_after_wake_up,
            "child 0 timed out although its wake-up came before the mark"
        ),
        _ => panic!("child 0 ended as {first:?}"),
    }
    assert!(
        matches!(second, Ok(1)),
        "child 1 ended as {second:?}: child 0's deadline reached it"
    );
    drop(batch);
    assert_eq!(dropped.load(SeqCst), 1, "child 0 was not dropped once");
}
