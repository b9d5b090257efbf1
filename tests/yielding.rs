//! `gather` hands the thread back to the executor after a bounded number of
//! outputs, so a batch of always-ready children cannot starve other tasks.

mod common;

use fanout::prelude::*;
use futures_test::task::new_count_waker;
use std::future::Future;
use std::task::{Context, Poll};

#[test]
fn a_batch_of_ready_children_yields_between_polls() {
    let (waker, wakes) = new_count_waker();
    let mut cx = Context::from_waker(&waker);
    let n = if cfg!(miri) { 3_000 } else { 10_000 };
    let mut gather = std::pin::pin!((0..n).map(|i| async move { i }).bounded(16).gather());
    let mut polls = 0;
    let out = loop {
        polls += 1;
        match gather.as_mut().poll(&mut cx) {
            Poll::Ready(out) => break out,
            // Every `Pending` comes with a wake-up: no hang.
            Poll::Pending => assert_eq!(wakes.get(), polls),
        }
    };
    assert_eq!(out, (0..n).collect::<Vec<_>>());
    // Not one poll for everything, not one per child.
    assert!(polls > 10, "{polls} polls: the batch never yielded");
    assert!(polls < n / 10, "{polls} polls: it yields far too often");
}

#[test]
fn a_sibling_task_runs_while_a_long_batch_is_in_progress() {
    use futures::task::LocalSpawnExt;
    use std::cell::Cell;
    use std::rc::Rc;
    let mut pool = futures::executor::LocalPool::new();
    let sibling_ran_at = Rc::new(Cell::new(None));
    let batch_done = Rc::new(Cell::new(false));
    {
        let batch_done = batch_done.clone();
        pool.spawner()
            .spawn_local(async move {
                let n = if cfg!(miri) { 3_000 } else { 100_000 };
                let out = (0..n).map(|i| async move { i }).bounded(64).gather().await;
                assert_eq!(out.len(), n);
                batch_done.set(true);
            })
            .unwrap();
    }
    {
        let (sibling_ran_at, batch_done) = (sibling_ran_at.clone(), batch_done.clone());
        pool.spawner()
            .spawn_local(async move {
                // Give the batch the first turn, then see whether we get one
                // before it is done.
                common::yield_once(()).await;
                sibling_ran_at.set(Some(batch_done.get()));
            })
            .unwrap();
    }
    pool.run();
    assert!(batch_done.get());
    assert_eq!(
        sibling_ran_at.get(),
        Some(false),
        "the sibling ran only after the batch"
    );
}
