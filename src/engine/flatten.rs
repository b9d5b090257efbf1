//! `Flatten`: how a batch built with `flatten_errors` turns a missed
//! deadline or a caught panic into the child's own error.

use crate::elapsed::Elapsed;
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
    /// How a missed deadline becomes an output, if this batch converts it.
    #[inline]
    pub(crate) fn elapsed(&self) -> Option<fn(Elapsed) -> T> {
        self.elapsed
    }

    /// How a caught panic becomes an output, if this batch converts it.
    #[inline]
    pub(crate) fn panicked(&self) -> Option<fn(Panicked) -> T> {
        self.panicked
    }
}

fn elapsed_into<T: Fallible, D: FailWith<T::Err>>(elapsed: Elapsed) -> T {
    T::from_err(D::fail(elapsed, TOKEN), TOKEN)
}

fn panicked_into<T: Fallible, P: PanicWith<T::Err>>(panicked: Panicked) -> T {
    T::from_err(P::fail(panicked, TOKEN), TOKEN)
}
