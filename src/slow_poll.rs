//! Catching children that block: every poll of every child timed, and the
//! slow ones reported.

use crate::clock::Instant;
use core::fmt;
use std::time::Duration;

/// What [`on_slow_poll`](crate::FanoutExt::on_slow_poll) set up: the
/// threshold and the report to call. Shared by every slot of the batch.
pub(crate) struct SlowPolls {
    threshold: Duration,
    report: Box<dyn Fn(usize, Duration) + Send + Sync>,
}

impl SlowPolls {
    pub(crate) fn new(
        threshold: Duration,
        report: impl Fn(usize, Duration) + Send + Sync + 'static,
    ) -> Self {
        SlowPolls {
            threshold,
            report: Box::new(report),
        }
    }

    /// Runs one poll of the child at input `index`, and reports it if it
    /// held the task for longer than the threshold.
    pub(crate) fn time<R>(&self, index: usize, poll: impl FnOnce() -> R) -> R {
        let start = Instant::now();
        let result = poll();
        let took = start.elapsed();
        if took > self.threshold {
            (self.report)(index, took);
        }
        result
    }
}

impl fmt::Debug for SlowPolls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlowPolls")
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}
