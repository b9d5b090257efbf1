//! Model checks of the shared rate's line: loom runs each model under
//! every interleaving of its threads. Each thread stands for one batch.
//!
//! What they check: a start given back reaches the batch first in line,
//! and a batch that leaves the line passes its turn on; a lost wake-up
//! leaves a thread asleep for good, which loom reports as a deadlock. (The
//! clock is the real one, and the windows here never free within a model:
//! only the line's hand-offs can let a batch on.)
//!
//! Run with `RUSTFLAGS="--cfg fanout_loom" cargo test --release --features
//! loom --lib loom_models`.

use super::{RatePlace, Reservation, SharedRate};
use crate::clock::Instant;
use core::future::poll_fn;
use core::task::Poll;
use loom::thread;
use std::time::Duration;

/// A window that never frees within a model.
const HOUR: Duration = Duration::from_secs(3600);

/// Waits in line until a start is reserved for `place`.
fn reserve(place: &mut RatePlace) {
    loom::future::block_on(poll_fn(|cx| match place.reserve(Instant::now(), cx) {
        Reservation::Reserved => Poll::Ready(()),
        Reservation::FirstAt(_) | Reservation::Queued => Poll::Pending,
    }))
}

#[test]
fn a_start_given_back_reaches_the_batch_in_line() {
    loom::model(|| {
        let rate = SharedRate::new(1, HOUR);
        let other = {
            let rate = rate.clone();
            thread::spawn(move || {
                let mut place = rate.place();
                reserve(&mut place);
                place.give_back();
            })
        };
        let mut place = rate.place();
        reserve(&mut place);
        place.give_back();
        other.join().unwrap();
    });
}

#[test]
fn a_batch_leaving_the_line_passes_its_turn_on() {
    loom::model(|| {
        let rate = SharedRate::new(1, HOUR);
        let mut holder = rate.place();
        reserve(&mut holder);
        // Two batches in line behind a reservation; the first leaves.
        let waiting = {
            let rate = rate.clone();
            thread::spawn(move || {
                let mut place = rate.place();
                reserve(&mut place);
                place.confirm(Instant::now());
            })
        };
        let leaving = {
            let rate = rate.clone();
            thread::spawn(move || {
                let mut place = rate.place();
                let waker = futures::task::noop_waker();
                let cx = core::task::Context::from_waker(&waker);
                let _ = place.reserve(Instant::now(), &cx);
                drop(place);
            })
        };
        leaving.join().unwrap();
        holder.give_back();
        waiting.join().unwrap();
    });
}
