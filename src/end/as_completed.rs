//! `AsCompleted`: outputs as they finish, with their input index.

use crate::end::drive::Drive;
use crate::input::Input;
use crate::mode::{Deadlines, Output, Panics, Uncaught, Untimed};
use core::fmt;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures::stream::{FusedStream, Stream};

/// Stream for the [`as_completed`](crate::FanoutExt::as_completed) method:
/// `(input index, output)` in completion order.
///
/// `I`, `D` and `P` are those of the [`Batch`](crate::Batch) it ends.
///
/// # Cancel safety
///
/// Dropping it drops every child in flight and returns their permits;
/// inputs not yet admitted are never created.
///
/// The children are polled only inside `poll_next`. While the consumer
/// awaits something else between two items, no child makes progress, but
/// deadlines keep running; see
/// [`FanoutExt::as_completed`](crate::FanoutExt::as_completed).
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<I, D = Untimed, P = Uncaught>
where
    I: Input,
{
    batch: Drive<I, D, P>,
}

impl<I: Input, D, P> AsCompleted<I, D, P> {
    pub(crate) fn new(batch: Drive<I, D, P>) -> Self {
        AsCompleted { batch }
    }
}

// Nothing is pinned: the children live in heap cells of their own.
impl<I: Input, D, P> Unpin for AsCompleted<I, D, P> {}

impl<I: Input, D: Deadlines, P: Panics> Stream for AsCompleted<I, D, P> {
    type Item = (usize, Output<I, D, P>);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().batch.poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.batch.size_hint()
    }
}

impl<I: Input, D: Deadlines, P: Panics> FusedStream for AsCompleted<I, D, P> {
    fn is_terminated(&self) -> bool {
        self.batch.is_done()
    }
}

impl<I: Input, D: Deadlines, P: Panics> fmt::Debug for AsCompleted<I, D, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("batch", &self.batch)
            .finish()
    }
}
