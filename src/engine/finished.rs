//! `Finished`: the one shape of a child that is done, from the moment the
//! engine learns of it until an end of the chain reads it, and every way it
//! is read.

use crate::done::Done;
use crate::elapsed::Elapsed;
use crate::engine::flatten::Flatten;
use crate::mode::{Deadlines, Fallible, Panics};
use crate::outcome::Outcome;
use crate::panicked::{Panicked, Payload};
use crate::sealed::TOKEN;

/// Why a child has no output.
#[derive(Debug)]
pub(crate) enum Lost {
    Elapsed(Elapsed),
    /// The batch's deadline passed before the input was admitted: no child
    /// was ever made for it. A batch's output says `Elapsed::Batch`, as for
    /// a child cut off while running; `on_each` and a report tell the two
    /// apart.
    NotStarted,
    Panicked(Panicked),
}

/// A finished child: its input index and its output, or why it has none.
///
/// The engine hands on this shape, whatever the batch's type; each reader
/// takes what it needs from it: an `on_each` hook a [`Done`] view
/// ([`done`]), a report an [`Outcome`] ([`outcome`]), a batch its own
/// output type ([`output`]). A panic reaches a reader only when the batch
/// catches panics: otherwise the engine resumes it, and nothing else does.
pub(crate) type Finished<T> = (usize, Result<T, Lost>);

/// A child dropped because `elapsed` passed, its destructor run as
/// `evicted`: it timed out, unless that destructor panicked.
pub(crate) fn timed_out<T>(evicted: Result<(), Payload>, elapsed: Elapsed) -> Result<T, Lost> {
    match evicted {
        Ok(()) => Err(Lost::Elapsed(elapsed)),
        Err(payload) => Err(Lost::Panicked(Panicked::new(payload))),
    }
}

/// What an `on_each` hook is told.
pub(crate) fn done<T>(result: &Result<T, Lost>) -> Done<'_, T> {
    match result {
        Ok(output) => Done::Output(output),
        Err(Lost::Elapsed(elapsed)) => Done::TimedOut(*elapsed),
        Err(Lost::NotStarted) => Done::NotStarted,
        Err(Lost::Panicked(panicked)) => Done::Panicked(panicked),
    }
}

/// Where a report files a child that returned a `Result`.
pub(crate) fn outcome<O: Fallible>(result: Result<O, Lost>) -> Outcome<O::Ok, O::Err> {
    match result.map(|output| output.into_result(TOKEN)) {
        Ok(Ok(output)) => Outcome::Ok(output),
        Ok(Err(error)) => Outcome::Failed(error),
        Err(Lost::Elapsed(elapsed)) => Outcome::TimedOut(elapsed),
        Err(Lost::NotStarted) => Outcome::NotStarted,
        Err(Lost::Panicked(panicked)) => Outcome::Panicked(panicked),
    }
}

/// A child without an output, as an output if `flatten` converts why.
#[inline]
fn recover<T>(lost: Lost, flatten: &Flatten<T>) -> Result<T, Lost> {
    match (lost, flatten.elapsed(), flatten.panicked()) {
        (Lost::Elapsed(elapsed), Some(into), _) => Ok(into(elapsed)),
        (Lost::NotStarted, Some(into), _) => Ok(into(Elapsed::Batch)),
        (Lost::Panicked(panicked), _, Some(into)) => Ok(into(panicked)),
        (lost, _, _) => Err(lost),
    }
}

/// What a batch with deadlines `D` and panics `P` hands on: the panic
/// outermost, then the deadline, then the child's output; or the child's
/// output alone, when `flatten` turns the loss into one.
#[inline]
pub(crate) fn output<T, D: Deadlines, P: Panics>(
    result: Result<T, Lost>,
    flatten: &Flatten<T>,
) -> P::Output<D::Output<T>> {
    let result = match result {
        Ok(output) => Ok(output),
        Err(lost) => recover(lost, flatten),
    };
    match result {
        Ok(output) => P::output(Ok(D::output(Ok(output), TOKEN)), TOKEN),
        Err(Lost::Elapsed(elapsed)) => P::output(Ok(D::output(Err(elapsed), TOKEN)), TOKEN),
        Err(Lost::NotStarted) => P::output(Ok(D::output(Err(Elapsed::Batch), TOKEN)), TOKEN),
        Err(Lost::Panicked(panicked)) => P::output(Err(panicked), TOKEN),
    }
}

#[cfg(test)]
mod tests {
    use super::{Lost, done, outcome, output, timed_out};
    use crate::done::Done;
    use crate::elapsed::Elapsed;
    use crate::engine::flatten::Flatten;
    use crate::mode::{Caught, Timed, Uncaught, Untimed};
    use crate::outcome::Outcome;
    use crate::panicked::Panicked;

    fn panicked() -> Lost {
        Lost::Panicked(Panicked::new(Box::new("boom")))
    }

    #[test]
    fn a_clean_eviction_is_a_time_out_and_a_panicking_one_a_panic() {
        let clean: Result<u8, Lost> = timed_out(Ok(()), Elapsed::Child);
        assert!(matches!(clean, Err(Lost::Elapsed(Elapsed::Child))));
        let loud: Result<u8, Lost> = timed_out(Err(Box::new("drop")), Elapsed::Batch);
        assert!(matches!(loud, Err(Lost::Panicked(p)) if p.message() == Some("drop")));
    }

    #[test]
    fn each_reader_sees_the_same_child() {
        assert!(matches!(done(&Ok::<u8, Lost>(1)), Done::Output(1)));
        assert!(matches!(
            done::<u8>(&Err(Lost::Elapsed(Elapsed::Batch))),
            Done::TimedOut(Elapsed::Batch)
        ));
        assert!(matches!(done::<u8>(&Err(panicked())), Done::Panicked(_)));
        assert!(matches!(
            done::<u8>(&Err(Lost::NotStarted)),
            Done::NotStarted
        ));
        assert!(matches!(
            outcome::<Result<u8, ()>>(Err(Lost::NotStarted)),
            Outcome::NotStarted
        ));
        assert!(matches!(
            outcome(Ok::<Result<u8, ()>, Lost>(Ok(1))),
            Outcome::Ok(1)
        ));
        assert!(matches!(
            outcome(Ok::<Result<u8, ()>, Lost>(Err(()))),
            Outcome::Failed(())
        ));
        assert!(matches!(
            outcome::<Result<u8, ()>>(Err(panicked())),
            Outcome::Panicked(_)
        ));
    }

    #[test]
    fn a_batch_output_wraps_the_panic_outermost() {
        assert_eq!(
            output::<u8, Untimed, Uncaught>(Ok(1), &Flatten::default()),
            1
        );
        assert_eq!(
            output::<u8, Timed, Uncaught>(Err(Lost::Elapsed(Elapsed::Child)), &Flatten::default()),
            Err(Elapsed::Child)
        );
        assert_eq!(
            output::<u8, Timed, Uncaught>(Err(Lost::NotStarted), &Flatten::default()),
            Err(Elapsed::Batch),
            "outputs do not tell an input never started from a child cut off"
        );
        let caught = output::<u8, Timed, Caught>(Err(panicked()), &Flatten::default());
        assert_eq!(caught.unwrap_err().message(), Some("boom"));
        let on_time = output::<u8, Timed, Caught>(Ok(2), &Flatten::default());
        assert_eq!(on_time.ok(), Some(Ok(2)));
    }
}

#[cfg(test)]
mod recover_tests {
    use super::{Lost, recover};
    use crate::elapsed::Elapsed;
    use crate::engine::flatten::Flatten;
    use crate::mode::{Caught, Timed, Uncaught, Untimed};
    use crate::panicked::Panicked;

    #[derive(Debug, PartialEq)]
    enum Failed {
        Late(Elapsed),
        Broke,
    }
    impl From<Elapsed> for Failed {
        fn from(elapsed: Elapsed) -> Self {
            Failed::Late(elapsed)
        }
    }
    impl From<Panicked> for Failed {
        fn from(_: Panicked) -> Self {
            Failed::Broke
        }
    }
    type Out = Result<u8, Failed>;

    fn recover_with(flatten: &Flatten<Out>, lost: Lost) -> Result<Out, Lost> {
        recover(lost, flatten)
    }

    fn panicked() -> Lost {
        Lost::Panicked(Panicked::new(Box::new("no")))
    }

    #[test]
    fn every_loss_becomes_the_childs_error_when_both_are_flattened() {
        let flatten = Flatten::<Out>::for_modes::<Timed, Caught>();
        assert!(flatten.elapsed().is_some() && flatten.panicked().is_some());
        let late = recover_with(&flatten, Lost::Elapsed(Elapsed::Child));
        assert!(matches!(late, Ok(Err(Failed::Late(Elapsed::Child)))));
        let unstarted = recover_with(&flatten, Lost::NotStarted);
        assert!(matches!(unstarted, Ok(Err(Failed::Late(Elapsed::Batch)))));
        assert!(matches!(
            recover_with(&flatten, panicked()),
            Ok(Err(Failed::Broke))
        ));
    }

    #[test]
    fn only_what_the_modes_produce_is_converted() {
        let untimed = Flatten::<Out>::for_modes::<Untimed, Caught>();
        assert!(untimed.elapsed().is_none());
        assert!(matches!(
            recover_with(&untimed, panicked()),
            Ok(Err(Failed::Broke))
        ));
        let uncaught = Flatten::<Out>::for_modes::<Timed, Uncaught>();
        assert!(matches!(
            recover_with(&uncaught, panicked()),
            Err(Lost::Panicked(_))
        ));
        let plain = Flatten::<Out>::default();
        assert!(matches!(
            recover_with(&plain, Lost::NotStarted),
            Err(Lost::NotStarted)
        ));
    }
}
