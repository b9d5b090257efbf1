//! `Gather`: every output of a batch, in input order.

use crate::end::budget::poll_collecting;
use crate::end::input_order::InputOrder;
use crate::end::poison::Poison;
use crate::mode::Passes;
use core::fmt;
use core::future::Future;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use futures::future::FusedFuture;
use futures::stream::Stream;
use pin_project_lite::pin_project;

pin_project! {
    /// Future for the [`gather`](crate::FanoutExt::gather) method: resolves to
    /// a `Vec` of every child's output, in input order.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Gather<S, T> {
        #[pin]
        batch: S,
        // `None` once the `Vec` has been handed out.
        outputs: Option<InputOrder<T>>,
        poison: Poison,
    }
}

impl<S, T> Gather<S, T>
where
    S: Stream<Item = (usize, T)>,
{
    /// `size_hint` is the batch's, before its first poll.
    pub(crate) fn new(batch: S, size_hint: (usize, Option<usize>)) -> Self {
        // Sized from the hint only when it is exact, and then no further
        // than a cap: an endless input's lower bound is `usize::MAX`, and a
        // hint is no promise anyway.
        Gather {
            batch,
            outputs: Some(InputOrder::expecting(size_hint)),
            poison: Poison::default(),
        }
    }
}

impl<S, T> Future for Gather<S, T>
where
    S: Stream<Item = (usize, T)> + Passes,
{
    type Output = Vec<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        this.poison.guard("Gather", || {
            let outputs = this
                .outputs
                .as_mut()
                .expect("`Gather` polled after it completed");
            ready!(poll_collecting(this.batch.as_mut(), cx, |batch, cx| {
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

impl<S, T> FusedFuture for Gather<S, T>
where
    S: Stream<Item = (usize, T)> + Passes,
{
    fn is_terminated(&self) -> bool {
        self.outputs.is_none()
    }
}

impl<S: fmt::Debug, T> fmt::Debug for Gather<S, T> {
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
