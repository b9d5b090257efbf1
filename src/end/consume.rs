//! What the ends that take the consumer's own async body share: the
//! outputs waiting for the body, and one poll that drives the body and the
//! children side by side.

use crate::end::body_wake::BodyWake;
use crate::end::budget::OUTPUTS_PER_POLL;
use crate::end::feed::Feed;
use crate::sealed::TOKEN;
use core::fmt;
use core::future::Future;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::collections::VecDeque;
use std::sync::Arc;

/// An ordered end feeding a consumer's body, one output at a time; the
/// outputs that finish while the body is busy wait here, in the end's
/// order.
///
/// How many may wait is the end's rule (see [`Feed::poll_feed`]): beside
/// the running children they fill at most the batch's limit in completion
/// order, at most `in_order`'s window in input order. While they fill it no
/// input is admitted and the running children keep running, so no child is
/// admitted only to wait for a slow consumer past its deadline.
pub(crate) struct Feeder<E: Feed> {
    end: E,
    waiting: VecDeque<E::Item>,
    /// The most outputs that ever waited at once.
    peak_waiting: usize,
    /// Whether the body was woken, and the task to wake (see [`BodyWake`]).
    body_wake: Arc<BodyWake>,
    /// The waker the body is polled with, `body_wake`'s.
    body_waker: Waker,
}

impl<E: Feed> Feeder<E> {
    pub(crate) fn new(end: E) -> Self {
        let body_wake = Arc::default();
        Feeder {
            end: end.into_feed(TOKEN),
            waiting: VecDeque::new(),
            peak_waiting: 0,
            body_waker: BodyWake::waker(&body_wake),
            body_wake,
        }
    }

    /// The next output for the body, if one waits.
    pub(crate) fn pop(&mut self) -> Option<E::Item> {
        self.waiting.pop_front()
    }

    /// Takes in what the children have next: `Ready(true)` when something
    /// was taken, `Ready(false)` once the batch has none left to give.
    pub(crate) fn poll_take(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        let taken = self.end.poll_feed(&mut self.waiting, cx, TOKEN);
        self.peak_waiting = self.peak_waiting.max(self.waiting.len());
        taken
    }

    /// Whether an output waits for the consumer.
    pub(crate) fn has_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// A poll of the consuming future begins.
    pub(crate) fn begin_poll(&mut self) {
        self.end.begin_feed_poll(TOKEN);
    }

    /// The consuming future's poll is about to return `Pending`.
    pub(crate) fn end_pass(&mut self) {
        self.end.end_feed_pass(TOKEN);
    }
}

/// The end, and the most outputs that ever waited at once.
impl<E: Feed + fmt::Debug> fmt::Debug for Feeder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Feeder")
            .field("end", &self.end)
            .field("waiting", &self.waiting.len())
            .field("peak_waiting", &self.peak_waiting)
            .finish()
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
/// returned `Pending` is polled again only after its own wake-up (see
/// [`BodyWake`]), never twice in one poll. Between, every output the children have is
/// taken into the feed, so they keep running (and finishing, and being
/// timed honestly) while the body awaits.
///
/// Returns `Ready(Break(r))` when `finished` stopped, `Ready(Continue(()))`
/// when the batch and the body are both done, and `Pending` with a wake-up
/// arranged (the body's own, the children's, or the task's after the
/// budget of outputs per poll).
pub(crate) fn poll_consumer<E, S, Fut, R>(
    feed: &mut Feeder<E>,
    mut body: Pin<&mut Option<Fut>>,
    cx: &mut Context<'_>,
    state: &mut S,
    start: impl Fn(&mut S, E::Item) -> Fut,
    finished: impl Fn(&mut S, Fut::Output) -> ControlFlow<R>,
) -> Poll<ControlFlow<R>>
where
    E: Feed,
    Fut: Future,
{
    feed.begin_poll();
    feed.body_wake.register(cx.waker());
    let mut body_waits = false;
    let mut batch_done = false;
    for _ in 0..OUTPUTS_PER_POLL {
        if !body_waits {
            if body.is_none() {
                if let Some(item) = feed.pop() {
                    body.set(Some(start(state, item)));
                    feed.body_wake.body_started();
                }
            }
            if let Some(running) = body.as_mut().as_pin_mut() {
                match feed.body_wake.poll_body(&feed.body_waker, running) {
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
            if body.is_none() && !feed.has_waiting() {
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
            Poll::Pending if body.is_none() && feed.has_waiting() => {}
            Poll::Pending => {
                feed.end_pass();
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
    feed.end_pass();
    Poll::Pending
}
