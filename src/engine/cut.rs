//! `Cut`: the inputs a batch deadline stopped, waiting to be reported.

use core::ops::Range;
use std::collections::VecDeque;

/// The inputs left unfinished when the batch deadline passed, each to be
/// handed on as `Elapsed::Batch`: first those that were running, in input
/// order, then those never admitted (counted, never created).
#[derive(Debug, Default)]
pub(crate) struct Cut {
    running: VecDeque<usize>,
    unstarted: Range<usize>,
}

impl Cut {
    /// The children that were running (input indices, in any order), and
    /// the inputs `unstarted` that were never admitted.
    pub(crate) fn new(mut running: Vec<usize>, unstarted: Range<usize>) -> Self {
        running.sort_unstable();
        Cut {
            running: running.into(),
            unstarted,
        }
    }

    /// The next input to report.
    pub(crate) fn next(&mut self) -> Option<usize> {
        self.running.pop_front().or_else(|| self.unstarted.next())
    }

    /// How many inputs are left to report.
    pub(crate) fn len(&self) -> usize {
        self.running.len() + self.unstarted.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reports nothing more: a panic ended the batch.
    pub(crate) fn clear(&mut self) {
        *self = Cut::default();
    }
}

#[cfg(test)]
mod tests {
    use super::Cut;

    #[test]
    fn the_running_come_first_in_input_order_then_the_unstarted() {
        let mut cut = Cut::new(vec![4, 1, 3], 5..7);
        assert_eq!(cut.len(), 5);
        let order: Vec<usize> = std::iter::from_fn(|| cut.next()).collect();
        assert_eq!(order, [1, 3, 4, 5, 6]);
        assert!(cut.is_empty());
    }

    #[test]
    fn nothing_is_left_after_a_clear() {
        let mut cut = Cut::new(vec![0], 1..1_000);
        cut.clear();
        assert_eq!((cut.len(), cut.next()), (0, None));
        assert!(Cut::default().is_empty());
    }
}
