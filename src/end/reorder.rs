//! `Reorder`: outputs that arrive in completion order, handed out in input
//! order.

use std::collections::VecDeque;

/// The outputs that finished ahead of an earlier input, waiting for it.
///
/// Why not one `Option<T>` per input: that costs a tag (and padding) per
/// output for the whole batch. Only the outputs that came early wait here,
/// in a window that starts at the first input not yet handed out; one that
/// arrives in order passes straight through.
#[derive(Debug)]
pub(crate) struct Reorder<T> {
    /// The index of the next output to hand out.
    next: usize,
    /// `early[k]` is the output of input `next + k`, if it is in. Empty, or
    /// ends with an output: it is only as long as the latest arrival needs.
    early: VecDeque<Option<T>>,
    /// How many places of `early` hold an output.
    waiting: usize,
}

impl<T> Default for Reorder<T> {
    fn default() -> Self {
        Reorder {
            next: 0,
            early: VecDeque::new(),
            waiting: 0,
        }
    }
}

impl<T> Reorder<T> {
    /// The index of the next output to hand out.
    pub(crate) fn next_index(&self) -> usize {
        self.next
    }

    /// How many outputs wait for an earlier one.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting
    }

    /// Drops every output waiting: an earlier one will never come (a panic
    /// ended the batch).
    pub(crate) fn clear(&mut self) {
        self.early.clear();
        self.waiting = 0;
    }

    /// Takes the output of input `index` (each index arrives once): hands
    /// it straight back if it is the next one to go out, or keeps it until
    /// the inputs before it are out.
    ///
    /// # Panics
    ///
    /// If an index arrives twice (an engine bug, never the user's).
    #[inline]
    pub(crate) fn place(&mut self, index: usize, output: T) -> Option<T> {
        let offset = index
            .checked_sub(self.next)
            .expect("fanout: an input index arrived twice");
        if offset == 0 {
            self.next += 1;
            // The window's first place was this index's.
            self.early.pop_front();
            return Some(output);
        }
        if self.early.len() <= offset {
            self.early.resize_with(offset + 1, || None);
        }
        debug_assert!(self.early[offset].is_none(), "an input index arrived twice");
        self.early[offset] = Some(output);
        self.waiting += 1;
        None
    }

    /// The next output, if it came early and every earlier one is out.
    #[inline]
    pub(crate) fn pop_next(&mut self) -> Option<T> {
        if !self.early.front().is_some_and(Option::is_some) {
            return None;
        }
        self.next += 1;
        self.waiting -= 1;
        self.early.pop_front().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::Reorder;

    #[test]
    fn outputs_in_order_pass_straight_through() {
        let mut reorder = Reorder::default();
        assert_eq!(reorder.place(0, 'a'), Some('a'));
        assert_eq!(reorder.place(1, 'b'), Some('b'));
        assert_eq!((reorder.next_index(), reorder.waiting()), (2, 0));
        assert_eq!(reorder.pop_next(), None);
    }

    #[test]
    fn early_outputs_wait_for_the_first_missing_one() {
        let mut reorder = Reorder::default();
        assert_eq!(reorder.place(2, 'c'), None);
        assert_eq!(reorder.place(1, 'b'), None);
        assert_eq!(reorder.place(4, 'e'), None);
        assert_eq!(reorder.waiting(), 3);
        assert_eq!(reorder.pop_next(), None, "input 0 is still missing");
        assert_eq!(reorder.place(0, 'a'), Some('a'));
        assert_eq!(reorder.pop_next(), Some('b'));
        assert_eq!(reorder.pop_next(), Some('c'));
        assert_eq!(reorder.pop_next(), None, "input 3 is still missing");
        assert_eq!(reorder.place(3, 'd'), Some('d'));
        assert_eq!(reorder.pop_next(), Some('e'));
        assert_eq!((reorder.next_index(), reorder.waiting()), (5, 0));
    }

    #[test]
    fn a_clear_drops_what_waits_and_keeps_the_place() {
        let mut reorder = Reorder::default();
        assert_eq!(reorder.place(0, 'a'), Some('a'));
        assert_eq!(reorder.place(3, 'd'), None);
        assert_eq!(reorder.place(2, 'c'), None);
        assert_eq!(reorder.waiting(), 2);
        reorder.clear();
        assert_eq!((reorder.next_index(), reorder.waiting()), (1, 0));
        assert_eq!(reorder.pop_next(), None);
    }

    #[test]
    #[should_panic(expected = "arrived twice")]
    fn an_index_that_is_out_already_is_refused() {
        let mut reorder = Reorder::default();
        reorder.place(0, ());
        reorder.place(0, ());
    }
}
