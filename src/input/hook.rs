//! The `on_each` hook a batch's input type names: none, or the closure
//! given to [`on_each`](crate::FanoutExt::on_each).
//!
//! Why the input names it rather than the batch holding a boxed closure: a
//! boxed closure must be `'static` (or the batch would need a lifetime of
//! its own) and always `Send`, while a hook typed into the batch may borrow
//! what the children borrow, and is `Send` only where the batch needs it.

use crate::done::Done;
use crate::sealed::Token;

/// What a batch does as each of its children finishes: nothing
/// ([`NoHook`]), or call the closure given to
/// [`on_each`](crate::FanoutExt::on_each) (any
/// `FnMut(usize, Done<'_, T>)`). Named as [`Input::Hook`](super::Input::Hook);
/// its method is the engine's alone.
///
/// ```
/// use fanout::Done;
/// use fanout::input::{EachHook, NoHook};
///
/// fn is_a_hook<T, H: EachHook<T>>(_: &H) {}
/// is_a_hook::<u8, _>(&NoHook);
/// is_a_hook::<u8, _>(&|_index: usize, _done: Done<'_, u8>| {});
/// ```
pub trait EachHook<T> {
    /// Whether the engine tells this hook anything: only [`NoHook`] says
    /// no, so a batch without a hook builds no [`Done`] view.
    #[doc(hidden)]
    const LISTENS: bool = true;

    /// The child at input `index` finished as `done` says.
    #[doc(hidden)]
    fn heard(&mut self, index: usize, done: Done<'_, T>, _: Token);
}

/// The [`EachHook`] of a batch that was given no
/// [`on_each`](crate::FanoutExt::on_each) hook: nothing is called.
///
/// ```
/// use fanout::Batch;
/// use fanout::input::{Input, NoHook};
/// use fanout::prelude::*;
///
/// fn hook_of<I: Input, D, P>(_: &Batch<I, D, P>) -> &'static str {
///     std::any::type_name::<I::Hook>()
/// }
/// let batch = [async { 1 }].bounded(1);
/// assert_eq!(hook_of(&batch), std::any::type_name::<NoHook>());
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct NoHook;

impl<T> EachHook<T> for NoHook {
    const LISTENS: bool = false;

    #[inline]
    fn heard(&mut self, _: usize, _: Done<'_, T>, _: Token) {}
}

impl<T, F> EachHook<T> for F
where
    F: FnMut(usize, Done<'_, T>),
{
    #[inline]
    fn heard(&mut self, index: usize, done: Done<'_, T>, _: Token) {
        self(index, done);
    }
}
