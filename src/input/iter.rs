//! `FromIter`: children from an iterator of futures.

use crate::input::hook::NoHook;
use crate::input::source::{Input, IntoInput, Iterated};
use crate::sealed::{Sealed, SealedFor, Token};
use core::fmt;
use core::future::Future;
use core::task::{Context, Poll};

/// The input of a batch built from an [`IntoIterator`] of futures: a
/// `Vec`, an array, or a lazy `.map(..)` that builds each future only when
/// it is admitted.
///
/// ```
/// use fanout::prelude::*;
/// use fanout::Batch;
/// use fanout::input::FromIter;
///
/// # futures::executor::block_on(async {
/// let batch: Batch<FromIter<_>> = (1..=3).map(|i| async move { i }).bounded(2);
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

impl<I> Sealed for FromIter<I> {}

impl<I> Input for FromIter<I>
where
    I: Iterator<Item: Future>,
{
    type Child = I::Item;
    type Hook = NoHook;
    type SlowPollReport = NoHook;

    #[inline]
    fn poll_pull(&mut self, _cx: &mut Context<'_>, _: Token) -> Poll<Option<I::Item>> {
        Poll::Ready(self.iter.next())
    }

    #[inline]
    fn size_hint(&self, _: Token) -> (usize, Option<usize>) {
        self.iter.size_hint()
    }
}

impl<I: fmt::Debug> fmt::Debug for FromIter<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FromIter").field(&self.iter).finish()
    }
}

impl<I> SealedFor<Iterated> for I where I: IntoIterator<Item: Future> {}

impl<I> IntoInput<Iterated> for I
where
    I: IntoIterator<Item: Future>,
{
    type Input = FromIter<I::IntoIter>;

    fn into_input(self, _: Token) -> Self::Input {
        FromIter::new(self.into_iter())
    }
}
