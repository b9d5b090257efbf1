//! `Alarm`: one timer, reused, that is either armed or idle.

use core::task::{Context, Poll};
use futures::FutureExt;
use futures_timer::Delay;
use std::time::Duration;

/// A [`Delay`] kept across arms, so re-arming resets it rather than
/// allocating a new one and registering it with the timer thread again.
///
/// Its users (the per-child deadlines, the rate limit, the batch deadline)
/// arm it for the earliest moment something is due and only re-arm after
/// it rang, so an armed alarm is never moved later or earlier.
///
/// A `Delay` is never polled again once it fired: on wasm32 it is a
/// JavaScript host's timer, whose future panics when polled after it
/// resolved. And no wait is armed longer than [`LONGEST_WAIT`], the most
/// one host timer holds: a longer one rings early, and its users, who
/// compare the clock with what is due whenever it rings, arm it again.
/// The longest wait one timer is armed for: JavaScript's `setTimeout`
/// fires at once for more than 2^31 - 1 ms (about 24.8 days), and
/// futures-timer's wasm32 `Delay` truncates its wait to 32 bits of
/// milliseconds. Natively a timer rings early only for waits this long.
pub(crate) const LONGEST_WAIT: Duration = Duration::from_millis(i32::MAX as u64);

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
        let wait = wait().min(LONGEST_WAIT);
        match self.delay.as_mut() {
            Some(delay) => delay.reset(wait),
            None => self.delay = Some(Delay::new(wait)),
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

    #[cfg(test)]
    pub(crate) fn is_armed_for_test(&self) -> bool {
        self.armed
    }

    /// Whether the armed alarm's timer has fired, without consuming it.
    #[cfg(test)]
    pub(crate) fn rang_for_test(&mut self) -> bool {
        let waker = futures::task::noop_waker();
        let delay = self.delay.as_mut().expect("armed");
        // Natively a fired `Delay` stays ready: polling it here leaves it
        // so for `poll_rung`.
        delay
            .poll_unpin(&mut Context::from_waker(&waker))
            .is_ready()
    }

    /// Idle for good: the timer is freed.
    pub(crate) fn stop(&mut self) {
        self.delay = None;
        self.armed = false;
    }
}
