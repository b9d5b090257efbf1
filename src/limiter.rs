//! `Limiter`: one cap on children in flight, shared by several batches.

use async_lock::{Semaphore, SemaphoreGuardArc};
use core::fmt;
use core::task::{Context, Poll, Waker};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// A cap on how many children run at once, shared by every batch given it
/// with [`bounded_by`](crate::FanoutExt::bounded_by).
///
/// Cloning is cheap and every clone is the same limiter. Each child in flight
/// holds one permit and returns it when it is dropped (finished, timed out,
/// or dropped with its batch).
///
/// # Fairness
///
/// Permits are handed over in first-come, first-served order: a permit
/// freed while batches are waiting goes to the one that has waited longest,
/// never to the batch that freed it. So two busy batches under one limiter
/// take turns instead of one starving the other, even when both are awaited
/// in the same task.
///
/// # Futurelock
///
/// Do not wait on the limiter (for example by awaiting a second batch bounded
/// by it) from inside a child of a batch bounded by the same limiter: the
/// child holds a permit while it waits for another, and once every permit is
/// held that way nothing can move.
///
/// # Examples
///
/// ```
/// use fanout::prelude::*;
/// use fanout::Limiter;
///
/// # futures::executor::block_on(async {
/// // At most 3 requests to this host, across both batches.
/// let per_host = Limiter::new(3);
/// let images = (0..10).map(|i| async move { i });
/// let pages = (0..10).map(|i| async move { i * 100 });
/// let (images, pages) = futures::join!(
///     images.bounded_by(&per_host).gather(),
///     pages.bounded_by(&per_host).gather(),
/// );
/// assert_eq!(images.len() + pages.len(), 20);
/// assert_eq!(per_host.available(), 3);
/// # });
/// ```
#[derive(Clone)]
pub struct Limiter {
    shared: Arc<Shared>,
}

struct Shared {
    semaphore: Arc<Semaphore>,
    capacity: usize,
    /// Batches waiting for a permit, oldest first. A permit is returned to
    /// the semaphore only when nobody waits, so newcomers cannot barge.
    waiting: Mutex<VecDeque<Arc<Waiter>>>,
}

/// One batch's place in the queue.
#[derive(Default)]
struct Waiter {
    state: Mutex<WaiterState>,
}

#[derive(Default)]
struct WaiterState {
    handed: Option<SemaphoreGuardArc>,
    waker: Option<Waker>,
}

impl Limiter {
    /// A limiter that lets `capacity` children run at once.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0: no batch under it could ever admit a child.
    ///
    /// ```should_panic
    /// let _ = fanout::Limiter::new(0); // panics: the capacity must be at least 1
    /// ```
    #[track_caller]
    pub fn new(capacity: usize) -> Self {
        assert!(
            capacity > 0,
            "fanout: `Limiter::new(0)` would never admit a child; the capacity must be at least 1"
        );
        Limiter {
            shared: Arc::new(Shared {
                semaphore: Arc::new(Semaphore::new(capacity)),
                capacity,
                waiting: Mutex::new(VecDeque::new()),
            }),
        }
    }

    /// How many children may run at once under this limiter.
    ///
    /// ```
    /// assert_eq!(fanout::Limiter::new(4).capacity(), 4);
    /// ```
    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }

    /// How many permits are free right now.
    ///
    /// ```
    /// let limiter = fanout::Limiter::new(2);
    /// assert_eq!(limiter.available(), 2);
    /// ```
    pub fn available(&self) -> usize {
        self.shared.semaphore.available_permits()
    }

    /// Takes a permit, or queues `ticket` for the next free one.
    pub(crate) fn poll_acquire(&self, ticket: &mut Ticket, cx: &mut Context<'_>) -> Poll<Permit> {
        if let Some(waiter) = &ticket.waiter {
            let mut state = lock(&waiter.state);
            return match state.handed.take() {
                Some(guard) => {
                    drop(state);
                    ticket.waiter = None;
                    Poll::Ready(Permit::shared(guard, self.shared.clone()))
                }
                None => {
                    if !state
                        .waker
                        .as_ref()
                        .is_some_and(|w| w.will_wake(cx.waker()))
                    {
                        state.waker = Some(cx.waker().clone());
                    }
                    Poll::Pending
                }
            };
        }
        let mut waiting = lock(&self.shared.waiting);
        if waiting.is_empty() {
            if let Some(guard) = self.shared.semaphore.try_acquire_arc() {
                return Poll::Ready(Permit::shared(guard, self.shared.clone()));
            }
        }
        let waiter = Arc::new(Waiter::default());
        lock(&waiter.state).waker = Some(cx.waker().clone());
        waiting.push_back(waiter.clone());
        ticket.waiter = Some(waiter);
        ticket.limiter = Some(self.shared.clone());
        Poll::Pending
    }
}

impl Shared {
    /// Gives a freed permit to the longest waiting batch, or back to the
    /// semaphore when nobody waits.
    fn release(&self, guard: SemaphoreGuardArc) {
        let mut waiting = lock(&self.waiting);
        let waker = match waiting.pop_front() {
            Some(waiter) => {
                let mut state = lock(&waiter.state);
                state.handed = Some(guard);
                state.waker.take()
            }
            // Dropped under the lock, so a batch cannot see an empty queue
            // and a spent semaphore between our check and the release.
            None => {
                drop(guard);
                None
            }
        };
        drop(waiting);
        // Woken with no lock held: a waker may run arbitrary code (even poll
        // the waiting batch at once, on some executors).
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Locks, ignoring poison: every critical section here leaves the state
/// consistent before anything that could panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A batch's claim on the next free permit of a shared [`Limiter`].
///
/// Dropping it while it waits leaves the queue; dropping it after a permit
/// was handed over passes that permit on.
#[derive(Default)]
pub(crate) struct Ticket {
    waiter: Option<Arc<Waiter>>,
    limiter: Option<Arc<Shared>>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let (Some(waiter), Some(shared)) = (self.waiter.take(), self.limiter.take()) else {
            return;
        };
        let mut waiting = lock(&shared.waiting);
        waiting.retain(|queued| !Arc::ptr_eq(queued, &waiter));
        drop(waiting);
        let handed = lock(&waiter.state).handed.take();
        if let Some(guard) = handed {
            shared.release(guard);
        }
    }
}

/// One child's permit of a shared limiter: handed to the longest waiting
/// batch, or returned to the limiter, when the child is dropped.
///
/// Boxed: every admitted child carries an `Option<Permit>`, and most
/// batches have limits of their own, so it is almost always `None`. One
/// pointer wide, that `None` costs nothing to move or drop; the allocation
/// falls only on children of shared limiters, whose admission takes a lock
/// anyway.
pub(crate) struct Permit {
    /// Held, never read: dropping it hands the permit on.
    _handover: Box<Handover>,
}

/// What a [`Permit`] holds: the semaphore's guard and where to hand it.
struct Handover {
    guard: Option<SemaphoreGuardArc>,
    shared: Option<Arc<Shared>>,
}

impl Permit {
    fn shared(guard: SemaphoreGuardArc, shared: Arc<Shared>) -> Self {
        Permit {
            _handover: Box::new(Handover {
                guard: Some(guard),
                shared: Some(shared),
            }),
        }
    }
}

impl Drop for Handover {
    fn drop(&mut self) {
        if let (Some(guard), Some(shared)) = (self.guard.take(), self.shared.take()) {
            shared.release(guard);
        }
    }
}

impl fmt::Debug for Limiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiter")
            .field("capacity", &self.capacity())
            .field("available", &self.available())
            .finish()
    }
}
