//! `AsCompleted`: outputs as they finish, with their input index.

use core::fmt;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;

pin_project! {
    /// Stream for the [`as_completed`](crate::FanoutExt::as_completed)
    /// method: `(input index, output)` in completion order.
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops every child in flight and returns their permits;
    /// inputs not yet admitted are never created.
    ///
    /// The children are polled only inside `poll_next`. While the consumer
    /// awaits something else between two items, no child makes progress,
    /// but deadlines keep running; see
    /// [`FanoutExt::as_completed`](crate::FanoutExt::as_completed).
    #[must_use = "streams do nothing unless polled"]
    pub struct AsCompleted<S> {
        #[pin]
        batch: S,
    }
}

impl<S> AsCompleted<S> {
    pub(crate) fn new(batch: S) -> Self {
        AsCompleted { batch }
    }
}

impl<S: Stream> Stream for AsCompleted<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        self.project().batch.poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.batch.size_hint()
    }
}

impl<S: FusedStream> FusedStream for AsCompleted<S> {
    fn is_terminated(&self) -> bool {
        self.batch.is_terminated()
    }
}

impl<S: fmt::Debug> fmt::Debug for AsCompleted<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("batch", &self.batch)
            .finish()
    }
}
