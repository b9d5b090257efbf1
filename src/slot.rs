//! One admitted child, as the batch's `FuturesUnordered` holds it.

use crate::clock::Instant;
use crate::elapsed::Elapsed;
use crate::engine::Lost;
use crate::limiter::Permit;
use crate::panicked::{Panicked, Payload};
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use pin_project_lite::pin_project;
use std::panic::{AssertUnwindSafe, catch_unwind};

pin_project! {
    /// A child with its input index, its admission permit and its deadline.
    ///
    /// The slot never reads the clock: the engine stamps `due` at admission
    /// and marks the slot `expired` when its one batch timer passes `due`;
    /// from then on the slot resolves to that `Elapsed` at its next poll
    /// unless the child's output is ready first.
    /// A slot resolves to `(index, Ok(output))` or `(index, Err(why))` when
    /// the child timed out or panicked, with its child already dropped;
    /// `FuturesUnordered` drops the slot right after, which returns the
    /// permit.
    ///
    /// A panic in the child's `poll` is always caught here and handed to the
    /// engine as a value: the engine decides whether to pass it on as an
    /// output or to drop the siblings first and then resume the panic.
    ///
    /// So is a panic in the child's destructor: the slot drops its child as
    /// soon as it resolves, inside `catch_unwind`, instead of leaving that to
    /// `FuturesUnordered` (which would unwind out of the middle of its
    /// bookkeeping, skipping the permit's return).
    pub(crate) struct Slot<F> {
        #[pin]
        child: Child<F>,
        index: usize,
        due: Option<Instant>,
        expired: Option<Elapsed>,
        // The waker `FuturesUnordered` gave this slot, kept from its first
        // `Pending` so the engine can have an expired slot polled once more.
        waker: Option<Waker>,
        // Held, never read: dropping the slot returns it to the limit.
        _permit: Option<Permit>,
    }
}

impl<F> Slot<F> {
    /// A slot for the child at input `index`.
    ///
    /// `expired` starts set for a zero deadline: such a child gets exactly
    /// one poll.
    pub(crate) fn new(
        child: F,
        index: usize,
        due: Option<Instant>,
        expired: Option<Elapsed>,
        permit: Option<Permit>,
    ) -> Self {
        Slot {
            child: Child::Running { future: child },
            index,
            due,
            expired,
            waker: None,
            _permit: permit,
        }
    }

    /// The child's input index.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// When this slot's deadline passes, unless it has already been marked.
    pub(crate) fn pending_due(&self) -> Option<Instant> {
        if self.expired.is_some() {
            None
        } else {
            self.due
        }
    }

    /// Marks the slot as out of time and asks `FuturesUnordered` to poll it,
    /// so it resolves to `Elapsed` (or to its output, if that is ready: the
    /// child is always polled before its deadline is looked at).
    pub(crate) fn expire(self: Pin<&mut Self>) {
        let this = self.project();
        *this.expired = Some(Elapsed::Child);
        if let Some(waker) = this.waker.take() {
            waker.wake();
        }
    }
}

impl<F: Future> Future for Slot<F> {
    type Output = (usize, Result<F::Output, Lost>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let ChildProj::Running { future } = this.child.as_mut().project() else {
            // `FuturesUnordered` drops a slot as soon as it resolves.
            unreachable!("fanout: a finished slot was polled again");
        };
        // Unwind safety: a child that panicked is never polled again (the
        // slot resolves now and is dropped), so its broken state is not seen.
        let result = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(Lost::Panicked(Panicked::new(payload))),
            Ok(Poll::Pending) => match *this.expired {
                Some(elapsed) => Err(Lost::Elapsed(elapsed)),
                None => {
                    if this.due.is_some() && this.waker.is_none() {
                        *this.waker = Some(cx.waker().clone());
                    }
                    return Poll::Pending;
                }
            },
        };
        // A destructor that panics spoils an output, but not an earlier panic.
        let result = match (this.child.drop_future(), result) {
            (Err(payload), Ok(_) | Err(Lost::Elapsed(_))) => {
                Err(Lost::Panicked(Panicked::new(payload)))
            }
            (_, result) => result,
        };
        Poll::Ready((*this.index, result))
    }
}

impl<F> Slot<F> {
    /// Drops the child now, catching a panic from its destructor.
    pub(crate) fn drop_child(self: Pin<&mut Self>) -> Result<(), Payload> {
        self.project().child.drop_future()
    }
}

pin_project! {
    /// A slot's child, until the slot drops it.
    #[project = ChildProj]
    #[project_replace = ChildReplace]
    enum Child<F> {
        Running {
            #[pin]
            future: F,
        },
        Dropped,
    }
}

impl<F> Child<F> {
    /// Drops the future in place. Even when its destructor panics, the child
    /// is `Dropped` afterwards, so it is never dropped twice.
    fn drop_future(self: Pin<&mut Self>) -> Result<(), Payload> {
        catch_unwind(AssertUnwindSafe(|| {
            self.project_replace(Child::Dropped);
        }))
    }
}
