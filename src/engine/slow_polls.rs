//! Catching children that block: every poll of every child timed, and the
//! slow ones reported.
//!
//! Set with [`on_slow_poll`](crate::FanoutExt::on_slow_poll). The engine
//! times a child's polls in the child's home (see `home.rs`), so a
//! batch without it reads no clock for this, and the setting changes no
//! type.

use crate::clock::Instant;
use core::task::Poll;
use std::time::Duration;

/// The threshold and the report, shared by every home of the batch.
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

    /// Runs `poll`, the poll of the child at input `index`, and reports it
    /// if it held the task longer than the threshold.
    #[inline]
    pub(crate) fn time<T>(&self, index: usize, poll: impl FnOnce() -> Poll<T>) -> Poll<T> {
        let start = Instant::now();
        let polled = poll();
        let took = start.elapsed();
        if took > self.threshold {
            (self.report)(index, took);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::SlowPolls;
    use core::task::Poll;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[test]
    fn only_polls_longer_than_the_threshold_are_reported() {
        let reported = Arc::new(Mutex::new(Vec::new()));
        let log = reported.clone();
        let slow = SlowPolls::new(Duration::from_millis(5), move |index, took| {
            log.lock().unwrap().push((index, took));
        });
        assert_eq!(slow.time(1, || Poll::Ready(1)), Poll::Ready(1));
        let polled: Poll<()> = slow.time(2, || {
            std::thread::sleep(Duration::from_millis(20));
            Poll::Pending
        });
        assert!(polled.is_pending());
        let reported = reported.lock().unwrap();
        assert_eq!(reported.len(), 1, "{reported:?}");
        assert_eq!(reported[0].0, 2);
        assert!(reported[0].1 >= Duration::from_millis(20));
    }
}
