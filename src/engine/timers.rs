//! `Timers`: the clocks a batch keeps running, the children's deadlines and
//! the batch's own, and how often a busy batch looks at them.

use crate::clock::Instant;
use crate::engine::alarm::Alarm;
use crate::engine::deadline_queue::DeadlineQueue;
use crate::engine::home::{DeadlineTag, Homes};
use core::task::Context;
use std::time::Duration;

/// How many passes may hand on an output without looking at the timers.
const PASSES_BETWEEN_CHECKS: u8 = 16;

/// The timers of one batch.
#[derive(Default)]
pub(crate) struct Timers {
    /// The waiting children's deadlines, and the timer for the earliest.
    deadlines: DeadlineQueue,
    /// The children admitted since the clock was last read for deadlines,
    /// waiting for the next reading (see [`Timers::stamp_deadlines`]).
    unstamped: Vec<DeadlineTag>,
    /// The whole batch's deadline, once started: when it is due, and the
    /// alarm for it. `None` also once it passed and the batch was cut, or
    /// when it is too far away to represent.
    batch: Option<(Instant, Alarm)>,
    /// The batch deadline has passed: said again, without polling a timer
    /// that fired, until the timers stop.
    batch_has_passed: bool,
    /// Passes left before the timers are looked at again (they always are
    /// before the task sleeps). Polling a `Delay` costs about as much as a
    /// ready child; once every few passes still drops a late child within
    /// microseconds when its siblings keep finishing.
    passes_until_check: u8,
}

impl Timers {
    /// Whether this pass looks at the timers: the first one does, then one
    /// in every few.
    pub(crate) fn check_this_pass(&mut self) -> bool {
        if self.passes_until_check == 0 {
            self.passes_until_check = PASSES_BETWEEN_CHECKS;
            return true;
        }
        self.passes_until_check -= 1;
        false
    }

    /// Starts the batch's own deadline, `within` from now (one too far
    /// away to represent never passes).
    pub(crate) fn start_batch(&mut self, within: Duration) {
        let now = Instant::now();
        self.batch = now.checked_add(within).map(|due| {
            let mut alarm = Alarm::default();
            alarm.arm_unless_armed(|| within);
            (due, alarm)
        });
    }

    /// Whether the batch's own deadline has passed; registers `cx` if not.
    ///
    /// Inlined: admission asks before every pull, and most batches have no
    /// deadline of their own.
    #[inline]
    pub(crate) fn batch_passed(&mut self, cx: &mut Context<'_>) -> bool {
        if self.batch_has_passed {
            return true;
        }
        match self.batch.as_mut() {
            None => false,
            Some((due, alarm)) => {
                self.batch_has_passed = poll_batch(*due, alarm, cx);
                self.batch_has_passed
            }
        }
    }

    /// Queues the deadline of a child just admitted, to be stamped by the
    /// next [`stamp_deadlines`](Timers::stamp_deadlines).
    #[inline]
    pub(crate) fn defer_deadline(&mut self, tag: DeadlineTag) {
        self.unstamped.push(tag);
    }

    /// Reads the clock once for every child admitted since the last call,
    /// and gives each `deadline` from that reading.
    ///
    /// One reading per admission pass instead of one per child: a clock
    /// read was a fifth of what a deadline cost a waiting child. The
    /// reading comes after those children's first polls, so none gets less
    /// than its full deadline from its admission; one may get more, by the
    /// time the task spent on the rest of the same pass (its siblings'
    /// creation from the input and their first polls), which it could not
    /// have used anyway (the task was busy).
    ///
    /// `waiting` is how many children wait in all, for the queue's upkeep.
    #[inline]
    pub(crate) fn stamp_deadlines(&mut self, deadline: Duration, waiting: usize, homes: &Homes) {
        if !self.unstamped.is_empty() {
            self.stamp_unstamped(deadline, waiting, homes);
        }
    }

    /// [`stamp_deadlines`](Timers::stamp_deadlines) with children to stamp.
    fn stamp_unstamped(&mut self, deadline: Duration, waiting: usize, homes: &Homes) {
        // Children that finished within the pass they were admitted in
        // never needed their deadline: they cost no entry, and a pass
        // whose children all finished costs no clock reading.
        self.unstamped.retain(|tag| tag.is_live(homes));
        if self.unstamped.is_empty() {
            return;
        }
        let now = Instant::now();
        let Some(due) = now.checked_add(deadline) else {
            // Too far away to represent: it never passes.
            self.unstamped.clear();
            return;
        };
        self.deadlines.compact(waiting, homes);
        self.deadlines.push_group(due, now, &mut self.unstamped);
    }

    pub(crate) fn poll_expired(&mut self, cx: &mut Context<'_>, homes: &Homes) -> bool {
        self.deadlines.poll_expired(cx, homes)
    }

    /// Stops every timer: the batch has been abandoned.
    pub(crate) fn stop(&mut self) {
        self.batch = None;
        self.batch_has_passed = false;
        self.unstamped.clear();
        self.deadlines.stop();
    }
}

/// Polls the batch's own deadline, `due`, through its alarm (see
/// [`Timers::batch_passed`]): an alarm that rang before `due` (a wait
/// longer than one timer holds) is armed again for the rest.
#[inline(never)]
fn poll_batch(due: Instant, alarm: &mut Alarm, cx: &mut Context<'_>) -> bool {
    while alarm.poll_rung(cx) {
        let now = Instant::now();
        if now >= due {
            return true;
        }
        alarm.arm_unless_armed(|| due.saturating_duration_since(now));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{PASSES_BETWEEN_CHECKS, Timers, poll_batch};
    use crate::clock::Instant;
    use crate::engine::alarm::Alarm;
    use core::task::Context;
    use futures::task::noop_waker;
    use std::time::Duration;

    #[test]
    fn a_busy_batch_looks_at_its_timers_once_every_few_passes() {
        let mut timers = Timers::default();
        let checks: Vec<bool> = (0..2 * (usize::from(PASSES_BETWEEN_CHECKS) + 1))
            .map(|_| timers.check_this_pass())
            .collect();
        assert_eq!(checks.iter().filter(|check| **check).count(), 2);
        assert!(checks[0] && checks[usize::from(PASSES_BETWEEN_CHECKS) + 1]);
    }

    #[test]
    fn the_batch_deadline_passes_only_once_started_and_never_after_a_stop() {
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut timers = Timers::default();
        assert!(!timers.batch_passed(&mut cx), "not started");
        timers.start_batch(Duration::ZERO);
        // The timer thread marks it passed: wait for that, however busy
        // the machine is.
        let give_up = std::time::Instant::now() + Duration::from_secs(10);
        while !timers.batch_passed(&mut cx) {
            assert!(
                std::time::Instant::now() < give_up,
                "a zero deadline never passed"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(timers.batch_passed(&mut cx), "passed stays passed");
        timers.stop();
        assert!(!timers.batch_passed(&mut cx));
    }

    #[test]
    fn an_alarm_that_rings_before_the_batch_deadline_is_armed_again() {
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        // Due in an hour; the alarm rings after 1 ms, as one armed for a
        // wait longer than a host timer holds rings after that timer.
        let due = Instant::now() + Duration::from_secs(3_600);
        let mut alarm = Alarm::default();
        alarm.arm_unless_armed(|| Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(20));
        let give_up = std::time::Instant::now() + Duration::from_secs(10);
        while !alarm.rang_for_test() {
            assert!(std::time::Instant::now() < give_up, "the alarm never rang");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(!poll_batch(due, &mut alarm, &mut cx), "an hour early");
        assert!(alarm.is_armed_for_test(), "armed again for the rest");
    }

    #[test]
    fn a_batch_deadline_too_far_away_to_represent_never_passes() {
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut timers = Timers::default();
        timers.start_batch(Duration::MAX);
        assert!(timers.batch.is_none());
        assert!(!timers.batch_passed(&mut cx));
    }
}
