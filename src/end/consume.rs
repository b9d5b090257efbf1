//! What the ends that take the consumer's own async body share: the
//! outputs waiting for the body, and one poll that drives the body and the
//! children side by side.

use crate::end::budget::OUTPUTS_PER_POLL;
use crate::end::drive::{Drive, Item};
use crate::input::Input;
use crate::mode::{Deadlines, Panics};
use core::future::Future;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::collections::VecDeque;

/// A batch feeding a consumer's body, one output at a time, in completion
/// order; the outputs that finish while the body is busy wait here.
///
/// Outputs waiting count against the batch's limit: while waiting outputs
/// and running children together fill it, no input is admitted, and the
/// running children keep running. So at most `limit` outputs ever wait, and
/// no child is admitted only to wait for a slow consumer past its deadline.
pub(crate) struct Feed<I: Input, D: Deadlines, P: Panics> {
    batch: Drive<I, D, P>,
    waiting: VecDeque<Item<I, D, P>>,
    /// The batch's limit, if it has one.
    limit: Option<usize>,
    /// The most outputs that ever waited at once.
    peak_waiting: usize,
}

impl<I: Input, D: Deadlines, P: Panics> Feed<I, D, P> {
    pub(crate) fn new(batch: Drive<I, D, P>) -> Self {
        let limit = batch.engine().config().limit.capacity();
        Feed {
            // Polled many times in one poll of the end, as a collecting end
            // polls its batch: deadlines are stamped once per poll.
            batch: batch.collected(),
            waiting: VecDeque::new(),
            limit,
            peak_waiting: 0,
        }
    }

    /// The next output for the body, if one waits.
    pub(crate) fn pop(&mut self) -> Option<Item<I, D, P>> {
        self.waiting.pop_front()
    }

    /// The first input index that may not be admitted now: as many more as
    /// the limit has room for beside the waiting outputs and the running
    /// children, none once they fill it.
    fn ceiling(&self) -> usize {
        let engine = self.batch.engine();
        match self.limit {
            Some(limit) => {
                let taken = self.waiting.len() + engine.occupied();
                engine
                    .admitted()
                    .saturating_add(limit.saturating_sub(taken))
            }
            None => usize::MAX,
        }
    }

    /// Takes the next output the children have, refilling its slot if the
    /// limit allows: `Ready(true)` when one was taken, `Ready(false)` once
    /// the batch has none left to give.
    pub(crate) fn poll_take(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        let ceiling = self.ceiling();
        let Some(item) = core::task::ready!(self.batch.poll_finished_below(cx, ceiling)) else {
            return Poll::Ready(false);
        };
        self.waiting.push_back(item);
        self.peak_waiting = self.peak_waiting.max(self.waiting.len());
        let ceiling = self.ceiling();
        self.batch.refill_below(cx, ceiling);
        Poll::Ready(true)
    }

    /// Whether an output waits for the consumer.
    pub(crate) fn has_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// A poll of the end begins (see [`Drive::begin_poll`]).
    pub(crate) fn begin_poll(&mut self) {
        self.batch.begin_poll();
    }

    /// The end's poll is about to return `Pending` (see
    /// [`Drive::end_pass`]).
    pub(crate) fn end_pass(&mut self) {
        self.batch.end_pass();
    }

    /// The most outputs that ever waited at once, for `Debug`.
    pub(crate) fn peak_waiting(&self) -> usize {
        self.peak_waiting
    }

    pub(crate) fn batch(&self) -> &Drive<I, D, P> {
        &self.batch
    }
}

/// One poll of an end that runs `body` (the consumer's current future, if
/// any) beside the children of `feed`.
///
/// The body goes first whenever it can: a new one is made by `start` from
/// `state` and the next waiting output as soon as the last has finished,
/// and `finished` says what its output means (go on, or stop with a
/// result), with `state` again (a fold's accumulator goes from one to the
/// other). A body that
/// returned `Pending` is not polled again in the same poll: its own
/// wake-up brings the next. Between, every output the children have is
/// taken into the feed, so they keep running (and finishing, and being
/// timed honestly) while the body awaits.
///
/// Returns `Ready(Break(r))` when `finished` stopped, `Ready(Continue(()))`
/// when the batch and the body are both done, and `Pending` with a wake-up
/// arranged (the body's own, the children's, or the task's after the
/// budget of outputs per poll).
pub(crate) fn poll_consumer<I, D, P, S, Fut, R>(
    feed: &mut Feed<I, D, P>,
    mut body: Pin<&mut Option<Fut>>,
    cx: &mut Context<'_>,
    state: &mut S,
    start: impl Fn(&mut S, Item<I, D, P>) -> Fut,
    finished: impl Fn(&mut S, Fut::Output) -> ControlFlow<R>,
) -> Poll<ControlFlow<R>>
where
    I: Input,
    D: Deadlines,
    P: Panics,
    Fut: Future,
{
    feed.batch.begin_poll();
    let mut body_waits = false;
    let mut batch_done = false;
    for _ in 0..OUTPUTS_PER_POLL {
        if !body_waits {
            if body.is_none() {
                if let Some(item) = feed.pop() {
                    body.set(Some(start(state, item)));
                }
            }
            if let Some(running) = body.as_mut().as_pin_mut() {
                match running.poll(cx) {
                    Poll::Ready(output) => {
                        body.set(None);
                        if let ControlFlow::Break(result) = finished(state, output) {
                            return Poll::Ready(ControlFlow::Break(result));
                        }
                        continue;
                    }
                    Poll::Pending => body_waits = true,
                }
            }
        }
        if batch_done {
            if body.is_none() && feed.waiting.is_empty() {
                return Poll::Ready(ControlFlow::Continue(()));
            }
            if body_waits {
                break;
            }
            continue;
        }
        match feed.poll_take(cx) {
            Poll::Ready(true) => {}
            Poll::Ready(false) => batch_done = true,
            Poll::Pending if body.is_none() && !feed.waiting.is_empty() => {}
            Poll::Pending => {
                feed.batch.end_pass();
                return Poll::Pending;
            }
        }
    }
    if !(body_waits && batch_done) {
        // The budget ran out with work left: let others run, then go on.
        // (Left the loop with the batch done and the body waiting: the
        // body's own wake-up brings the next poll.)
        cx.waker().wake_by_ref();
    }
    feed.batch.end_pass();
    Poll::Pending
}
