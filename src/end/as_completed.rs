//! `AsCompleted`: outputs as they finish, with their input index.

use crate::end::drive::{Drive, Item};
use crate::end::feed::Feed;
use crate::end::for_each::{Fold, ForEach, TryForEach};
use crate::end::forward::Forward;
use crate::input::Input;
use crate::mode::{Deadlines, Output, Panics, Uncaught, Untimed};
use crate::sealed::{Sealed, Token};
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use futures::sink::Sink;
use futures::stream::{FusedStream, Stream};
use std::collections::VecDeque;

/// Stream for the [`as_completed`](crate::FanoutExt::as_completed) method:
/// `(input index, output)` in completion order.
///
/// `I`, `D` and `P` are those of the [`Batch`](crate::Batch) it ends.
///
/// # Cancel safety
///
/// Dropping it drops every child in flight and returns their permits;
/// inputs not yet admitted are never created.
///
/// The children are polled only inside `poll_next`. While the consumer
/// awaits something else between two items, no child makes progress, but
/// deadlines keep running; see
/// [`FanoutExt::as_completed`](crate::FanoutExt::as_completed).
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<I, D = Untimed, P = Uncaught>
where
    I: Input,
{
    batch: Drive<I, D, P>,
}

impl<I: Input, D, P> AsCompleted<I, D, P> {
    pub(crate) fn new(batch: Drive<I, D, P>) -> Self {
        AsCompleted { batch }
    }
}

/// The consumer's own body run beside the children: found before
/// `StreamExt`'s methods of the same names, which poll the stream (and so
/// the children) only while the body is idle. Each works as on the batch:
/// see [`Batch::for_each`](crate::Batch::for_each). Taken in the middle of
/// the stream, they go on from where it stands.
impl<I: Input, D: Deadlines, P: Panics> AsCompleted<I, D, P> {
    /// [`Batch::for_each`](crate::Batch::for_each) over the rest of this
    /// stream: the children keep running while the body awaits.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use futures::StreamExt; // its `for_each` is not the one called
    ///
    /// # futures::executor::block_on(async {
    /// let mut seen = Vec::new();
    /// (0..3)
    ///     .map(|i| async move { i })
    ///     .as_completed()
    ///     .for_each(|(_, i)| {
    ///         seen.push(i);
    ///         async {}
    ///     })
    ///     .await;
    /// seen.sort();
    /// assert_eq!(seen, [0, 1, 2]);
    /// # });
    /// ```
    pub fn for_each<F, Fut>(self, body: F) -> ForEach<Self, F, Fut>
    where
        F: FnMut(Item<I, D, P>) -> Fut,
        Fut: Future<Output = ()>,
    {
        ForEach::new(self, body)
    }

    /// [`Batch::try_for_each`](crate::Batch::try_for_each) over the rest of
    /// this stream.
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let failed = (1..=2)
    ///     .map(|i| async move { i })
    ///     .as_completed()
    ///     .try_for_each(|(_, i)| async move { if i == 2 { Err("two") } else { Ok(()) } })
    ///     .await;
    /// assert_eq!(failed, Err("two"));
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// The first `Err` a body returns, as for the batch's.
    pub fn try_for_each<F, Fut, E>(self, body: F) -> TryForEach<Self, F, Fut>
    where
        F: FnMut(Item<I, D, P>) -> Fut,
        Fut: Future<Output = Result<(), E>>,
    {
        TryForEach::new(self, body)
    }

    /// [`Batch::fold`](crate::Batch::fold) over the rest of this stream.
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let sum = (1..=3).map(|i| async move { i }).as_completed().fold(0, |sum, (_, i)| async move { sum + i }).await;
    /// assert_eq!(sum, 6);
    /// # });
    /// ```
    pub fn fold<T, F, Fut>(self, init: T, body: F) -> Fold<Self, F, Fut, T>
    where
        F: FnMut(T, Item<I, D, P>) -> Fut,
        Fut: Future<Output = T>,
    {
        Fold::new(self, init, body)
    }

    /// [`Batch::forward`](crate::Batch::forward) over the rest of this
    /// stream: found before `StreamExt::forward`.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let (sink, received) = futures::channel::mpsc::unbounded();
    /// (0..3).map(|i| async move { i }).as_completed().forward(sink).await.unwrap();
    /// assert_eq!(received.count().await, 3);
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// The sink's first error, as for the batch's.
    pub fn forward<S>(self, sink: S) -> Forward<Self, S>
    where
        S: Sink<Item<I, D, P>>,
    {
        Forward::new(self, sink)
    }
}

impl<I: Input, D, P> Sealed for AsCompleted<I, D, P> {}

/// Completion order: the outputs that finish while the body is busy wait
/// in the order they finished, and count against the batch's limit (beside
/// the running children they fill at most the limit, then admission waits);
/// an unbounded batch keeps admitting.
impl<I: Input, D: Deadlines, P: Panics> Feed for AsCompleted<I, D, P> {
    type Item = Item<I, D, P>;

    fn into_feed(self, _: Token) -> Self {
        AsCompleted {
            batch: self.batch.collected(),
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
        let ceiling = self.ceiling(waiting.len());
        let Some(item) = ready!(self.batch.poll_finished_below(cx, ceiling)) else {
            return Poll::Ready(false);
        };
        waiting.push_back(item);
        let ceiling = self.ceiling(waiting.len());
        self.batch.refill_below(cx, ceiling);
        Poll::Ready(true)
    }
}

impl<I: Input, D: Deadlines, P: Panics> AsCompleted<I, D, P> {
    /// The first input index that may not be admitted now, with `waiting`
    /// outputs waiting for the body: as many more as the limit has room for
    /// beside them and the running children, none once they fill it.
    fn ceiling(&self, waiting: usize) -> usize {
        let engine = self.batch.engine();
        match engine.config().limit.capacity() {
            Some(limit) => {
                let taken = waiting + engine.occupied();
                engine
                    .admitted()
                    .saturating_add(limit.saturating_sub(taken))
            }
            None => usize::MAX,
        }
    }
}

// Nothing is pinned: the children live in heap cells of their own.
impl<I: Input, D, P> Unpin for AsCompleted<I, D, P> {}

impl<I: Input, D: Deadlines, P: Panics> Stream for AsCompleted<I, D, P> {
    type Item = (usize, Output<I, D, P>);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().batch.poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.batch.size_hint()
    }
}

impl<I: Input, D: Deadlines, P: Panics> FusedStream for AsCompleted<I, D, P> {
    fn is_terminated(&self) -> bool {
        self.batch.is_done()
    }
}

impl<I: Input, D: Deadlines, P: Panics> fmt::Debug for AsCompleted<I, D, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("batch", &self.batch)
            .finish()
    }
}
