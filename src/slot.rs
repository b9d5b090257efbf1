//! One admitted child, as the batch's `FuturesUnordered` holds it.

use crate::elapsed::Elapsed;
use async_lock::SemaphoreGuardArc;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use pin_project_lite::pin_project;
use std::time::Instant;

pin_project! {
    /// A child with its input index, its admission permit and its deadline.
    ///
    /// The slot never reads the clock: the engine stamps `due` at admission
    /// and marks the slot `expired` when its one batch timer passes `due`.
    /// A slot resolves to `(index, Ok(output))` or `(index, Err(Elapsed))`,
    /// and `FuturesUnordered` drops it right after, which drops the child
    /// and then returns the permit (fields drop in declaration order).
    pub(crate) struct Slot<F> {
        #[pin]
        child: F,
        index: usize,
        due: Option<Instant>,
        expired: bool,
        // The waker `FuturesUnordered` gave this slot, kept from its first
        // `Pending` so the engine can have an expired slot polled once more.
        waker: Option<Waker>,
        // Held, never read: dropping the slot returns it to the limit.
        _permit: Option<SemaphoreGuardArc>,
    }
}

impl<F> Slot<F> {
    /// A slot for the child at input `index`.
    ///
    /// `expired` starts true for a zero deadline: such a child gets exactly
    /// one poll.
    pub(crate) fn new(
        child: F,
        index: usize,
        due: Option<Instant>,
        expired: bool,
        permit: Option<SemaphoreGuardArc>,
    ) -> Self {
        Slot {
            child,
            index,
            due,
            expired,
            waker: None,
            _permit: permit,
        }
    }

    /// When this slot's deadline passes, unless it has already been marked.
    pub(crate) fn pending_due(&self) -> Option<Instant> {
        if self.expired { None } else { self.due }
    }

    /// Marks the slot as out of time and asks `FuturesUnordered` to poll it,
    /// so it resolves to `Elapsed` (or to its output, if that is ready: the
    /// child is always polled before its deadline is looked at).
    pub(crate) fn expire(self: Pin<&mut Self>) {
        let this = self.project();
        *this.expired = true;
        if let Some(waker) = this.waker.take() {
            waker.wake();
        }
    }
}

impl<F: Future> Future for Slot<F> {
    type Output = (usize, Result<F::Output, Elapsed>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.child.poll(cx) {
            return Poll::Ready((*this.index, Ok(output)));
        }
        if *this.expired {
            return Poll::Ready((*this.index, Err(Elapsed::Child)));
        }
        if this.due.is_some() && this.waker.is_none() {
            *this.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}
