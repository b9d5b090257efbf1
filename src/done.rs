//! `Done`: what an [`on_each`](crate::FanoutExt::on_each) hook is told about
//! each child as it finishes.

use crate::elapsed::Elapsed;
use crate::panicked::Panicked;

/// How one child of a batch finished, as an
/// [`on_each`](crate::FanoutExt::on_each) hook sees it: a view, borrowed for
/// the call, of what the batch is about to hand on.
///
/// # Examples
///
/// ```
/// use fanout::Done;
///
/// fn label(done: Done<'_, Result<u32, String>>) -> &'static str {
///     match done {
///         Done::Output(Ok(_)) => "ok",
///         Done::Output(Err(_)) => "failed",
///         Done::TimedOut(_) => "timed out",
///         Done::NotStarted => "not started",
///         Done::Panicked(_) => "panicked",
///         _ => "other", // `Done` is `#[non_exhaustive]`
///     }
/// }
/// assert_eq!(label(Done::Output(&Ok(1))), "ok");
/// assert_eq!(label(Done::TimedOut(fanout::Elapsed::Child)), "timed out");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Done<'a, T> {
    /// The child's output.
    Output(&'a T),
    /// The child missed its own deadline, or the batch's.
    TimedOut(Elapsed),
    /// The batch's deadline ([`within`](crate::FanoutExt::within)) passed
    /// before this input was admitted: it was never made into a child. Its
    /// output says `Err(Elapsed::Batch)`, as for a child cut off while
    /// running; the hook tells them apart.
    NotStarted,
    /// The child panicked; only seen with
    /// [`catch_panics`](crate::FanoutExt::catch_panics) (otherwise the
    /// panic ends the batch).
    Panicked(&'a Panicked),
}

// Not derived: a derive would demand `T: Clone`, and a view of borrowed
// parts is always copyable.
impl<T> Clone for Done<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Done<'_, T> {}
