//! Catching children that block: every poll of every child timed, and the
//! slow ones reported.
//!
//! The timing wraps each child as it is pulled from the input, so a batch
//! without [`on_slow_poll`](crate::FanoutExt::on_slow_poll) runs exactly the
//! code it would run if the feature did not exist.

use crate::engine::clock::Instant;
use crate::input::Input;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use pin_project_lite::pin_project;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The threshold and the report, shared by every child of the batch.
pub(crate) struct SlowPolls {
    threshold: Duration,
    report: Box<dyn Fn(usize, Duration) + Send + Sync>,
    /// Set when a later `on_slow_poll` on the same batch replaced this one
    /// (the last one wins): its children then poll untimed. Only ever set
    /// before the batch's first poll.
    superseded: AtomicBool,
}

impl SlowPolls {
    pub(crate) fn new(
        threshold: Duration,
        report: impl Fn(usize, Duration) + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(SlowPolls {
            threshold,
            report: Box::new(report),
            superseded: AtomicBool::new(false),
        })
    }

    /// A later `on_slow_poll` takes over: this one reports nothing.
    pub(crate) fn supersede(&self) {
        self.superseded.store(true, Ordering::Relaxed);
    }
}

/// The input of a batch built with
/// [`on_slow_poll`](crate::FanoutExt::on_slow_poll): the same children, in
/// the same order, each wrapped in a [`TimedPolls`].
///
/// ```
/// use fanout::prelude::*;
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let batch = (1..=2).map(|i| async move { i }).on_slow_poll(Duration::from_millis(10), |_, _| {});
/// assert_eq!(batch.gather().await, [1, 2]);
/// # });
/// ```
pub struct SlowPolled<I> {
    input: I,
    /// The input index of the next child pulled: children are pulled in
    /// input order, one at a time, so counting pulls numbers them.
    next_index: usize,
    slow_polls: Arc<SlowPolls>,
}

impl<I> SlowPolled<I> {
    pub(crate) fn new(input: I, slow_polls: Arc<SlowPolls>) -> Self {
        SlowPolled {
            input,
            next_index: 0,
            slow_polls,
        }
    }
}

impl<I> Input for SlowPolled<I>
where
    I: Input,
{
    type Child = TimedPolls<I::Child>;

    fn poll_pull(&mut self, cx: &mut Context<'_>) -> Poll<Option<Self::Child>> {
        let Some(child) = ready!(self.input.poll_pull(cx)) else {
            return Poll::Ready(None);
        };
        let index = self.next_index;
        self.next_index += 1;
        Poll::Ready(Some(TimedPolls {
            child,
            index,
            slow_polls: self.slow_polls.clone(),
        }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.input.size_hint()
    }

    fn poll_stopped(&mut self, cx: &mut Context<'_>) -> bool {
        self.input.poll_stopped(cx)
    }
}

impl<I: fmt::Debug> fmt::Debug for SlowPolled<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlowPolled")
            .field("input", &self.input)
            .field("threshold", &self.slow_polls.threshold)
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// One child of a batch built with
    /// [`on_slow_poll`](crate::FanoutExt::on_slow_poll): resolves to the
    /// child's output, timing each of its polls and reporting the slow ones.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// // This batch's children are `TimedPolls`, each resolving to the
    /// // output of the child it wraps.
    /// let batch = [async { 7 }].on_slow_poll(Duration::from_secs(1), |_, _| {});
    /// assert_eq!(batch.gather().await, [7]);
    /// # });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TimedPolls<F> {
        #[pin]
        child: F,
        index: usize,
        slow_polls: Arc<SlowPolls>,
    }
}

impl<F: Future> Future for TimedPolls<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if this.slow_polls.superseded.load(Ordering::Relaxed) {
            return this.child.poll(cx);
        }
        let start = Instant::now();
        let polled = this.child.poll(cx);
        let took = start.elapsed();
        if took > this.slow_polls.threshold {
            (this.slow_polls.report)(*this.index, took);
        }
        polled
    }
}

impl<F> fmt::Debug for TimedPolls<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimedPolls")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::FromIter;

    #[test]
    fn the_input_shows_what_it_wraps_and_each_child_its_index() {
        let children = vec![core::future::ready(1)].into_iter();
        let slow_polls = SlowPolls::new(Duration::from_millis(40), |_, _| {});
        let mut input = SlowPolled::new(FromIter::new(children), slow_polls);
        assert_eq!(
            format!("{input:?}"),
            "SlowPolled { input: FromIter(IntoIter([Ready(Some(1))])), threshold: 40ms, .. }"
        );
        let waker = futures::task::noop_waker();
        let Poll::Ready(Some(child)) = input.poll_pull(&mut Context::from_waker(&waker)) else {
            panic!("the input holds a child");
        };
        assert_eq!(format!("{child:?}"), "TimedPolls { index: 0, .. }");
    }
}
