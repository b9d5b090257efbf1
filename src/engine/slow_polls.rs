//! Catching children that block: every poll of every child timed, and the
//! slow ones logged for the batch to report.
//!
//! Set with [`on_slow_poll`](crate::FanoutExt::on_slow_poll). The engine
//! times a child's polls in the child's home (see `home.rs`), so a
//! batch without it reads no clock for this.
//!
//! Why a log rather than calling the report from the home: a home is
//! polled inside the batch's `FuturesUnordered`, which owns it, so the
//! report could be reached from there only behind an `Arc`, which would
//! have it be `'static`, `Send` and `Sync`. Logged, the slow polls are
//! reported by the engine, which holds the report by value (its type is
//! the input's [`SlowPollReport`](crate::input::Input::SlowPollReport)):
//! it may borrow, and it is `Send` only where the batch needs it.

use crate::clock::Instant;
use core::task::Poll;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The threshold, and the slow polls not yet reported; shared by every
/// home of the batch and the engine.
pub(crate) struct SlowPolls {
    threshold: Duration,
    /// `(input index, time the poll took)`, in the order they happened.
    log: Mutex<Vec<(usize, Duration)>>,
    /// Whether `log` may hold anything: the engine looks at it after every
    /// poll, and takes the lock only when a poll was slow.
    logged: AtomicBool,
}

impl SlowPolls {
    pub(crate) fn new(threshold: Duration) -> Self {
        SlowPolls {
            threshold,
            log: Mutex::new(Vec::new()),
            logged: AtomicBool::new(false),
        }
    }

    /// Runs `poll`, the poll of the child at input `index`, and logs it if
    /// it held the task longer than the threshold.
    #[inline]
    pub(crate) fn time<T>(&self, index: usize, poll: impl FnOnce() -> Poll<T>) -> Poll<T> {
        let start = Instant::now();
        let polled = poll();
        let took = start.elapsed();
        if took > self.threshold {
            self.lock().push((index, took));
            self.logged.store(true, Ordering::Release);
        }
        polled
    }

    /// Takes the slow polls logged so far, oldest first (none, without
    /// locking, if no poll was slow).
    #[inline]
    pub(crate) fn take_logged(&self) -> Vec<(usize, Duration)> {
        if !self.logged.swap(false, Ordering::Acquire) {
            return Vec::new();
        }
        std::mem::take(&mut *self.lock())
    }

    /// The log. A panic never happens while it is held, but a poisoned
    /// lock would still hold a sound `Vec`.
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(usize, Duration)>> {
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::SlowPolls;
    use core::task::Poll;
    use std::time::Duration;

    #[test]
    fn only_polls_longer_than_the_threshold_are_logged_and_each_once() {
        let slow = SlowPolls::new(Duration::from_millis(5));
        assert_eq!(slow.time(1, || Poll::Ready(1)), Poll::Ready(1));
        assert!(slow.take_logged().is_empty());
        let polled: Poll<()> = slow.time(2, || {
            std::thread::sleep(Duration::from_millis(20));
            Poll::Pending
        });
        assert!(polled.is_pending());
        let logged = slow.take_logged();
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert_eq!(logged[0].0, 2);
        assert!(logged[0].1 >= Duration::from_millis(20));
        assert!(slow.take_logged().is_empty(), "taken once");
    }
}
