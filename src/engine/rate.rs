//! A cap on how often a batch admits children: its own (at most `max`
//! starts in any window of `per`), or a share of a
//! [`SharedRate`](crate::SharedRate).

use crate::clock::Instant;
use crate::engine::alarm::Alarm;
use crate::limits::SharedRate;
use crate::limits::shared_rate::{RatePlace, Reservation};
use crate::limits::start_log::{NextStart, StartLog};
use core::task::Context;
use std::time::Duration;

/// The admission rate of one batch.
///
/// Admission asks [`allows`](Rate::allows) before it takes a permit, and
/// the engine says [`started`](Rate::started) once the child's first poll
/// has run (a stamp no earlier than the true start), or admission says
/// [`unused`](Rate::unused) if no child was pulled. A batch's own rate only counts
/// starts. A shared one reserves the start at `allows`, since another
/// batch (on another thread, perhaps) could take the last start of the
/// window between the two calls: the reservation holds a place in every
/// window until the start is made (at its true time) or given back.
pub(crate) enum Rate {
    Own {
        log: StartLog,
        /// Armed for the moment the next start is allowed, while one waits.
        alarm: Alarm,
    },
    Shared {
        place: RatePlace,
        /// Armed while this batch is first in line for a full window.
        alarm: Alarm,
        /// A start reserved by `allows` and not yet made or given back.
        reserved: bool,
    },
}

impl Rate {
    /// At most `max` starts in any window of `per`, for this batch alone.
    #[track_caller]
    pub(crate) fn own(max: usize, per: Duration) -> Self {
        Rate::Own {
            log: StartLog::new(max, per, "rate"),
            alarm: Alarm::default(),
        }
    }

    /// A share of `rate`, with the batches that share it.
    pub(crate) fn shared(rate: &SharedRate) -> Self {
        Rate::Shared {
            place: rate.place(),
            alarm: Alarm::default(),
            reserved: false,
        }
    }

    /// Whether a child may start at `now`. If not, arranges a wake-up for
    /// when one may: this batch's timer, or (in line for a shared rate) the
    /// batch before it; [`poll_timer`](Rate::poll_timer) reports the timer.
    pub(crate) fn allows(&mut self, now: Instant, cx: &Context<'_>) -> bool {
        match self {
            Rate::Own { log, alarm } => match log.next_start(now) {
                NextStart::Now => true,
                NextStart::At(free_at) => {
                    alarm.arm_unless_armed(|| free_at - now);
                    false
                }
                // A window that never frees arms no timer: nothing will
                // ever let the next start in. (A batch's own rate reserves
                // nothing.)
                NextStart::Never | NextStart::AfterReserved => false,
            },
            Rate::Shared {
                place,
                alarm,
                reserved,
            } => {
                if *reserved {
                    return true;
                }
                match place.reserve(now, cx) {
                    Reservation::Reserved => {
                        *reserved = true;
                        true
                    }
                    Reservation::FirstAt(free_at) => {
                        alarm.arm_unless_armed(|| free_at.saturating_duration_since(now));
                        false
                    }
                    Reservation::Queued => false,
                }
            }
        }
    }

    /// A child allowed by `allows` starts at `now`.
    pub(crate) fn started(&mut self, now: Instant) {
        match self {
            Rate::Own { log, .. } => {
                log.record(now);
            }
            Rate::Shared {
                place, reserved, ..
            } => {
                if std::mem::take(reserved) {
                    place.confirm(now);
                }
            }
        }
    }

    /// The start allowed by `allows` did not happen (no permit, or nothing
    /// ready in the input): a shared rate's reservation goes back, for
    /// another batch to use.
    #[inline]
    pub(crate) fn unused(&mut self) {
        if let Rate::Shared {
            place, reserved, ..
        } = self
        {
            if std::mem::take(reserved) {
                place.give_back();
            }
        }
    }

    /// Whether a start held back by [`allows`](Rate::allows) may go now.
    pub(crate) fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        match self {
            Rate::Own { alarm, .. } | Rate::Shared { alarm, .. } => alarm.poll_rung(cx),
        }
    }

    /// Stops the timer, and leaves a shared rate's line: the batch admits
    /// nothing more.
    pub(crate) fn stop(&mut self) {
        self.unused();
        match self {
            Rate::Own { alarm, .. } => alarm.stop(),
            Rate::Shared { place, alarm, .. } => {
                alarm.stop();
                place.leave();
            }
        }
    }
}
