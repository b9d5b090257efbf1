//! How many children of a batch may be in flight at once.

use async_lock::{Semaphore, SemaphoreGuardArc};
use std::sync::Arc;

/// The admission gate of one batch.
///
/// Every child in flight holds one permit of the semaphore and returns it
/// when the child is dropped, so a finished, timed-out or cancelled child
/// frees its slot at once.
#[derive(Clone)]
pub(crate) enum Limit {
    /// Every input is admitted as soon as the batch is polled.
    Unbounded,
    /// At most this many children at once; the permits are held only by
    /// this batch's own children.
    Own {
        semaphore: Arc<Semaphore>,
        capacity: usize,
    },
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
        }
    }

    /// Takes a permit for one more child without waiting.
    ///
    /// `Some(None)` admits without a permit (unbounded), `Some(Some(p))`
    /// admits holding `p`, `None` means every permit is held by a running
    /// child of this batch. No wake-up is needed in that case: the batch is
    /// polled again when one of those children finishes.
    pub(crate) fn try_admit(&self) -> Option<Option<SemaphoreGuardArc>> {
        match self {
            Limit::Unbounded => Some(None),
            Limit::Own { semaphore, .. } => semaphore.try_acquire_arc().map(Some),
        }
    }
}
