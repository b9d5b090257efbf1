//! How many children of a batch may be in flight at once.

use crate::limits::{Limiter, Permit, Ticket};
use async_lock::Semaphore;
use core::task::{Context, Poll};

/// The admission gate of one batch.
///
/// Every child in flight holds one permit, returned as soon as the child is
/// done, so a finished, timed-out or cancelled child frees its slot at once.
pub(crate) enum Limit {
    /// Every input is admitted as soon as the batch is polled.
    Unbounded,
    /// At most `capacity` children at once, gated by a semaphore only this
    /// batch uses. Its permits are not tied to the children, and a finished
    /// child's permit is kept in `spare` for the next input instead of
    /// going back: no one else could take it, and the round trip (an atomic
    /// add and an event notification per child) was a tenth of a child's
    /// cost. Dropping the batch drops the semaphore, so nothing needs
    /// returning then.
    Own {
        semaphore: Semaphore,
        capacity: usize,
        /// Permits taken from the semaphore whose children have finished.
        spare: usize,
        /// Permits taken from the semaphore so far: once all are out, asking
        /// it again would only fail.
        taken: usize,
    },
    /// A cap shared with other batches, handed out first come, first served.
    Shared(Limiter),
}

impl Limit {
    /// A limit of `capacity` children at once.
    ///
    /// The panic carries the caller's location, so it points at the
    /// `.bounded(0)` that caused it.
    #[track_caller]
    pub(crate) fn own(capacity: usize) -> Self {
        assert!(
            capacity > 0,
            "fanout: `bounded(0)` would never admit a child; the limit must be at least 1"
        );
        Limit::Own {
            semaphore: Semaphore::new(capacity),
            capacity,
            spare: 0,
            taken: 0,
        }
    }

    /// The most children this limit lets run at once, if it has a maximum.
    pub(crate) fn capacity(&self) -> Option<usize> {
        match self {
            Limit::Unbounded => None,
            Limit::Own { capacity, .. } => Some(*capacity),
            Limit::Shared(limiter) => Some(limiter.capacity()),
        }
    }

    /// Whether waiting for a permit puts the batch in a queue that others
    /// wait behind: then a batch whose input says it has nothing left ends
    /// before asking, so it never queues for a permit it cannot use.
    #[inline]
    pub(crate) fn queues(&self) -> bool {
        matches!(self, Limit::Shared(_))
    }

    /// Admits one more child: `Ready(Some(permit))` when the child must hold
    /// its permit (a shared limit), `Ready(None)` when it needs none.
    ///
    /// `Pending` from an own limit arranges no wake-up, and needs none: all
    /// its permits are out with this batch's running children, and the batch
    /// is polled again when one of them finishes. A shared limit queues
    /// `ticket` and wakes the task when a permit is handed to it.
    // Inlined, like `queues` and `child_finished`: each runs once per
    // child from the engine, which is generic and so compiled in the
    // user's crate, where a plain function of this one stays a call.
    #[inline]
    pub(crate) fn poll_admit(
        &mut self,
        ticket: &mut Ticket,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Permit>> {
        match self {
            Limit::Unbounded => Poll::Ready(None),
            Limit::Own { spare, .. } if *spare > 0 => {
                *spare -= 1;
                Poll::Ready(None)
            }
            Limit::Own {
                semaphore,
                capacity,
                taken,
                ..
            } if *taken < *capacity => match semaphore.try_acquire() {
                Some(guard) => {
                    guard.forget();
                    *taken += 1;
                    Poll::Ready(None)
                }
                None => Poll::Pending,
            },
            Limit::Own { .. } => Poll::Pending,
            Limit::Shared(limiter) => limiter.poll_acquire(ticket, cx).map(Some),
        }
    }

    /// The shared limit, if it adapts: it learns from each finished child
    /// (see [`Limiter::judge`]).
    #[inline]
    pub(crate) fn adaptive(&self) -> Option<&Limiter> {
        match self {
            Limit::Shared(limiter) if limiter.adapts() => Some(limiter),
            _ => None,
        }
    }

    /// A child of this batch is done: an own limit keeps its permit for the
    /// next input. (A shared limit gets it back when the child's `Permit` is
    /// dropped.)
    #[inline]
    pub(crate) fn child_finished(&mut self) {
        if let Limit::Own { spare, .. } = self {
            *spare += 1;
        }
    }

    /// A permit taken for a child that was never pulled (the input had
    /// nothing ready): it goes on as if it had never been taken.
    #[inline]
    pub(crate) fn release_unused(&mut self, permit: Option<Permit>) {
        if let Some(permit) = permit {
            permit.release_unused();
        }
        self.child_finished();
    }
}
