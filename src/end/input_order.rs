//! Puts a whole batch's outputs, arriving in completion order, into input
//! order.

use crate::end::reorder::Reorder;

/// Outputs collected in input order: the finished prefix goes straight into
/// the result, and only outputs that finished ahead of an earlier input
/// wait on the side (see [`Reorder`]).
#[derive(Debug)]
pub(crate) struct InputOrder<T> {
    /// Outputs of inputs `0..in_order.len()`, every one present.
    in_order: Vec<T>,
    early: Reorder<T>,
}

/// The most room, in bytes, reserved up front for the outputs an exact size
/// hint promises.
///
/// A hint is no promise: an input may claim `(n, Some(n))` for any `n` and
/// yield less (`repeat(x).take(usize::MAX)` even means it). Reserving the
/// hint spares an honest input's result its growth steps (a reallocation
/// and a copy each time it doubles); the cap, in bytes so that it holds
/// whatever the output type, keeps what a wrong hint can cost at 64 KiB.
/// Past the cap the result grows as any `Vec` does, and only a large
/// result's last few doublings are left, a small share of its cost.
const MOST_RESERVED_BYTES: usize = 64 * 1024;

impl<T> InputOrder<T> {
    /// Room for the outputs `size_hint` (the batch's, before it is polled)
    /// promises, if it is exact; see [`MOST_RESERVED_BYTES`].
    pub(crate) fn expecting(size_hint: (usize, Option<usize>)) -> Self {
        let promised = match size_hint {
            (low, Some(high)) if low == high => low,
            _ => 0,
        };
        let most = MOST_RESERVED_BYTES / size_of::<T>().max(1);
        InputOrder {
            in_order: Vec::with_capacity(promised.min(most)),
            early: Reorder::default(),
        }
    }

    /// How many outputs have arrived.
    pub(crate) fn len(&self) -> usize {
        self.in_order.len() + self.early.waiting()
    }

    /// Records the output of input `index`; each index arrives once.
    #[inline]
    pub(crate) fn insert(&mut self, index: usize, output: T) {
        if let Some(output) = self.early.place(index, output) {
            self.in_order.push(output);
            while let Some(output) = self.early.pop_next() {
                self.in_order.push(output);
            }
        }
    }

    /// Every output, in input order. Call once every index has arrived.
    pub(crate) fn into_vec(self) -> Vec<T> {
        debug_assert_eq!(self.early.waiting(), 0, "an input never produced an output");
        self.in_order
    }
}
