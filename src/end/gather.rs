//! `Gather`: every output of a batch, in input order.

use crate::end::budget::poll_collecting;
use crate::end::drive::Drive;
use crate::end::input_order::InputOrder;
use crate::end::poison::Poison;
use crate::input::Input;
use crate::mode::{Deadlines, Output, Panics, Uncaught, Untimed};
use core::fmt;
use core::future::Future;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use futures::future::FusedFuture;

/// Future for the [`gather`](crate::FanoutExt::gather) method: resolves to
/// a `Vec` of every child's output, in input order.
///
/// `I`, `D` and `P` are those of the [`Batch`](crate::Batch) it ends.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Gather<I, D = Untimed, P = Uncaught>
where
    I: Input,
    D: Deadlines,
    P: Panics,
{
    batch: Drive<I, D, P>,
    // `None` once the `Vec` has been handed out.
    outputs: Option<InputOrder<Output<I, D, P>>>,
    poison: Poison,
}

impl<I: Input, D: Deadlines, P: Panics> Gather<I, D, P> {
    pub(crate) fn new(batch: Drive<I, D, P>) -> Self {
        // Sized from the batch's size hint only when it is exact, and only
        // up to a cap (see `InputOrder::expecting`): an endless input's is
        // `usize::MAX`, and a hint is no promise anyway.
        let size_hint = batch.size_hint();
        Gather {
            batch: batch.collected(),
            outputs: Some(InputOrder::expecting(size_hint)),
            poison: Poison::default(),
        }
    }
}

// Nothing is pinned: the children live in heap cells of their own.
impl<I: Input, D: Deadlines, P: Panics> Unpin for Gather<I, D, P> {}

impl<I: Input, D: Deadlines, P: Panics> Future for Gather<I, D, P> {
    type Output = Vec<Output<I, D, P>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.poison.guard("Gather", || {
            let outputs = this
                .outputs
                .as_mut()
                .expect("`Gather` polled after it completed");
            ready!(poll_collecting(&mut this.batch, cx, |batch, cx| {
                Poll::Ready(match ready!(batch.poll_next(cx)) {
                    Some((index, output)) => {
                        outputs.insert(index, output);
                        ControlFlow::Continue(())
                    }
                    None => ControlFlow::Break(()),
                })
            }));
            let outputs = this.outputs.take().map(InputOrder::into_vec);
            Poll::Ready(outputs.unwrap_or_default())
        })
    }
}

impl<I: Input, D: Deadlines, P: Panics> FusedFuture for Gather<I, D, P> {
    fn is_terminated(&self) -> bool {
        self.outputs.is_none()
    }
}

impl<I: Input, D: Deadlines, P: Panics> fmt::Debug for Gather<I, D, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("batch", &self.batch)
            .field(
                "collected",
                &self.outputs.as_ref().map_or(0, InputOrder::len),
            )
            .finish()
    }
}
