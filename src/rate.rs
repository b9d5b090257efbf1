//! A cap on how often a batch admits children: at most `max` starts in any
//! window of `per`.

use crate::alarm::Alarm;
use crate::clock::Instant;
use core::task::Context;
use std::collections::VecDeque;
use std::time::Duration;

/// The admission rate of one batch.
///
/// Why a log of the last `max` starts rather than a token bucket: a bucket
/// refilled continuously lets `max + 1` children start within one interval
/// (a full burst, then one more as soon as the first token comes back),
/// which is exactly what an API's "at most n per second" forbids. With the
/// log, a child may start only once the start `max` places before it is at
/// least `per` old, so no window of length `per` ever holds more than `max`.
pub(crate) struct Rate {
    max: usize,
    per: Duration,
    /// When the last (at most `max`) children were admitted, oldest first.
    starts: VecDeque<Instant>,
    /// Armed for the moment the next start is allowed, while one waits.
    alarm: Alarm,
}

impl Rate {
    /// At most `max` starts in any window of `per`.
    #[track_caller]
    pub(crate) fn new(max: usize, per: Duration) -> Self {
        assert!(
            max > 0,
            "fanout: `rate(0, ..)` would never admit a child; allow at least 1 start per interval"
        );
        assert!(
            !per.is_zero(),
            "fanout: `rate(.., Duration::ZERO)` has no interval to count starts in; give it a positive one"
        );
        assert!(
            Instant::now().checked_add(per).is_some(),
            "fanout: the interval given to `rate` is too long to measure; use a shorter one"
        );
        Rate {
            max,
            per,
            starts: VecDeque::with_capacity(max.min(1024)),
            alarm: Alarm::default(),
        }
    }

    /// Whether a child may start at `now`. If not, arms the timer for the
    /// moment one may; [`poll_timer`](Rate::poll_timer) reports it.
    pub(crate) fn allows(&mut self, now: Instant) -> bool {
        if self.starts.len() < self.max {
            return true;
        }
        // Checked in `new`: adding `per` to an instant stays representable.
        let free_at = self.starts[0] + self.per;
        if now >= free_at {
            return true;
        }
        self.alarm.arm_unless_armed(|| free_at - now);
        false
    }

    /// Records a start at `now`.
    pub(crate) fn started(&mut self, now: Instant) {
        if self.starts.len() == self.max {
            self.starts.pop_front();
        }
        self.starts.push_back(now);
    }

    /// Whether a start held back by [`allows`](Rate::allows) may go now.
    pub(crate) fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        self.alarm.poll_rung(cx)
    }

    /// Stops the timer: the batch admits nothing more.
    pub(crate) fn stop(&mut self) {
        self.alarm.stop();
    }
}
