//! A child still pending after its first poll, as the batch's
//! `FuturesUnordered` holds it.

use crate::elapsed::Elapsed;
use crate::engine::finished::{self, Finished, Lost};
use crate::engine::home::Home;
use crate::limits::Permit;
use crate::panicked::{Panicked, Payload};
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

/// A waiting child with its input index and its admission permit.
///
/// The slot never reads the clock: the engine stamps a child's deadline at
/// admission, and when it passes marks the child through its home (see
/// [`DeadlineTag`](crate::engine::home::DeadlineTag)) and wakes the slot; from then
/// on the slot resolves to `Elapsed` at its next poll unless the child's
/// output is ready first.
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
    /// Whether the child has a deadline the engine may mark.
    timed: bool,
    /// Held, never read: dropping the slot returns it to the limit.
    _permit: Option<Permit>,
}

impl<F> Slot<F> {
    /// A slot for the child at input `index`, living in `home`, polled once
    /// at admission and pending. `timed` when the engine tagged it for a
    /// deadline.
    pub(crate) fn new(home: Home<F>, index: usize, timed: bool, permit: Option<Permit>) -> Self {
        Slot {
            home: Some(home),
            index,
            timed,
            _permit: permit,
        }
    }

    /// The child's input index.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// Drops the child now (the batch is being abandoned), catching a panic
    /// in its destructor.
    pub(crate) fn drop_child(&mut self) -> Result<(), Payload> {
        self.home.as_mut().map_or(Ok(()), Home::evict)
    }
}

/// How a child fared when polled again at home, with the home's own waker
/// (see [`Slot::poll_at_home`]).
pub(crate) enum AtHome<F: Future> {
    /// It has an outcome; its home is empty, for the next child.
    Finished(Finished<F::Output>, Home<F>),
    /// It woke itself again: it asks for one more turn after the others.
    WokeItself,
    /// It waits on something else, its wake-ups routed to the task: it
    /// goes into the `FuturesUnordered`.
    Waits,
}

impl<F: Future> Slot<F> {
    /// Polls a child that woke itself during its last poll, again at home,
    /// rather than through the `FuturesUnordered` (see
    /// [`Running`](crate::engine::running::Running)). Its deadline is looked
    /// at as in [`poll`](Slot::poll): the output wins when both are ready.
    #[inline]
    pub(crate) fn poll_at_home(&mut self, cx: &Context<'_>) -> AtHome<F> {
        let polled = self.home().poll_if_woken();
        match self.settle(polled) {
            Some(outcome) => {
                let (finished, home) = self.resolve(outcome);
                AtHome::Finished(finished, home)
            }
            None if self.home().wake_task_meanwhile(cx) => AtHome::WokeItself,
            None => AtHome::Waits,
        }
    }

    /// The child's home, while the slot is unresolved.
    #[inline]
    fn home(&mut self) -> &mut Home<F> {
        self.home
            .as_mut()
            .expect("fanout: a resolved slot was polled again")
    }

    /// The child's outcome after a poll that `polled`: its output, or
    /// `Elapsed` if it is still pending past its deadline (then it is
    /// dropped). The output wins over the deadline when both are ready:
    /// the child is polled before its expiry is looked at. `None` while it
    /// is pending in time.
    #[inline]
    fn settle(
        &mut self,
        polled: Poll<Result<F::Output, Panicked>>,
    ) -> Option<Result<F::Output, Lost>> {
        let timed = self.timed;
        let home = self.home();
        match polled {
            Poll::Ready(outcome) => Some(outcome.map_err(Lost::Panicked)),
            Poll::Pending if timed && home.expired() => {
                Some(finished::timed_out(home.evict(), Elapsed::Child))
            }
            Poll::Pending => None,
        }
    }

    /// Resolves the slot with `outcome`: the finished child, and its home,
    /// emptied, back for the engine to reuse.
    #[inline]
    fn resolve(&mut self, outcome: Result<F::Output, Lost>) -> (Finished<F::Output>, Home<F>) {
        let home = self.home.take().expect("fanout: a slot resolved twice");
        ((self.index, outcome), home)
    }
}

impl<F: Future> Future for Slot<F> {
    /// The finished child, and its home, emptied, for the engine to reuse.
    type Output = (Finished<F::Output>, Home<F>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // The node is woken by the child's wake-ups, by the engine's expiry
        // mark, and once when the `FuturesUnordered` takes the slot in: the
        // child is polled only for the first (see `Home`).
        let polled = this.home().poll_if_woken();
        match this.settle(polled) {
            Some(outcome) => Poll::Ready(this.resolve(outcome)),
            None => {
                this.home().route_wakes_to(cx);
                Poll::Pending
            }
        }
    }
}
