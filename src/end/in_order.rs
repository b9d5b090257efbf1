//! `InOrder`: outputs in input order, each as soon as every earlier one is
//! out, with a bounded window for those that finish early.

use crate::end::budget::poll_budgeted;
use crate::end::drive::Drive;
use crate::end::reorder::Reorder;
use crate::input::Input;
use crate::mode::{Deadlines, Output, Panics, Uncaught, Untimed};
use core::fmt;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use futures::stream::{FusedStream, Stream};

/// Stream for the [`in_order`](crate::FanoutExt::in_order) method: every
/// output, in input order, each as soon as it and every earlier one are
/// done.
///
/// # The window
///
/// While the first output not yet handed out is slow, the batch goes on
/// running the inputs after it, up to a window: it admits no input more
/// than `window` places past that first one. With a limit of n
/// ([`bounded`](crate::Batch::bounded), or a [`Limiter`](crate::Limiter)'s
/// capacity) the window is 2n, so at most 2n - 1 outputs ever wait for an
/// earlier one, even over an endless input with a stuck first child. An
/// unbounded batch has no window: behind a stuck first child it holds every
/// later output, so bound a batch over a long or endless input. Either way
/// one `poll_next` takes in at most 256 outputs that came early before it
/// lets the executor in. When the window is full, admission waits
/// (the running children, the stuck one among them, go on) until the first
/// output is done and handed out; then the window moves on by one.
///
/// # Cancel safety
///
/// Dropping it drops every child in flight, returns their permits, and
/// drops the outputs waiting for an earlier one; inputs not yet admitted
/// are never created.
///
/// As with [`as_completed`](crate::FanoutExt::as_completed), the children
/// are polled only inside `poll_next`: while the consumer awaits something
/// else between two items, no child makes progress, but deadlines keep
/// running. A slot freed by a finished child is refilled at once, in the
/// same `poll_next`, before the output is handed on.
///
/// # Panics
///
/// A child's panic goes on out of `poll_next` after its siblings are
/// dropped (unless the batch catches panics); the stream ends there.
///
/// ```
/// use fanout::prelude::*;
/// use futures::StreamExt;
/// use futures_timer::Delay;
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let waits = [30, 10, 20].map(|ms| async move {
///     Delay::new(Duration::from_millis(ms)).await;
///     ms
/// });
/// let out: Vec<_> = waits.bounded(3).in_order().collect().await;
/// assert_eq!(out, [30, 10, 20]);
/// # });
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct InOrder<I, D = Untimed, P = Uncaught>
where
    I: Input,
    D: Deadlines,
    P: Panics,
{
    batch: Drive<I, D, P>,
    /// How many inputs past the next one to hand out may be admitted.
    window: usize,
    early: Reorder<Output<I, D, P>>,
}

/// How many inputs past the first one not yet handed out `in_order` may
/// admit, per child the batch may run at once.
const WINDOW_PER_SLOT: usize = 2;

impl<I: Input, D: Deadlines, P: Panics> InOrder<I, D, P> {
    pub(crate) fn new(batch: Drive<I, D, P>) -> Self {
        let window = batch
            .engine()
            .config()
            .limit
            .capacity()
            .map_or(usize::MAX, |capacity| {
                capacity.saturating_mul(WINDOW_PER_SLOT)
            });
        InOrder {
            // It takes several outputs in one poll of its own.
            batch: batch.polls_marked(),
            window,
            early: Reorder::default(),
        }
    }

    /// The first input index the batch may not admit yet.
    fn ceiling(&self) -> usize {
        self.early.next_index().saturating_add(self.window)
    }
}

// Nothing is pinned: the children live in heap cells of their own, and
// the outputs held are only moved.
impl<I: Input, D: Deadlines, P: Panics> Unpin for InOrder<I, D, P> {}

impl<I: Input, D: Deadlines, P: Panics> Stream for InOrder<I, D, P> {
    type Item = Output<I, D, P>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.batch.begin_poll();
        if let Some(output) = this.early.pop_next() {
            // The window moved on by one: its new place is filled at once.
            let ceiling = this.ceiling();
            this.batch.refill_below(cx, ceiling);
            return Poll::Ready(Some(output));
        }
        // Outputs that came early are taken in, up to the budget of a
        // collecting end: with a wide window (an unbounded batch has none) a
        // slow first child would otherwise keep this poll taking outputs
        // for ever.
        poll_budgeted(cx, |cx| {
            let ceiling = this.ceiling();
            let Some((index, output)) = ready!(this.batch.poll_finished_below(cx, ceiling)) else {
                // Every input has been handed out; or a panic ended the
                // batch, and an output missing for good leaves those after
                // it no place in order.
                this.early.clear();
                return Poll::Ready(ControlFlow::Break(None));
            };
            let placed = this.early.place(index, output);
            // Refilled before the output goes out, as every end does.
            let ceiling = this.ceiling();
            this.batch.refill_below(cx, ceiling);
            Poll::Ready(match placed {
                Some(output) => ControlFlow::Break(Some(output)),
                None => ControlFlow::Continue(()),
            })
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let waiting = self.early.waiting();
        let (low, high) = self.batch.size_hint();
        (
            low.saturating_add(waiting),
            high.and_then(|high| high.checked_add(waiting)),
        )
    }
}

impl<I: Input, D: Deadlines, P: Panics> FusedStream for InOrder<I, D, P> {
    fn is_terminated(&self) -> bool {
        self.batch.is_done() && self.early.waiting() == 0
    }
}

impl<I: Input, D: Deadlines, P: Panics> fmt::Debug for InOrder<I, D, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InOrder")
            .field("batch", &self.batch)
            .field("window", &self.window)
            .field("next_index", &self.early.next_index())
            .field("waiting", &self.early.waiting())
            .finish()
    }
}
