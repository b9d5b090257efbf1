//! A graceful stop: a signal after which a batch takes no more input.

use crate::input::source::Input;
use crate::sealed::{Sealed, Token};
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
/// use fanout::Batch;
/// use fanout::input::{FromIter, Until};
///
/// # futures::executor::block_on(async {
/// let (stop, stopped) = futures::channel::oneshot::channel::<()>();
/// let batch: Batch<Until<FromIter<_>, _>> = (1..=3).map(|i| async move { i }).until(stopped);
/// assert_eq!(batch.gather().await, [1, 2, 3]);
/// drop(stop);
/// # });
/// ```
pub struct Until<I, S> {
    input: I,
    signal: Pin<Box<S>>,
}

impl<I: Input, S: Future> Until<I, S> {
    /// `input`, until `signal` resolves. A signal set earlier on the same
    /// input is never polled again: this one alone decides when the input
    /// stops (the last `until` wins).
    pub(crate) fn new(input: I, signal: S) -> Self {
        Until {
            input,
            signal: Box::pin(signal),
        }
    }
}

impl<I, S> Sealed for Until<I, S> {}

impl<I, S> Input for Until<I, S>
where
    I: Input,
    S: Future,
{
    type Child = I::Child;
    type Hook = I::Hook;
    type SlowPollReport = I::SlowPollReport;

    #[inline]
    fn poll_pull(&mut self, cx: &mut Context<'_>, token: Token) -> Poll<Option<I::Child>> {
        self.input.poll_pull(cx, token)
    }

    /// At most what the input has: the signal may end it at any moment.
    fn size_hint(&self, token: Token) -> (usize, Option<usize>) {
        (0, self.input.size_hint(token).1)
    }

    /// This signal alone: an inner `Until`'s is left unpolled, so the last
    /// `until` wins.
    fn poll_stopped(&mut self, cx: &mut Context<'_>, _: Token) -> bool {
        self.signal.as_mut().poll(cx).is_ready()
    }
}

impl<I: fmt::Debug, S> fmt::Debug for Until<I, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Until")
            .field("input", &self.input)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::FromIter;

    #[test]
    fn shows_the_input_it_stops() {
        let children = vec![core::future::ready(1)].into_iter();
        let until = Until::new(FromIter::new(children), core::future::pending::<()>());
        assert_eq!(
            format!("{until:?}"),
            "Until { input: FromIter(IntoIter([Ready(Some(1))])), .. }"
        );
    }
}
