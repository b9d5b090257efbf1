//! `StartLog`: the arithmetic of "at most `max` starts in any window of
//! `per`", shared by a batch's own rate and a [`SharedRate`](crate::SharedRate).

use crate::clock::Instant;
use std::collections::VecDeque;
use std::time::Duration;

/// The recent starts a rate counts, and when the next may happen.
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
pub(crate) struct StartLog {
    max: usize,
    per: Duration,
    /// Starts closer together than this share an entry.
    grain: Duration,
    /// Recent starts, oldest first: when, and how many.
    starts: VecDeque<(Instant, usize)>,
    /// How many starts `starts` holds: at most `max`, as older ones can
    /// never be the start `max` places before a new one.
    logged: usize,
    /// Starts reserved and not yet made (a shared rate's, while the batch
    /// that reserved one pulls its child): each holds a place in every
    /// window until it is made, at its true time, or given back. No time
    /// frees it.
    pending: usize,
}

/// How finely the log divides `per` (see [`StartLog`]).
const GRAINS: u32 = 1024;

/// When the next start may happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NextStart {
    /// Now.
    Now,
    /// Once the clock reads this.
    At(Instant),
    /// Never: the window that holds it back ends past the last instant the
    /// clock can represent.
    Never,
    /// When the starts reserved and not yet made are: no time frees their
    /// places.
    AfterReserved,
}

impl StartLog {
    /// At most `max` starts in any window of `per`. `call` names the
    /// caller's method in the panic messages (`rate`, `SharedRate::new`).
    #[track_caller]
    pub(crate) fn new(max: usize, per: Duration, call: &str) -> Self {
        assert!(
            max > 0,
            "fanout: `{call}(0, ..)` would never admit a child; allow at least 1 start per interval"
        );
        assert!(
            !per.is_zero(),
            "fanout: `{call}(.., Duration::ZERO)` has no interval to count starts in; give it a positive one"
        );
        // Loud for the plain misuse (`Duration::MAX`); an interval that
        // passes but whose later windows end out of the clock's range is
        // handled in `next_start`.
        assert!(
            Instant::now().checked_add(per).is_some(),
            "fanout: the interval given to `{call}` is too long to measure; use a shorter one"
        );
        StartLog {
            max,
            per,
            grain: per / GRAINS,
            starts: VecDeque::new(),
            logged: 0,
            pending: 0,
        }
    }

    /// At most this many starts in any window.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// The window's length.
    pub(crate) fn per(&self) -> Duration {
        self.per
    }

    /// When the next start may happen, seen at `now`.
    ///
    /// A window whose end lies past the last instant the clock can represent
    /// never frees: `new` only checks that `per` can be added to the time of
    /// the call, and a start made later may be too late for that. Counting
    /// such a window as endless never lets a start in early, where rounding
    /// its end down would.
    pub(crate) fn next_start(&mut self, now: Instant) -> NextStart {
        while let Some(&(at, count)) = self.starts.front() {
            if self.window_end(at).is_none_or(|end| end > now) {
                break;
            }
            self.starts.pop_front();
            self.logged -= count;
        }
        if self.logged + self.pending < self.max {
            return NextStart::Now;
        }
        // The start that must leave the window for one more to fit: with
        // no start reserved, the oldest (the one `max` places back).
        let Some(mut skip) = (self.logged + self.pending + 1).checked_sub(self.max) else {
            return NextStart::Now;
        };
        for &(at, count) in &self.starts {
            if skip <= count {
                return match self.window_end(at) {
                    Some(free_at) => NextStart::At(free_at),
                    None => NextStart::Never,
                };
            }
            skip -= count;
        }
        NextStart::AfterReserved
    }

    /// Whether a start may happen at `now`.
    #[cfg(test)]
    fn allows_at(&mut self, now: Instant) -> bool {
        self.next_start(now) == NextStart::Now
    }

    /// When the window of `per` that begins at `at` ends; `None` if that is
    /// past what the clock can represent.
    fn window_end(&self, at: Instant) -> Option<Instant> {
        at.checked_add(self.per)
    }

    /// Records a start at `now`.
    pub(crate) fn record(&mut self, now: Instant) {
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

    /// Reserves a start that [`next_start`](StartLog::next_start) allowed:
    /// it holds its place until [`made`](StartLog::made) or
    /// [`given_back`](StartLog::given_back).
    pub(crate) fn reserve(&mut self) {
        self.pending += 1;
    }

    /// A reserved start happens at `now`.
    pub(crate) fn made(&mut self, now: Instant) {
        self.pending -= 1;
        self.record(now);
    }

    /// A reserved start did not happen.
    pub(crate) fn given_back(&mut self) {
        self.pending -= 1;
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
        let mut log = StartLog::new(2, ms(100), "rate");
        assert!(log.allows_at(t0));
        log.record(t0);
        assert!(log.allows_at(t0 + ms(10)));
        log.record(t0 + ms(10));
        assert!(!log.allows_at(t0 + ms(99)));
        assert!(log.allows_at(t0 + ms(100)));
        log.record(t0 + ms(100));
        // The start at 10 ms is now the one `max` places back.
        assert!(!log.allows_at(t0 + ms(109)));
        assert!(log.allows_at(t0 + ms(110)));
    }

    #[test]
    fn only_starts_less_than_a_grain_apart_share_an_entry() {
        let t0 = Instant::now();
        // A grain of exactly 1 ms.
        let mut log = StartLog::new(2, ms(u64::from(GRAINS)), "rate");
        log.record(t0);
        log.record(t0 + ms(1));
        assert_eq!(
            log.starts.len(),
            2,
            "a grain apart is not less than a grain"
        );
        // So the first start frees its place at its own time plus `per`,
        // not a grain later.
        assert!(log.allows_at(t0 + ms(u64::from(GRAINS))));
    }

    #[test]
    fn starts_older_than_per_are_forgotten() {
        let t0 = Instant::now();
        let mut log = StartLog::new(usize::MAX, ms(10), "rate");
        // Under Miri, 20 ms of starts: past `per` twice over, in seconds.
        let steps = if cfg!(miri) { 400 } else { 100_000u32 };
        for step in 0..steps {
            let now = t0 + Duration::from_micros(u64::from(step) * 50);
            assert!(log.allows_at(now));
            log.record(now);
        }
        // 10 ms of starts 50 µs apart, at most a grain apart are merged.
        assert!(log.starts.len() <= 201, "{} entries", log.starts.len());
    }

    #[test]
    fn the_log_stays_small_however_many_starts_fall_within_per() {
        let t0 = Instant::now();
        // Under Miri, 5,000 starts 1 ms apart (the merging into grains of
        // 3.5 s, not the bound at a million, is what it checks there).
        let (steps, apart) = if cfg!(miri) {
            (5_000, 1_000)
        } else {
            (1_000_000u64, 1)
        };
        let mut log = StartLog::new(usize::MAX, Duration::from_secs(3600), "rate");
        for step in 0..steps {
            let now = t0 + Duration::from_micros(step * apart);
            log.record(now);
        }
        assert!(
            log.starts.len() <= GRAINS as usize + 1,
            "{} entries",
            log.starts.len()
        );
        assert_eq!(log.logged as u64, steps);
    }

    #[test]
    fn merged_starts_only_ever_delay_later_ones() {
        let t0 = Instant::now();
        let per = ms(1024);
        let mut log = StartLog::new(2, per, "rate");
        // Two starts within one grain (1 ms) share the later stamp.
        log.record(t0);
        log.record(t0 + Duration::from_micros(500));
        // Exactly `per` after the first start is too early now, by at most
        // a grain; never early.
        assert!(!log.allows_at(t0 + per));
        assert!(log.allows_at(t0 + per + Duration::from_micros(500)));
    }

    #[test]
    fn a_reserved_start_holds_its_place_however_long_it_takes() {
        let t0 = Instant::now();
        let mut log = StartLog::new(2, ms(100), "rate");
        log.record(t0);
        log.reserve();
        assert_eq!(log.next_start(t0 + ms(50)), NextStart::At(t0 + ms(100)));
        // Long after any window of the reservation's time, it still holds
        // a place: only the recorded start frees one.
        assert_eq!(log.next_start(t0 + ms(500)), NextStart::Now);
        log.reserve();
        assert_eq!(log.next_start(t0 + ms(500)), NextStart::AfterReserved);
        // Made at its true time, it holds that window.
        log.made(t0 + ms(500));
        assert_eq!(log.next_start(t0 + ms(550)), NextStart::At(t0 + ms(600)));
        log.made(t0 + ms(560));
        assert_eq!(log.next_start(t0 + ms(570)), NextStart::At(t0 + ms(600)));
        assert!(log.allows_at(t0 + ms(600)));
    }

    #[test]
    fn a_reservation_given_back_frees_its_place() {
        let t0 = Instant::now();
        let mut log = StartLog::new(1, ms(100), "rate");
        log.reserve();
        assert_eq!(log.next_start(t0), NextStart::AfterReserved);
        log.given_back();
        assert!(log.allows_at(t0));
        assert_eq!(log.logged, 0);
    }

    #[test]
    fn with_reservations_the_start_to_wait_for_is_further_back() {
        let t0 = Instant::now();
        let mut log = StartLog::new(3, ms(100), "rate");
        log.record(t0);
        log.record(t0 + ms(10));
        log.reserve();
        // Full: one start must leave the window, the oldest.
        assert_eq!(log.next_start(t0 + ms(20)), NextStart::At(t0 + ms(100)));
        log.reserve();
        // Over full by one more: the two oldest must leave.
        assert_eq!(log.next_start(t0 + ms(20)), NextStart::At(t0 + ms(110)));
    }

    #[test]
    fn the_log_never_counts_more_than_max() {
        let t0 = Instant::now();
        let mut log = StartLog::new(3, Duration::from_secs(1), "rate");
        for step in 0..10u64 {
            log.record(t0 + ms(step * 10));
        }
        assert_eq!(log.logged, 3);
        // The start 3 places back is the one at 70 ms.
        assert!(!log.allows_at(t0 + ms(1069)));
        assert!(log.allows_at(t0 + ms(1070)));
    }
}
