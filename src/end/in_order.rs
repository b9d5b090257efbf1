//! `InOrder`: outputs in input order, each as soon as every earlier one is
//! out, with a bounded window for those that finish early.

use crate::end::budget::poll_budgeted;
use crate::end::drive::Drive;
use crate::end::feed::Feed;
use crate::end::for_each::{Fold, ForEach, TryForEach};
use crate::end::forward::Forward;
use crate::end::reorder::Reorder;
use crate::input::Input;
use crate::mode::{Deadlines, Output, Panics, Uncaught, Untimed};
use crate::sealed::{Sealed, Token};
use core::fmt;
use core::future::Future;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use futures::sink::Sink;
use futures::stream::{FusedStream, Stream};
use std::collections::VecDeque;

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
/// running. For a consumer that awaits, use this type's own
/// [`for_each`](InOrder::for_each), [`try_for_each`](InOrder::try_for_each),
/// [`fold`](InOrder::fold) or [`forward`](InOrder::forward). A slot freed by
/// a finished child is refilled at once, in the same `poll_next`, before the
/// output is handed on.
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
        self.ceiling_fed(0)
    }

    /// The first input index the batch may not admit yet while a body is
    /// fed: the window starts at the first output not yet handed to the
    /// body, and those ready for it, in order, wait in `waiting`.
    fn ceiling_fed(&self, waiting: usize) -> usize {
        (self.early.next_index() - waiting).saturating_add(self.window)
    }
}

/// The consumer's own body run beside the children, in input order: found
/// before `StreamExt`'s methods of the same names, which poll the stream
/// (and so the children) only while the body is idle. Each works as on the
/// batch (see [`Batch::for_each`](crate::Batch::for_each)), but in input
/// order, each body getting the output alone; the outputs waiting for the
/// body keep to the window (see [`InOrder`]). Taken in the middle of the
/// stream, they go on from where it stands.
impl<I: Input, D: Deadlines, P: Panics> InOrder<I, D, P> {
    /// [`Batch::for_each`](crate::Batch::for_each) in input order: `body`
    /// runs on each output as soon as it and every earlier one are done,
    /// one body at a time, while the children keep running.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use futures::StreamExt; // its `for_each` is not the one called
    /// use futures_timer::Delay;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let mut written = Vec::new();
    /// [30, 10, 20]
    ///     .map(|ms| async move {
    ///         Delay::new(Duration::from_millis(ms)).await;
    ///         ms
    ///     })
    ///     .bounded(2)
    ///     .in_order()
    ///     .for_each(|ms| {
    ///         written.push(ms);
    ///         Delay::new(Duration::from_millis(5)) // a slow write
    ///     })
    ///     .await;
    /// assert_eq!(written, [30, 10, 20]);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the running body, every child in flight
    /// (their permits returned) and the outputs waiting; inputs not yet
    /// admitted are never created.
    ///
    /// # Panics
    ///
    /// A panic in the body or in a child goes on out of `poll`; a child's
    /// after its siblings are dropped (unless the batch catches panics).
    pub fn for_each<F, Fut>(self, body: F) -> ForEach<Self, F, Fut>
    where
        F: FnMut(Output<I, D, P>) -> Fut,
        Fut: Future<Output = ()>,
    {
        ForEach::new(self, body)
    }

    /// [`Batch::try_for_each`](crate::Batch::try_for_each) in input order.
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let mut seen = Vec::new();
    /// let failed = (1..=5)
    ///     .map(|i| async move { i })
    ///     .bounded(2)
    ///     .in_order()
    ///     .try_for_each(|i| {
    ///         seen.push(i);
    ///         async move { if i == 3 { Err("three") } else { Ok(()) } }
    ///     })
    ///     .await;
    /// assert_eq!((failed, seen), (Err("three"), vec![1, 2, 3]));
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// The first `Err` a body returns: every child in flight is dropped
    /// (its permit returned) before it is handed out.
    ///
    /// # Cancel safety
    ///
    /// As for [`for_each`](InOrder::for_each).
    ///
    /// # Panics
    ///
    /// As for [`for_each`](InOrder::for_each).
    pub fn try_for_each<F, Fut, E>(self, body: F) -> TryForEach<Self, F, Fut>
    where
        F: FnMut(Output<I, D, P>) -> Fut,
        Fut: Future<Output = Result<(), E>>,
    {
        TryForEach::new(self, body)
    }

    /// [`Batch::fold`](crate::Batch::fold) in input order.
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let digits = (1..=4)
    ///     .map(|i| async move { i })
    ///     .bounded(2)
    ///     .in_order()
    ///     .fold(0, |number, digit| async move { number * 10 + digit })
    ///     .await;
    /// assert_eq!(digits, 1234);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`for_each`](InOrder::for_each); the accumulator is dropped too.
    ///
    /// # Panics
    ///
    /// As for [`for_each`](InOrder::for_each).
    pub fn fold<T, F, Fut>(self, init: T, body: F) -> Fold<Self, F, Fut, T>
    where
        F: FnMut(T, Output<I, D, P>) -> Fut,
        Fut: Future<Output = T>,
    {
        Fold::new(self, init, body)
    }

    /// [`Batch::forward`](crate::Batch::forward) in input order: found
    /// before `StreamExt::forward`.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let (sink, received) = futures::channel::mpsc::unbounded();
    /// (0..4).map(|i| async move { i * 10 }).bounded(2).in_order().forward(sink).await.unwrap();
    /// assert_eq!(received.collect::<Vec<_>>().await, [0, 10, 20, 30]);
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// The sink's first error: every child in flight is dropped (its permit
    /// returned) before it is handed out.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the sink, every child in flight (their
    /// permits returned) and the outputs waiting; the sink is not closed.
    ///
    /// # Panics
    ///
    /// A panic in the sink or in a child goes on out of `poll`; a child's
    /// after its siblings are dropped (unless the batch catches panics).
    pub fn forward<S>(self, sink: S) -> Forward<Self, S>
    where
        S: Sink<Output<I, D, P>>,
    {
        Forward::new(self, sink)
    }
}

impl<I: Input, D: Deadlines, P: Panics> Sealed for InOrder<I, D, P> {}

/// Input order: outputs that came early wait for the earlier ones as they
/// do for the stream, and those ready in order wait for the body; the
/// window counts from the first output the body has not had, so it holds
/// as it does for the stream.
impl<I: Input, D: Deadlines, P: Panics> Feed for InOrder<I, D, P> {
    type Item = Output<I, D, P>;

    fn into_feed(self, _: Token) -> Self {
        InOrder {
            batch: self.batch.collected(),
            ..self
        }
    }

    #[inline]
    fn begin_feed_poll(&mut self, _: Token) {
        self.batch.begin_poll();
    }

    #[inline]
    fn end_feed_pass(&mut self, _: Token) {
        self.batch.end_pass();
    }

    fn poll_feed(
        &mut self,
        waiting: &mut VecDeque<Self::Item>,
        cx: &mut Context<'_>,
        _: Token,
    ) -> Poll<bool> {
        // The outputs that came early and are next in order now (the
        // stream's last item made them so) go to the body first.
        let mut moved = false;
        while let Some(output) = self.early.pop_next() {
            waiting.push_back(output);
            moved = true;
        }
        if moved {
            return Poll::Ready(true);
        }
        let ceiling = self.ceiling_fed(waiting.len());
        let Some((index, output)) = ready!(self.batch.poll_finished_below(cx, ceiling)) else {
            // As for the stream: an output missing for good leaves those
            // after it no place in order.
            self.early.clear();
            return Poll::Ready(false);
        };
        if let Some(output) = self.early.place(index, output) {
            waiting.push_back(output);
            while let Some(next) = self.early.pop_next() {
                waiting.push_back(next);
            }
        }
        let ceiling = self.ceiling_fed(waiting.len());
        self.batch.refill_below(cx, ceiling);
        Poll::Ready(true)
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
