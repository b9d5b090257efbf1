//! `Deadline`: a batch whose children each have a deadline.

use crate::elapsed::Elapsed;
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
    /// Stream for the [`with_deadline`](crate::FanoutExt::with_deadline)
    /// method: yields `(input index, Ok(output))` as each child finishes, or
    /// `(input index, Err(Elapsed))` when a child runs out of time.
    ///
    /// `.bounded(n).with_deadline(d)` and `.with_deadline(d).bounded(n)` both
    /// build this type, with the same meaning.
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops every child in flight and returns their permits;
    /// inputs not yet admitted are never created. Between two items nothing
    /// is polled, but deadlines keep running: hold an item for long and the
    /// children in flight may time out without having been polled in the
    /// meantime. [`gather`](Deadline::gather) does not have that problem.
    #[must_use = "streams do nothing unless polled"]
    pub struct Deadline<I>
    where
        I: Iterator,
        I::Item: Future,
    {
        engine: Engine<I>,
    }
}

impl<I> Deadline<I>
where
    I: Iterator,
    I::Item: Future,
{
    pub(crate) fn new(mut engine: Engine<I>, deadline: Duration) -> Self {
        engine.set_deadline(deadline);
        Deadline { engine }
    }

    /// Limits how many children run at once; see
    /// [`FanoutExt::bounded`](crate::FanoutExt::bounded).
    ///
    /// # Panics
    ///
    /// If `limit` is 0.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=2)
    ///     .map(|i| async move { i })
    ///     .with_deadline(Duration::from_secs(1))
    ///     .bounded(1)
    ///     .gather()
    ///     .await;
    /// assert_eq!(out, [Ok(1), Ok(2)]);
    /// # });
    /// ```
    #[track_caller]
    pub fn bounded(mut self, limit: usize) -> Self {
        self.engine.set_limit(Limit::own(limit));
        self
    }

    /// Every outcome in input order; see
    /// [`FanoutExt::gather`](crate::FanoutExt::gather).
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = [async { 'a' }].with_deadline(Duration::from_secs(1)).gather().await;
    /// assert_eq!(out, [Ok('a')]);
    /// # });
    /// ```
    pub fn gather(self) -> Gather<Self, Result<<I::Item as Future>::Output, Elapsed>> {
        Gather::new(self)
    }
}

impl<I> Stream for Deadline<I>
where
    I: Iterator,
    I::Item: Future,
{
    type Item = (usize, Result<<I::Item as Future>::Output, Elapsed>);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.project().engine.poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.engine.size_hint()
    }
}

impl<I> FusedStream for Deadline<I>
where
    I: Iterator,
    I::Item: Future,
{
    fn is_terminated(&self) -> bool {
        self.engine.is_done()
    }
}

impl<I> fmt::Debug for Deadline<I>
where
    I: Iterator,
    I::Item: Future,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadline")
            .field("deadline", &self.engine.deadline())
            .field("limit", &self.engine.capacity())
            .field("admitted", &self.engine.admitted())
            .field("in_flight", &self.engine.in_flight())
            .finish_non_exhaustive()
    }
}
