//! `TryGather`: every success in input order, or the first failure.

use crate::end::budget::poll_collecting;
use crate::end::input_order::InputOrder;
use crate::end::poison::Poison;
use crate::mode::FailFast;
use core::fmt;
use core::future::Future;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use futures::future::FusedFuture;
use pin_project_lite::pin_project;

pin_project! {
    /// Future for the [`try_gather`](crate::FanoutExt::try_gather) method:
    /// `Ok` with every success in input order, or the first `Err` to happen.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TryGather<S, T, E> {
        // Set to `None` at the first failure, which drops every live child
        // before the error is handed out.
        #[pin]
        batch: Option<S>,
        outputs: Option<InputOrder<T>>,
        poison: Poison,
        _error: core::marker::PhantomData<fn() -> E>,
    }
}

impl<S: FailFast<T, E>, T, E> TryGather<S, T, E> {
    /// `size_hint` is the batch's, before its first poll.
    pub(crate) fn new(batch: S, size_hint: (usize, Option<usize>)) -> Self {
        // Sized as in `Gather::new`.
        TryGather {
            batch: Some(batch),
            outputs: Some(InputOrder::expecting(size_hint)),
            poison: Poison::default(),
            _error: core::marker::PhantomData,
        }
    }
}

impl<S: FailFast<T, E>, T, E> Future for TryGather<S, T, E> {
    type Output = Result<Vec<T>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        this.poison.guard("TryGather", || {
            let outputs = this
                .outputs
                .as_mut()
                .expect("`TryGather` polled after it completed");
            let Some(batch) = this.batch.as_mut().as_pin_mut() else {
                unreachable!("the batch is only dropped when the future completes")
            };
            let ended = ready!(poll_collecting(batch, cx, |batch, cx| {
                Poll::Ready(match ready!(batch.poll_next_result(cx)) {
                    Some((index, Ok(output))) => {
                        outputs.insert(index, output);
                        ControlFlow::Continue(())
                    }
                    Some((_, Err(error))) => ControlFlow::Break(Err(error)),
                    None => ControlFlow::Break(Ok(())),
                })
            }));
            this.batch.set(None);
            // After a failure the outputs collected so far are dropped, the
            // children first.
            let outputs = this.outputs.take();
            Poll::Ready(ended.map(|()| outputs.map(InputOrder::into_vec).unwrap_or_default()))
        })
    }
}

impl<S: FailFast<T, E>, T, E> FusedFuture for TryGather<S, T, E> {
    fn is_terminated(&self) -> bool {
        self.outputs.is_none()
    }
}

impl<S: fmt::Debug, T, E> fmt::Debug for TryGather<S, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryGather")
            .field("batch", &self.batch)
            .field(
                "collected",
                &self.outputs.as_ref().map_or(0, InputOrder::len),
            )
            .finish()
    }
}
