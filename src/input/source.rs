//! The traits every input implements, and the markers that tell
//! iterators from streams.

use crate::input::hook::{EachHook, NoHook, SlowPollReport};
use crate::sealed::{Sealed, SealedFor, Token};
use core::future::Future;
use core::task::{Context, Poll};

/// The input of a batch, the `I` of `Batch<I, D, P>`: where its children
/// come from, one at a time, in input order. [`FromIter`](super::FromIter)
/// and [`FromStream`](super::FromStream) are the two kinds;
/// [`until`](crate::FanoutExt::until) wraps either in an
/// [`Until`](super::Until).
///
/// Name it in bounds, to write code generic over batches (see the
/// [`mode`](crate::mode) docs). It is sealed: it cannot be implemented, nor
/// its methods called, outside this crate: every input is pulled only by
/// its batch, which is what keeps admission lazy.
pub trait Input: Sealed {
    /// A child: the future pulled from the input.
    type Child: Future;

    /// What the batch calls as each child finishes: [`NoHook`], or the
    /// closure given to [`on_each`](crate::FanoutExt::on_each).
    type Hook: EachHook<<Self::Child as Future>::Output>;

    /// What the batch calls for a poll of a child that held the task too
    /// long: [`NoHook`], or the report given to
    /// [`on_slow_poll`](crate::FanoutExt::on_slow_poll).
    type SlowPollReport: SlowPollReport;

    /// The next child, if the input has one ready: `Pending` (a stream
    /// waiting for its next item) arranges a wake-up on `cx`'s waker.
    #[doc(hidden)]
    fn poll_pull(&mut self, cx: &mut Context<'_>, _: Token) -> Poll<Option<Self::Child>>;

    /// Bounds on how many children are left, as
    /// [`Iterator::size_hint`]: a hint, never a promise.
    #[doc(hidden)]
    fn size_hint(&self, _: Token) -> (usize, Option<usize>);

    /// Whether the input asks to end now, before anything more is pulled
    /// (a stop signal has resolved). While it does not, a wake-up for the
    /// moment it will is arranged on `cx`'s waker.
    #[doc(hidden)]
    #[inline]
    fn poll_stopped(&mut self, _cx: &mut Context<'_>, _: Token) -> bool {
        false
    }
}

/// What each child of a batch over `I` resolves to.
pub(crate) type ChildOutput<I> = <<I as Input>::Child as Future>::Output;

/// What can start a chain: an [`IntoIterator`] of futures
/// (`IntoInput<Iterated>`) or a [`Stream`](futures::Stream) of futures
/// (`IntoInput<Streamed>`). The marker only tells the two apart, so one
/// [`FanoutExt`](crate::FanoutExt) serves both; you rarely name it.
///
/// Sealed, as [`Input`] is.
///
/// ```
/// use fanout::prelude::*;
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let from_iter = (1..=2).map(|i| async move { i }).gather().await;
/// let from_stream = futures::stream::iter(1..=2).map(|i| async move { i }).gather().await;
/// assert_eq!(from_iter, from_stream);
/// # });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot start a chain: it is not an iterator or a stream of futures",
    label = "a chain starts from an `IntoIterator` or a `Stream` whose items are futures",
    note = "if its items are values, map each to a future first, e.g. `.map(|item| async move {{ .. }})`",
    note = "if it is the end of a chain (`gather`, `try_gather`, `report`, `as_completed`, `in_order`, `for_each`, ..), the settings come before it: `.bounded(2).gather()`, not `.gather().bounded(2)`"
)]
pub trait IntoInput<Marker>: SealedFor<Marker> {
    /// The input the batch pulls from.
    type Input: Input<Hook = NoHook, SlowPollReport = NoHook>;

    /// Wraps `self` as a batch input.
    #[doc(hidden)]
    fn into_input(self, _: Token) -> Self::Input;
}

/// The [`IntoInput`] marker of iterators.
#[derive(Debug)]
pub enum Iterated {}

/// The [`IntoInput`] marker of streams.
#[derive(Debug)]
pub enum Streamed {}

/// The [`FanoutExt`](crate::FanoutExt) marker of a chain's ends
/// ([`Gather`](crate::end::Gather), [`AsCompleted`](crate::end::AsCompleted), ..).
/// No end implements [`IntoInput`]: they have the methods only so that a
/// setting written after an end is told that the end comes last.
///
/// ```compile_fail
/// use fanout::prelude::*;
///
/// // A setting after the end: write `.bounded(2).gather()`.
/// let _ = (1..=3).map(|i| async move { i }).gather().bounded(2);
/// ```
#[derive(Debug)]
pub enum Ended {}
