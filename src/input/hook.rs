//! The hooks a batch's input type names: the closure given to
//! [`on_each`](crate::FanoutExt::on_each) and the report given to
//! [`on_slow_poll`](crate::FanoutExt::on_slow_poll), or [`NoHook`].
//!
//! Why the input names them rather than the batch holding boxed closures:
//! a boxed closure must be `'static` (or the batch would need a lifetime of
//! its own) and always `Send`, while a hook typed into the batch may borrow
//! what the children borrow, and is `Send` only where the batch needs it.

use crate::done::Done;
use crate::sealed::Token;
use std::time::Duration;

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

/// What a batch does with a poll of a child that held the task longer than
/// the [`on_slow_poll`](crate::FanoutExt::on_slow_poll) threshold: nothing
/// ([`NoHook`]), or call the report given there (any
/// `FnMut(usize, Duration)`). Named as
/// [`Input::SlowPollReport`](super::Input::SlowPollReport); its method is
/// the engine's alone.
///
/// ```
/// use fanout::input::{NoHook, SlowPollReport};
/// use std::time::Duration;
///
/// fn is_a_report<R: SlowPollReport>(_: &R) {}
/// is_a_report(&NoHook);
/// is_a_report(&|_index: usize, _took: Duration| {});
/// ```
pub trait SlowPollReport {
    /// The poll of the child at input `index` took `took`.
    #[doc(hidden)]
    fn slow(&mut self, index: usize, took: Duration, _: Token);
}

/// The [`EachHook`] and [`SlowPollReport`] of a batch that was given no
/// [`on_each`](crate::FanoutExt::on_each) hook, or no
/// [`on_slow_poll`](crate::FanoutExt::on_slow_poll) report: nothing is
/// called.
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

impl SlowPollReport for NoHook {
    #[inline]
    fn slow(&mut self, _: usize, _: Duration, _: Token) {}
}

impl<F> SlowPollReport for F
where
    F: FnMut(usize, Duration),
{
    #[inline]
    fn slow(&mut self, index: usize, took: Duration, _: Token) {
        self(index, took);
    }
}
