//! 100,000 batches dropped at random points of their run: no child is left
//! undropped and no permit of the shared limiter is lost, including batches
//! dropped while queued for a permit or holding one handed to them.

mod common;
use common::Tracker;
use common::scripted::{End, Script, Scripted, Wake};
use fanout::Limiter;
use fanout::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

/// A small deterministic generator, so a failure can be replayed by seed.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

type Running<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

#[test]
fn a_storm_of_dropped_batches_leaks_neither_children_nor_permits() {
    let _watchdog = common::watchdog::Watchdog::start();
    let rounds = if cfg!(miri) { 200 } else { 100_000 };
    let mut rng = XorShift(0x5eed_f00d);
    let tracker = Tracker::new();
    let limiter = Limiter::new(8);
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    // A few batches stay alive across rounds, so some are dropped while
    // queued behind others on the limiter.
    let mut live: Vec<Running<'_>> = Vec::new();
    for _ in 0..rounds {
        let len = rng.below(12) as usize;
        let scripts: Vec<Script> = (0..len)
            .map(|_| Script {
                pendings: rng.below(3) as u8,
                wake: Wake::AtOnce,
                end: if rng.below(6) == 0 {
                    End::Never
                } else {
                    End::Ok
                },
            })
            .collect();
        let children = scripts
            .into_iter()
            .enumerate()
            .map(|(i, s)| tracker.track(i, Scripted::new(i, s)));
        let bound = 1 + rng.below(6) as usize;
        let batch: Running<'_> = match rng.below(5) {
            0 => Box::pin(async move {
                children.bounded(bound).gather().await;
            }),
            1 => Box::pin(async {
                children.bounded_by(&limiter).gather().await;
            }),
            2 => Box::pin(async {
                let _ = children.bounded_by(&limiter).try_gather().await;
            }),
            3 => Box::pin(async move {
                let deadline = Duration::from_secs(60);
                children
                    .within(deadline)
                    .bounded(bound)
                    .with_deadline(deadline)
                    .gather()
                    .await;
            }),
            _ => Box::pin(async {
                let batch = children
                    .with_deadline(Duration::from_secs(60))
                    .bounded_by(&limiter);
                let _ = futures::StreamExt::collect::<Vec<_>>(batch.as_completed()).await;
            }),
        };
        live.push(batch);
        // Poll every live batch a little (letting go of those that finish),
        // then drop one at random.
        live.retain_mut(|batch| {
            (0..rng.below(4)).all(|_| batch.as_mut().poll(&mut cx).is_pending())
        });
        if !live.is_empty() && (live.len() > 3 || rng.below(2) == 0) {
            let victim = rng.below(live.len() as u64) as usize;
            drop(live.swap_remove(victim));
        }
    }
    drop(live);
    assert_eq!(tracker.alive(), 0, "children left undropped");
    assert_eq!(tracker.dropped(), tracker.created());
    assert_eq!(limiter.available(), limiter.capacity(), "permits lost");
    assert!(tracker.created() > rounds, "the storm created children");
}
