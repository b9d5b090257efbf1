//! `Flatten`: how a batch built with `flatten_errors` turns a missed
//! deadline or a caught panic into the child's own error.

use crate::elapsed::Elapsed;
use crate::engine::finished::Lost;
use crate::mode::{FailWith, Fallible, PanicWith};
use crate::panicked::Panicked;
use crate::sealed::TOKEN;

/// The conversions of a batch whose children return `T`, a `Result`: set
/// by `flatten_errors`, which alone knows the error type has the `From`s;
/// read as each output is handed on. Plain function pointers, so that
/// every end keeps its type and its bounds whether or not a batch
/// flattens.
pub(crate) struct Flatten<T> {
    elapsed: Option<fn(Elapsed) -> T>,
    panicked: Option<fn(Panicked) -> T>,
}

impl<T> Default for Flatten<T> {
    /// Nothing converted: outputs keep their wrappers.
    fn default() -> Self {
        Flatten {
            elapsed: None,
            panicked: None,
        }
    }
}

impl<T: Fallible> Flatten<T> {
    /// The conversions a batch with modes `D` and `P` needs: a missed
    /// deadline only if it has one, a panic only if it catches them.
    pub(crate) fn for_modes<D: FailWith<T::Err>, P: PanicWith<T::Err>>() -> Self {
        Flatten {
            elapsed: D::TIMED.then_some(elapsed_into::<T, D> as fn(Elapsed) -> T),
            panicked: P::CAUGHT.then_some(panicked_into::<T, P> as fn(Panicked) -> T),
        }
    }
}

impl<T> Flatten<T> {
    /// Whether missed deadlines become errors: the batch has deadlines.
    pub(crate) fn converts_elapsed(&self) -> bool {
        self.elapsed.is_some()
    }

    /// A child without an output, as an output if this batch converts why.
    #[inline]
    pub(crate) fn recover(&self, lost: Lost) -> Result<T, Lost> {
        match (lost, self.elapsed, self.panicked) {
            (Lost::Elapsed(elapsed), Some(into), _) => Ok(into(elapsed)),
            (Lost::NotStarted, Some(into), _) => Ok(into(Elapsed::Batch)),
            (Lost::Panicked(panicked), _, Some(into)) => Ok(into(panicked)),
            (lost, _, _) => Err(lost),
        }
    }
}

fn elapsed_into<T: Fallible, D: FailWith<T::Err>>(elapsed: Elapsed) -> T {
    T::from_err(D::fail(elapsed, TOKEN), TOKEN)
}

fn panicked_into<T: Fallible, P: PanicWith<T::Err>>(panicked: Panicked) -> T {
    T::from_err(P::fail(panicked, TOKEN), TOKEN)
}

#[cfg(test)]
mod tests {
    use super::Flatten;
    use crate::elapsed::Elapsed;
    use crate::engine::finished::Lost;
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

    fn panicked() -> Lost {
        Lost::Panicked(Panicked::new(Box::new("no")))
    }

    #[test]
    fn every_loss_becomes_the_childs_error_when_both_are_flattened() {
        let flatten = Flatten::<Out>::for_modes::<Timed, Caught>();
        assert!(flatten.converts_elapsed());
        let late = flatten.recover(Lost::Elapsed(Elapsed::Child));
        assert!(matches!(late, Ok(Err(Failed::Late(Elapsed::Child)))));
        let unstarted = flatten.recover(Lost::NotStarted);
        assert!(matches!(unstarted, Ok(Err(Failed::Late(Elapsed::Batch)))));
        assert!(matches!(
            flatten.recover(panicked()),
            Ok(Err(Failed::Broke))
        ));
    }

    #[test]
    fn only_what_the_modes_produce_is_converted() {
        let untimed = Flatten::<Out>::for_modes::<Untimed, Caught>();
        assert!(!untimed.converts_elapsed());
        assert!(matches!(
            untimed.recover(panicked()),
            Ok(Err(Failed::Broke))
        ));
        let uncaught = Flatten::<Out>::for_modes::<Timed, Uncaught>();
        assert!(matches!(
            uncaught.recover(panicked()),
            Err(Lost::Panicked(_))
        ));
        let plain = Flatten::<Out>::default();
        assert!(matches!(
            plain.recover(Lost::NotStarted),
            Err(Lost::NotStarted)
        ));
    }
}
