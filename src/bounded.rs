//! `Bounded`: a batch with a limit on how many children run at once.

use crate::batch::{Batch, Catchable, Caught, FailFast, Outcomes, sealed};
use crate::catch_panics::CatchPanics;
use crate::deadline::Deadline;
use crate::done::Done;
use crate::engine::{Engine, Lost};
use crate::limit::Limit;
use crate::rate::Rate;
use crate::report::Outcome;
use crate::slow_poll::SlowPolled;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;
use std::time::Duration;

pin_project! {
    /// Stream for the [`bounded`](crate::FanoutExt::bounded) and
    /// [`bounded_by`](crate::FanoutExt::bounded_by) methods: yields
    /// `(input index, output)` as each child finishes, with at most the
    /// limit in flight.
    ///
    /// End the chain with a [`Batch`] method such as
    /// [`gather`](Batch::gather), or add deadlines with
    /// [`with_deadline`](Bounded::with_deadline) and
    /// [`within`](Bounded::within).
    ///
    /// Its configuration methods panic if called after the batch has been
    /// polled: limits and deadlines are set before the first child runs.
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

    pub(crate) fn limited(mut self, limit: Limit) -> Self {
        self.engine.set_limit(limit);
        self
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
        Deadline::new(self.engine).with_deadline(deadline)
    }

    /// Gives the whole batch a deadline, counted from its first poll; see
    /// [`FanoutExt::within`](crate::FanoutExt::within).
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=2).map(|i| async move { i }).bounded(1).within(Duration::from_secs(5)).gather().await;
    /// assert_eq!(out, [Ok(1), Ok(2)]);
    /// # });
    /// ```
    pub fn within(self, deadline: Duration) -> Deadline<I> {
        Deadline::new(self.engine).within(deadline)
    }

    /// Caps how often children start; see
    /// [`FanoutExt::rate`](crate::FanoutExt::rate).
    ///
    /// # Panics
    ///
    /// If `max` is 0, `per` is zero, or `per` is too long to measure.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=3)
    ///     .map(|i| async move { i })
    ///     .bounded(2)
    ///     .rate(2, Duration::from_millis(20))
    ///     .gather()
    ///     .await;
    /// assert_eq!(out.len(), 3);
    /// # });
    /// ```
    #[track_caller]
    pub fn rate(mut self, max: usize, per: Duration) -> Self {
        self.engine.set_rate(Rate::new(max, per));
        self
    }

    /// Reports every poll of a child that holds the task longer than
    /// `threshold`; see [`FanoutExt::on_slow_poll`](crate::FanoutExt::on_slow_poll).
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=3)
    ///     .map(|i| async move { i })
    ///     .bounded(2)
    ///     .on_slow_poll(Duration::from_millis(100), |index, took| {
    ///         eprintln!("input {index} held the task for {took:?}");
    ///     })
    ///     .gather()
    ///     .await;
    /// assert_eq!(out.len(), 3);
    /// # });
    /// ```
    #[track_caller]
    pub fn on_slow_poll(
        self,
        threshold: Duration,
        report: impl Fn(usize, Duration) + Send + Sync + 'static,
    ) -> Bounded<SlowPolled<I>> {
        Bounded::new(self.engine.time_polls(threshold, report))
    }

    /// Calls `hook(input_index, done)` as each child finishes; see
    /// [`FanoutExt::on_each`](crate::FanoutExt::on_each).
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=3)
    ///     .map(|i| async move { i })
    ///     .bounded(2)
    ///     .on_each(|index, done| eprintln!("input {index}: {done:?}"))
    ///     .gather()
    ///     .await;
    /// assert_eq!(out.len(), 3);
    /// # });
    /// ```
    #[track_caller]
    pub fn on_each(
        mut self,
        hook: impl FnMut(usize, Done<'_, <I::Item as Future>::Output>) + Send + 'static,
    ) -> Self {
        self.engine.set_on_each(hook);
        self
    }

    /// Turns a panicking child into a value in its slot; see
    /// [`FanoutExt::catch_panics`](crate::FanoutExt::catch_panics).
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let out = [async { panic!("no") }].bounded(1).catch_panics().gather().await;
    /// assert_eq!(out[0].as_ref().map_err(|p| p.message()), Err(Some("no")));
    /// # });
    /// ```
    pub fn catch_panics(mut self) -> CatchPanics<Self> {
        self.engine.set_catch_panics();
        CatchPanics::new(self)
    }

    /// The engine's next finished child, with a missed deadline impossible
    /// here: a batch with a deadline is a [`Deadline`].
    fn poll_engine(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Caught<<I::Item as Future>::Output>>> {
        self.project().engine.poll_next(cx).map(|finished| {
            finished.map(|(index, result)| match result {
                Ok(output) => (index, Ok(output)),
                Err(Lost::Panicked(panicked)) => (index, Err(panicked)),
                Err(Lost::Elapsed(elapsed)) => {
                    unreachable!("a batch without a deadline reported {elapsed}")
                }
            })
        })
    }
}

impl<I> Stream for Bounded<I>
where
    I: Iterator,
    I::Item: Future,
{
    type Item = (usize, <I::Item as Future>::Output);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_engine(cx).map(|finished| {
            finished
                .map(|(index, result)| (index, result.unwrap_or_else(|panicked| panicked.resume())))
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

impl<I> sealed::Sealed for Bounded<I>
where
    I: Iterator,
    I::Item: Future,
{
}

impl<I> Batch for Bounded<I>
where
    I: Iterator,
    I::Item: Future,
{
}

impl<I> Catchable for Bounded<I>
where
    I: Iterator,
    I::Item: Future,
{
    type Output = <I::Item as Future>::Output;

    fn poll_next_caught(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Caught<Self::Output>>> {
        self.poll_engine(cx)
    }
}

impl<I, T, E> FailFast<T, E> for Bounded<I>
where
    I: Iterator,
    I::Item: Future<Output = Result<T, E>>,
{
    fn poll_next_result(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Result<T, E>)>> {
        self.project()
            .engine
            .poll_fail_fast(cx, |result| match result {
                Ok(output) => output,
                Err(Lost::Panicked(panicked)) => panicked.resume(),
                Err(Lost::Elapsed(elapsed)) => {
                    unreachable!("a batch without a deadline reported {elapsed}")
                }
            })
    }
}

impl<I, T, E> Outcomes<T, E> for Bounded<I>
where
    I: Iterator,
    I::Item: Future<Output = Result<T, E>>,
{
    fn poll_next_outcome(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Outcome<T, E>)>> {
        let finished = self.project().engine.poll_next(cx);
        finished
            .map(|finished| finished.map(|(index, result)| (index, Outcome::from_engine(result))))
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
