//! `Hooked`: the input of a batch given an `on_each` hook.

use crate::input::hook::EachHook;
use crate::input::source::{ChildOutput, Input};
use crate::sealed::{Sealed, Token};
use core::fmt;
use core::marker::PhantomData;
use core::task::{Context, Poll};

/// The input of a batch built with [`on_each`](crate::FanoutExt::on_each):
/// the same children, with the hook's type `H` as its
/// [`Hook`](Input::Hook). The hook itself is kept by the batch, not here:
/// it hears of children still running after the input has ended and been
/// dropped.
///
/// ```
/// use fanout::prelude::*;
/// use fanout::{Batch, Done};
/// use fanout::input::{FromIter, Hooked};
///
/// # futures::executor::block_on(async {
/// let mut heard = 0;
/// let hook = |_index: usize, _done: Done<'_, i32>| heard += 1;
/// let batch: Batch<Hooked<FromIter<_>, _>> = (1..=3).map(|i| async move { i }).on_each(hook);
/// assert_eq!(batch.gather().await, [1, 2, 3]);
/// assert_eq!(heard, 3, "the hook borrowed `heard`");
/// # });
/// ```
pub struct Hooked<I, H> {
    input: I,
    // `fn() -> H`: the hook is not held here, so it decides none of this
    // type's auto traits (the batch holding it does).
    hook: PhantomData<fn() -> H>,
}

impl<I, H> Hooked<I, H> {
    pub(crate) fn new(input: I) -> Self {
        Hooked {
            input,
            hook: PhantomData,
        }
    }
}

impl<I, H> Sealed for Hooked<I, H> {}

impl<I, H> Input for Hooked<I, H>
where
    I: Input,
    H: EachHook<ChildOutput<I>>,
{
    type Child = I::Child;
    type Hook = H;
    type SlowPollReport = I::SlowPollReport;

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

impl<I: fmt::Debug, H> fmt::Debug for Hooked<I, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooked")
            .field("input", &self.input)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::FromIter;

    #[test]
    fn shows_the_input_it_wraps_not_the_hook() {
        let children = vec![core::future::ready(1)].into_iter();
        let hooked = Hooked::<_, fn(usize, crate::Done<'_, i32>)>::new(FromIter::new(children));
        assert_eq!(
            format!("{hooked:?}"),
            "Hooked { input: FromIter(IntoIter([Ready(Some(1))])), .. }"
        );
    }
}
