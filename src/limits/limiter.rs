//! `Limiter`: one cap on children in flight, shared by several batches.

use crate::clock::Instant;
use crate::limits::controller::{Controller, LimitChange, Verdict};
use crate::sync::{Arc, AtomicBool, Mutex, MutexGuard, Ordering, Semaphore, SemaphoreGuardArc};
use core::fmt;
use core::ops::{Deref, DerefMut};
use core::task::{Context, Poll, Waker};
use std::collections::VecDeque;
use std::time::Duration;

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
/// and never back to the batch that freed it while another batch waits. So
/// busy batches under one limiter take turns (with `Limiter::new(1)` and
/// two batches, their children start `a b a b ...`) instead of one starving
/// the others, even when all are awaited in the same task.
///
/// A batch asks for a permit only while its input may have more (an
/// iterator not yet exhausted, a stream not yet ended, even if it is
/// pending now), and creates that input only once the permit is held: k
/// batches under a limiter of n hold at most n children between them. A
/// batch whose stream turns out to be pending hands the permit straight on
/// (to the next batch waiting) without using it; one whose input has ended
/// or been stopped leaves the queue at once.
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
    /// The capacity of a fixed limiter; an adaptive one's is its
    /// controller's.
    capacity: usize,
    /// Batches waiting for a permit, oldest first. A permit is returned to
    /// the semaphore only when nobody waits, so newcomers cannot barge.
    waiting: Mutex<Line>,
    /// An adaptive limit's state (see [`AdaptiveLimit`](crate::AdaptiveLimit)).
    controller: Option<Mutex<Controller>>,
}

/// The queue of waiting batches, and the permits a shrink still owes.
#[derive(Default)]
struct Line {
    batches: VecDeque<Arc<Waiter>>,
    /// Permits to take out of circulation as children return them: an
    /// adaptive limit that shrinks below the children in flight lets them
    /// finish, and keeps their permits.
    debt: usize,
}

impl Line {
    /// `guard`, unless a shrink still owes a permit: then it pays one unit
    /// of the debt (it is taken out of circulation) and `None` is returned.
    fn unless_owed(&mut self, guard: SemaphoreGuardArc) -> Option<SemaphoreGuardArc> {
        if self.debt == 0 {
            return Some(guard);
        }
        self.debt -= 1;
        guard.forget();
        None
    }
}

impl Deref for Line {
    type Target = VecDeque<Arc<Waiter>>;
    fn deref(&self) -> &Self::Target {
        &self.batches
    }
}

impl DerefMut for Line {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.batches
    }
}

/// One batch, as the limiter knows it.
#[derive(Default)]
struct Waiter {
    state: Mutex<WaiterState>,
    /// Set when a permit freed by one of this batch's children went to
    /// another batch: this batch then lets the executor run before it goes
    /// on, so the other can take the permit up (and queue for its next one)
    /// before this batch frees another.
    gave_way: AtomicBool,
}

impl Waiter {
    /// Hands `guard` to this batch, out of the queue: it takes it at its
    /// next poll. Returns the waker to wake, once no lock is held.
    fn hand(&self, guard: SemaphoreGuardArc) -> Option<Waker> {
        let mut state = lock(&self.state);
        state.handed = Some(guard);
        state.waker.take()
    }
}

#[derive(Default)]
struct WaiterState {
    /// In the queue, waiting for a permit.
    queued: bool,
    /// Under an adaptive limit: the round trip of this batch's child whose
    /// permit came back last, and the epoch it was admitted in, until the
    /// engine judges how the child went (see [`Limiter::judge`]). A child
    /// dropped unjudged (its batch abandoned) is overwritten by the next.
    unjudged: Option<(Duration, u64)>,
    /// A permit given to this batch that it has not taken yet.
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
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        assert!(
            capacity > 0,
            "fanout: `Limiter::new(0)` would never admit a child; the capacity must be at least 1"
        );
        Limiter::with(capacity, None)
    }

    /// A limiter of `capacity` permits now, moved by `controller` if any.
    pub(crate) fn with(capacity: usize, controller: Option<Controller>) -> Self {
        Limiter {
            shared: Arc::new(Shared {
                semaphore: Arc::new(Semaphore::new(capacity)),
                capacity,
                waiting: Mutex::new(Line::default()),
                controller: controller.map(Mutex::new),
            }),
        }
    }

    /// The adaptive limit's state, read under its lock.
    pub(crate) fn read_controller<T>(&self, read: impl FnOnce(&Controller) -> T) -> Option<T> {
        self.shared
            .controller
            .as_ref()
            .map(|controller| read(&lock(controller)))
    }

    /// Whether a controller moves this limiter's capacity.
    #[inline]
    pub(crate) fn adapts(&self) -> bool {
        self.shared.controller.is_some()
    }

    /// How the child of `ticket`'s batch whose permit came back last went:
    /// an adaptive limit learns from its round trip and `verdict`, and may
    /// resize. The engine judges each child right after its permit comes
    /// back, on the batch's own task, so the round trip waiting is that
    /// child's.
    pub(crate) fn judge(&self, ticket: &Ticket, verdict: Verdict) {
        let (Some(batch), Some(controller)) =
            (ticket.batch.as_ref(), self.shared.controller.as_ref())
        else {
            return;
        };
        let taken = lock(&batch.state).unjudged.take();
        let Some((rtt, epoch)) = taken else {
            return;
        };
        let in_flight = self.shared.in_flight() + 1;
        let change = lock(controller).observe(verdict, rtt, epoch, in_flight, Instant::now());
        if let Some(change) = change {
            self.shared.resize(change);
        }
    }

    /// How many permits are held by children now (a shrink's debt counts
    /// the permits the children keep).
    pub(crate) fn in_flight(&self) -> usize {
        self.shared.in_flight()
    }

    /// How many children may run at once under this limiter.
    ///
    /// ```
    /// assert_eq!(fanout::Limiter::new(4).capacity(), 4);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.read_controller(Controller::current)
            .unwrap_or(self.shared.capacity)
    }

    /// How many permits are free right now.
    ///
    /// ```
    /// let limiter = fanout::Limiter::new(2);
    /// assert_eq!(limiter.available(), 2);
    /// ```
    #[must_use]
    pub fn available(&self) -> usize {
        self.shared.semaphore.available_permits()
    }

    /// Takes a permit, or queues `ticket` for the next free one.
    ///
    /// Called only when the batch has an input to admit with it: a batch in
    /// the queue is owed a permit, and one it cannot use is handed on.
    pub(crate) fn poll_acquire(&self, ticket: &mut Ticket, cx: &mut Context<'_>) -> Poll<Permit> {
        let batch = Arc::clone(
            ticket
                .batch
                .get_or_insert_with(|| Arc::new(Waiter::default())),
        );
        let handed = {
            let mut state = lock(&batch.state);
            let handed = state.handed.take();
            if handed.is_some() {
                state.queued = false;
            }
            handed
        };
        // A permit handed over before an adaptive limit shrank may be owed
        // to the shrink: then this batch asks again, as a newcomer.
        if let Some(guard) = handed.and_then(|guard| lock(&self.shared.waiting).unless_owed(guard))
        {
            return Poll::Ready(Permit::shared(guard, &self.shared, batch));
        }
        {
            let mut state = lock(&batch.state);
            if state.queued {
                if !state
                    .waker
                    .as_ref()
                    .is_some_and(|waker| waker.will_wake(cx.waker()))
                {
                    state.waker = Some(cx.waker().clone());
                }
                return Poll::Pending;
            }
        }
        let mut waiting = lock(&self.shared.waiting);
        if waiting.is_empty() {
            if let Some(guard) = Semaphore::try_acquire_arc(&self.shared.semaphore) {
                drop(waiting);
                return Poll::Ready(Permit::shared(guard, &self.shared, batch));
            }
        }
        {
            let mut state = lock(&batch.state);
            state.queued = true;
            state.waker = Some(cx.waker().clone());
        }
        waiting.push_back(Arc::clone(&batch));
        ticket.limiter = Some(self.shared.clone());
        Poll::Pending
    }
}

impl Shared {
    /// Gives a permit freed by a child of `from` to the batch that has
    /// waited longest, or back to the semaphore when nobody waits.
    ///
    /// `from` gives way first: if it is waiting too (it queued for its next
    /// permit while its child still held this one), it moves behind every
    /// other waiting batch. Otherwise a batch that queues early would take
    /// back each permit it frees, and busy batches would not take turns.
    fn release(&self, guard: SemaphoreGuardArc, from: Option<&Arc<Waiter>>) {
        let mut waiting = lock(&self.waiting);
        // The limit may have shrunk below the children that were in flight.
        let Some(guard) = waiting.unless_owed(guard) else {
            return;
        };
        if let Some(from) = from.filter(|_| waiting.len() > 1) {
            if let Some(place) = waiting.iter().position(|queued| Arc::ptr_eq(queued, from)) {
                if let Some(from) = waiting.remove(place) {
                    waiting.push_back(from);
                }
            }
        }
        let waker = match waiting.pop_front() {
            Some(waiter) => {
                if let Some(from) = from.filter(|from| !Arc::ptr_eq(from, &waiter)) {
                    from.gave_way.store(true, Ordering::Relaxed);
                }
                waiter.hand(guard)
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

    /// Children holding permits: the capacity, plus what a shrink still
    /// owes, less the free permits.
    fn in_flight(&self) -> usize {
        let debt = lock(&self.waiting).debt;
        let capacity = self
            .controller
            .as_ref()
            .map_or(self.capacity, |controller| lock(controller).current());
        (capacity + debt).saturating_sub(self.semaphore.available_permits())
    }

    /// An adaptive limit moved from `change.from` to `change.to`: free
    /// permits are taken out, or new ones made and handed to the batches
    /// waiting, oldest first. A shrink below the children in flight lets
    /// them finish and keeps their permits (the debt).
    fn resize(&self, change: LimitChange) {
        let mut waiting = lock(&self.waiting);
        if change.to < change.from {
            let mut owed = change.from - change.to;
            while owed > 0 {
                let Some(free) = Semaphore::try_acquire_arc(&self.semaphore) else {
                    break;
                };
                free.forget();
                owed -= 1;
            }
            waiting.debt += owed;
            return;
        }
        let mut more = change.to - change.from;
        let paid = more.min(waiting.debt);
        waiting.debt -= paid;
        more -= paid;
        if more == 0 {
            return;
        }
        self.semaphore.add_permits(more);
        let mut wakers = Vec::new();
        while !waiting.is_empty() {
            let Some(guard) = Semaphore::try_acquire_arc(&self.semaphore) else {
                break;
            };
            let Some(waiter) = waiting.pop_front() else {
                break;
            };
            wakers.extend(waiter.hand(guard));
        }
        drop(waiting);
        for waker in wakers {
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

/// A batch's place with a shared [`Limiter`]: who it is, and whether it
/// waits in the queue for the next free permit.
///
/// Dropping it while it waits leaves the queue; dropping it after a permit
/// was handed over passes that permit on.
#[derive(Default)]
pub(crate) struct Ticket {
    /// Made at the batch's first request and kept: the permits its children
    /// hold name it, so that a freed permit can tell its own batch apart.
    batch: Option<Arc<Waiter>>,
    /// Set once the batch has queued.
    limiter: Option<Arc<Shared>>,
}

impl Ticket {
    /// Whether a permit freed by this batch went to another batch since the
    /// last call (see `Waiter::gave_way`).
    #[inline]
    pub(crate) fn take_gave_way(&self) -> bool {
        self.batch
            .as_ref()
            .is_some_and(|batch| batch.gave_way.swap(false, Ordering::Relaxed))
    }
}

impl Ticket {
    /// Leaves the queue, if the batch waits in it, and passes on a permit
    /// handed to it and not yet taken: the batch cannot start a child now
    /// (its rate holds it back), and must not sit on a permit another
    /// batch could use. It stays the same batch for the permits its
    /// children hold, and queues again when it next asks.
    pub(crate) fn step_out(&mut self) {
        let (Some(batch), Some(shared)) = (self.batch.as_ref(), self.limiter.take()) else {
            return;
        };
        let mut waiting = lock(&shared.waiting);
        waiting.retain(|queued| !Arc::ptr_eq(queued, batch));
        drop(waiting);
        let handed = {
            let mut state = lock(&batch.state);
            state.queued = false;
            state.handed.take()
        };
        if let Some(guard) = handed {
            shared.release(guard, None);
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.step_out();
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
    /// Dropping it hands the permit on.
    handover: Box<Handover>,
}

/// What a [`Permit`] holds: the semaphore's guard, where to hand it, and
/// the batch whose child held it.
struct Handover {
    guard: Option<SemaphoreGuardArc>,
    shared: Arc<Shared>,
    batch: Arc<Waiter>,
    /// Under an adaptive limit: when the child was admitted, and in which
    /// of the limit's epochs.
    admitted: Option<(Instant, u64)>,
}

impl Permit {
    /// Hands the permit on as if it had never been taken: to the batch
    /// first in line, without sending this one to the back of the queue or
    /// making it give way (no child of its ran on it).
    pub(crate) fn release_unused(self) {
        let mut handover = self.handover;
        if let Some(guard) = handover.guard.take() {
            handover.shared.release(guard, None);
        }
    }

    fn shared(guard: SemaphoreGuardArc, shared: &Arc<Shared>, batch: Arc<Waiter>) -> Self {
        let admitted = shared
            .controller
            .as_ref()
            .map(|controller| (Instant::now(), lock(controller).epoch()));
        Permit {
            handover: Box::new(Handover {
                guard: Some(guard),
                shared: Arc::clone(shared),
                batch,
                admitted,
            }),
        }
    }
}

impl Drop for Handover {
    fn drop(&mut self) {
        if let Some((admitted, epoch)) = self.admitted {
            let rtt = Instant::now().saturating_duration_since(admitted);
            lock(&self.batch.state).unjudged = Some((rtt, epoch));
        }
        if let Some(guard) = self.guard.take() {
            self.shared.release(guard, Some(&self.batch));
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

#[cfg(all(test, fanout_loom))]
mod loom_models;
