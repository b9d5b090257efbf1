//! A graceful stop: a signal after which a batch takes no more input.

use crate::input::Input;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

/// The input of a batch built with [`until`](crate::FanoutExt::until): the
/// same children, until the signal resolves; from then on the input ends,
/// and it is dropped without being pulled again.
///
/// The signal is polled before each pull, so it is checked before a permit
/// is taken for the next child, and it wakes the batch when it resolves.
///
/// ```
/// use fanout::prelude::*;
/// use fanout::{Bounded, FromIter, Until};
///
/// # futures::executor::block_on(async {
/// let (stop, stopped) = futures::channel::oneshot::channel::<()>();
/// let batch: Bounded<Until<FromIter<_>, _>> = (1..=3).map(|i| async move { i }).until(stopped);
/// assert_eq!(batch.gather().await, [1, 2, 3]);
/// drop(stop);
/// # });
/// ```
pub struct Until<I, S> {
    input: I,
    /// `None` once a later `until` replaced this one (the last one wins).
    signal: Option<Pin<Box<S>>>,
}

impl<I: Input, S: Future> Until<I, S> {
    /// `input`, until `signal` resolves. Earlier signals on the same input
    /// are silenced: the last `until` wins.
    pub(crate) fn new(mut input: I, signal: S) -> Self {
        input.forget_stop_signals();
        Until {
            input,
            signal: Some(Box::pin(signal)),
        }
    }
}

impl<I, S> Input for Until<I, S>
where
    I: Input,
    S: Future,
{
    type Child = I::Child;

    #[inline]
    fn poll_pull(&mut self, cx: &mut Context<'_>) -> Poll<Option<I::Child>> {
        self.input.poll_pull(cx)
    }

    /// Unknown: the signal may end the input at any moment.
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.signal {
            Some(_) => (0, self.input.size_hint().1),
            None => self.input.size_hint(),
        }
    }

    fn poll_stopped(&mut self, cx: &mut Context<'_>) -> bool {
        match self.signal.as_mut() {
            Some(signal) => signal.as_mut().poll(cx).is_ready(),
            None => self.input.poll_stopped(cx),
        }
    }

    fn forget_stop_signals(&mut self) {
        self.signal = None;
        self.input.forget_stop_signals();
    }
}

impl<I: fmt::Debug, S> fmt::Debug for Until<I, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Until")
            .field("input", &self.input)
            .field("signal_set", &self.signal.is_some())
            .finish()
    }
}
