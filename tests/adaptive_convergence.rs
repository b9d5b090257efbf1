//! `AdaptiveLimit` against scripted services: one that refuses calls past
//! its capacity, one whose calls slow down as they queue past it, and one
//! that is always fast. The limit must move the right way and settle in
//! the right range; the assertions say which way and roughly where, with
//! wide slack, never an exact value.
//!
//! Not under Miri: these read round trips, which Miri's clock, advancing
//! with the steps it runs, does not measure as the timers see them.

#![cfg(not(miri))]

mod common;
mod shared_limits;
use common::*;
use fanout::AdaptiveLimit;
use fanout::limits::ChangeReason;
use fanout::prelude::*;
use shared_limits::{InFlight, Overloaded};
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

/// A service with room for `capacity` calls at once, each served in
/// `serve_ms`; it counts the calls inside it itself, whoever makes them.
#[derive(Clone)]
struct Service {
    capacity: usize,
    serve_ms: u64,
    inside: Arc<AtomicUsize>,
}

/// A call inside the service; leaves it when dropped.
struct Inside(Arc<AtomicUsize>);

impl Drop for Inside {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

impl Service {
    fn new(capacity: usize, serve_ms: u64) -> Self {
        Service {
            capacity,
            serve_ms,
            inside: Arc::default(),
        }
    }

    /// Enters the service: the calls inside it now, this one included.
    fn enter(&self) -> (usize, Inside) {
        let inside = self.inside.fetch_add(1, SeqCst) + 1;
        (inside, Inside(self.inside.clone()))
    }

    /// A call refused within a millisecond when the service already holds
    /// its capacity, served in full otherwise.
    fn refusing_call(&self) -> impl Future<Output = Result<(), Overloaded>> + use<> {
        let service = self.clone();
        async move {
            let (inside, _inside) = service.enter();
            if inside > service.capacity {
                sleep_ms(1).await;
                return Err(Overloaded);
            }
            sleep_ms(service.serve_ms).await;
            Ok(())
        }
    }

    /// A call that the service serves in turn: past its capacity the
    /// calls queue, and each takes longer in proportion.
    fn queueing_call(&self) -> impl Future<Output = ()> + use<> {
        let service = self.clone();
        async move {
            let (inside, _inside) = service.enter();
            let queued = inside.max(service.capacity) as u64;
            sleep_ms(service.serve_ms * queued / service.capacity as u64).await;
        }
    }
}

/// Every change of `limit` seen at the children's starts, in order.
#[derive(Clone, Default)]
struct Changes(Arc<Mutex<Vec<(usize, usize, ChangeReason)>>>);

impl Changes {
    /// Notes the limit's last change, if it is new.
    fn look(&self, limit: &AdaptiveLimit) {
        let Some(change) = limit.last_change() else {
            return;
        };
        let change = (change.from, change.to, change.reason);
        let mut seen = self.0.lock().unwrap();
        if seen.last() != Some(&change) {
            seen.push(change);
        }
    }

    fn all(&self) -> Vec<(usize, usize, ChangeReason)> {
        self.0.lock().unwrap().clone()
    }

    fn reasons(&self) -> BTreeSet<String> {
        self.all()
            .iter()
            .map(|(_, _, reason)| format!("{reason:?}"))
            .collect()
    }
}

/// `n` calls made by `call`, each watched by `probe` and noting the
/// limit's last change as it starts.
fn watched_calls<'a, F: Future + 'a>(
    n: usize,
    limit: &'a AdaptiveLimit,
    probe: &'a InFlight,
    changes: &'a Changes,
    call: impl Fn() -> F + 'a,
) -> impl Iterator<Item = impl Future<Output = F::Output> + 'a> + 'a {
    (0..n).map(move |i| {
        let (limit, changes) = (limit.clone(), changes.clone());
        let call = call();
        probe.watch(i, async move {
            changes.look(&limit);
            call.await
        })
    })
}

on_every_executor! {
    async fn a_limit_barely_in_use_neither_grows_nor_shrinks() {
        let service = Service::new(1_000, 2);
        let limit = AdaptiveLimit::new(4, 1..=64);
        // Forty fast calls, one at a time: a quarter of the limit in use
        // says nothing of what the service could take.
        for _ in 0..40 {
            assert_eq!([service.queueing_call()].bounded_by(&limit).gather().await.len(), 1);
        }
        assert_eq!((limit.current(), limit.last_change()), (4, None));
        assert_eq!(limit.in_flight(), 0);
    }

    async fn refusals_past_the_capacity_bring_the_limit_down_to_it() {
        let capacity = 6;
        let service = Service::new(capacity, 10);
        let limit = AdaptiveLimit::new(32, 1..=64);
        let probe = InFlight::under(&limit);
        let changes = Changes::default();
        let n = 300;
        let out = watched_calls(n, &limit, &probe, &changes, || service.refusing_call())
            .bounded_by(&limit)
            .overloaded_when(Result::is_err)
            .gather()
            .await;
        let changes = changes.all();
        // Down first, by half: 26 of the first 32 calls were refused at once.
        assert_eq!(changes.first(), Some(&(32, 16, ChangeReason::Overloaded)), "{changes:?}");
        for &(from, to, _) in &changes {
            assert!((to + 1) * 2 >= from, "more than halved at once: {changes:?}");
        }
        // Settled about the capacity: halved each time it passes it, and
        // grown back by one per round trip (twice the capacity is slack).
        let settled = limit.current();
        assert!((1..=2 * capacity).contains(&settled), "settled at {settled}: {changes:?}");
        let late_refusals = out[2 * n / 3..].iter().filter(|out| out.is_err()).count();
        assert!(
            late_refusals * 3 <= n / 3,
            "{late_refusals} of the last {} calls refused: the limit did not settle ({changes:?})",
            n / 3
        );
        probe.assert_never_over();
        assert_eq!(limit.in_flight(), 0);
    }

    async fn round_trips_that_grow_with_the_queue_shrink_the_limit() {
        let capacity = 5;
        let service = Service::new(capacity, 10);
        let limit = AdaptiveLimit::new(30, 1..=64);
        let probe = InFlight::under(&limit);
        let changes = Changes::default();
        // A few calls alone first, to learn how fast an idle service is.
        for _ in 0..5 {
            [service.queueing_call()].bounded_by(&limit).gather().await;
        }
        assert_eq!(limit.last_change(), None, "an idle limit neither grows nor shrinks");
        let n = 240;
        watched_calls(n, &limit, &probe, &changes, || service.queueing_call())
            .bounded_by(&limit)
            .gather()
            .await;
        changes.look(&limit);
        let changes = changes.all();
        assert!(
            changes.iter().any(|&(from, to, reason)| reason == ChangeReason::SlowerRoundTrips && to < from),
            "thirty calls queueing behind a capacity of five never shrank the limit: {changes:?}"
        );
        for &(from, to, _) in &changes {
            assert!((to + 1) * 2 >= from, "more than halved at once: {changes:?}");
        }
        // What the service serves plus a few waiting (about 8 to 11
        // here), with slack.
        let settled = limit.current();
        assert!(settled <= 3 * capacity, "settled at {settled}: {changes:?}");
        probe.assert_never_over();
        assert_eq!(limit.in_flight(), 0);
    }

    async fn fast_calls_grow_the_limit_by_about_one_per_round_trip() {
        let service = Service::new(1_000, 15);
        let limit = AdaptiveLimit::new(2, 1..=64);
        let probe = InFlight::under(&limit);
        let changes = Changes::default();
        let n = 150;
        watched_calls(n, &limit, &probe, &changes, || service.queueing_call())
            .bounded_by(&limit)
            .gather()
            .await;
        changes.look(&limit);
        let reasons = changes.reasons();
        assert!(reasons.contains("Grew"), "{:?}", changes.all());
        // One more per round trip: 150 calls from 2 reach about 17. A
        // third of that is the slack; no more than one per round trip ever.
        let grown = limit.current();
        assert!(grown >= 6, "150 fast calls grew the limit from 2 to {grown}: {:?}", changes.all());
        assert!(grown <= 20, "grew faster than one per round trip: {grown}");
        probe.assert_never_over();
        assert_eq!(limit.in_flight(), 0);
    }
}
