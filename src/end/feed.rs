//! `Feed`: the ends whose order a consumer's body takes the outputs in.

use crate::sealed::{Sealed, Token};
use core::task::{Context, Poll};
use std::collections::VecDeque;

/// An end that feeds a consumer's body one output at a time, in its own
/// order, while the children keep running: [`AsCompleted`](super::AsCompleted)
/// (completion order, `(input index, output)`) and
/// [`InOrder`](super::InOrder) (input order, the output alone).
///
/// It is the `E` of [`ForEach`](super::ForEach),
/// [`TryForEach`](super::TryForEach), [`Fold`](super::Fold) and
/// [`Forward`](super::Forward): `ForEach<InOrder<I>, F, Fut>` is a
/// `for_each` over the outputs in input order. A batch's own
/// [`for_each`](crate::Batch::for_each) takes them as
/// [`AsCompleted`](super::AsCompleted) gives them.
///
/// Sealed: only fanout's two ordered ends implement it, and its methods are
/// fanout's own.
///
/// ```
/// use fanout::end::{ForEach, InOrder};
/// use fanout::prelude::*;
///
/// # futures::executor::block_on(async {
/// let mut seen = Vec::new();
/// let consuming: ForEach<InOrder<_>, _, _> = (1..=3)
///     .map(|i| async move { i })
///     .bounded(2)
///     .in_order()
///     .for_each(|output| {
///         seen.push(output);
///         async {}
///     });
/// consuming.await;
/// assert_eq!(seen, [1, 2, 3]);
/// # });
/// ```
pub trait Feed: Sealed {
    /// What the body gets for each output.
    type Item;

    /// Readies the end to feed a body: the ends that feed a body take many
    /// outputs in one poll, as the collecting ends do.
    #[doc(hidden)]
    fn into_feed(self, _: Token) -> Self;

    /// A poll of the consuming future begins.
    #[doc(hidden)]
    fn begin_feed_poll(&mut self, _: Token);

    /// The consuming future's poll is about to return `Pending`.
    #[doc(hidden)]
    fn end_feed_pass(&mut self, _: Token);

    /// Takes what the children have next into `waiting`, in the end's
    /// order, admitting only as far as the outputs already waiting leave
    /// room for: `Ready(true)` when something was taken in (it may still
    /// wait for an earlier output), `Ready(false)` once the batch has
    /// nothing left to give, `Pending` with a wake-up arranged.
    #[doc(hidden)]
    fn poll_feed(
        &mut self,
        waiting: &mut VecDeque<Self::Item>,
        cx: &mut Context<'_>,
        _: Token,
    ) -> Poll<bool>;
}
