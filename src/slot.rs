//! A child still pending after its first poll, as the batch's
//! `FuturesUnordered` holds it.

use crate::clock::Instant;
use crate::elapsed::Elapsed;
use crate::engine::Lost;
use crate::home::Home;
use crate::limiter::Permit;
use crate::panicked::{Panicked, Payload};
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

/// What a slot resolves to.
pub(crate) struct Settled<F: Future> {
    /// The child's input index.
    pub(crate) index: usize,
    /// Its output, or why it has none.
    pub(crate) outcome: Result<F::Output, Lost>,
    /// Its home, emptied, for the engine to reuse.
    pub(crate) home: Home<F>,
}

/// A waiting child with its input index, its admission permit and its
/// deadline.
///
/// The slot never reads the clock: the engine stamps `due` at admission
/// and marks the slot expired when its one batch timer passes `due`; from
/// then on the slot resolves to `Elapsed` at its next poll unless the
/// child's output is ready first.
///
/// A panic in the child's `poll` or destructor is caught by its [`Home`]
/// and handed to the engine as a value: the engine decides whether to pass
/// it on as an output or to drop the siblings first and then resume it.
/// The child is always dropped before the slot resolves, so
/// `FuturesUnordered` never runs a child's destructor in the middle of its
/// own bookkeeping; dropping the slot afterwards returns the permit.
pub(crate) struct Slot<F> {
    /// `None` once resolved: the home went back to the engine.
    home: Option<Home<F>>,
    index: usize,
    due: Option<Instant>,
    /// Set when the deadline passed.
    expired: bool,
    /// Whether `FuturesUnordered` has polled the slot yet. Until it has,
    /// the child's wake-ups go to the task, as they did after its first
    /// poll at admission (see [`Home`]).
    taken_in: bool,
    /// The waker `FuturesUnordered` gave this slot, kept from its first
    /// `Pending` so the engine can have an expired slot polled once more.
    waker: Option<Waker>,
    /// Held, never read: dropping the slot returns it to the limit.
    _permit: Option<Permit>,
}

impl<F> Slot<F> {
    /// A slot for the child at input `index`, living in `home`, polled once
    /// at admission and pending.
    pub(crate) fn new(
        home: Home<F>,
        index: usize,
        due: Option<Instant>,
        permit: Option<Permit>,
    ) -> Self {
        Slot {
            home: Some(home),
            index,
            due,
            expired: false,
            taken_in: false,
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
        self.due.filter(|_| !self.expired)
    }

    /// Marks the child as timed out and has `FuturesUnordered` poll the
    /// slot again, so it resolves (and frees its place) at the next pass.
    ///
    /// Before `FuturesUnordered` has polled the slot there is no waker to
    /// call, and none is needed: a newly pushed slot is already queued.
    pub(crate) fn expire(&mut self) {
        self.expired = true;
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    /// Drops the child now (the batch is being abandoned), catching a panic
    /// in its destructor.
    pub(crate) fn drop_child(&mut self) -> Result<(), Payload> {
        self.home.as_mut().map_or(Ok(()), Home::evict)
    }
}

impl<F: Future> Future for Slot<F> {
    type Output = Settled<F>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let home = this
            .home
            .as_mut()
            .expect("fanout: a resolved slot was polled again");
        // The first poll here comes from `FuturesUnordered` taking the slot
        // in: the child needs polling only if it was woken since admission.
        let woken = std::mem::replace(&mut this.taken_in, true) || home.hand_over_wake_up(cx);
        // The output wins over the deadline when both are ready: the child
        // is polled before its expiry is looked at.
        let polled = if woken {
            home.poll_child(cx)
        } else {
            Poll::Pending
        };
        let outcome = match (polled, this.expired) {
            (Poll::Ready(outcome), _) => outcome.map_err(Lost::Panicked),
            (Poll::Pending, true) => match home.evict() {
                Ok(()) => Err(Lost::Elapsed(Elapsed::Child)),
                Err(payload) => Err(Lost::Panicked(Panicked::new(payload))),
            },
            (Poll::Pending, false) => {
                if this.due.is_some() && this.waker.is_none() {
                    this.waker = Some(cx.waker().clone());
                }
                return Poll::Pending;
            }
        };
        let home = this.home.take().expect("checked above");
        Poll::Ready(Settled {
            index: this.index,
            outcome,
            home,
        })
    }
}
