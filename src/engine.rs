//! The machinery under every adapter: lazy admission under a limit, children
//! polled through one `FuturesUnordered`, and one timer for all deadlines.

use crate::elapsed::Elapsed;
use crate::limit::Limit;
use crate::slot::Slot;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures::FutureExt;
use futures::stream::{FuturesUnordered, StreamExt};
use futures_timer::Delay;
use std::time::{Duration, Instant};

/// A finished child: its input index and its output, or why it has none.
pub(crate) type Finished<T> = (usize, Result<T, Elapsed>);

/// Runs the children of one batch and yields `(input index, outcome)` in
/// completion order.
///
/// Why one timer: every child of a batch has the same deadline duration and
/// children are admitted in input order, so deadlines fall due in admission
/// order. The engine keeps one [`Delay`] armed no later than the earliest
/// pending deadline; when it fires, one pass over the running children marks
/// those that are due and re-arms for the next. A child that finishes before
/// the timer fires costs no timer work at all.
pub(crate) struct Engine<I: Iterator> {
    /// `None` once the input is exhausted, so its captures are freed early.
    source: Option<I>,
    admitted: usize,
    limit: Limit,
    running: FuturesUnordered<Slot<I::Item>>,
    deadline: Option<Duration>,
    timer: Option<Delay>,
    timer_armed: bool,
}

impl<I: Iterator> Engine<I>
where
    I::Item: Future,
{
    pub(crate) fn new(source: I) -> Self {
        Engine {
            source: Some(source),
            admitted: 0,
            limit: Limit::Unbounded,
            running: FuturesUnordered::new(),
            deadline: None,
            timer: None,
            timer_armed: false,
        }
    }

    /// Applies to the children admitted from now on.
    pub(crate) fn set_limit(&mut self, limit: Limit) {
        self.limit = limit;
    }

    /// Applies to the children admitted from now on.
    pub(crate) fn set_deadline(&mut self, deadline: Duration) {
        self.deadline = Some(deadline);
    }

    pub(crate) fn admitted(&self) -> usize {
        self.admitted
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.running.len()
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        self.limit.capacity()
    }

    pub(crate) fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// Children still to come: those in flight plus what the input promises.
    pub(crate) fn size_hint(&self) -> (usize, Option<usize>) {
        let (low, high) = self
            .source
            .as_ref()
            .map_or((0, Some(0)), Iterator::size_hint);
        let running = self.running.len();
        (
            low.saturating_add(running),
            high.and_then(|high| high.checked_add(running)),
        )
    }

    /// True once every input has been admitted and every child has finished.
    pub(crate) fn is_done(&self) -> bool {
        self.source.is_none() && self.running.is_empty()
    }

    /// The next child to finish, with its input index.
    ///
    /// Returns `Pending` only when every running child is pending with its
    /// own wake-up arranged, the timer (if any deadline is pending) is
    /// registered, and no permit is free for the next input.
    pub(crate) fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Finished<<I::Item as Future>::Output>>> {
        loop {
            self.admit();
            match self.running.poll_next_unpin(cx) {
                Poll::Ready(Some(finished)) => {
                    // Refill before handing the output on, so the batch stays
                    // full while the caller holds it.
                    self.admit();
                    return Poll::Ready(Some(finished));
                }
                Poll::Ready(None) => {
                    // `admit` found no permit although no child holds one:
                    // only possible once the input is exhausted.
                    debug_assert!(self.source.is_none());
                    return Poll::Ready(None);
                }
                Poll::Pending => {
                    if self.poll_timer(cx) {
                        // Some children were marked expired and woken: poll
                        // them now so they leave and free their slots.
                        continue;
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    /// Pulls inputs while a permit is free, stamping each with its deadline.
    fn admit(&mut self) {
        // Read the clock at most once per call: children admitted together
        // start their clocks together.
        let mut now = None;
        while let Some(source) = self.source.as_mut() {
            let Some(permit) = self.limit.try_admit() else {
                return;
            };
            let Some(child) = source.next() else {
                self.source = None;
                return;
            };
            let index = self.admitted;
            self.admitted += 1;
            let (due, expired) = match self.deadline {
                None => (None, false),
                Some(deadline) if deadline.is_zero() => (None, true),
                Some(deadline) => {
                    let now = *now.get_or_insert_with(Instant::now);
                    // A deadline too far away to represent never passes.
                    let due = now.checked_add(deadline);
                    if let Some(due) = due {
                        self.arm_timer(due, now);
                    }
                    (due, false)
                }
            };
            self.running
                .push(Slot::new(child, index, due, expired, permit));
        }
    }

    /// Makes sure the timer fires no later than `due`.
    ///
    /// Deadlines are stamped in admission order, so an armed timer already
    /// fires no later than any new child's deadline.
    fn arm_timer(&mut self, due: Instant, now: Instant) {
        if self.timer_armed {
            return;
        }
        let wait = due.saturating_duration_since(now);
        match self.timer.as_mut() {
            Some(timer) => timer.reset(wait),
            None => self.timer = Some(Delay::new(wait)),
        }
        self.timer_armed = true;
    }

    /// Polls the batch timer; when it has fired, marks every due child as
    /// expired and re-arms for the next deadline. Returns whether any child
    /// was marked.
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        while self.timer_armed {
            let Some(timer) = self.timer.as_mut() else {
                return false;
            };
            if timer.poll_unpin(cx).is_pending() {
                return false;
            }
            self.timer_armed = false;
            let now = Instant::now();
            let mut marked = false;
            let mut next_due: Option<Instant> = None;
            for slot in Pin::new(&mut self.running).iter_pin_mut() {
                match slot.pending_due() {
                    Some(due) if due <= now => {
                        slot.expire();
                        marked = true;
                    }
                    Some(due) => next_due = Some(next_due.map_or(due, |next| next.min(due))),
                    None => {}
                }
            }
            if let Some(next_due) = next_due {
                self.arm_timer(next_due, now);
            }
            if marked {
                return true;
            }
        }
        false
    }
}
