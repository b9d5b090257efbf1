//! The core of the suite on wasm32-unknown-unknown, run under node by
//! `wasm-bindgen-test-runner`: no threads there, one JavaScript event loop,
//! and every timer (the children's, the deadlines', the rate's) a
//! `setTimeout` of the host (the `wasm` feature). What runs natively on
//! five executor set-ups runs here on the host's microtask queue:
//! `gather`, `bounded`, `with_deadline`, `within`, `as_completed`,
//! `in_order`, `until`, `report`, `flatten_errors`, a shared `Limiter`.
//!
//! ```sh
//! rustup target add wasm32-unknown-unknown
//! cargo install wasm-bindgen-cli --version <the wasm-bindgen version in Cargo.lock>
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!     cargo test -p fanout --target wasm32-unknown-unknown --features wasm --test wasm
//! ```
//!
//! Natively this file is empty.

#![cfg(target_arch = "wasm32")]

use fanout::prelude::*;
use fanout::{Elapsed, Limiter};
use futures::StreamExt;
use futures_timer::Delay;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen_test::wasm_bindgen_test;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Counts the children in flight, and the most that ever were.
#[derive(Default, Clone)]
struct Gauge(Rc<(Cell<usize>, Cell<usize>)>);

impl Gauge {
    /// `value` after `wait` on the host's timer, counted in flight meanwhile.
    async fn run<T>(&self, wait: Duration, value: T) -> T {
        let (now, most) = &*self.0;
        now.set(now.get() + 1);
        most.set(most.get().max(now.get()));
        Delay::new(wait).await;
        now.set(now.get() - 1);
        value
    }

    fn most(&self) -> usize {
        self.0.1.get()
    }
}

#[wasm_bindgen_test]
async fn gather_keeps_input_order_under_a_bound() {
    let gauge = Gauge::default();
    let out = (0..20u64)
        .map(|i| gauge.run(ms(20 - i), i))
        .bounded(4)
        .gather()
        .await;
    assert_eq!(out, (0..20).collect::<Vec<_>>());
    assert_eq!(gauge.most(), 4);
}

#[wasm_bindgen_test]
async fn a_child_past_its_deadline_is_cut_and_its_siblings_finish() {
    let out = (0..6u64)
        .map(|i| Delay::new(ms(if i == 2 { 5_000 } else { 5 })))
        .bounded(3)
        .with_deadline(ms(200))
        .gather()
        .await;
    let timed_out: Vec<usize> = (0..6).filter(|&i| out[i].is_err()).collect();
    assert_eq!(timed_out, [2]);
    assert_eq!(out[2], Err(Elapsed::Child));
}

#[wasm_bindgen_test]
async fn within_cuts_the_whole_batch() {
    let out = (0..10u64)
        .map(|i| async move {
            Delay::new(ms(if i < 2 { 1 } else { 5_000 })).await;
            i
        })
        .bounded(4)
        .within(ms(100))
        .gather()
        .await;
    assert_eq!(&out[..2], [Ok(0), Ok(1)]);
    assert!(out[2..].iter().all(|r| *r == Err(Elapsed::Batch)));
    assert_eq!(out.len(), 10);
}

#[wasm_bindgen_test]
async fn as_completed_hands_on_the_fastest_first() {
    let order: Vec<usize> = [60u64, 5, 30]
        .into_iter()
        .map(|wait| Delay::new(ms(wait)))
        .as_completed()
        .map(|(index, ())| index)
        .collect()
        .await;
    assert_eq!(order, [1, 2, 0]);
}

#[wasm_bindgen_test]
async fn in_order_with_a_consumer_that_awaits() {
    let gauge = Gauge::default();
    let written = Rc::new(Cell::new(Vec::new()));
    let sink = written.clone();
    (0..12u64)
        .map(|i| gauge.run(ms(1 + (i * 7) % 10), i))
        .bounded(3)
        .with_deadline(ms(2_000))
        .in_order()
        .for_each(move |out| {
            let sink = sink.clone();
            async move {
                Delay::new(ms(3)).await;
                let mut seen = sink.take();
                seen.push(out.unwrap());
                sink.set(seen);
            }
        })
        .await;
    assert_eq!(written.take(), (0..12).collect::<Vec<_>>());
    assert!(gauge.most() <= 3);
}

#[wasm_bindgen_test]
async fn until_stops_admission_and_the_running_finish() {
    let (stop, stopped) = futures::channel::oneshot::channel::<()>();
    let started = Rc::new(Cell::new(0));
    let counted = started.clone();
    let mut stop = Some(stop);
    let out = (0..1_000u64)
        .map(move |i| {
            counted.set(counted.get() + 1);
            async move {
                Delay::new(ms(2)).await;
                i
            }
        })
        .bounded(2)
        .on_each(move |index, _| {
            if index == 5 {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(());
                }
            }
        })
        .until(stopped)
        .gather()
        .await;
    assert_eq!(out, (0..out.len() as u64).collect::<Vec<_>>());
    assert!((6..20).contains(&out.len()), "{} outputs", out.len());
    assert_eq!(started.get(), out.len(), "nothing made after the stop");
}

#[wasm_bindgen_test]
async fn report_and_flatten_errors_sort_every_outcome() {
    #[derive(Debug, PartialEq)]
    enum Failed {
        Refused,
        Late,
    }
    impl From<Elapsed> for Failed {
        fn from(_: Elapsed) -> Self {
            Failed::Late
        }
    }
    let calls = || {
        (0..6u64).map(|i| async move {
            Delay::new(ms(if i == 4 { 5_000 } else { 2 })).await;
            if i == 1 { Err(Failed::Refused) } else { Ok(i) }
        })
    };
    let report = calls().bounded(3).with_deadline(ms(150)).report().await;
    assert_eq!(report.to_string(), "4 ok, 1 failed, 1 timed out");
    let flat = calls()
        .bounded(3)
        .with_deadline(ms(150))
        .flatten_errors()
        .gather()
        .await;
    assert_eq!(flat[1], Err(Failed::Refused));
    assert_eq!(flat[4], Err(Failed::Late));
    assert_eq!(flat.iter().filter(|r| r.is_ok()).count(), 4);
}

#[wasm_bindgen_test]
async fn two_batches_share_a_limiter() {
    let limiter = Limiter::new(3);
    let gauge = Gauge::default();
    let first = (0..10u64)
        .map(|i| gauge.run(ms(4), i))
        .bounded_by(&limiter)
        .gather();
    let second = (10..20u64)
        .map(|i| gauge.run(ms(6), i))
        .bounded_by(&limiter)
        .gather();
    let (first, second) = futures::join!(first, second);
    assert_eq!((first.len(), second.len()), (10, 10));
    assert_eq!(gauge.most(), 3, "the two batches together");
    assert_eq!(limiter.available(), 3);
}

/// A deadline longer than one host timer holds (`setTimeout` fires at once
/// past 2^31 - 1 ms, about 24.8 days) must not cut anything early.
#[wasm_bindgen_test]
async fn a_deadline_of_thirty_days_cuts_nothing() {
    let thirty_days = Duration::from_secs(30 * 86_400);
    let out = (0..4u64)
        .map(|i| async move {
            Delay::new(ms(40)).await;
            i
        })
        .bounded(2)
        .with_deadline(thirty_days)
        .within(thirty_days)
        .gather()
        .await;
    assert_eq!(out, [Ok(0), Ok(1), Ok(2), Ok(3)]);
}
