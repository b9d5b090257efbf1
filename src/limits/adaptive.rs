//! `AdaptiveLimit`: a cap on children in flight that follows how the
//! service copes.

use crate::limits::controller::{Controller, LimitChange};
use crate::limits::{Limiter, SharedLimit};
use crate::sealed::Token;
use core::fmt;
use core::ops::RangeInclusive;

/// A cap on children in flight that grows while they finish fast and well,
/// and shrinks when the service queues or is overloaded; shared, like a
/// [`Limiter`], by every batch given it with
/// [`bounded_by`](crate::FanoutExt::bounded_by).
///
/// A fixed `bounded(n)` is a guess: too low and a fast service idles, too
/// high and a slow one queues until deadlines pass and it starts refusing.
/// This starts at `initial`, stays within `range`, and moves as the
/// children's round trips and outcomes say:
///
/// - It **grows** by about one per round trip while children finish with
///   round trips near the best seen lately and the limit is in use.
/// - It **shrinks to what the service serves** when round trips grow well
///   past that best (the service queues): at most by half at once.
/// - It **halves** on overload: a child's own deadline passed
///   ([`with_deadline`](crate::FanoutExt::with_deadline)), or the batch's
///   classifier called its output overloaded
///   ([`overloaded_when`](crate::FanoutExt::overloaded_when), for an HTTP
///   429 or 503, say).
/// - It shrinks **at most once per round trip**: only a child admitted
///   after the last decrease can cause the next.
///
/// A shrink below the children in flight lets them finish (none is
/// dropped); no new child starts until fewer than the limit are in flight.
/// Children that panic or that the batch's own deadline cuts off teach it
/// nothing. The rules come from TCP Vegas and Reno and from Netflix's
/// concurrency-limits (`VegasLimit`, `Gradient2Limit`, `AIMDLimit`); the
/// [`limits`](crate::limits) module's source says which rule comes from
/// where, and why.
///
/// Cloning is cheap and every clone is the same limit. Batches that share
/// it take turns for permits as under a [`Limiter`] (first come, first
/// served), and each child's outcome moves the one limit.
///
/// # Examples
///
/// ```
/// use fanout::prelude::*;
/// use fanout::AdaptiveLimit;
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// #[derive(Debug)]
/// enum Error { TooManyRequests, Other }
///
/// let limit = AdaptiveLimit::new(10, 1..=100);
/// let out = (0..50)
///     .map(|i| async move { if i % 10 == 9 { Err(Error::TooManyRequests) } else { Ok(i) } })
///     .bounded_by(&limit)
///     .with_deadline(Duration::from_secs(1))
///     .overloaded_when(|out| matches!(out, Err(Error::TooManyRequests)))
///     .gather()
///     .await;
/// assert_eq!(out.len(), 50);
/// // Refusals halved it; its limit stays within the range.
/// assert!((1..=100).contains(&limit.current()));
/// println!("limit {}, last change {:?}", limit.current(), limit.last_change());
/// # });
/// ```
#[derive(Clone)]
pub struct AdaptiveLimit {
    limiter: Limiter,
}

impl AdaptiveLimit {
    /// A limit that starts at `initial` and stays within `range`.
    ///
    /// # Panics
    ///
    /// If the range starts at 0 (a limit of 0 would never admit a child),
    /// is empty, or does not hold `initial`.
    ///
    /// ```should_panic
    /// let _ = fanout::AdaptiveLimit::new(10, 0..=100); // panics: the least limit must be at least 1
    /// ```
    #[track_caller]
    #[must_use]
    pub fn new(initial: usize, range: RangeInclusive<usize>) -> Self {
        let (min, max) = range.into_inner();
        assert!(
            min > 0,
            "fanout: `AdaptiveLimit::new(_, 0..=_)` could shrink to 0 and never admit a child; the range must start at 1 or more"
        );
        assert!(
            min <= max,
            "fanout: `AdaptiveLimit::new(_, {min}..={max})` has an empty range"
        );
        assert!(
            (min..=max).contains(&initial),
            "fanout: `AdaptiveLimit::new({initial}, {min}..={max})` starts outside its range"
        );
        AdaptiveLimit {
            limiter: Limiter::with(initial, Some(Controller::new(initial, min, max))),
        }
    }

    /// How many children may be in flight now, across every batch sharing
    /// the limit.
    ///
    /// ```
    /// assert_eq!(fanout::AdaptiveLimit::new(10, 1..=100).current(), 10);
    /// ```
    #[must_use]
    pub fn current(&self) -> usize {
        self.limiter.capacity()
    }

    /// The range the limit stays within.
    ///
    /// ```
    /// assert_eq!(fanout::AdaptiveLimit::new(10, 2..=100).range(), 2..=100);
    /// ```
    #[must_use]
    pub fn range(&self) -> RangeInclusive<usize> {
        self.limiter
            .read_controller(|controller| controller.min()..=controller.max())
            .unwrap_or(1..=1)
    }

    /// How many children hold a permit now, across every batch sharing the
    /// limit. Right after a shrink this can exceed
    /// [`current`](AdaptiveLimit::current): those children finish.
    ///
    /// ```
    /// assert_eq!(fanout::AdaptiveLimit::new(10, 1..=100).in_flight(), 0);
    /// ```
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.limiter.in_flight()
    }

    /// The last change of the limit, and why; `None` while it is still
    /// where it started. For progress bars and logs.
    ///
    /// ```
    /// assert_eq!(fanout::AdaptiveLimit::new(10, 1..=100).last_change(), None);
    /// ```
    #[must_use]
    pub fn last_change(&self) -> Option<LimitChange> {
        self.limiter
            .read_controller(Controller::last_change)
            .flatten()
    }
}

impl crate::sealed::Sealed for AdaptiveLimit {}

impl SharedLimit for AdaptiveLimit {
    fn current(&self) -> usize {
        AdaptiveLimit::current(self)
    }

    fn limiter(&self, _: Token) -> Limiter {
        self.limiter.clone()
    }
}

impl fmt::Debug for AdaptiveLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdaptiveLimit")
            .field("current", &self.current())
            .field("range", &self.range())
            .field("in_flight", &self.in_flight())
            .field("last_change", &self.last_change())
            .finish()
    }
}
