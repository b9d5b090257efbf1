//! How many children of a batch may be in flight at once.

use crate::limiter::{Limiter, Permit, Ticket};
use async_lock::Semaphore;
use core::task::{Context, Poll};
use std::sync::Arc;

/// The admission gate of one batch.
///
/// Every child in flight holds one permit and returns it when the child is
/// dropped, so a finished, timed-out or cancelled child frees its slot at
/// once.
pub(crate) enum Limit {
    /// Every input is admitted as soon as the batch is polled.
    Unbounded,
    /// At most `capacity` children at once, counted by a semaphore only this
    /// batch's children use.
    Own {
        semaphore: Arc<Semaphore>,
        capacity: usize,
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
            semaphore: Arc::new(Semaphore::new(capacity)),
            capacity,
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

    /// A permit for one more child: `Ready(None)` admits without one
    /// (unbounded), `Ready(Some(permit))` admits holding it.
    ///
    /// `Pending` from an own limit arranges no wake-up, and needs none: all
    /// its permits are held by this batch's running children, and the batch
    /// is polled again when one of them finishes. A shared limit queues
    /// `ticket` and wakes the task when a permit is handed to it.
    pub(crate) fn poll_admit(
        &self,
        ticket: &mut Ticket,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Permit>> {
        match self {
            Limit::Unbounded => Poll::Ready(None),
            Limit::Own { semaphore, .. } => match semaphore.try_acquire_arc() {
                Some(guard) => Poll::Ready(Some(Permit::own(guard))),
                None => Poll::Pending,
            },
            Limit::Shared(limiter) => limiter.poll_acquire(ticket, cx).map(Some),
        }
    }
}
