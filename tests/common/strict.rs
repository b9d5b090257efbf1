//! Children stricter than the `Future` contract asks, as every peer of
//! fanout runs them: each registers its waker once, on its first poll, with
//! a stand-in reactor on another thread, and fails if it is polled again
//! before the reactor has woken it, or with a waker other than the one it
//! registered.
//!
//! The reactor marks a child done, then wakes it, sometimes after giving
//! the CPU away in between: a child can finish (its home emptied, reused by
//! the next child) before its own wake-up lands, which is the late wake-up
//! a reused home must not take for its next child's.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};

/// One child's state, shared with the reactor.
#[derive(Default)]
struct Registration {
    done: AtomicBool,
}

#[derive(Default)]
struct Queue {
    waiting: Mutex<Vec<(Arc<Registration>, Waker)>>,
    filled: Condvar,
    closed: AtomicBool,
}

/// A thread that wakes every child registered with it, once.
pub struct Reactor {
    queue: Arc<Queue>,
    thread: Option<std::thread::JoinHandle<()>>,
    woken: Arc<AtomicUsize>,
}

impl Reactor {
    pub fn new() -> Self {
        let queue = Arc::new(Queue::default());
        let woken = Arc::new(AtomicUsize::new(0));
        let thread = {
            let queue = queue.clone();
            let woken = woken.clone();
            std::thread::spawn(move || {
                let mut turn = 0usize;
                loop {
                    let batch = {
                        let mut waiting = queue.waiting.lock().unwrap();
                        while waiting.is_empty() && !queue.closed.load(SeqCst) {
                            waiting = queue.filled.wait(waiting).unwrap();
                        }
                        if waiting.is_empty() {
                            return;
                        }
                        std::mem::take(&mut *waiting)
                    };
                    for (registration, waker) in batch {
                        registration.done.store(true, SeqCst);
                        turn = (turn + 1) % 3;
                        // Now and then let the batch run between the mark
                        // and the wake-up: the child may finish first.
                        if turn == 0 {
                            std::thread::yield_now();
                        }
                        woken.fetch_add(1, SeqCst);
                        waker.wake();
                    }
                }
            })
        };
        Reactor {
            queue,
            thread: Some(thread),
            woken,
        }
    }

    /// A child that returns `value` once the reactor has woken it.
    pub fn child<T: Unpin>(&self, value: T) -> RegisterOnce<T> {
        RegisterOnce {
            queue: self.queue.clone(),
            value: Some(value),
            registered: None,
        }
    }

    /// How many wake-ups the reactor has sent.
    pub fn woken(&self) -> usize {
        self.woken.load(SeqCst)
    }
}

impl Default for Reactor {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        self.queue.closed.store(true, SeqCst);
        self.queue.filled.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// See the module docs.
pub struct RegisterOnce<T> {
    queue: Arc<Queue>,
    value: Option<T>,
    /// After the first poll: the registration and the waker it gave.
    registered: Option<(Arc<Registration>, Waker)>,
}

impl<T: Unpin> Future for RegisterOnce<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let Some((registration, waker)) = &self.registered else {
            let registration = Arc::new(Registration::default());
            self.registered = Some((registration.clone(), cx.waker().clone()));
            self.queue
                .waiting
                .lock()
                .unwrap()
                .push((registration, cx.waker().clone()));
            self.queue.filled.notify_one();
            return Poll::Pending;
        };
        assert!(
            registration.done.load(SeqCst),
            "a child that registers its waker once was polled again before its wake-up"
        );
        assert!(
            same_waker(cx.waker(), waker),
            "a child was polled again with a waker other than the one it registered"
        );
        Poll::Ready(self.value.take().expect("polled after it finished"))
    }
}

/// Whether `a` wakes the task `b` wakes. Under Miri, `will_wake` says no
/// even for a clone of the same waker (Miri gives a vtable several
/// addresses, as a compiler may), so the wakers' data pointers stand in
/// for it there: what a waker made from an `Arc` wakes is that `Arc`.
fn same_waker(a: &Waker, b: &Waker) -> bool {
    if cfg!(miri) {
        a.data() == b.data()
    } else {
        a.will_wake(b)
    }
}
