//! `Outcome`: what became of one child, as a [`Report`](crate::Report)
//! sorts it.

use crate::elapsed::Elapsed;
use crate::engine::Lost;
use crate::mode::Fallible;
use crate::panicked::Panicked;

/// What became of one child whose output is a `Result<T, E>`.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome<T, E> {
    /// The child returned `Ok`.
    Ok(T),
    /// The child returned `Err`.
    Failed(E),
    /// The child missed its own deadline, or the batch's.
    TimedOut(Elapsed),
    /// The child panicked (only with
    /// [`catch_panics`](crate::FanoutExt::catch_panics)).
    Panicked(Panicked),
}

impl<T, E> Outcome<T, E> {
    pub(crate) fn from_engine<O>(finished: Result<O, Lost>) -> Self
    where
        O: Fallible<Ok = T, Err = E>,
    {
        match finished.map(Fallible::into_result) {
            Ok(Ok(output)) => Outcome::Ok(output),
            Ok(Err(error)) => Outcome::Failed(error),
            Err(Lost::Elapsed(elapsed)) => Outcome::TimedOut(elapsed),
            Err(Lost::Panicked(panicked)) => Outcome::Panicked(panicked),
        }
    }
}
