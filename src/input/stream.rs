//! `FromStream`: children from a stream of futures.

use crate::input::hook::NoHook;
use crate::input::source::{Input, IntoInput, Streamed};
use crate::sealed::{Sealed, SealedFor, Token};
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures::stream::Stream;

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
/// use fanout::Batch;
/// use fanout::input::FromStream;
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let jobs = futures::stream::iter(1..=3).map(|i| async move { i * 10 });
/// let batch: Batch<FromStream<_>> = jobs.bounded(2);
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

impl<S> Sealed for FromStream<S> {}

impl<S> Input for FromStream<S>
where
    S: Stream<Item: Future>,
{
    type Child = S::Item;
    type Hook = NoHook;
    type SlowPollReport = NoHook;

    #[inline]
    fn poll_pull(&mut self, cx: &mut Context<'_>, _: Token) -> Poll<Option<S::Item>> {
        self.stream.as_mut().poll_next(cx)
    }

    #[inline]
    fn size_hint(&self, _: Token) -> (usize, Option<usize>) {
        self.stream.size_hint()
    }
}

impl<S: fmt::Debug> fmt::Debug for FromStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FromStream").field(&self.stream).finish()
    }
}

impl<S> SealedFor<Streamed> for S where S: Stream<Item: Future> {}

impl<S> IntoInput<Streamed> for S
where
    S: Stream<Item: Future>,
{
    type Input = FromStream<S>;

    fn into_input(self, _: Token) -> Self::Input {
        FromStream::new(self)
    }
}
