//! `Controller`: how an [`AdaptiveLimit`](crate::AdaptiveLimit) moves its
//! limit, from what its children's round trips and outcomes say.
//!
//! The rules, and where they come from:
//!
//! - **The queue a limit builds**, as TCP Vegas and Netflix's
//!   concurrency-limits `VegasLimit` estimate it: with `best` the best
//!   round trip seen lately (the service's time with no queue) and `rtt`
//!   the present one, `limit × (1 − best / rtt)` children are waiting
//!   inside the service rather than being served. Below `alpha` the service
//!   has room: the limit grows. Above `beta` it queues: the limit shrinks.
//!   In between it stays. `alpha = 3·log10(limit)` and `beta = 2·alpha`, at
//!   least 1 and 2, as Netflix's Vegas sets them: a few waiting children
//!   keep the service busy without making anyone wait long.
//! - **Growth is additive**, one child per round trip's worth of samples
//!   (`1 / limit` per sample), as TCP's congestion avoidance and the AIMD
//!   limits of Netflix and Vector's Adaptive Request Concurrency: a limit
//!   that grows faster overshoots before the slower round trips it causes
//!   come back. It only grows while the limit is used (at least half of it
//!   in flight, Netflix's rule): an idle batch learns nothing about the
//!   service.
//! - **A queue shrinks the limit to what the service serves**, like
//!   Netflix's `Gradient2Limit`: `limit × best / rtt` is what it would
//!   serve with no queue, plus the midpoint of `alpha` and `beta`; never
//!   below half the limit at once.
//! - **Overload halves it.** A child's deadline passed, or the user's
//!   classifier called its output overloaded (an HTTP 429 or 503): the
//!   limit is halved, as TCP Reno does on a loss (Vector and Netflix's AIMD
//!   multiply by 0.9). Halving, because a service past its capacity often
//!   fails its excess in a millisecond, and the errors come at the rate of
//!   that excess: a gentle decrease lets thousands through first.
//! - **One decrease per round trip.** The samples of children started
//!   before a decrease all say the same thing (they ran under the old
//!   limit): only a child admitted after the last decrease may cause the
//!   next (TCP's one reduction per window). Without this, the in-flight
//!   children of one overload would halve the limit once each, down to
//!   its minimum.
//! - **Round trips are smoothed, and the best is windowed.** A decision
//!   reads the smaller of the sample's round trip and their running
//!   average (weight 1/8, TCP's), so neither one slow outlier nor the
//!   average's memory of the old limit triggers a decrease alone. `best`
//!   is the smallest round trip of the last [`BEST_WINDOW`] to twice that,
//!   so a service that got slower for good is learned anew; failed and
//!   overloaded outputs never count (a refusal in a millisecond is not a
//!   fast service).

use crate::clock::Instant;
use std::time::Duration;

/// How long `best` remembers a round trip: the smallest of the last one to
/// two such spans.
pub(crate) const BEST_WINDOW: Duration = Duration::from_secs(5);

/// The weight of a new round trip in the running average.
const SMOOTHING: f64 = 1.0 / 8.0;

/// How one finished child went, as the limit hears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// It finished, and its output is not an overload.
    Fine,
    /// Its own deadline passed.
    DeadlinePassed,
    /// The classifier called its output overloaded.
    Overloaded,
    /// Nothing to learn from: it panicked, or the batch's deadline cut it.
    Unknown,
}

/// Why an [`AdaptiveLimit`](crate::AdaptiveLimit)'s limit last changed.
///
/// ```
/// use fanout::limits::ChangeReason;
/// let reason = ChangeReason::Grew;
/// assert_ne!(reason, ChangeReason::Overloaded);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChangeReason {
    /// Children finished fast and well while the limit was in use.
    Grew,
    /// A child's own deadline passed: halved.
    DeadlinePassed,
    /// The batch's classifier (see
    /// [`overloaded_when`](crate::FanoutExt::overloaded_when)) called an
    /// output overloaded: halved.
    Overloaded,
    /// Round trips grew well past the best seen lately: the service queues.
    SlowerRoundTrips,
}

/// A change of an [`AdaptiveLimit`](crate::AdaptiveLimit)'s limit: what it
/// was, what it became, and why.
///
/// ```
/// use fanout::AdaptiveLimit;
/// let limit = AdaptiveLimit::new(10, 1..=100);
/// // Nothing has finished yet: the limit is where it started.
/// assert_eq!(limit.last_change(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LimitChange {
    /// The limit before.
    pub from: usize,
    /// The limit after.
    pub to: usize,
    /// Why it changed.
    pub reason: ChangeReason,
}

/// The state behind an adaptive limit.
pub(crate) struct Controller {
    /// Fractional, so that additive growth adds up over a round trip.
    limit: f64,
    min: usize,
    max: usize,
    /// Bumped by every decrease: a child admitted before the last one
    /// cannot cause the next.
    epoch: u64,
    /// The smallest round trip of the current and the previous window.
    best: [Option<Duration>; 2],
    /// When the current window of `best` began.
    window_began: Option<Instant>,
    /// The running average of round trips.
    smoothed: Option<Duration>,
    last_change: Option<LimitChange>,
}

impl Controller {
    /// Starts at `initial`, kept within `min..=max` (checked by the caller).
    pub(crate) fn new(initial: usize, min: usize, max: usize) -> Self {
        Controller {
            limit: initial as f64,
            min,
            max,
            epoch: 0,
            best: [None, None],
            window_began: None,
            smoothed: None,
            last_change: None,
        }
    }

    /// The limit now: how many children may be in flight.
    pub(crate) fn current(&self) -> usize {
        // Within min..=max, which are usizes: the cast is exact.
        self.limit as usize
    }

    pub(crate) fn min(&self) -> usize {
        self.min
    }

    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// What a child admitted now carries: the epoch its finish is judged in.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    pub(crate) fn last_change(&self) -> Option<LimitChange> {
        self.last_change
    }

    /// A child admitted in `epoch` finished at `now` after `rtt`, with
    /// `in_flight` children (itself included) holding the limit's permits.
    /// Returns the change of the limit, if it changed.
    pub(crate) fn observe(
        &mut self,
        verdict: Verdict,
        rtt: Duration,
        epoch: u64,
        in_flight: usize,
        now: Instant,
    ) -> Option<LimitChange> {
        let before = self.current();
        let current_epoch = epoch == self.epoch;
        let reason = match verdict {
            Verdict::Unknown => return None,
            Verdict::DeadlinePassed | Verdict::Overloaded => {
                if !current_epoch {
                    return None;
                }
                self.decrease_to(self.limit * 0.5);
                if verdict == Verdict::DeadlinePassed {
                    ChangeReason::DeadlinePassed
                } else {
                    ChangeReason::Overloaded
                }
            }
            Verdict::Fine => {
                // The average before this sample: one outlier must not
                // move both sides of the `min` below.
                let smoothed = self.smoothed.unwrap_or(rtt);
                let best = self.learn(rtt, now);
                let seen = rtt.min(smoothed).max(best);
                let limit = self.limit;
                let queue =
                    limit * (1.0 - best.as_secs_f64() / seen.as_secs_f64().max(f64::MIN_POSITIVE));
                let alpha = (3.0 * limit.log10()).max(1.0);
                let beta = 2.0 * alpha;
                if queue > beta && current_epoch {
                    let serves = limit * best.as_secs_f64() / seen.as_secs_f64();
                    self.decrease_to((serves + (alpha + beta) / 2.0).max(limit * 0.5));
                    ChangeReason::SlowerRoundTrips
                } else if queue < alpha && in_flight * 2 >= before {
                    self.limit = (self.limit + 1.0 / self.limit).min(self.max as f64);
                    ChangeReason::Grew
                } else {
                    return None;
                }
            }
        };
        let after = self.current();
        if after == before {
            return None;
        }
        let change = LimitChange {
            from: before,
            to: after,
            reason,
        };
        self.last_change = Some(change);
        Some(change)
    }

    /// Lowers the limit to `target` (kept within the range), and starts a
    /// new epoch.
    fn decrease_to(&mut self, target: f64) {
        self.limit = target.floor().clamp(self.min as f64, self.limit);
        self.epoch += 1;
    }

    /// Takes a fine child's round trip into the best and the running
    /// average; returns the best now.
    fn learn(&mut self, rtt: Duration, now: Instant) -> Duration {
        let began = *self.window_began.get_or_insert(now);
        if now.saturating_duration_since(began) >= BEST_WINDOW {
            self.best = [None, self.best[0]];
            self.window_began = Some(now);
        }
        self.best[0] = Some(self.best[0].map_or(rtt, |best| best.min(rtt)));
        self.smoothed = Some(match self.smoothed {
            None => rtt,
            Some(smoothed) => smoothed.mul_f64(1.0 - SMOOTHING) + rtt.mul_f64(SMOOTHING),
        });
        self.best.iter().flatten().min().copied().unwrap_or(rtt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Feeds `n` fine samples of `rtt`, each with the limit in use.
    fn feed(controller: &mut Controller, n: usize, rtt: Duration, now: Instant) {
        for _ in 0..n {
            let epoch = controller.epoch();
            let in_flight = controller.current();
            controller.observe(Verdict::Fine, rtt, epoch, in_flight, now);
        }
    }

    #[test]
    fn fast_round_trips_grow_the_limit_by_about_one_per_round_trip() {
        let now = Instant::now();
        let mut controller = Controller::new(10, 1, 100);
        feed(&mut controller, 10, ms(20), now);
        assert_eq!(
            controller.current(),
            10,
            "ten samples add 1/10 each, a little less"
        );
        feed(&mut controller, 1, ms(20), now);
        assert_eq!(controller.current(), 11);
        assert_eq!(
            controller.last_change().map(|c| c.reason),
            Some(ChangeReason::Grew)
        );
    }

    #[test]
    fn an_idle_limit_does_not_grow() {
        let now = Instant::now();
        let mut controller = Controller::new(10, 1, 100);
        for _ in 0..1000 {
            controller.observe(Verdict::Fine, ms(20), 0, 4, now);
        }
        assert_eq!(controller.current(), 10);
    }

    #[test]
    fn growth_stops_at_max() {
        let now = Instant::now();
        let mut controller = Controller::new(10, 1, 12);
        feed(&mut controller, 10_000, ms(20), now);
        assert_eq!(controller.current(), 12);
    }

    #[test]
    fn an_overload_halves_the_limit_once_per_epoch() {
        let now = Instant::now();
        let mut controller = Controller::new(40, 1, 100);
        let change = controller.observe(Verdict::Overloaded, ms(1), 0, 40, now);
        assert_eq!(
            change,
            Some(LimitChange {
                from: 40,
                to: 20,
                reason: ChangeReason::Overloaded
            })
        );
        // The rest of the children admitted before the decrease change nothing.
        for _ in 0..39 {
            assert_eq!(
                controller.observe(Verdict::Overloaded, ms(1), 0, 39, now),
                None
            );
        }
        assert_eq!(controller.current(), 20);
        // One admitted after it halves again.
        controller.observe(Verdict::DeadlinePassed, ms(1), 1, 20, now);
        assert_eq!(controller.current(), 10);
        assert_eq!(
            controller.last_change().map(|c| c.reason),
            Some(ChangeReason::DeadlinePassed)
        );
    }

    #[test]
    fn never_below_min() {
        let now = Instant::now();
        let mut controller = Controller::new(4, 3, 100);
        for epoch in 0..10 {
            controller.observe(Verdict::Overloaded, ms(1), epoch, 4, now);
        }
        assert_eq!(controller.current(), 3);
    }

    #[test]
    fn round_trips_well_above_the_best_shrink_the_limit_to_what_the_service_serves() {
        let now = Instant::now();
        let mut controller = Controller::new(45, 1, 100);
        feed(&mut controller, 5, ms(20), now);
        // The service now serves 10 at 20 ms, and n > 10 in flight take
        // 20 ms * n / 10. Round trip after round trip, each generation of
        // children admitted under the limit of the one before:
        let mut limits = vec![controller.current()];
        for _ in 0..20 {
            let in_flight = controller.current();
            let rtt = ms(20 * in_flight.max(10) as u64 / 10);
            let epoch = controller.epoch();
            for _ in 0..in_flight {
                controller.observe(Verdict::Fine, rtt, epoch, in_flight, now);
            }
            limits.push(controller.current());
        }
        for pair in limits.windows(2) {
            assert!(
                pair[1] * 2 >= pair[0],
                "never more than halved at once: {limits:?}"
            );
        }
        let settled = &limits[10..];
        assert!(
            settled.iter().all(|limit| (10..=20).contains(limit)),
            "down to what it serves, plus a few waiting: {limits:?}"
        );
        assert!(
            controller.epoch() >= 2,
            "more than one decrease: {limits:?}"
        );
    }

    #[test]
    fn one_slow_outlier_changes_nothing() {
        let now = Instant::now();
        let mut controller = Controller::new(20, 1, 100);
        feed(&mut controller, 100, ms(20), now);
        let before = controller.current();
        controller.observe(Verdict::Fine, ms(500), controller.epoch(), before, now);
        assert!(controller.current() >= before);
    }

    #[test]
    fn failed_fast_outputs_do_not_teach_the_best_round_trip() {
        let now = Instant::now();
        let mut controller = Controller::new(20, 1, 100);
        feed(&mut controller, 10, ms(20), now);
        controller.observe(Verdict::Overloaded, ms(1), 99, 20, now);
        controller.observe(Verdict::Unknown, ms(1), 0, 20, now);
        assert_eq!(controller.best[0], Some(ms(20)));
    }

    #[test]
    fn the_best_round_trip_is_forgotten_after_two_windows() {
        let now = Instant::now();
        let mut controller = Controller::new(20, 1, 100);
        feed(&mut controller, 1, ms(5), now);
        feed(&mut controller, 1, ms(30), now + BEST_WINDOW);
        assert_eq!(controller.learn(ms(30), now + BEST_WINDOW), ms(5));
        assert_eq!(controller.learn(ms(30), now + BEST_WINDOW * 2), ms(30));
    }
}
