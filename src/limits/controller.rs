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
//! - **Round trips are smoothed.** A decision reads the smaller of the
//!   sample's round trip and their running average before it (weight 1/8,
//!   TCP's), so neither one slow outlier nor the average's memory of the
//!   old limit triggers a decrease alone. Failed and overloaded outputs
//!   never count (a refusal in a millisecond is not a fast service).
//! - **The best round trip is measured again by a probe**, as Envoy's
//!   adaptive concurrency filter does: every [`PROBE_EVERY`], the limit is
//!   halved for one round trip (until every child admitted in it has
//!   finished), the best is what those children took, and the limit goes
//!   back to where it was. Without it, a limit that always keeps a few
//!   children queued never sees the service's time with no queue again;
//!   forgetting the best instead (a window) lets the queued time become the
//!   best, and the limit creeps up until the service overflows. Between
//!   probes the best only falls, so a service that got slower for good is
//!   learned at the next probe (until then the limit stays lower than it
//!   could be, never higher).
//!
//! Against a service that refuses in a millisecond, halvings can follow
//! each other within milliseconds: each refusal of a child admitted after
//! the last halving is a round trip of its own. They stop with the
//! refusals.

use crate::clock::Instant;
use std::time::Duration;

/// How often the limit probes for the service's round trip with no queue.
/// Envoy's filter measures every 60 s by default; half of that here, so a
/// slower service is learned sooner, at the cost of one round trip at half
/// the limit twice a minute.
pub(crate) const PROBE_EVERY: Duration = Duration::from_secs(30);

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
    /// Halved for one round trip to measure the service's round trip with
    /// no queue, or back from that probe (every 30 s).
    Probe,
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

/// A probe for the best round trip: the limit is halved until every child
/// admitted in the probe's epoch has finished.
struct Probe {
    /// The limit to go back to.
    restore: f64,
    /// The best round trip of the probe's children.
    best: Option<Duration>,
    /// How many of the probe's children have yet to finish.
    left: usize,
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
    /// The smallest round trip since the last probe.
    best: Option<Duration>,
    /// When the next probe begins (counted from the first sample).
    next_probe: Option<Instant>,
    /// A probe under way.
    probe: Option<Probe>,
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
            best: None,
            next_probe: None,
            probe: None,
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
        let reason = if self.probe.is_some() {
            self.probing(verdict, rtt, current_epoch, now)?
        } else if self.next_probe.is_some_and(|at| now >= at) {
            // This sample's news is a round trip old; the probe's children
            // will say more.
            self.probe = Some(Probe {
                restore: self.limit,
                best: None,
                left: 0,
            });
            self.decrease_to(self.limit * 0.5);
            if let Some(probe) = self.probe.as_mut() {
                probe.left = self.limit as usize;
            }
            ChangeReason::Probe
        } else {
            self.adjust(verdict, rtt, current_epoch, in_flight, now)?
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

    /// The rules outside a probe (see the module's docs).
    fn adjust(
        &mut self,
        verdict: Verdict,
        rtt: Duration,
        current_epoch: bool,
        in_flight: usize,
        now: Instant,
    ) -> Option<ChangeReason> {
        match verdict {
            Verdict::Unknown => None,
            Verdict::DeadlinePassed | Verdict::Overloaded => {
                if !current_epoch {
                    return None;
                }
                self.decrease_to(self.limit * 0.5);
                Some(overload_reason(verdict))
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
                    Some(ChangeReason::SlowerRoundTrips)
                } else if queue < alpha && in_flight * 2 >= self.current() {
                    self.limit = (self.limit + 1.0 / self.limit).min(self.max as f64);
                    Some(ChangeReason::Grew)
                } else {
                    None
                }
            }
        }
    }

    /// A sample during a probe: only the probe's own children count. The
    /// last of them ends it, the limit back where it was and the best
    /// theirs; an overload ends it at once, halved again and not restored.
    fn probing(
        &mut self,
        verdict: Verdict,
        rtt: Duration,
        current_epoch: bool,
        now: Instant,
    ) -> Option<ChangeReason> {
        if !current_epoch {
            return None;
        }
        let probe = self.probe.as_mut()?;
        match verdict {
            Verdict::Unknown => {
                probe.left = probe.left.saturating_sub(1);
            }
            Verdict::Fine => {
                probe.best = Some(probe.best.map_or(rtt, |best| best.min(rtt)));
                probe.left = probe.left.saturating_sub(1);
            }
            Verdict::DeadlinePassed | Verdict::Overloaded => {
                self.probe = None;
                self.next_probe = Some(now + PROBE_EVERY);
                self.decrease_to(self.limit * 0.5);
                return Some(overload_reason(verdict));
            }
        }
        if probe.left > 0 {
            return None;
        }
        let probe = self.probe.take()?;
        if let Some(best) = probe.best {
            self.best = Some(best);
            self.smoothed = Some(best);
        }
        self.limit = probe.restore.clamp(self.min as f64, self.max as f64);
        self.epoch += 1;
        self.next_probe = Some(now + PROBE_EVERY);
        Some(ChangeReason::Probe)
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
        self.next_probe.get_or_insert(now + PROBE_EVERY);
        let best = self.best.map_or(rtt, |best| best.min(rtt));
        self.best = Some(best);
        self.smoothed = Some(match self.smoothed {
            None => rtt,
            Some(smoothed) => smoothed.mul_f64(1.0 - SMOOTHING) + rtt.mul_f64(SMOOTHING),
        });
        best
    }
}

/// The reason an overload gives.
fn overload_reason(verdict: Verdict) -> ChangeReason {
    if verdict == Verdict::DeadlinePassed {
        ChangeReason::DeadlinePassed
    } else {
        ChangeReason::Overloaded
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
        assert_eq!(controller.best, Some(ms(20)));
    }

    #[test]
    fn the_best_round_trip_stays_until_a_probe_measures_it_again() {
        let t0 = Instant::now();
        let mut controller = Controller::new(20, 1, 100);
        feed(&mut controller, 20, ms(20), t0);
        // Queued round trips for a long while (once the running average
        // has caught up with them): the best is not forgotten, so the
        // limit does not creep up.
        feed(&mut controller, 50, ms(25), t0 + PROBE_EVERY / 4);
        let before = controller.current();
        feed(&mut controller, 500, ms(25), t0 + PROBE_EVERY / 2);
        assert_eq!(controller.best, Some(ms(20)));
        assert!(
            controller.current() <= before,
            "{} > {before}",
            controller.current()
        );
        // The service got slower for good: 40 ms with no queue. Until the
        // probe, the limit shrinks (never grows); the probe halves it for
        // one round trip and learns 40 ms.
        let probe_at = t0 + PROBE_EVERY;
        let limit = controller.current();
        let change = controller.observe(Verdict::Fine, ms(40), controller.epoch(), limit, probe_at);
        assert_eq!(change.map(|c| c.reason), Some(ChangeReason::Probe));
        assert_eq!(controller.current(), limit / 2);
        // A child admitted before the probe teaches nothing now.
        controller.observe(
            Verdict::Fine,
            ms(90),
            controller.epoch() - 1,
            limit,
            probe_at,
        );
        assert!(controller.probe.is_some());
        let probing = controller.current();
        let epoch = controller.epoch();
        for _ in 0..probing {
            controller.observe(Verdict::Fine, ms(40), epoch, probing, probe_at + ms(40));
        }
        assert!(
            controller.probe.is_none(),
            "every child of the probe finished"
        );
        assert_eq!(controller.best, Some(ms(40)));
        assert_eq!(controller.current(), limit, "back where it was");
        assert_eq!(
            controller.last_change().map(|c| c.reason),
            Some(ChangeReason::Probe)
        );
        // The probe's end starts an epoch of its own: a child admitted
        // before the probe, judged only now, speaks of a limit long gone.
        assert!(controller.epoch() > epoch, "a new epoch after the probe");
        controller.observe(
            Verdict::Overloaded,
            ms(1),
            epoch - 1,
            limit,
            probe_at + ms(80),
        );
        assert_eq!(
            controller.current(),
            limit,
            "an overload met by a child admitted before the probe changed the limit"
        );
    }

    #[test]
    fn an_overload_during_a_probe_ends_it_without_going_back() {
        let t0 = Instant::now();
        let mut controller = Controller::new(40, 1, 100);
        feed(&mut controller, 1, ms(20), t0);
        controller.observe(
            Verdict::Fine,
            ms(20),
            controller.epoch(),
            40,
            t0 + PROBE_EVERY,
        );
        assert_eq!(controller.current(), 20, "probing");
        let epoch = controller.epoch();
        controller.observe(Verdict::Overloaded, ms(1), epoch, 20, t0 + PROBE_EVERY);
        assert!(controller.probe.is_none());
        assert_eq!(controller.current(), 10);
        assert_eq!(
            controller.last_change().map(|c| c.reason),
            Some(ChangeReason::Overloaded)
        );
    }
}
