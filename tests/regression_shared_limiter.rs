//! Regression: two broken promises of a shared `Limiter`.
//!
//! - Inputs were created before their permits. Each batch pulled its next
//!   input and then queued for a permit, so k batches under a cap of n held
//!   n + k child futures, and whatever the `.map` closure did (opening a
//!   connection, say) happened early. Now a batch takes the permit first.
//! - Busy batches did not take turns. A batch queued for its next permit
//!   while its own child still held the current one, so when that child
//!   finished the same batch was the longest waiter and took the permit
//!   back: two batches under `Limiter::new(1)` ran `aababababb`. Now a freed
//!   permit goes to another waiting batch first.

mod common;
use common::*;
use fanout::Limiter;
use fanout::prelude::*;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// A batch of `count` children under `limiter`, each noting `name` in
/// `log` at its first poll (its start), then yielding once.
fn logging_batch(
    name: char,
    count: usize,
    limiter: &Limiter,
    log: &Arc<Mutex<String>>,
) -> impl Future<Output = Vec<()>> {
    let log = log.clone();
    (0..count)
        .map(move |_| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(name);
                yield_once(()).await;
            }
        })
        .bounded_by(limiter)
        .gather()
}

on_every_executor! {
    async fn one_batch_under_a_shared_limiter_creates_no_child_before_its_permit() {
        let limiter = Limiter::new(2);
        let tracker = Tracker::new();
        let out = (0..20)
            .map(|i| tracker.track(i, sleep_ms(2)))
            .bounded_by(&limiter)
            .gather()
            .await;
        assert_eq!(out.len(), 20);
        assert_eq!(tracker.peak_alive(), 2, "never a child waiting for a permit");
        assert_eq!(limiter.available(), 2);
    }

    async fn three_batches_under_a_limiter_of_two_hold_two_children_between_them() {
        let limiter = Limiter::new(2);
        let tracker = Tracker::new();
        let batch = |first: usize| {
            (first..first + 10)
                .map(|i| tracker.track(i, sleep_ms(2)))
                .bounded_by(&limiter)
                .gather()
        };
        let (a, b, c) = futures::join!(batch(0), batch(10), batch(20));
        assert_eq!(a.len() + b.len() + c.len(), 30);
        assert_eq!(tracker.peak_alive(), 2, "n children in all, not n + k");
        assert_eq!(limiter.available(), 2);
    }

    async fn two_batches_under_a_limiter_of_one_alternate_strictly() {
        let limiter = Limiter::new(1);
        let log = Arc::new(Mutex::new(String::new()));
        futures::join!(
            logging_batch('a', 5, &limiter, &log),
            logging_batch('b', 5, &limiter, &log),
        );
        assert_eq!(*log.lock().unwrap(), "ababababab");
    }

    async fn three_batches_under_a_limiter_of_one_alternate_strictly() {
        let limiter = Limiter::new(1);
        let log = Arc::new(Mutex::new(String::new()));
        futures::join!(
            logging_batch('a', 4, &limiter, &log),
            logging_batch('b', 4, &limiter, &log),
            logging_batch('c', 4, &limiter, &log),
        );
        assert_eq!(*log.lock().unwrap(), "abcabcabcabc");
    }

    async fn two_batches_under_a_limiter_of_two_take_turns_permit_by_permit() {
        let limiter = Limiter::new(2);
        let log = Arc::new(Mutex::new(String::new()));
        futures::join!(
            logging_batch('a', 6, &limiter, &log),
            logging_batch('b', 6, &limiter, &log),
        );
        let log = log.lock().unwrap();
        // `a` takes both permits first; from then on every permit a child
        // frees goes to the other batch while it still has work.
        assert_eq!(*log, "aabbaabbaabb");
    }
}
