//! Regression: a child that registers its waker once could hang its batch.
//!
//! A home (the heap cell a child is first polled in) is reused by the next
//! child once its child finishes, and its waker with it. A child can finish
//! before its own wake-up has landed: its reactor marks it done, the batch
//! polls it for another reason and it returns `Ready`, and only then does
//! the reactor's wake-up arrive, at a home that now holds the next child.
//! That late wake-up was taken as the new child's: the new child was polled
//! before its own wake-up, with a waker other than the one it had
//! registered, and the home's forwarding was used up; the new child's own
//! wake-up, sent later to the waker it registered, reached no one. A child
//! that registers its waker once (much hand-written code does, and every
//! peer runs it) was stranded, and its batch hung: within one to six
//! drains of a million children.
//!
//! Rule 13 of the design: a child is polled again only after its own
//! wake-up, always with the waker it was first given. The children here
//! assert both (see `common::strict`).

mod common;
use common::driver::or_stuck;
use common::strict::Reactor;
use fanout::prelude::*;
use futures::StreamExt;
use std::time::Duration;

const WATCHDOG: Duration = Duration::from_secs(60);

/// Enough children for many homes to be reused while wake-ups are late;
/// `FANOUT_REGISTER_ONCE_CHILDREN` sets more, for a long hunt.
fn children() -> usize {
    if cfg!(miri) {
        return 50;
    }
    std::env::var("FANOUT_REGISTER_ONCE_CHILDREN")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000)
}

on_every_executor! {
    async fn as_completed_under_small_and_large_bounds() {
        let reactor = Reactor::new();
        for bound in [1, 5, 100] {
            let n = children();
            let drained = or_stuck(
                WATCHDOG,
                (0..n)
                    .map(|i| reactor.child(i))
                    .bounded(bound)
                    .as_completed()
                    .count(),
            )
            .await;
            assert_eq!(drained, n, "bound {bound}: children lost");
        }
    }

    async fn unbounded_gather_in_input_order() {
        let reactor = Reactor::new();
        let n = children();
        let out = or_stuck(WATCHDOG, (0..n).map(|i| reactor.child(i)).gather()).await;
        assert_eq!(out, (0..n).collect::<Vec<_>>());
    }

    async fn in_order_with_a_deadline_none_reaches() {
        let reactor = Reactor::new();
        let n = children();
        let out: Vec<_> = or_stuck(
            WATCHDOG,
            (0..n)
                .map(|i| reactor.child(i))
                .bounded(8)
                .with_deadline(Duration::from_secs(3600))
                .in_order()
                .collect(),
        )
        .await;
        assert_eq!(out, (0..n).map(Ok).collect::<Vec<_>>());
    }
}
