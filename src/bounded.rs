//! `Bounded`: a batch with a limit on how many children run at once.

use crate::deadline::Deadline;
use crate::engine::Engine;
use crate::gather::Gather;
use crate::limit::Limit;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;
use std::time::Duration;

pin_project! {
    /// Stream for the [`bounded`](crate::FanoutExt::bounded) method: yields
    /// `(input index, output)` as each child finishes, with at most the
    /// limit in flight.
    ///
    /// Finish the chain with [`gather`](Bounded::gather) for the outputs in
    /// input order, or add [`with_deadline`](Bounded::with_deadline).
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops every child in flight and returns their permits;
    /// inputs not yet admitted are never created. Between two items nothing
    /// is polled: while you hold an item, the children in flight wait.
    #[must_use = "streams do nothing unless polled"]
    pub struct Bounded<I>
    where
        I: Iterator,
        I::Item: Future,
    {
        // The engine needs no pinning: children live in their own
        // `FuturesUnordered` allocations and the source is only iterated.
        engine: Engine<I>,
    }
}

impl<I> Bounded<I>
where
    I: Iterator,
    I::Item: Future,
{
    pub(crate) fn new(engine: Engine<I>) -> Self {
        Bounded { engine }
    }

    /// Gives each child a deadline, counted from its admission; see
    /// [`FanoutExt::with_deadline`](crate::FanoutExt::with_deadline).
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=2)
    ///     .map(|i| async move { i })
    ///     .bounded(1)
    ///     .with_deadline(Duration::from_secs(1))
    ///     .gather()
    ///     .await;
    /// assert_eq!(out, [Ok(1), Ok(2)]);
    /// # });
    /// ```
    pub fn with_deadline(self, deadline: Duration) -> Deadline<I> {
        Deadline::new(self.engine, deadline)
    }

    /// Every output in input order; see
    /// [`FanoutExt::gather`](crate::FanoutExt::gather).
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=4).map(|i| async move { i * 10 }).bounded(2).gather().await;
    /// assert_eq!(out, [10, 20, 30, 40]);
    /// # });
    /// ```
    pub fn gather(self) -> Gather<Self, <I::Item as Future>::Output> {
        Gather::new(self)
    }

    pub(crate) fn limited(mut self, limit: Limit) -> Self {
        self.engine.set_limit(limit);
        self
    }
}

impl<I> Stream for Bounded<I>
where
    I: Iterator,
    I::Item: Future,
{
    type Item = (usize, <I::Item as Future>::Output);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.project().engine.poll_next(cx).map(|finished| {
            finished.map(|(index, outcome)| match outcome {
                Ok(output) => (index, output),
                Err(elapsed) => unreachable!("a batch without a deadline reported {elapsed}"),
            })
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.engine.size_hint()
    }
}

impl<I> FusedStream for Bounded<I>
where
    I: Iterator,
    I::Item: Future,
{
    fn is_terminated(&self) -> bool {
        self.engine.is_done()
    }
}

impl<I> fmt::Debug for Bounded<I>
where
    I: Iterator,
    I::Item: Future,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bounded")
            .field("limit", &self.engine.capacity())
            .field("admitted", &self.engine.admitted())
            .field("in_flight", &self.engine.in_flight())
            .finish_non_exhaustive()
    }
}
