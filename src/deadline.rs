//! `Deadline`: a batch with a deadline per child, for the whole batch, or
//! both.

use crate::batch::{Batch, Catchable, Caught, FailFast, Outcomes, sealed};
use crate::catch_panics::CatchPanics;
use crate::done::Done;
use crate::elapsed::Elapsed;
use crate::engine::{Engine, Lost};
use crate::limit::Limit;
use crate::limiter::Limiter;
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

/// A child's output under a deadline, or which deadline it missed.
type Timed<T> = Result<T, Elapsed>;

/// What each child of a `Deadline<I>` batch yields.
type TimedOutput<I> = Timed<<<I as Iterator>::Item as Future>::Output>;

pin_project! {
    /// Stream for the [`with_deadline`](crate::FanoutExt::with_deadline) and
    /// [`within`](crate::FanoutExt::within) methods: yields
    /// `(input index, Ok(output))` as each child finishes, or
    /// `(input index, Err(Elapsed))` when a child runs out of time.
    ///
    /// `.bounded(n).with_deadline(d)` and `.with_deadline(d).bounded(n)` both
    /// build this type, with the same meaning.
    ///
    /// Its configuration methods panic if called after the batch has been
    /// polled: limits and deadlines are set before the first child runs.
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops every child in flight and returns their permits;
    /// inputs not yet admitted are never created. Between two items nothing
    /// is polled, but deadlines keep running: hold an item for long and the
    /// children in flight may time out without having been polled in the
    /// meantime. [`gather`](Batch::gather) does not have that problem.
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
    /// A batch whose outputs are `Result<T, Elapsed>`; the caller sets the
    /// deadlines.
    pub(crate) fn new(engine: Engine<I>) -> Self {
        Deadline { engine }
    }

    /// Gives each child a deadline, counted from its admission; see
    /// [`FanoutExt::with_deadline`](crate::FanoutExt::with_deadline).
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = [async { 1 }]
    ///     .within(Duration::from_secs(10))
    ///     .with_deadline(Duration::from_secs(1))
    ///     .gather()
    ///     .await;
    /// assert_eq!(out, [Ok(1)]);
    /// # });
    /// ```
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.engine.set_deadline(deadline);
        self
    }

    /// Gives the whole batch a deadline, counted from its first poll; see
    /// [`FanoutExt::within`](crate::FanoutExt::within).
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = [async { 1 }]
    ///     .with_deadline(Duration::from_secs(1))
    ///     .within(Duration::from_secs(10))
    ///     .gather()
    ///     .await;
    /// assert_eq!(out, [Ok(1)]);
    /// # });
    /// ```
    pub fn within(mut self, deadline: Duration) -> Self {
        self.engine.set_within(deadline);
        self
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

    /// Shares a cap with other batches; see
    /// [`FanoutExt::bounded_by`](crate::FanoutExt::bounded_by).
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let limiter = fanout::Limiter::new(2);
    /// let out = (1..=3)
    ///     .map(|i| async move { i })
    ///     .with_deadline(Duration::from_secs(1))
    ///     .bounded_by(&limiter)
    ///     .gather()
    ///     .await;
    /// assert_eq!(out, [Ok(1), Ok(2), Ok(3)]);
    /// # });
    /// ```
    pub fn bounded_by(mut self, limiter: &Limiter) -> Self {
        self.engine.set_limit(Limit::Shared(limiter.clone()));
        self
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
    ///     .with_deadline(Duration::from_secs(1))
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
    ///     .with_deadline(Duration::from_secs(1))
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
    ) -> Deadline<SlowPolled<I>> {
        Deadline::new(self.engine.time_polls(threshold, report))
    }

    /// Calls `hook(input_index, done)` as each child finishes; see
    /// [`FanoutExt::on_each`](crate::FanoutExt::on_each).
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=3)
    ///     .map(|i| async move { i })
    ///     .with_deadline(Duration::from_secs(1))
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
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = [async { panic!("no") }]
    ///     .with_deadline(Duration::from_secs(1))
    ///     .catch_panics()
    ///     .gather()
    ///     .await;
    /// assert_eq!(out[0].as_ref().map_err(|p| p.message()).err(), Some(Some("no")));
    /// # });
    /// ```
    pub fn catch_panics(mut self) -> CatchPanics<Self> {
        self.engine.set_catch_panics();
        CatchPanics::new(self)
    }

    fn poll_engine(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Caught<TimedOutput<I>>>> {
        self.project().engine.poll_next(cx).map(|finished| {
            finished.map(|(index, result)| match result {
                Ok(output) => (index, Ok(Ok(output))),
                Err(Lost::Elapsed(elapsed)) => (index, Ok(Err(elapsed))),
                Err(Lost::Panicked(panicked)) => (index, Err(panicked)),
            })
        })
    }
}

impl<I> Stream for Deadline<I>
where
    I: Iterator,
    I::Item: Future,
{
    type Item = (usize, Timed<<I::Item as Future>::Output>);

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

impl<I> FusedStream for Deadline<I>
where
    I: Iterator,
    I::Item: Future,
{
    fn is_terminated(&self) -> bool {
        self.engine.is_done()
    }
}

impl<I> sealed::Sealed for Deadline<I>
where
    I: Iterator,
    I::Item: Future,
{
}

impl<I> Batch for Deadline<I>
where
    I: Iterator,
    I::Item: Future,
{
}

impl<I> Catchable for Deadline<I>
where
    I: Iterator,
    I::Item: Future,
{
    type Output = Timed<<I::Item as Future>::Output>;

    fn poll_next_caught(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Caught<Self::Output>>> {
        self.poll_engine(cx)
    }
}

impl<I, T, E> FailFast<T, E> for Deadline<I>
where
    I: Iterator,
    I::Item: Future<Output = Result<T, E>>,
    E: From<Elapsed>,
{
    fn poll_next_result(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Result<T, E>)>> {
        self.project()
            .engine
            .poll_fail_fast(cx, |result| match result {
                Ok(output) => output,
                Err(Lost::Elapsed(elapsed)) => Err(E::from(elapsed)),
                Err(Lost::Panicked(panicked)) => panicked.resume(),
            })
    }
}

impl<I, T, E> Outcomes<T, E> for Deadline<I>
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

impl<I> fmt::Debug for Deadline<I>
where
    I: Iterator,
    I::Item: Future,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadline")
            .field("deadline", &self.engine.deadline())
            .field("within", &self.engine.within())
            .field("limit", &self.engine.capacity())
            .field("admitted", &self.engine.admitted())
            .field("in_flight", &self.engine.in_flight())
            .finish_non_exhaustive()
    }
}
