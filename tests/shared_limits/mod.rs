//! What the tests of the limits that batches share watch: how many
//! children are in flight when each one starts, against the limit as it
//! stands then, and when each one starts, against a rate's windows.

#![allow(dead_code, unreachable_pub)]

use fanout::AdaptiveLimit;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The error a scripted service returns when it is past its capacity: an
/// HTTP 429 or 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overloaded;

/// What a start must fit under.
#[derive(Clone)]
enum Bound {
    /// The adaptive limit as it stands at the start. Exact only where
    /// every batch sharing the limit runs in one task: then nothing moves
    /// the limit between a child's admission and its first poll.
    Current(AdaptiveLimit),
    /// A fixed number: the top of the limit's range, for batches on
    /// several threads.
    AtMost(usize),
}

#[derive(Default)]
struct Counts {
    now: AtomicUsize,
    peak: AtomicUsize,
    starts: AtomicUsize,
    /// `(input index, in flight with it, bound)` at every start that found
    /// more children in flight than the bound allowed.
    over: Mutex<Vec<(usize, usize, usize)>>,
    /// The most children in flight beyond the limit at a child's end:
    /// above 0 once a shrink left more children running than it allows.
    beyond_at_end: AtomicUsize,
}

/// Counts the children in flight under a shared limit, from each child's
/// first poll (its start) to its end or its drop, and checks at every
/// start that the children in flight, the new one included, fit the
/// limit. Clone it into the closure that builds the children.
#[derive(Clone)]
pub struct InFlight {
    bound: Bound,
    counts: Arc<Counts>,
}

impl InFlight {
    /// Checks each start against `limit.current()` at that moment.
    pub fn under(limit: &AdaptiveLimit) -> Self {
        InFlight {
            bound: Bound::Current(limit.clone()),
            counts: Arc::default(),
        }
    }

    /// Checks each start against a fixed `max`.
    pub fn at_most(max: usize) -> Self {
        InFlight {
            bound: Bound::AtMost(max),
            counts: Arc::default(),
        }
    }

    fn bound(&self) -> usize {
        match &self.bound {
            Bound::Current(limit) => limit.current(),
            Bound::AtMost(max) => *max,
        }
    }

    /// `child` for input `index`, counted in flight from its first poll to
    /// its end or its drop.
    pub fn watch<F: Future>(
        &self,
        index: usize,
        child: F,
    ) -> impl Future<Output = F::Output> + use<F> {
        let me = self.clone();
        async move {
            let _running = me.start(index);
            child.await
        }
    }

    fn start(&self, index: usize) -> Running {
        let counts = &self.counts;
        let now = counts.now.fetch_add(1, SeqCst) + 1;
        counts.peak.fetch_max(now, SeqCst);
        counts.starts.fetch_add(1, SeqCst);
        let bound = self.bound();
        if now > bound {
            counts.over.lock().unwrap().push((index, now, bound));
        }
        Running(self.clone())
    }

    /// Children in flight now.
    pub fn now(&self) -> usize {
        self.counts.now.load(SeqCst)
    }

    /// The most children in flight at once.
    pub fn peak(&self) -> usize {
        self.counts.peak.load(SeqCst)
    }

    /// Children started.
    pub fn starts(&self) -> usize {
        self.counts.starts.load(SeqCst)
    }

    /// The starts that found more children in flight than the bound
    /// allowed: `(input index, in flight with it, bound)`.
    pub fn over(&self) -> Vec<(usize, usize, usize)> {
        self.counts.over.lock().unwrap().clone()
    }

    /// The most children that were in flight beyond the limit when one of
    /// them ended.
    pub fn beyond_at_end(&self) -> usize {
        self.counts.beyond_at_end.load(SeqCst)
    }

    /// Asserts that no start found more children in flight than allowed.
    #[track_caller]
    pub fn assert_never_over(&self) {
        let over = self.over();
        assert!(
            over.is_empty(),
            "children started with more in flight than the limit allowed, as (input, in flight, limit): {over:?}"
        );
    }
}

/// One child in flight; dropped at its end or with it.
struct Running(InFlight);

impl Drop for Running {
    fn drop(&mut self) {
        let counts = &self.0.counts;
        let before = counts.now.fetch_sub(1, SeqCst);
        let beyond = before.saturating_sub(self.0.bound());
        counts.beyond_at_end.fetch_max(beyond, SeqCst);
    }
}

/// The start of every child of several batches: when its first poll
/// began, and which batch it belongs to.
#[derive(Clone, Default)]
pub struct Starts(Arc<Mutex<Vec<(Instant, char)>>>);

impl Starts {
    pub fn new() -> Self {
        Self::default()
    }

    /// `child` of batch `batch`, noting when its first poll begins.
    pub fn watch<F: Future>(
        &self,
        batch: char,
        child: F,
    ) -> impl Future<Output = F::Output> + use<F> {
        let starts = self.0.clone();
        async move {
            // The clock first: nothing between fanout's first poll and it.
            let now = Instant::now();
            starts.lock().unwrap().push((now, batch));
            child.await
        }
    }

    /// The batches in the order their children started.
    pub fn order(&self) -> String {
        let mut starts = self.0.lock().unwrap().clone();
        starts.sort_by_key(|&(at, _)| at);
        starts.into_iter().map(|(_, batch)| batch).collect()
    }

    /// Every start, in time order.
    pub fn times(&self) -> Vec<Instant> {
        let mut times: Vec<Instant> = self.0.lock().unwrap().iter().map(|&(at, _)| at).collect();
        times.sort();
        times
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Asserts that no window of length `per` holds more than `max`
    /// starts: each start comes at least `per` after the start `max`
    /// places before it. Exact, with no slack: a start is stamped as its
    /// first poll begins, so the rate's own stamps are no later than these.
    #[track_caller]
    pub fn assert_no_window_holds_more_than(&self, max: usize, per: Duration) {
        let times = self.times();
        let order = self.order();
        for k in max..times.len() {
            let gap = times[k] - times[k - max];
            assert!(
                gap >= per,
                "start {k} came {gap:?} after start {}: {} starts within {per:?}, at most {max} allowed (order {order})",
                k - max,
                max + 1,
            );
        }
    }
}
