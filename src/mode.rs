//! The type parameters of a [`Batch`](crate::Batch), and the traits a
//! batch's bounds are written with.
//!
//! `Batch<I, D, P>`: `D` says whether its children carry a deadline
//! ([`Untimed`] or [`Timed`]), `P` whether it catches panics ([`Uncaught`]
//! or [`Caught`]); each maps a finished child to the batch's output type.
//! [`flatten_errors`](crate::Batch::flatten_errors) makes both [`Flat`]:
//! the child's own `Result` is the output. [`Fallible`], [`FailWith`] and
//! [`PanicWith`] are what [`try_gather`](crate::Batch::try_gather),
//! [`report`](crate::Batch::report) and `flatten_errors` ask of the
//! children's output, of `D` and of `P`; [`Nested`] is what the deadline
//! settings and `catch_panics` ask: that `flatten_errors` has not come yet.
//!
//! Every trait here is sealed: only fanout implements them, and their
//! methods are fanout's own (hidden, and uncallable from outside). Name
//! them in bounds to write code generic over batches:
//!
//! ```
//! use fanout::input::Input;
//! use fanout::mode::{Nested, Panics, Timed};
//! use fanout::prelude::*;
//! use fanout::Batch;
//! use std::time::Duration;
//!
//! /// The house policy: at most 4 at once, 2 s each.
//! fn with_policy<I: Input, D: Nested, P: Panics>(batch: Batch<I, D, P>) -> Batch<I, Timed, P> {
//!     batch.bounded(4).with_deadline(Duration::from_secs(2))
//! }
//!
//! # futures::executor::block_on(async {
//! let out = with_policy((1..=3).map(|i| async move { i }).bounded(1)).gather().await;
//! assert_eq!(out, [Ok(1), Ok(2), Ok(3)]);
//! # });
//! ```

use crate::elapsed::Elapsed;
use crate::input::ChildOutput;
use crate::panicked::Panicked;
use crate::sealed::{Sealed, Token};

/// A [`Batch`](crate::Batch) whose children have no deadline: each output
/// is the child's own. The default.
///
/// ```
/// use fanout::Batch;
/// use fanout::mode::Untimed;
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
/// `Result<T, Elapsed>`.
///
/// ```
/// use fanout::Batch;
/// use fanout::mode::Timed;
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
/// siblings are dropped. The default.
///
/// ```
/// use fanout::Batch;
/// use fanout::mode::{Uncaught, Untimed};
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
/// each output is `Result<_, Panicked>`.
///
/// ```
/// use fanout::Batch;
/// use fanout::mode::{Caught, Untimed};
/// use fanout::prelude::*;
///
/// # futures::executor::block_on(async {
/// let batch: Batch<_, Untimed, Caught> = [async { 1 }].catch_panics();
/// assert_eq!(batch.gather().await.pop().unwrap().ok(), Some(1));
/// # });
/// ```
#[derive(Debug)]
pub enum Caught {}

/// A [`Batch`](crate::Batch) whose missed deadlines and caught panics
/// became the children's own errors
/// ([`flatten_errors`](crate::Batch::flatten_errors)): each output is the
/// child's `Result<T, E>`, a missed deadline `Err(E::from(Elapsed))`, a
/// caught panic `Err(E::from(Panicked))`. It stands for both `D` and `P`.
///
/// ```
/// use fanout::Batch;
/// use fanout::mode::Flat;
/// use fanout::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Debug, PartialEq)]
/// struct Late;
/// impl From<fanout::Elapsed> for Late {
///     fn from(_: fanout::Elapsed) -> Self {
///         Late
///     }
/// }
///
/// # futures::executor::block_on(async {
/// let batch: Batch<_, Flat, Flat> = [async { Ok::<u8, Late>(1) }]
///     .with_deadline(Duration::from_secs(1))
///     .flatten_errors();
/// let out: Vec<Result<u8, Late>> = batch.gather().await;
/// assert_eq!(out, [Ok(1)]);
/// # });
/// ```
#[derive(Debug)]
pub enum Flat {}

/// Whether a batch's children carry a deadline: [`Untimed`] or [`Timed`]
/// ([`Flat`] once a deadline's misses became the children's errors).
///
/// Sealed: see the [module docs](self).
pub trait Deadlines: Sealed {
    /// A child's output `T` as the batch hands it on: `T`, or
    /// `Result<T, Elapsed>`.
    type Output<T>;
    #[doc(hidden)]
    const TIMED: bool;
    #[doc(hidden)]
    fn output<T>(timed: Result<T, Elapsed>, _: Token) -> Self::Output<T>;
}

impl Sealed for Untimed {}

impl Deadlines for Untimed {
    type Output<T> = T;
    const TIMED: bool = false;

    fn output<T>(timed: Result<T, Elapsed>, _: Token) -> T {
        timed
            .unwrap_or_else(|elapsed| unreachable!("a batch without a deadline reported {elapsed}"))
    }
}

impl Sealed for Timed {}

impl Deadlines for Timed {
    type Output<T> = Result<T, Elapsed>;
    const TIMED: bool = true;

    fn output<T>(timed: Result<T, Elapsed>, _: Token) -> Result<T, Elapsed> {
        timed
    }
}

impl Sealed for Flat {}

/// The child's own output: a missed deadline was turned into it before it
/// got here (see `engine::flatten`).
impl Deadlines for Flat {
    type Output<T> = T;
    const TIMED: bool = false;

    fn output<T>(timed: Result<T, Elapsed>, _: Token) -> T {
        timed.unwrap_or_else(|elapsed| unreachable!("a flattened batch kept {elapsed} apart"))
    }
}

/// Whether a batch catches its children's panics: [`Uncaught`] or
/// [`Caught`] ([`Flat`] once caught panics became the children's errors).
///
/// Sealed: see the [module docs](self).
pub trait Panics: Sealed {
    /// What a child's slot holds when it did not panic, `T`, as the batch
    /// hands it on: `T`, or `Result<T, Panicked>`.
    type Output<T>;
    #[doc(hidden)]
    const CAUGHT: bool;
    #[doc(hidden)]
    fn output<T>(caught: Result<T, Panicked>, _: Token) -> Self::Output<T>;
}

impl Sealed for Uncaught {}

impl Panics for Uncaught {
    type Output<T> = T;
    const CAUGHT: bool = false;

    fn output<T>(caught: Result<T, Panicked>, _: Token) -> T {
        // The engine resumes an uncaught panic itself, after dropping the
        // siblings: it never reaches the batch as a value.
        caught.unwrap_or_else(|panicked| {
            unreachable!("an uncaught panic reached the batch: {panicked}")
        })
    }
}

impl Sealed for Caught {}

impl Panics for Caught {
    type Output<T> = Result<T, Panicked>;
    const CAUGHT: bool = true;

    fn output<T>(caught: Result<T, Panicked>, _: Token) -> Result<T, Panicked> {
        caught
    }
}

/// The child's own output: a caught panic was turned into it before it got
/// here (see `engine::flatten`).
impl Panics for Flat {
    type Output<T> = T;
    const CAUGHT: bool = false;

    fn output<T>(caught: Result<T, Panicked>, _: Token) -> T {
        caught.unwrap_or_else(|panicked| unreachable!("a flattened batch kept {panicked} apart"))
    }
}

/// A batch whose errors are not flattened yet: the deadline settings and
/// [`catch_panics`](crate::Batch::catch_panics) change how outputs are
/// wrapped, so they come before
/// [`flatten_errors`](crate::Batch::flatten_errors), which unwraps them.
///
/// Sealed: see the [module docs](self).
#[diagnostic::on_unimplemented(
    message = "`flatten_errors` comes after `with_deadline`, `within` and `catch_panics`, and once",
    label = "with `{Self}`, this batch's errors may be flattened already",
    note = "move `.flatten_errors()` after every deadline setting and `catch_panics`, just before the end of the chain"
)]
pub trait Nested: Sealed {}

// Not listed under the message: the four modes say nothing a user can act
// on there.
#[diagnostic::do_not_recommend]
impl Nested for Untimed {}
#[diagnostic::do_not_recommend]
impl Nested for Timed {}
#[diagnostic::do_not_recommend]
impl Nested for Uncaught {}
#[diagnostic::do_not_recommend]
impl Nested for Caught {}

/// A batch that [`try_gather`](crate::Batch::try_gather) can stop at its
/// first failure: one that lets panics go on ([`Uncaught`]). A failure
/// ends the batch, and a panic goes on as it always does, so fail fast and
/// catching panics do not combine.
///
/// Sealed: see the [module docs](self).
#[diagnostic::on_unimplemented(
    message = "`try_gather` cannot end a batch that catches panics or flattens its errors",
    label = "`try_gather` stops at the first failure and lets a panic go on, so it follows neither `catch_panics` nor `flatten_errors`",
    note = "to sort failures and caught panics alike, end the chain with `report` (or `gather`)",
    note = "`try_gather` fails with the children's own error type already: it needs no `flatten_errors`"
)]
pub trait FailFast: Panics {}

impl FailFast for Uncaught {}

/// What a `Batch<I, D, P>` hands on for each child.
pub(crate) type Output<I, D, P> = <P as Panics>::Output<<D as Deadlines>::Output<ChildOutput<I>>>;

/// A child's output that [`try_gather`](crate::Batch::try_gather) and
/// [`report`](crate::Batch::report) can sort into success and failure: a
/// `Result`.
///
/// Sealed: see the [module docs](self).
#[diagnostic::on_unimplemented(
    message = "`try_gather`, `report` and `flatten_errors` need children that return a `Result`, but these return `{Self}`",
    label = "the children of this batch do not return a `Result`",
    note = "collect other outputs with `gather` or `as_completed`, or have each child return a `Result`"
)]
pub trait Fallible: Sealed {
    /// What a success holds.
    type Ok;
    /// What a failure holds.
    type Err;
    #[doc(hidden)]
    fn into_result(self, _: Token) -> Result<Self::Ok, Self::Err>;
    #[doc(hidden)]
    fn from_err(error: Self::Err, _: Token) -> Self;
}

impl<T, E> Sealed for Result<T, E> {}

impl<T, E> Fallible for Result<T, E> {
    type Ok = T;
    type Err = E;

    fn into_result(self, _: Token) -> Self {
        self
    }

    fn from_err(error: E, _: Token) -> Self {
        Err(error)
    }
}

/// How a missed deadline becomes the error `E` of children that return
/// `Result<T, E>`, for [`try_gather`](crate::Batch::try_gather) and
/// [`flatten_errors`](crate::Batch::flatten_errors): impossible without a
/// deadline, `E::from(Elapsed)` with one.
///
/// Sealed: see the [module docs](self).
#[diagnostic::on_unimplemented(
    message = "under a deadline, `try_gather` and `flatten_errors` make a missed one a `{E}::from(Elapsed)`, and `{E}` has no `From<fanout::Elapsed>`",
    label = "a missed deadline cannot become a `{E}`",
    note = "implement `From<fanout::Elapsed>` for the error type, or keep the deadline apart (drop `flatten_errors`, or end with `gather` or `report`)"
)]
pub trait FailWith<E>: Deadlines {
    #[doc(hidden)]
    fn fail(elapsed: Elapsed, _: Token) -> E;
}

impl<E> FailWith<E> for Untimed {
    fn fail(elapsed: Elapsed, _: Token) -> E {
        unreachable!("a batch without a deadline reported {elapsed}")
    }
}

// Never called: `try_gather` does not end a flattened batch (`Flat` is
// not `FailFast`), and says so; without this impl it would first complain
// of a missing `From<Elapsed>` that is there.
impl<E> FailWith<E> for Flat {
    fn fail(elapsed: Elapsed, _: Token) -> E {
        unreachable!("a flattened batch failed a `try_gather` with {elapsed}")
    }
}

// Not looked through in errors: "`Timed: FailWith<String>`", with the
// message above, says more than "`String: From<Elapsed>`" with a list of
// every `From` that `String` has.
#[diagnostic::do_not_recommend]
impl<E: From<Elapsed>> FailWith<E> for Timed {
    fn fail(elapsed: Elapsed, _: Token) -> E {
        E::from(elapsed)
    }
}

/// How a caught panic becomes the children's error `E` under
/// [`flatten_errors`](crate::Batch::flatten_errors): impossible when panics
/// go on, `E::from(Panicked)` when the batch catches them.
///
/// Sealed: see the [module docs](self).
#[diagnostic::on_unimplemented(
    message = "`flatten_errors` on a batch that catches panics makes each one a `{E}::from(Panicked)`, and `{E}` has no `From<fanout::Panicked>`",
    label = "a caught panic cannot become a `{E}`",
    note = "implement `From<fanout::Panicked>` for the error type, or drop `catch_panics` (or `flatten_errors`)"
)]
pub trait PanicWith<E>: Panics {
    #[doc(hidden)]
    fn fail(panicked: Panicked, _: Token) -> E;
}

impl<E> PanicWith<E> for Uncaught {
    fn fail(panicked: Panicked, _: Token) -> E {
        unreachable!("a batch that lets panics go on caught {panicked}")
    }
}

// Not looked through in errors, as for `FailWith`.
#[diagnostic::do_not_recommend]
impl<E: From<Panicked>> PanicWith<E> for Caught {
    fn fail(panicked: Panicked, _: Token) -> E {
        E::from(panicked)
    }
}

#[cfg(test)]
mod tests {
    use super::{
        Caught, Deadlines, FailWith, Fallible, Flat, PanicWith, Panics, Timed, Uncaught, Untimed,
    };
    use crate::elapsed::Elapsed;
    use crate::panicked::Panicked;
    use crate::sealed::TOKEN;

    #[test]
    fn a_deadline_wraps_the_output_once() {
        assert_eq!(
            <Untimed as Deadlines>::output(Ok::<_, Elapsed>(1), TOKEN),
            1
        );
        assert_eq!(<Timed as Deadlines>::output(Ok::<u8, _>(1), TOKEN), Ok(1));
        assert_eq!(
            <Timed as Deadlines>::output::<u8>(Err(Elapsed::Batch), TOKEN),
            Err(Elapsed::Batch)
        );
        const { assert!(!Untimed::TIMED && Timed::TIMED) };
    }

    #[test]
    fn catching_wraps_the_output_once() {
        assert_eq!(<Uncaught as Panics>::output(Ok::<_, Panicked>(1), TOKEN), 1);
        let caught = <Caught as Panics>::output::<u8>(Err(Panicked::new(Box::new("no"))), TOKEN);
        assert_eq!(
            caught.map_err(|panicked| panicked.message().map(str::to_owned)),
            Err(Some("no".into()))
        );
        const { assert!(!Uncaught::CAUGHT && Caught::CAUGHT) };
    }

    #[test]
    fn a_result_is_fallible_as_it_is() {
        assert_eq!(Ok::<u8, ()>(1).into_result(TOKEN), Ok(1));
        assert_eq!(Err::<u8, _>("no").into_result(TOKEN), Err("no"));
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
            <Timed as FailWith<Late>>::fail(Elapsed::Child, TOKEN),
            Late(Elapsed::Child)
        );
    }

    #[test]
    fn a_caught_panic_fails_with_the_callers_error() {
        #[derive(Debug)]
        struct Broke(Option<String>);
        impl From<Panicked> for Broke {
            fn from(panicked: Panicked) -> Self {
                Broke(panicked.message().map(str::to_owned))
            }
        }
        let broke: Broke = <Caught as PanicWith<Broke>>::fail(Panicked::new(Box::new("no")), TOKEN);
        assert_eq!(broke.0.as_deref(), Some("no"));
        assert_eq!(Result::<u8, &str>::from_err("no", TOKEN), Err("no"));
    }

    #[test]
    fn a_flat_batch_hands_on_the_childs_own_output() {
        assert_eq!(<Flat as Deadlines>::output(Ok::<u8, Elapsed>(1), TOKEN), 1);
        assert_eq!(<Flat as Panics>::output(Ok::<u8, Panicked>(2), TOKEN), 2);
        const { assert!(!<Flat as Deadlines>::TIMED && !<Flat as Panics>::CAUGHT) };
    }

    #[test]
    #[should_panic(expected = "lets panics go on")]
    fn an_uncaught_panic_never_becomes_an_error() {
        let _: u8 = <Uncaught as PanicWith<u8>>::fail(Panicked::new(Box::new("no")), TOKEN);
    }

    #[test]
    #[should_panic(expected = "without a deadline")]
    fn an_untimed_batch_never_misses_a_deadline() {
        let _: u8 = <Untimed as Deadlines>::output(Err(Elapsed::Child), TOKEN);
    }
}
