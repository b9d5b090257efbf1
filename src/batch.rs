//! `Batch`: the ways to finish a chain, shared by every batch type.

use crate::as_completed::AsCompleted;
use crate::gather::Gather;
use crate::panicked::Panicked;
use crate::report::{Outcome, Reporting};
use crate::try_gather::TryGather;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures::stream::Stream;

/// A finished child of a batch that catches panics: its input index and its
/// output, or its panic.
pub(crate) type Caught<T> = (usize, Result<T, Panicked>);

pub(crate) mod sealed {
    /// Keeps the batch traits closed: only this crate's batch types
    /// implement them, so their rules can change without breaking anyone.
    pub trait Sealed {}
}

/// A configured batch: [`Bounded`](crate::Bounded),
/// [`Deadline`](crate::Deadline) or [`CatchPanics`](crate::CatchPanics).
///
/// Its methods end the chain; [`FanoutExt`](crate::FanoutExt) has the same
/// ones for an input that needs no configuration. Every batch is also a
/// [`Stream`] of `(input index, output)` in completion order. Brought into
/// scope by `use fanout::prelude::*;`.
pub trait Batch: Stream + Sized + sealed::Sealed {
    /// Every output, in input order; see
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
    fn gather<T>(self) -> Gather<Self, T>
    where
        Self: Stream<Item = (usize, T)>,
    {
        Gather::new(self)
    }

    /// Every success in input order, or the first failure; see
    /// [`FanoutExt::try_gather`](crate::FanoutExt::try_gather).
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=3).map(|i| async move { Ok::<_, String>(i) }).bounded(2).try_gather().await;
    /// assert_eq!(out, Ok(vec![1, 2, 3]));
    /// # });
    /// ```
    fn try_gather<T, E>(self) -> TryGather<Self, T, E>
    where
        Self: FailFast<T, E>,
    {
        TryGather::new(self)
    }

    /// Outputs as they finish, with their input index; see
    /// [`FanoutExt::as_completed`](crate::FanoutExt::as_completed).
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let mut done = (0..3).map(|i| async move { i }).bounded(2).as_completed();
    /// let mut seen = Vec::new();
    /// while let Some((index, output)) = done.next().await {
    ///     seen.push((index, output));
    /// }
    /// seen.sort();
    /// assert_eq!(seen, [(0, 0), (1, 1), (2, 2)]);
    /// # });
    /// ```
    // Named after asyncio's `as_completed`, which users look for.
    #[allow(clippy::wrong_self_convention)]
    fn as_completed(self) -> AsCompleted<Self> {
        AsCompleted::new(self)
    }

    /// Runs the batch and sorts every outcome into a
    /// [`Report`](crate::Report); see
    /// [`FanoutExt::report`](crate::FanoutExt::report).
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let calls = (0..4).map(|i| async move { if i == 1 { Err("no") } else { Ok(i) } });
    /// let report = calls.bounded(2).report().await;
    /// assert_eq!(report.to_string(), "3 ok, 1 failed, 0 timed out");
    /// # });
    /// ```
    fn report<T, E>(self) -> Reporting<Self, T, E>
    where
        Self: Outcomes<T, E>,
    {
        Reporting::new(self)
    }
}

/// A batch whose children return `Result<T, E>`, so that
/// [`try_gather`](Batch::try_gather) can stop at the first failure.
///
/// Implemented by [`Bounded`](crate::Bounded) for any `E`, and by
/// [`Deadline`](crate::Deadline) when `E: From<Elapsed>`, so a missed
/// deadline fails the batch with the caller's own error type.
pub trait FailFast<T, E>: Batch {
    /// The next child to finish, as a success or a failure.
    fn poll_next_result(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Result<T, E>)>>;
}

/// A batch whose children return `Result<T, E>`, so that every outcome can be
/// sorted into a [`Report`](crate::Report) by [`report`](Batch::report).
pub trait Outcomes<T, E>: Batch {
    /// The next child to finish, with what became of it.
    fn poll_next_outcome(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Outcome<T, E>)>>;
}

/// A batch that [`catch_panics`](crate::Bounded::catch_panics) can wrap:
/// [`Bounded`](crate::Bounded) and [`Deadline`](crate::Deadline).
pub trait Catchable: Batch {
    /// What each child's slot holds when it does not panic.
    type Output;

    /// The next child to finish; panics come back as values once
    /// [`catch_panics`](crate::Bounded::catch_panics) has been called.
    fn poll_next_caught(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Caught<Self::Output>>>;
}
