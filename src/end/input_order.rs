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

impl<T> InputOrder<T> {
    pub(crate) fn new() -> Self {
        InputOrder {
            in_order: Vec::new(),
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
