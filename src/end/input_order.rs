//! Puts outputs that arrive in completion order back into input order.

use std::collections::VecDeque;

/// Outputs collected in input order.
///
/// Why not one `Option<T>` per input: that costs a tag (and padding) per
/// output for the whole batch. Here the finished prefix goes straight into
/// the result, and only outputs that finished ahead of an earlier input wait
/// on the side, in a window that starts at the first missing index.
#[derive(Debug)]
pub(crate) struct InputOrder<T> {
    /// Outputs of inputs `0..in_order.len()`, every one present.
    in_order: Vec<T>,
    /// `early[k]` is the output of input `in_order.len() + k`, if it is in.
    early: VecDeque<Option<T>>,
}

impl<T> InputOrder<T> {
    pub(crate) fn new() -> Self {
        InputOrder {
            in_order: Vec::new(),
            early: VecDeque::new(),
        }
    }

    /// How many outputs have arrived.
    pub(crate) fn len(&self) -> usize {
        self.in_order.len() + self.early.iter().filter(|slot| slot.is_some()).count()
    }

    /// Records the output of input `index`; each index arrives once.
    pub(crate) fn insert(&mut self, index: usize, output: T) {
        let offset = index
            .checked_sub(self.in_order.len())
            .expect("fanout: an input index arrived twice");
        if offset > 0 {
            if self.early.len() <= offset {
                self.early.resize_with(offset + 1, || None);
            }
            debug_assert!(self.early[offset].is_none(), "an input index arrived twice");
            self.early[offset] = Some(output);
            return;
        }
        self.in_order.push(output);
        // The window's first place was this index's; release what follows it.
        if self.early.pop_front().is_some() {
            while self.early.front().is_some_and(Option::is_some) {
                self.in_order.extend(self.early.pop_front().flatten());
            }
        }
    }

    /// Every output, in input order. Call once every index has arrived.
    pub(crate) fn into_vec(self) -> Vec<T> {
        debug_assert!(self.early.is_empty(), "an input never produced an output");
        self.in_order
    }
}
