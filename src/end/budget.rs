//! The budget of one poll of a future that collects a whole batch.

use crate::end::drive::Drive;
use crate::input::Input;
use core::ops::ControlFlow;
use core::task::{Context, Poll, ready};

/// How many outputs one poll of a collecting future ([`Gather`](crate::Gather),
/// [`TryGather`](crate::TryGather), [`Reporting`](crate::Reporting)) takes
/// before it hands control back to the executor. Without it a batch of
/// always-ready children would hold the thread until the whole batch is
/// done. [`InOrder`](crate::InOrder) takes in at most as many outputs that
/// came early in one poll, for the same reason.
pub(crate) const OUTPUTS_PER_POLL: usize = 256;

/// Takes one output after another with `take`, until it breaks with the
/// future's result or it has taken [`OUTPUTS_PER_POLL`]; then, the budget
/// spent, wakes the task and returns `Pending`, so the executor can run
/// something else before the next poll continues.
#[inline(always)]
pub(crate) fn poll_budgeted<R>(
    cx: &mut Context<'_>,
    mut take: impl FnMut(&mut Context<'_>) -> Poll<ControlFlow<R>>,
) -> Poll<R> {
    for _ in 0..OUTPUTS_PER_POLL {
        if let ControlFlow::Break(result) = ready!(take(cx)) {
            return Poll::Ready(result);
        }
    }
    cx.waker().wake_by_ref();
    Poll::Pending
}

/// [`poll_budgeted`] over a whole batch, as the collecting ends take it:
/// the batch is told the poll begins (its budget of starts is per poll of
/// the end), `take` gets the batch for each output, and when the poll
/// returns `Pending` the batch is told its pass has ended, so the deadlines
/// of the children admitted in it start before the task lets go.
#[inline(always)]
pub(crate) fn poll_collecting<I: Input, D, P, R>(
    batch: &mut Drive<I, D, P>,
    cx: &mut Context<'_>,
    mut take: impl FnMut(&mut Drive<I, D, P>, &mut Context<'_>) -> Poll<ControlFlow<R>>,
) -> Poll<R> {
    batch.begin_poll();
    let polled = poll_budgeted(cx, |cx| take(batch, cx));
    if polled.is_pending() {
        batch.end_pass();
    }
    polled
}

#[cfg(test)]
mod tests {
    use super::{OUTPUTS_PER_POLL, poll_budgeted};
    use core::ops::ControlFlow;
    use core::task::{Context, Poll};
    use futures::task::noop_waker;

    #[test]
    fn it_stops_at_the_result() {
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut taken = 0;
        let polled = poll_budgeted(&mut cx, |_| {
            taken += 1;
            Poll::Ready(if taken == 3 {
                ControlFlow::Break(taken)
            } else {
                ControlFlow::Continue(())
            })
        });
        assert_eq!(polled, Poll::Ready(3));
    }

    #[test]
    fn it_yields_once_the_budget_is_spent_and_when_an_output_is_pending() {
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut taken = 0;
        let polled = poll_budgeted(&mut cx, |_| {
            taken += 1;
            Poll::Ready(ControlFlow::<()>::Continue(()))
        });
        assert_eq!((polled, taken), (Poll::Pending, OUTPUTS_PER_POLL));
        let pending = poll_budgeted(&mut cx, |_| Poll::<ControlFlow<()>>::Pending);
        assert_eq!(pending, Poll::Pending);
    }
}
