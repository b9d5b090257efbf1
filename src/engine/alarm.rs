//! `Alarm`: one timer, reused, that is either armed or idle.

use core::task::{Context, Poll};
use futures::FutureExt;
use futures_timer::Delay;
use std::time::Duration;

/// A [`Delay`] kept across arms, so re-arming resets it rather than
/// allocating a new one and registering it with the timer thread again.
///
/// Its users (the per-child deadlines, the rate limit) arm it for the
/// earliest moment something is due and only re-arm after it rang, so an
/// armed alarm is never moved later or earlier.
#[derive(Default)]
pub(crate) struct Alarm {
    delay: Option<Delay>,
    armed: bool,
}

impl Alarm {
    /// Arms the alarm to ring after `wait()`, unless it is armed already.
    /// `wait` is only called to arm: every waiting child asks, and the
    /// alarm is almost always armed by then.
    pub(crate) fn arm_unless_armed(&mut self, wait: impl FnOnce() -> Duration) {
        if self.armed {
            return;
        }
        match self.delay.as_mut() {
            Some(delay) => delay.reset(wait()),
            None => self.delay = Some(Delay::new(wait())),
        }
        self.armed = true;
    }

    /// Whether the armed alarm has rung; it is idle again if so. An idle
    /// alarm never rings; an armed one that has not rung yet wakes the task
    /// when it does.
    pub(crate) fn poll_rung(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(delay) = self.delay.as_mut().filter(|_| self.armed) else {
            return false;
        };
        if delay.poll_unpin(cx) == Poll::Pending {
            return false;
        }
        self.armed = false;
        true
    }

    /// Idle for good: the timer is freed.
    pub(crate) fn stop(&mut self) {
        self.delay = None;
        self.armed = false;
    }
}
