//! `SharedRate`: one cap on how often children start, shared by several
//! batches.

use crate::clock::Instant;
use crate::limits::start_log::{NextStart, StartLog};
use crate::sync::{Arc, Mutex, MutexGuard};
use core::fmt;
use core::task::{Context, Waker};
use std::collections::VecDeque;
use std::time::Duration;

/// At most `max` children start in any window of `per`, across every batch
/// given this rate with [`rate_by`](crate::FanoutExt::rate_by).
///
/// What a batch's own [`rate`](crate::FanoutExt::rate) is for one batch,
/// this is for several that call the same API: its "100 requests per
/// second" holds for all of them together. The count is exact: no window
/// of `per`, wherever it falls, holds more than `max` starts of the batches
/// sharing it, whichever threads they run on. A start is a child's first
/// poll, stamped as it returns, as for a batch's own rate; a start
/// reserved while its child is pulled holds its place meanwhile.
///
/// Cloning is cheap and every clone is the same rate.
///
/// # Fairness
///
/// When the window is full, batches wait their turn first come, first
/// served: the batch that has waited longest takes the next start, and a
/// batch that has just started a child goes behind every batch already
/// waiting. So busy batches sharing one rate take turns (`a b a b ...`)
/// rather than one taking every start, even when all are awaited in the
/// same task. A batch whose input has ended, or that was stopped, cut off
/// or dropped, leaves the line at once.
///
/// # Examples
///
/// ```
/// use fanout::prelude::*;
/// use fanout::SharedRate;
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// // At most 4 calls to this API in any 50 ms, across both batches.
/// let api = SharedRate::new(4, Duration::from_millis(50));
/// let users = (0..4).map(|i| async move { i });
/// let orders = (0..4).map(|i| async move { i * 10 });
/// let (users, orders) = futures::join!(
///     users.rate_by(&api).gather(),
///     orders.rate_by(&api).gather(),
/// );
/// assert_eq!(users.len() + orders.len(), 8);
/// # });
/// ```
#[derive(Clone)]
pub struct SharedRate {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
}

struct State {
    /// The starts of every batch sharing the rate.
    log: StartLog,
    /// Batches waiting for a start, oldest first. Only the first looks at
    /// the clock (its own timer rings when the window frees); the others
    /// wait for the batch before them to start a child or leave.
    waiting: VecDeque<Arc<Waiter>>,
}

/// One batch, as the rate knows it: where to wake it.
#[derive(Default)]
struct Waiter {
    waker: Mutex<Option<Waker>>,
}

impl SharedRate {
    /// A rate of at most `max` starts in any window of `per`.
    ///
    /// # Panics
    ///
    /// If `max` is 0 (no batch could ever start a child), `per` is zero (no
    /// window to count in) or too long for the clock to add to the present
    /// (`Duration::MAX`).
    ///
    /// ```should_panic
    /// use std::time::Duration;
    /// let _ = fanout::SharedRate::new(0, Duration::from_secs(1)); // panics
    /// ```
    #[track_caller]
    #[must_use]
    pub fn new(max: usize, per: Duration) -> Self {
        SharedRate {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    log: StartLog::new(max, per, "SharedRate::new"),
                    waiting: VecDeque::new(),
                }),
            }),
        }
    }

    /// At most this many starts in any window.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(fanout::SharedRate::new(5, Duration::from_secs(1)).max(), 5);
    /// ```
    #[must_use]
    pub fn max(&self) -> usize {
        lock(&self.shared.state).log.max()
    }

    /// The window's length.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rate = fanout::SharedRate::new(5, Duration::from_secs(1));
    /// assert_eq!(rate.per(), Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn per(&self) -> Duration {
        lock(&self.shared.state).log.per()
    }

    /// A batch's place with this rate.
    pub(crate) fn place(&self) -> RatePlace {
        RatePlace {
            shared: Arc::clone(&self.shared),
            me: Arc::new(Waiter::default()),
            queued: false,
        }
    }
}

/// What [`RatePlace::reserve`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reservation {
    /// A start is the batch's: it holds its place in every window until
    /// it is [`confirm`](RatePlace::confirm)ed at its true time or
    /// [`given back`](RatePlace::give_back).
    Reserved,
    /// The batch is first in line and the window frees then: it looks
    /// again when its own timer rings.
    FirstAt(Instant),
    /// The batch waits behind others, for a reserved start to be made or
    /// given back, or for a window that never frees: it is woken when its
    /// turn comes.
    Queued,
}

/// A batch's place with a [`SharedRate`]: in line or not. Dropping it
/// leaves the line.
pub(crate) struct RatePlace {
    shared: Arc<Shared>,
    me: Arc<Waiter>,
    queued: bool,
}

impl RatePlace {
    /// Reserves a start at `now` when no batch is ahead of this one and the
    /// window has room; otherwise joins the line (once) and says how to
    /// wait.
    pub(crate) fn reserve(&mut self, now: Instant, cx: &Context<'_>) -> Reservation {
        let mut state = lock(&self.shared.state);
        let first = match state.waiting.front() {
            None => true,
            Some(front) => self.queued && Arc::ptr_eq(front, &self.me),
        };
        let wait = if first {
            match state.log.next_start(now) {
                NextStart::Now => {
                    state.log.reserve();
                    if self.queued {
                        state.waiting.pop_front();
                        self.queued = false;
                        // The next in line is first now: it must look at
                        // the clock itself (and arm its timer).
                        wake_first(state);
                    }
                    return Reservation::Reserved;
                }
                NextStart::At(at) => Reservation::FirstAt(at),
                NextStart::Never | NextStart::AfterReserved => Reservation::Queued,
            }
        } else {
            Reservation::Queued
        };
        self.set_waker(cx);
        if !self.queued {
            state.waiting.push_back(Arc::clone(&self.me));
            self.queued = true;
        }
        wait
    }

    /// The reserved start happens at `now`, and holds its window from
    /// then. The batch first in line is told: it may now have a time to
    /// wait for (a reservation has none).
    pub(crate) fn confirm(&mut self, now: Instant) {
        let mut state = lock(&self.shared.state);
        state.log.made(now);
        wake_first(state);
    }

    /// The reserved start did not happen (the batch had no permit, or its
    /// input nothing ready): its place goes to whoever is first in line.
    pub(crate) fn give_back(&mut self) {
        let mut state = lock(&self.shared.state);
        state.log.given_back();
        wake_first(state);
    }

    /// The batch starts nothing more: it leaves the line, and the batch
    /// behind it, first now, is told.
    pub(crate) fn leave(&mut self) {
        if !self.queued {
            return;
        }
        self.queued = false;
        let mut state = lock(&self.shared.state);
        let was_first = state
            .waiting
            .front()
            .is_some_and(|front| Arc::ptr_eq(front, &self.me));
        state
            .waiting
            .retain(|queued| !Arc::ptr_eq(queued, &self.me));
        if was_first {
            wake_first(state);
        }
    }

    fn set_waker(&self, cx: &Context<'_>) {
        let mut waker = lock(&self.me.waker);
        if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *waker = Some(cx.waker().clone());
        }
    }
}

impl Drop for RatePlace {
    fn drop(&mut self) {
        self.leave();
    }
}

/// Wakes the batch first in line, once the rate's lock (`state`) is
/// released: a waker may run arbitrary code.
fn wake_first(state: MutexGuard<'_, State>) {
    let first = state.waiting.front().cloned();
    drop(state);
    if let Some(waker) = first.and_then(|waiter| lock(&waiter.waker).take()) {
        waker.wake();
    }
}

/// Locks, ignoring poison: every critical section here leaves the state
/// consistent before anything that could panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl fmt::Debug for SharedRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.shared.state);
        f.debug_struct("SharedRate")
            .field("max", &state.log.max())
            .field("per", &state.log.per())
            .field("waiting", &state.waiting.len())
            .finish()
    }
}

#[cfg(all(test, fanout_loom))]
mod loom_models;
