//! `Cut`: the inputs a batch deadline stopped, waiting to be reported.

use crate::elapsed::Elapsed;
use crate::engine::finished::Lost;
use core::ops::Range;
use std::collections::VecDeque;

/// The inputs left unfinished when the batch deadline passed, each to be
/// handed on: first those that were running, in input order, as
/// `Elapsed::Batch`, then those never admitted (counted, never created) as
/// not started.
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

    /// The next input to report, and why it has no output.
    pub(crate) fn next(&mut self) -> Option<(usize, Lost)> {
        match self.running.pop_front() {
            Some(index) => Some((index, Lost::Elapsed(Elapsed::Batch))),
            None => Some((self.unstarted.next()?, Lost::NotStarted)),
        }
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
    use crate::elapsed::Elapsed;
    use crate::engine::finished::Lost;

    #[test]
    fn the_running_come_first_in_input_order_then_the_unstarted() {
        let mut cut = Cut::new(vec![4, 1, 3], 5..7);
        assert_eq!(cut.len(), 5);
        let order: Vec<(usize, bool)> = std::iter::from_fn(|| cut.next())
            .map(|(index, lost)| match lost {
                Lost::Elapsed(Elapsed::Batch) => (index, true),
                Lost::NotStarted => (index, false),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            order,
            [(1, true), (3, true), (4, true), (5, false), (6, false)]
        );
        assert!(cut.is_empty());
    }

    #[test]
    fn nothing_is_left_after_a_clear() {
        let mut cut = Cut::new(vec![0], 1..1_000);
        cut.clear();
        assert_eq!(cut.len(), 0);
        assert!(cut.next().is_none());
        assert!(Cut::default().is_empty());
    }
}
