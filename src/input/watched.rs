//! `Watched`: the input of a batch given an `on_slow_poll` report.

use crate::input::hook::SlowPollReport;
use crate::input::source::Input;
use crate::sealed::{Sealed, Token};
use core::fmt;
use core::marker::PhantomData;
use core::task::{Context, Poll};

/// The input of a batch built with
/// [`on_slow_poll`](crate::FanoutExt::on_slow_poll): the same children, with
/// the report's type `R` as its
/// [`SlowPollReport`](Input::SlowPollReport). The report itself is kept by
/// the batch, as an [`on_each`](crate::FanoutExt::on_each) hook is (see
/// [`Hooked`](super::Hooked)).
///
/// ```
/// use fanout::prelude::*;
/// use fanout::Batch;
/// use fanout::input::{FromIter, Watched};
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let mut slow = Vec::new();
/// let report = |index: usize, _took: Duration| slow.push(index);
/// let batch: Batch<Watched<FromIter<_>, _>> = (1..=3)
///     .map(|i| async move { i })
///     .on_slow_poll(Duration::from_secs(1), report);
/// assert_eq!(batch.gather().await, [1, 2, 3]);
/// assert!(slow.is_empty(), "no poll held the task for a second");
/// # });
/// ```
pub struct Watched<I, R> {
    input: I,
    // `fn() -> R`: the report is not held here (the batch holds it).
    report: PhantomData<fn() -> R>,
}

impl<I, R> Watched<I, R> {
    pub(crate) fn new(input: I) -> Self {
        Watched {
            input,
            report: PhantomData,
        }
    }
}

impl<I, R> Sealed for Watched<I, R> {}

impl<I, R> Input for Watched<I, R>
where
    I: Input,
    R: SlowPollReport,
{
    type Child = I::Child;
    type Hook = I::Hook;
    type SlowPollReport = R;

    #[inline]
    fn poll_pull(&mut self, cx: &mut Context<'_>, token: Token) -> Poll<Option<I::Child>> {
        self.input.poll_pull(cx, token)
    }

    #[inline]
    fn size_hint(&self, token: Token) -> (usize, Option<usize>) {
        self.input.size_hint(token)
    }

    #[inline]
    fn poll_stopped(&mut self, cx: &mut Context<'_>, token: Token) -> bool {
        self.input.poll_stopped(cx, token)
    }
}

impl<I: fmt::Debug, R> fmt::Debug for Watched<I, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watched")
            .field("input", &self.input)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::FromIter;
    use std::time::Duration;

    #[test]
    fn shows_the_input_it_wraps_not_the_report() {
        let children = vec![core::future::ready(1)].into_iter();
        let watched = Watched::<_, fn(usize, Duration)>::new(FromIter::new(children));
        assert_eq!(
            format!("{watched:?}"),
            "Watched { input: FromIter(IntoIter([Ready(Some(1))])), .. }"
        );
    }
}
