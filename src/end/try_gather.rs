//! `TryGather`: every success in input order, or the first failure.

use crate::end::budget::poll_collecting;
use crate::end::drive::Drive;
use crate::end::input_order::InputOrder;
use crate::end::poison::Poison;
use crate::engine::ChildOutput;
use crate::input::Input;
use crate::mode::{FailWith, Fallible, Uncaught, Untimed};
use core::fmt;
use core::future::Future;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use futures::future::FusedFuture;

/// What a child of a batch over `I` returns on success.
type Success<I> = <ChildOutput<I> as Fallible>::Ok;
/// What a child of a batch over `I` returns on failure.
type Failure<I> = <ChildOutput<I> as Fallible>::Err;

/// Future for the [`try_gather`](crate::FanoutExt::try_gather) method:
/// `Ok` with every success in input order, or the first `Err` to happen.
///
/// `I` and `D` are those of the [`Batch`](crate::Batch) it ends, whose
/// children return a `Result`.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct TryGather<I, D = Untimed>
where
    I: Input,
    ChildOutput<I>: Fallible,
    D: FailWith<Failure<I>>,
{
    // `None` after the first failure, which drops every live child before
    // the error is handed out.
    batch: Option<Drive<I, D, Uncaught>>,
    outputs: Option<InputOrder<Success<I>>>,
    poison: Poison,
}

impl<I, D> TryGather<I, D>
where
    I: Input,
    ChildOutput<I>: Fallible,
    D: FailWith<Failure<I>>,
{
    pub(crate) fn new(batch: Drive<I, D, Uncaught>) -> Self {
        // Sized as in `Gather::new`.
        let size_hint = batch.size_hint();
        TryGather {
            batch: Some(batch.collected()),
            outputs: Some(InputOrder::expecting(size_hint)),
            poison: Poison::default(),
        }
    }
}

// Nothing is pinned: the children live in heap cells of their own.
impl<I, D> Unpin for TryGather<I, D>
where
    I: Input,
    ChildOutput<I>: Fallible,
    D: FailWith<Failure<I>>,
{
}

impl<I, D> Future for TryGather<I, D>
where
    I: Input,
    ChildOutput<I>: Fallible,
    D: FailWith<Failure<I>>,
{
    type Output = Result<Vec<Success<I>>, Failure<I>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.poison.guard("TryGather", || {
            let outputs = this
                .outputs
                .as_mut()
                .expect("`TryGather` polled after it completed");
            let Some(batch) = this.batch.as_mut() else {
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
            this.batch = None;
            // After a failure the outputs collected so far are dropped, the
            // children first.
            let outputs = this.outputs.take();
            Poll::Ready(ended.map(|()| outputs.map(InputOrder::into_vec).unwrap_or_default()))
        })
    }
}

impl<I, D> FusedFuture for TryGather<I, D>
where
    I: Input,
    ChildOutput<I>: Fallible,
    D: FailWith<Failure<I>>,
{
    fn is_terminated(&self) -> bool {
        self.outputs.is_none()
    }
}

impl<I, D> fmt::Debug for TryGather<I, D>
where
    I: Input,
    ChildOutput<I>: Fallible,
    D: FailWith<Failure<I>>,
{
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
