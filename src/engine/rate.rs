//! A cap on how often a batch admits children: at most `max` starts in any
//! window of `per`.

use crate::engine::alarm::Alarm;
use crate::engine::clock::Instant;
use core::task::Context;
use std::collections::VecDeque;
use std::time::Duration;

/// The admission rate of one batch.
///
/// Why a log of recent starts rather than a token bucket: a bucket
/// refilled continuously lets `max + 1` children start within one interval
/// (a full burst, then one more as soon as the first token comes back),
/// which is exactly what an API's "at most n per second" forbids. With the
/// log, a child may start only once the start `max` places before it is at
/// least `per` old, so no window of length `per` ever holds more than `max`.
///
/// The log stays small whatever `max` is: starts older than `per` can never
/// limit a later one and are forgotten, and starts less than a
/// [`GRAINS`]th of `per` apart share one entry, stamped with the latest of
/// them. Stamping a start later than it happened only ever delays the
/// starts after it (by less than `per / GRAINS`), never lets one in early,
/// and it bounds the log to about `GRAINS` entries.
pub(crate) struct Rate {
    max: usize,
    per: Duration,
    /// Starts closer together than this share an entry.
    grain: Duration,
    /// Recent starts, oldest first: when, and how many.
    starts: VecDeque<(Instant, usize)>,
    /// How many starts `starts` holds: at most `max`, as older ones can
    /// never be the start `max` places before a new one.
    logged: usize,
    /// Armed for the moment the next start is allowed, while one waits.
    alarm: Alarm,
}

/// How finely the log divides `per` (see [`Rate`]).
const GRAINS: u32 = 1024;

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
        // Loud for the plain misuse (`Duration::MAX`); an interval that
        // passes but whose later windows end out of the clock's range is
        // handled in `allows`.
        assert!(
            Instant::now().checked_add(per).is_some(),
            "fanout: the interval given to `rate` is too long to measure; use a shorter one"
        );
        Rate {
            max,
            per,
            grain: per / GRAINS,
            starts: VecDeque::new(),
            logged: 0,
            alarm: Alarm::default(),
        }
    }

    /// Whether a child may start at `now`. If not, arms the timer for the
    /// moment one may; [`poll_timer`](Rate::poll_timer) reports it.
    ///
    /// A window whose end lies past the last instant the clock can represent
    /// never frees: `new` only checks that `per` can be added to the time of
    /// the call, and a start made later may be too late for that. Counting
    /// such a window as endless never lets a start in early, where rounding
    /// its end down would.
    pub(crate) fn allows(&mut self, now: Instant) -> bool {
        while let Some(&(at, count)) = self.starts.front() {
            if self.window_end(at).is_none_or(|end| end > now) {
                break;
            }
            self.starts.pop_front();
            self.logged -= count;
        }
        if self.logged < self.max {
            return true;
        }
        // The start `max` places back is in the oldest entry. A window that
        // never frees arms no timer: nothing will ever let the next start in.
        if let Some(free_at) = self.window_end(self.starts[0].0) {
            self.alarm.arm_unless_armed(|| free_at - now);
        }
        false
    }

    /// When the window of `per` that begins at `at` ends; `None` if that is
    /// past what the clock can represent.
    fn window_end(&self, at: Instant) -> Option<Instant> {
        at.checked_add(self.per)
    }

    /// Records a start at `now`.
    pub(crate) fn started(&mut self, now: Instant) {
        match self.starts.back_mut() {
            Some((at, count)) if now.saturating_duration_since(*at) < self.grain => {
                *at = (*at).max(now);
                *count += 1;
            }
            _ => self.starts.push_back((now, 1)),
        }
        self.logged += 1;
        // Starts more than `max` places back can never hold a start back.
        if self.logged > self.max {
            if let Some((_, oldest)) = self.starts.front_mut() {
                *oldest -= 1;
                if *oldest == 0 {
                    self.starts.pop_front();
                }
            }
            self.logged -= 1;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_full_window_holds_the_next_start_until_its_oldest_start_is_per_old() {
        let t0 = Instant::now();
        let mut rate = Rate::new(2, ms(100));
        assert!(rate.allows(t0));
        rate.started(t0);
        assert!(rate.allows(t0 + ms(10)));
        rate.started(t0 + ms(10));
        assert!(!rate.allows(t0 + ms(99)));
        assert!(rate.allows(t0 + ms(100)));
        rate.started(t0 + ms(100));
        // The start at 10 ms is now the one `max` places back.
        assert!(!rate.allows(t0 + ms(109)));
        assert!(rate.allows(t0 + ms(110)));
    }

    #[test]
    fn only_starts_less_than_a_grain_apart_share_an_entry() {
        let t0 = Instant::now();
        // A grain of exactly 1 ms.
        let mut rate = Rate::new(2, ms(u64::from(GRAINS)));
        rate.started(t0);
        rate.started(t0 + ms(1));
        assert_eq!(
            rate.starts.len(),
            2,
            "a grain apart is not less than a grain"
        );
        // So the first start frees its place at its own time plus `per`,
        // not a grain later.
        assert!(rate.allows(t0 + ms(u64::from(GRAINS))));
    }

    #[test]
    fn starts_older_than_per_are_forgotten() {
        let t0 = Instant::now();
        let mut rate = Rate::new(usize::MAX, ms(10));
        for step in 0..100_000u32 {
            let now = t0 + Duration::from_micros(u64::from(step) * 50);
            assert!(rate.allows(now));
            rate.started(now);
        }
        // 10 ms of starts 50 µs apart, at most a grain apart are merged.
        assert!(rate.starts.len() <= 201, "{} entries", rate.starts.len());
    }

    #[test]
    fn the_log_stays_small_however_many_starts_fall_within_per() {
        let t0 = Instant::now();
        let mut rate = Rate::new(usize::MAX, Duration::from_secs(3600));
        for step in 0..1_000_000u64 {
            let now = t0 + Duration::from_micros(step);
            rate.started(now);
        }
        assert!(
            rate.starts.len() <= GRAINS as usize + 1,
            "{} entries",
            rate.starts.len()
        );
        assert_eq!(rate.logged, 1_000_000);
    }

    #[test]
    fn merged_starts_only_ever_delay_later_ones() {
        let t0 = Instant::now();
        let per = ms(1024);
        let mut rate = Rate::new(2, per);
        // Two starts within one grain (1 ms) share the later stamp.
        rate.started(t0);
        rate.started(t0 + Duration::from_micros(500));
        // Exactly `per` after the first start is too early now, by at most
        // a grain; never early.
        assert!(!rate.allows(t0 + per));
        assert!(rate.allows(t0 + per + Duration::from_micros(500)));
    }

    #[test]
    fn the_log_never_counts_more_than_max() {
        let t0 = Instant::now();
        let mut rate = Rate::new(3, Duration::from_secs(1));
        for step in 0..10u64 {
            rate.started(t0 + ms(step * 10));
        }
        assert_eq!(rate.logged, 3);
        // The start 3 places back is the one at 70 ms.
        assert!(!rate.allows(t0 + ms(1069)));
        assert!(rate.allows(t0 + ms(1070)));
    }
}
