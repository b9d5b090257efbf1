//! What a batch pulls its children from: an iterator of futures or a
//! stream of them, behind one trait the engine pulls through.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures::stream::Stream;

/// The input of a batch: where its children come from, one at a time, in
/// input order. [`FromIter`] and [`FromStream`] are the two kinds; the
/// configuration methods may wrap them ([`SlowPolled`](crate::SlowPolled),
/// [`Until`](crate::Until)).
///
/// It cannot be implemented or called outside this crate: every input is
/// pulled only by its batch, which is what keeps admission lazy.
pub trait Input {
    /// A child: the future pulled from the input.
    type Child: Future;

    /// The next child, if the input has one ready: `Pending` (a stream
    /// waiting for its next item) arranges a wake-up on `cx`'s waker.
    #[doc(hidden)]
    fn poll_pull(&mut self, cx: &mut Context<'_>) -> Poll<Option<Self::Child>>;

    /// Bounds on how many children are left, as
    /// [`Iterator::size_hint`]: a hint, never a promise.
    #[doc(hidden)]
    fn size_hint(&self) -> (usize, Option<usize>);

    /// Whether the input asks to end now, before anything more is pulled
    /// (a stop signal has resolved). While it does not, a wake-up for the
    /// moment it will is arranged on `cx`'s waker.
    #[doc(hidden)]
    #[inline]
    fn poll_stopped(&mut self, _cx: &mut Context<'_>) -> bool {
        false
    }
}

/// The input of a batch built from an [`IntoIterator`] of futures: a
/// `Vec`, an array, or a lazy `.map(..)` that builds each future only when
/// it is admitted.
///
/// ```
/// use fanout::prelude::*;
/// use fanout::{Bounded, FromIter};
///
/// # futures::executor::block_on(async {
/// let batch: Bounded<FromIter<_>> = (1..=3).map(|i| async move { i }).bounded(2);
/// assert_eq!(batch.gather().await, [1, 2, 3]);
/// # });
/// ```
pub struct FromIter<I> {
    iter: I,
}

impl<I> FromIter<I> {
    pub(crate) fn new(iter: I) -> Self {
        FromIter { iter }
    }
}

impl<I> Input for FromIter<I>
where
    I: Iterator<Item: Future>,
{
    type Child = I::Item;

    #[inline]
    fn poll_pull(&mut self, _cx: &mut Context<'_>) -> Poll<Option<I::Item>> {
        Poll::Ready(self.iter.next())
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.iter.size_hint()
    }
}

impl<I: fmt::Debug> fmt::Debug for FromIter<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FromIter").field(&self.iter).finish()
    }
}

/// The input of a batch built from a [`Stream`] of futures: a channel of
/// jobs mapped to futures, a paginated listing, rows from a cursor.
///
/// The stream is polled only when the batch could admit what it yields (a
/// slot is free, the rate allows a start), and while it is pending the
/// children already running go on. Its item's index is its place in the
/// stream.
///
/// The stream lives in a heap cell of its own, so any stream works, even
/// one that must stay pinned, and the batch stays `Unpin`.
///
/// ```
/// use fanout::prelude::*;
/// use fanout::{Bounded, FromStream};
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let jobs = futures::stream::iter(1..=3).map(|i| async move { i * 10 });
/// let batch: Bounded<FromStream<_>> = jobs.bounded(2);
/// assert_eq!(batch.gather().await, [10, 20, 30]);
/// # });
/// ```
pub struct FromStream<S> {
    stream: Pin<Box<S>>,
}

impl<S> FromStream<S> {
    pub(crate) fn new(stream: S) -> Self {
        FromStream {
            stream: Box::pin(stream),
        }
    }
}

impl<S> Input for FromStream<S>
where
    S: Stream<Item: Future>,
{
    type Child = S::Item;

    #[inline]
    fn poll_pull(&mut self, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        self.stream.as_mut().poll_next(cx)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.stream.size_hint()
    }
}

impl<S: fmt::Debug> fmt::Debug for FromStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FromStream").field(&self.stream).finish()
    }
}

/// What can start a chain: an [`IntoIterator`] of futures
/// (`IntoInput<Iterated>`) or a [`Stream`] of futures
/// (`IntoInput<Streamed>`). The marker only tells the two apart, so one
/// [`FanoutExt`](crate::FanoutExt) serves both; you never name it.
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
    message = "`{Self}` is not an iterator or a stream of futures",
    label = "a chain starts from an `IntoIterator` or a `Stream` whose items are futures",
    note = "map each item to a future first, e.g. `.map(|item| async move {{ .. }})`"
)]
pub trait IntoInput<Marker> {
    /// The input the batch pulls from.
    type Input: Input;

    /// Wraps `self` as a batch input.
    #[doc(hidden)]
    fn into_input(self) -> Self::Input;
}

/// The [`IntoInput`] marker of iterators.
#[derive(Debug)]
pub enum Iterated {}

/// The [`IntoInput`] marker of streams.
#[derive(Debug)]
pub enum Streamed {}

impl<I> IntoInput<Iterated> for I
where
    I: IntoIterator<Item: Future>,
{
    type Input = FromIter<I::IntoIter>;

    fn into_input(self) -> Self::Input {
        FromIter::new(self.into_iter())
    }
}

impl<S> IntoInput<Streamed> for S
where
    S: Stream<Item: Future>,
{
    type Input = FromStream<S>;

    fn into_input(self) -> Self::Input {
        FromStream::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inputs_show_what_they_wrap() {
        let children = || vec![core::future::ready(1)].into_iter();
        let from_iter = FromIter::new(children());
        assert_eq!(
            format!("{from_iter:?}"),
            "FromIter(IntoIter([Ready(Some(1))]))"
        );
        let from_stream = FromStream::new(futures::stream::iter(children()));
        assert_eq!(
            format!("{from_stream:?}"),
            "FromStream(Iter { iter: IntoIter([Ready(Some(1))]) })"
        );
    }
}
