//! `Admission`: what a batch has taken from its input, and the gates the
//! next child passes before it is pulled.

use crate::clock::Instant;
use crate::engine::limit::Limit;
use crate::engine::rate::Rate;
use crate::input::Input;
use crate::limits::{Permit, Ticket};
use crate::panicked::Payload;
use crate::sealed::TOKEN;
use core::ops::Range;
use core::task::{Context, Poll};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// How many children one poll of the chain starts before it lets the
/// executor in, whatever its end and however often that poll enters the
/// admission loop (twice per output, once to find one and once to refill
/// its slot; a collecting end takes up to 256 outputs per poll). A batch
/// with room for many (unbounded, or a large bound) would otherwise create
/// and poll its whole input in one poll, and over an endless input never
/// return: not even a batch deadline could cut it.
pub(crate) const ADMISSIONS_PER_POLL: usize = 1024;

/// A child just pulled from the input, to be started.
pub(crate) struct Admitted<C> {
    pub(crate) child: C,
    /// Its input index: its place in the pull order.
    pub(crate) index: usize,
    /// Its permit, when it must hold one (a shared limit).
    pub(crate) permit: Option<Permit>,
}

/// The input side of a batch.
///
/// The gates come in this order: the input's stop signal first (it ends
/// the input, so it is looked at even when nothing could be admitted: a
/// stopped batch drops its input at once, full window or not), then the
/// cheapest and least committal: the per-poll budget, the `in_order`
/// window and the first pass of a zero batch deadline, the rate, and only
/// then the permit; the input is pulled last, once the child could start.
/// So an input is created only once it can start, and a batch held back by
/// its rate or stopped by its signal never sits on a permit others could
/// use.
///
/// One exception, under a shared limit or a rate only (gates a batch may
/// wait at): an input whose size hint says it is empty is pulled before
/// them (see `pulled_ahead`), so a batch with nothing left ends at once
/// rather than after its wait.
pub(crate) struct Admission<I: Input> {
    /// `None` once the input has ended, been stopped or been cut off, so
    /// its captures are freed early and nothing more is pulled.
    source: Option<I>,
    /// A child pulled before its permit. Under a shared limit a batch whose
    /// input says it is empty (`size_hint() == (0, Some(0))`) must not
    /// queue for a permit it may not use, and other batches wait behind it;
    /// under a rate it must not wait a window to learn it has nothing left;
    /// but a hint is no promise, so the input is asked first. If it had a
    /// child after all, the child waits here for its permit: at most one
    /// per batch, and only for an input whose hint was wrong.
    pulled_ahead: Option<I::Child>,
    /// Children pulled so far: the next one's input index.
    admitted: usize,
    /// This batch's place with a shared limiter.
    ticket: Ticket,
    /// With a zero batch deadline, how many more children the first pass
    /// may admit (see `Engine::start_clocks`).
    first_pass_left: Option<usize>,
    /// Inputs from this index on wait: the window of
    /// [`InOrder`](crate::InOrder).
    ceiling: usize,
    /// Children started in the current poll of the chain.
    started_this_poll: usize,
    /// The last call of the admission loop stopped at
    /// [`ADMISSIONS_PER_POLL`] with room and input left: the task must wake
    /// itself to go on.
    paused: bool,
}

impl<I: Input> Admission<I> {
    pub(crate) fn new(source: I) -> Self {
        Admission {
            source: Some(source),
            pulled_ahead: None,
            admitted: 0,
            ticket: Ticket::default(),
            first_pass_left: None,
            ceiling: usize::MAX,
            started_this_poll: 0,
            paused: false,
        }
    }

    /// The input, taken out before the batch has started (to wrap it).
    pub(crate) fn take_source(&mut self) -> Option<I> {
        self.source.take()
    }

    pub(crate) fn admitted(&self) -> usize {
        self.admitted
    }

    /// Whether the input may still yield children.
    pub(crate) fn has_input(&self) -> bool {
        self.source.is_some()
    }

    /// What the input promises, as [`Iterator::size_hint`].
    pub(crate) fn size_hint(&self) -> (usize, Option<usize>) {
        let (low, high) = self
            .source
            .as_ref()
            .map_or((0, Some(0)), |source| source.size_hint(TOKEN));
        let ahead = usize::from(self.pulled_ahead.is_some());
        (
            low.saturating_add(ahead),
            high.and_then(|high| high.checked_add(ahead)),
        )
    }

    /// The batch's place with a shared limiter.
    pub(crate) fn ticket(&self) -> &Ticket {
        &self.ticket
    }

    /// Whether a permit this batch freed went to another batch since the
    /// last call (it then lets the other take it up: batches take turns).
    #[inline]
    pub(crate) fn take_gave_way(&self) -> bool {
        self.ticket.take_gave_way()
    }

    /// Admits at most `left` children from now on, until
    /// [`abandon`](Admission::abandon).
    pub(crate) fn limit_first_pass(&mut self, left: usize) {
        self.first_pass_left = Some(left);
    }

    /// Admits no input from index `ceiling` on, until it is raised.
    #[inline]
    pub(crate) fn set_ceiling(&mut self, ceiling: usize) {
        self.ceiling = ceiling;
    }

    /// A poll of the chain begins: its budget of starts is whole again.
    #[inline]
    pub(crate) fn begin_poll(&mut self) {
        self.started_this_poll = 0;
    }

    /// Starts a call of the admission loop.
    #[inline]
    pub(crate) fn begin_call(&mut self) {
        self.paused = false;
    }

    /// Whether the last call stopped for the executor's sake, not for want
    /// of a permit or an item: nothing else will wake the task to go on.
    pub(crate) fn paused(&self) -> bool {
        self.paused
    }

    /// The next child, pulled once every gate is open, or `None` when one
    /// is closed (with a wake-up arranged for when it opens: the limit's
    /// and the rate's own, the input's, or the caller's running children)
    /// or the input has ended. `Err` carries the input's panic.
    #[inline]
    pub(crate) fn next(
        &mut self,
        limit: &mut Limit,
        mut rate: Option<&mut Rate>,
        cx: &mut Context<'_>,
    ) -> Result<Option<Admitted<I::Child>>, Payload> {
        let Some(source) = self.source.as_mut() else {
            return Ok(None);
        };
        match catch_unwind(AssertUnwindSafe(|| source.poll_stopped(cx, TOKEN))) {
            Ok(false) => {}
            Ok(true) => return self.end_input(rate).map(|()| None),
            Err(payload) => return Err(payload),
        }
        if self.started_this_poll >= ADMISSIONS_PER_POLL {
            self.paused = true;
            return Ok(None);
        }
        if self.admitted >= self.ceiling || self.first_pass_left == Some(0) {
            return Ok(None);
        }
        // A gate that makes the batch wait (a shared limit's queue, a
        // rate's window) must not be waited at by a batch whose input has
        // nothing left: one that says it is empty is pulled first, so an
        // ended input ends the batch at once and one that had an item
        // after all keeps it (see `pulled_ahead`).
        let pulls_ahead = limit.queues() || rate.is_some();
        if pulls_ahead && self.pulled_ahead.is_none() && source.size_hint(TOKEN) == (0, Some(0)) {
            match catch_unwind(AssertUnwindSafe(|| source.poll_pull(cx, TOKEN))) {
                Ok(Poll::Ready(Some(child))) => self.pulled_ahead = Some(child),
                Ok(Poll::Ready(None)) => return self.end_input(rate).map(|()| None),
                Ok(Poll::Pending) => return Ok(None),
                Err(payload) => return Err(payload),
            }
        }
        if let Some(rate) = rate.as_deref_mut() {
            if !rate.allows(Instant::now(), cx) {
                // No permit is of use until the rate allows a start.
                self.ticket.step_out();
                return Ok(None);
            }
        }
        // The rate's start is made once the child's first poll has run
        // (see `Engine::admit`); until then a shared rate holds its place,
        // and every way out below without a child gives it back.
        let Poll::Ready(permit) = limit.poll_admit(&mut self.ticket, cx) else {
            if let Some(rate) = rate {
                rate.unused();
            }
            return Ok(None);
        };
        // Only a batch with a gate that waits pulls ahead: the plain path
        // never looks at `pulled_ahead`.
        let pulled = match pulls_ahead.then(|| self.pulled_ahead.take()).flatten() {
            Some(child) => Ok(Poll::Ready(Some(child))),
            None => catch_unwind(AssertUnwindSafe(|| source.poll_pull(cx, TOKEN))),
        };
        let Ok(Poll::Ready(Some(child))) = pulled else {
            // The permit goes on unused: to the next batch waiting, or
            // back to this batch's spares. A pending stream holds none
            // while it waits for its next item.
            limit.release_unused(permit);
            return match pulled {
                Ok(Poll::Ready(None)) => self.end_input(rate).map(|()| None),
                other => {
                    if let Some(rate) = rate {
                        rate.unused();
                    }
                    other.map(|_| None)
                }
            };
        };
        let index = self.admitted;
        self.admitted += 1;
        self.started_this_poll += 1;
        if let Some(left) = self.first_pass_left.as_mut() {
            *left -= 1;
        }
        Ok(Some(Admitted {
            child,
            index,
            permit,
        }))
    }

    /// The input has nothing more: drop it now, so its captures go early.
    ///
    /// It also leaves any limiter queue: a batch with nothing left to admit
    /// must not be handed a permit another batch could use (one already
    /// handed to it goes on). It stays the same batch to the limiter: its
    /// running children's permits name it, and an adaptive limit judges
    /// them through it.
    ///
    /// It also leaves a shared rate's line, for the same reason.
    fn end_input(&mut self, rate: Option<&mut Rate>) -> Result<(), Payload> {
        self.ticket.step_out();
        if let Some(rate) = rate {
            rate.stop();
        }
        let pulled_ahead = self.pulled_ahead.take();
        let source = self.source.take();
        let dropped_child = catch_unwind(AssertUnwindSafe(|| drop(pulled_ahead)));
        let dropped_source = catch_unwind(AssertUnwindSafe(|| drop(source)));
        // A panic in the child's destructor comes first; the input is
        // dropped either way.
        dropped_child.and(dropped_source)
    }

    /// The batch deadline passed: the inputs never admitted that the input
    /// says it still has (only when its size hint is exact; they are
    /// counted, never created), as input indices. They count as admitted
    /// from now on.
    pub(crate) fn cut_off(&mut self) -> Range<usize> {
        let unstarted = match self.size_hint() {
            (low, Some(high)) if low == high => low,
            // A child pulled ahead is known to exist, whatever the hint.
            _ => usize::from(self.pulled_ahead.is_some()),
        };
        let start = self.admitted;
        self.admitted = start.saturating_add(unstarted);
        start..self.admitted
    }

    /// Leaves any limiter queue and drops the input (the engine stops the
    /// rate itself). A panic in the input's destructor is caught and
    /// returned.
    #[must_use]
    pub(crate) fn abandon(&mut self) -> Option<Payload> {
        self.ticket.step_out();
        self.first_pass_left = None;
        self.end_input(None).err()
    }
}
