//! `Outcome`: what became of one child, as a [`Report`](crate::Report)
//! sorts it.

use crate::elapsed::Elapsed;
use crate::panicked::Panicked;

/// What became of one child whose output is a `Result<T, E>`: what a
/// [`Report`](crate::Report) is collected from. [`report`](crate::Batch::report)
/// sorts a batch's children so; collect your own outcomes into a `Report`
/// to merge several batches' or to report on children you ran otherwise.
///
/// ```
/// use fanout::Report;
/// use fanout::end::Outcome;
///
/// let report: Report<u8, &str> = [(1, Outcome::Failed("no")), (0, Outcome::Ok(7))].into_iter().collect();
/// assert_eq!(report.ok, [(0, 7)]);
/// assert_eq!(report.failed, [(1, "no")]);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome<T, E> {
    /// The child returned `Ok`.
    Ok(T),
    /// The child returned `Err`.
    Failed(E),
    /// The child missed its own deadline, or the batch's while it ran.
    TimedOut(Elapsed),
    /// The batch's deadline ([`within`](crate::FanoutExt::within)) passed
    /// before this input was admitted: it was never made into a child.
    NotStarted,
    /// The child panicked (only with
    /// [`catch_panics`](crate::FanoutExt::catch_panics)).
    Panicked(Panicked),
}
