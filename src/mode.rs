//! The type parameters of a [`Batch`](crate::Batch): whether its children
//! carry a deadline and whether it catches panics, each mapping a finished
//! child to the batch's output type. Also the traits through which the ends
//! of a chain poll a batch; none of them can be named outside the crate, so
//! their methods cannot be called from outside.

use crate::elapsed::Elapsed;
use crate::outcome::Outcome;
use crate::panicked::Panicked;
use core::pin::Pin;
use core::task::{Context, Poll};

/// A [`Batch`](crate::Batch) whose children have no deadline: each output
/// is the child's own (see [`Bounded`](crate::Bounded)).
///
/// ```
/// use fanout::{Batch, Untimed};
/// use fanout::prelude::*;
///
/// # futures::executor::block_on(async {
/// let batch: Batch<_, Untimed> = (1..=2).map(|i| async move { i }).bounded(1);
/// assert_eq!(batch.gather().await, [1, 2]);
/// # });
/// ```
#[derive(Debug)]
pub enum Untimed {}

/// A [`Batch`](crate::Batch) whose children have a deadline, their own
/// ([`with_deadline`](crate::FanoutExt::with_deadline)), the batch's
/// ([`within`](crate::FanoutExt::within)) or both: each output is
/// `Result<T, Elapsed>` (see [`Deadline`](crate::Deadline)).
///
/// ```
/// use fanout::{Batch, Timed};
/// use fanout::prelude::*;
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let batch: Batch<_, Timed> = [async { 1 }].within(Duration::from_secs(1));
/// assert_eq!(batch.gather().await, [Ok(1)]);
/// # });
/// ```
#[derive(Debug)]
pub enum Timed {}

/// A [`Batch`](crate::Batch) that lets a child's panic go on, after the
/// siblings are dropped.
///
/// ```
/// use fanout::{Batch, Uncaught, Untimed};
/// use fanout::prelude::*;
///
/// # futures::executor::block_on(async {
/// let batch: Batch<_, Untimed, Uncaught> = [async { 1 }].bounded(1);
/// assert_eq!(batch.gather().await, [1]);
/// # });
/// ```
#[derive(Debug)]
pub enum Uncaught {}

/// A [`Batch`](crate::Batch) that [catches panics](crate::FanoutExt::catch_panics):
/// each output is `Result<_, Panicked>` (see [`CatchPanics`](crate::CatchPanics)).
///
/// ```
/// use fanout::{Batch, Caught, Untimed};
/// use fanout::prelude::*;
///
/// # futures::executor::block_on(async {
/// let batch: Batch<_, Untimed, Caught> = [async { 1 }].catch_panics();
/// assert_eq!(batch.gather().await.pop().unwrap().ok(), Some(1));
/// # });
/// ```
#[derive(Debug)]
pub enum Caught {}

/// Whether a batch's children carry a deadline: [`Untimed`] or [`Timed`].
pub trait Deadlines {
    /// A child's output `T` as the batch hands it on.
    type Output<T>;
    /// Whether any deadline was set.
    const TIMED: bool;
    /// `T`, or the deadline it missed, as the batch hands it on.
    fn output<T>(timed: Result<T, Elapsed>) -> Self::Output<T>;
}

impl Deadlines for Untimed {
    type Output<T> = T;
    const TIMED: bool = false;

    fn output<T>(timed: Result<T, Elapsed>) -> T {
        timed
            .unwrap_or_else(|elapsed| unreachable!("a batch without a deadline reported {elapsed}"))
    }
}

impl Deadlines for Timed {
    type Output<T> = Result<T, Elapsed>;
    const TIMED: bool = true;

    fn output<T>(timed: Result<T, Elapsed>) -> Result<T, Elapsed> {
        timed
    }
}

/// Whether a batch catches its children's panics: [`Uncaught`] or
/// [`Caught`].
pub trait Panics {
    /// What a child's slot holds when it did not panic, `T`, as the batch
    /// hands it on.
    type Output<T>;
    /// Whether panics are caught.
    const CAUGHT: bool;
    /// `T`, or the panic, as the batch hands it on.
    fn output<T>(caught: Result<T, Panicked>) -> Self::Output<T>;
}

impl Panics for Uncaught {
    type Output<T> = T;
    const CAUGHT: bool = false;

    fn output<T>(caught: Result<T, Panicked>) -> T {
        // The engine resumes an uncaught panic itself, after dropping the
        // siblings: it never reaches the batch as a value.
        caught.unwrap_or_else(|panicked| {
            unreachable!("an uncaught panic reached the batch: {panicked}")
        })
    }
}

impl Panics for Caught {
    type Output<T> = Result<T, Panicked>;
    const CAUGHT: bool = true;

    fn output<T>(caught: Result<T, Panicked>) -> Result<T, Panicked> {
        caught
    }
}

/// A child's output that [`try_gather`](crate::Batch::try_gather) and
/// [`report`](crate::Batch::report) can sort into success and failure: a
/// `Result`.
#[diagnostic::on_unimplemented(
    message = "`try_gather` and `report` need children that return a `Result`, but these return `{Self}`",
    label = "the children of this batch do not return a `Result`",
    note = "collect other outputs with `gather` or `as_completed`, or have each child return a `Result`"
)]
pub trait Fallible {
    /// What a success holds.
    type Ok;
    /// What a failure holds.
    type Err;
    /// The output as a `Result`.
    fn into_result(self) -> Result<Self::Ok, Self::Err>;
}

impl<T, E> Fallible for Result<T, E> {
    type Ok = T;
    type Err = E;

    fn into_result(self) -> Self {
        self
    }
}

/// How a missed deadline fails a [`try_gather`](crate::Batch::try_gather)
/// whose children return `Result<T, E>`: impossible without a deadline,
/// `E::from(Elapsed)` with one.
#[diagnostic::on_unimplemented(
    message = "under a deadline, `try_gather` fails the batch with `{E}::from(Elapsed)`, and `{E}` has no `From<fanout::Elapsed>`",
    label = "a missed deadline cannot become a `{E}`",
    note = "implement `From<fanout::Elapsed>` for the error type, or end the chain with `gather` or `report`"
)]
pub trait FailWith<E>: Deadlines {
    /// The error that a missed deadline ends the batch with.
    fn fail(elapsed: Elapsed) -> E;
}

impl<E> FailWith<E> for Untimed {
    fn fail(elapsed: Elapsed) -> E {
        unreachable!("a batch without a deadline reported {elapsed}")
    }
}

// Not looked through in errors: "`Timed: FailWith<String>`", with the
// message above, says more than "`String: From<Elapsed>`" with a list of
// every `From` that `String` has.
#[diagnostic::do_not_recommend]
impl<E: From<Elapsed>> FailWith<E> for Timed {
    fn fail(elapsed: Elapsed) -> E {
        E::from(elapsed)
    }
}

/// A batch that [`try_gather`](crate::Batch::try_gather) can stop at its
/// first failure.
#[diagnostic::on_unimplemented(
    message = "`try_gather` cannot end a batch that catches panics",
    label = "`try_gather` stops at the first failure and lets a panic go on, so it does not follow `catch_panics`",
    note = "to sort failures and caught panics alike, end the chain with `report` (or `gather`)"
)]
pub trait FailFast<T, E>: Passes {
    /// The next child to finish, as a success or a failure; its slot is
    /// refilled only after a success.
    fn poll_next_result(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Result<T, E>)>>;
}

/// A batch told when a poll of the end collecting it begins (its budget of
/// children started per poll is per poll of the end, not per output) and
/// when it returns: the deadlines of the children admitted during that
/// poll start then (see
/// [`FanoutExt::with_deadline`](crate::FanoutExt::with_deadline)).
pub trait Passes {
    /// A poll of the collecting end begins: the batch's budget of children
    /// started per poll starts again.
    fn begin_poll(self: Pin<&mut Self>);

    /// The poll of the collecting end is about to return.
    fn end_pass(self: Pin<&mut Self>);
}

/// A batch whose every outcome [`report`](crate::Batch::report) can sort.
#[diagnostic::on_unimplemented(
    message = "`report` needs children that return `Result<{T}, {E}>`",
    note = "collect other outputs with `gather` or `as_completed`"
)]
pub trait Outcomes<T, E>: Passes {
    /// The next child to finish, with what became of it.
    fn poll_next_outcome(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Outcome<T, E>)>>;
}

/// The batch a [`Batch`](crate::Batch) becomes when it catches panics, for
/// the [`CatchPanics`](crate::CatchPanics) alias.
pub trait Catching {
    /// The same batch, catching panics.
    type Caught;
}

#[cfg(test)]
mod tests {
    use super::{Caught, Deadlines, FailWith, Fallible, Panics, Timed, Uncaught, Untimed};
    use crate::elapsed::Elapsed;
    use crate::panicked::Panicked;

    #[test]
    fn a_deadline_wraps_the_output_once() {
        assert_eq!(<Untimed as Deadlines>::output(Ok::<_, Elapsed>(1)), 1);
        assert_eq!(<Timed as Deadlines>::output(Ok::<u8, _>(1)), Ok(1));
        assert_eq!(
            <Timed as Deadlines>::output::<u8>(Err(Elapsed::Batch)),
            Err(Elapsed::Batch)
        );
        const { assert!(!Untimed::TIMED && Timed::TIMED) };
    }

    #[test]
    fn catching_wraps_the_output_once() {
        assert_eq!(<Uncaught as Panics>::output(Ok::<_, Panicked>(1)), 1);
        let caught = <Caught as Panics>::output::<u8>(Err(Panicked::new(Box::new("no"))));
        assert_eq!(
            caught.map_err(|panicked| panicked.message().map(str::to_owned)),
            Err(Some("no".into()))
        );
        const { assert!(!Uncaught::CAUGHT && Caught::CAUGHT) };
    }

    #[test]
    fn a_result_is_fallible_as_it_is() {
        assert_eq!(Ok::<u8, ()>(1).into_result(), Ok(1));
        assert_eq!(Err::<u8, _>("no").into_result(), Err("no"));
    }

    #[test]
    fn a_missed_deadline_fails_with_the_callers_error() {
        #[derive(Debug, PartialEq)]
        struct Late(Elapsed);
        impl From<Elapsed> for Late {
            fn from(elapsed: Elapsed) -> Self {
                Late(elapsed)
            }
        }
        assert_eq!(
            <Timed as FailWith<Late>>::fail(Elapsed::Child),
            Late(Elapsed::Child)
        );
    }

    #[test]
    #[should_panic(expected = "without a deadline")]
    fn an_untimed_batch_never_misses_a_deadline() {
        let _: u8 = <Untimed as Deadlines>::output(Err(Elapsed::Child));
    }
}
