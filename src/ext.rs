//! The extension trait that starts every chain.

use crate::bounded::Bounded;
use crate::deadline::Deadline;
use crate::engine::Engine;
use crate::gather::Gather;
use crate::limit::Limit;
use core::future::Future;
use std::time::Duration;

/// Runs a collection of futures concurrently inside the current task.
///
/// Implemented for every [`IntoIterator`] of futures: a `Vec`, an array, or
/// a lazy `.map(..)` that builds each future only when it is admitted. Bring
/// it into scope with `use fanout::prelude::*;`.
///
/// A chain starts with optional [`bounded`](FanoutExt::bounded) and
/// [`with_deadline`](FanoutExt::with_deadline) (in either order) and ends
/// with [`gather`](FanoutExt::gather). Nothing is spawned: every child is
/// polled by the task that awaits the chain, so any executor works,
/// including [`futures::executor::block_on`].
pub trait FanoutExt: IntoIterator<Item: Future> + Sized {
    /// Runs every child at once and collects their outputs in input order,
    /// like Python's `asyncio.gather`.
    ///
    /// Outputs are values: a child returning a `Result` comes back as its
    /// `Result`, and one failure does not disturb the others (asyncio's
    /// `return_exceptions=True`).
    ///
    /// An empty input resolves at once to an empty `Vec`.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let calls = (0..4).map(|i| async move {
    ///     if i == 2 { Err(format!("call {i} failed")) } else { Ok(i * 10) }
    /// });
    /// let out = calls.gather().await;
    /// assert_eq!(out, [Ok(0), Ok(10), Err("call 2 failed".to_string()), Ok(30)]);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops every child in flight and the outputs
    /// collected so far. Inputs not yet admitted are never created.
    ///
    /// # Panics
    ///
    /// A panic in a child propagates out of the `poll` of the returned
    /// future; the other children are dropped when the future is.
    fn gather(self) -> Gather<Bounded<Self::IntoIter>, <Self::Item as Future>::Output> {
        Bounded::new(Engine::new(self.into_iter())).gather()
    }

    /// Lets at most `limit` children run at once, like an `asyncio.Semaphore`
    /// taken inside every task.
    ///
    /// Admission is lazy and in input order: the input iterator is pulled
    /// only when a slot is free, so at most `limit` children exist at any
    /// moment however long the input is, and a finished child's slot goes to
    /// the next input at once. Each child in flight holds one permit of an
    /// [`async_lock::Semaphore`] and returns it when it is dropped.
    ///
    /// The result is a [`Stream`](futures::Stream) of `(input index, output)`
    /// in completion order; end the chain with [`Bounded::gather`] for the
    /// outputs in input order.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// // A million inputs, but never more than 100 futures alive.
    /// let out = (0..1_000_000u32).map(|i| async move { i % 7 }).bounded(100).gather().await;
    /// assert_eq!(out.len(), 1_000_000);
    /// assert_eq!(out[8], 1);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the batch drops every child in flight and returns their
    /// permits; inputs not yet admitted are never created.
    ///
    /// # Panics
    ///
    /// Panics at the call if `limit` is 0: such a batch could never admit a
    /// child and would hang.
    ///
    /// ```should_panic
    /// use fanout::prelude::*;
    ///
    /// let _ = [async { 1 }].bounded(0); // panics: the limit must be at least 1
    /// ```
    #[track_caller]
    fn bounded(self, limit: usize) -> Bounded<Self::IntoIter> {
        Bounded::new(Engine::new(self.into_iter())).limited(Limit::own(limit))
    }

    /// Gives every child `deadline` to finish, like `asyncio.timeout` inside
    /// each task; a child that misses it is dropped at once and its output is
    /// `Err(Elapsed)`.
    ///
    /// The clock starts when the child is admitted (pulled from the input and
    /// first polled), not when the batch is built: with
    /// `.bounded(5).with_deadline(d)`, a child waiting for a slot is not
    /// using up its time. `.bounded(n).with_deadline(d)` and
    /// `.with_deadline(d).bounded(n)` mean the same.
    ///
    /// A child is always polled before its deadline is checked: if its
    /// output and its deadline are ready at the same poll, the output wins.
    /// A slot freed by a timed-out child goes to the next input at once.
    ///
    /// A zero deadline lets each child run its first poll only: those not
    /// ready then time out. A deadline too far away to represent (such as
    /// [`Duration::MAX`]) never passes.
    ///
    /// One timer serves the whole batch, whatever its size; a child that
    /// finishes before its deadline costs no timer work.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use fanout::Elapsed;
    /// use futures_timer::Delay;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let waits = [10, 5_000, 10].map(|ms| async move {
    ///     Delay::new(Duration::from_millis(ms)).await;
    ///     ms
    /// });
    /// let out = waits.with_deadline(Duration::from_millis(500)).gather().await;
    /// assert_eq!(out, [Ok(10), Err(Elapsed::Child), Ok(10)]);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`bounded`](FanoutExt::bounded): dropping the batch drops
    /// every child in flight, timed or not.
    ///
    /// # Panics
    ///
    /// Never panics; see above for zero and very large deadlines.
    fn with_deadline(self, deadline: Duration) -> Deadline<Self::IntoIter> {
        Deadline::new(Engine::new(self.into_iter()), deadline)
    }
}

impl<I> FanoutExt for I where I: IntoIterator<Item: Future> {}
