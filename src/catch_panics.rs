//! `CatchPanics`: a batch whose panicking children become values.

use crate::batch::{Batch, Catchable, Outcomes, sealed};
use crate::panicked::Panicked;
use crate::report::Outcome;
use core::fmt;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;

pin_project! {
    /// Stream for the [`catch_panics`](crate::FanoutExt::catch_panics)
    /// method: `(input index, Ok(output))`, or `(input index, Err(Panicked))`
    /// for a child that panicked.
    ///
    /// # Cancel safety
    ///
    /// As for the batch it wraps: dropping it drops every child in flight.
    #[must_use = "streams do nothing unless polled"]
    pub struct CatchPanics<S> {
        #[pin]
        batch: S,
    }
}

impl<S> CatchPanics<S> {
    /// `batch` must already have its engine set to catch panics.
    pub(crate) fn new(batch: S) -> Self {
        CatchPanics { batch }
    }
}

impl<S: Catchable> Stream for CatchPanics<S> {
    type Item = (usize, Result<S::Output, Panicked>);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.project().batch.poll_next_caught(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.batch.size_hint()
    }
}

impl<S: Catchable + FusedStream> FusedStream for CatchPanics<S> {
    fn is_terminated(&self) -> bool {
        self.batch.is_terminated()
    }
}

impl<S: Catchable> sealed::Sealed for CatchPanics<S> {}
impl<S: Catchable> Batch for CatchPanics<S> {}

impl<S: Catchable + Outcomes<T, E>, T, E> Outcomes<T, E> for CatchPanics<S> {
    fn poll_next_outcome(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Outcome<T, E>)>> {
        self.project().batch.poll_next_outcome(cx)
    }
}

impl<S: fmt::Debug> fmt::Debug for CatchPanics<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CatchPanics")
            .field("batch", &self.batch)
            .finish()
    }
}
