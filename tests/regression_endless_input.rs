//! Regression: `gather` and `try_gather` over an endless input panicked with
//! "capacity overflow" before running anything. They reserved room for the
//! input's `size_hint().0` outputs, and that is `usize::MAX` for `0..`,
//! `repeat_with` and `cycle`. A size hint is trusted for an allocation
//! only when exact, and then only up to a cap (see `gather_capacity.rs`);
//! a batch deadline ends such a batch at its last admitted input.

mod common;
use common::*;
use fanout::Elapsed;
use fanout::prelude::*;
use std::time::Duration;

/// Never finishes: the batch deadline has to end it.
async fn forever(i: u64) -> u64 {
    futures::future::pending::<()>().await;
    i
}

on_every_executor! {
    async fn gather_over_an_endless_range_ends_at_the_batch_deadline() {
        let tracker = Tracker::new();
        let out = (0u64..)
            .map(|i| tracker.track(i as usize, forever(i)))
            .bounded(4)
            .within(Duration::from_millis(100))
            .gather()
            .await;
        assert_eq!(out, vec![Err(Elapsed::Batch); 4], "the four admitted inputs, cut");
        assert_eq!(tracker.created(), 4);
        assert_eq!(tracker.alive(), 0);
    }

    async fn try_gather_over_an_endless_input_fails_with_the_batch_deadline() {
        let tracker = Tracker::new();
        let mut next = 0;
        let out = std::iter::repeat_with(move || {
            next += 1;
            next
        })
        .map(|i| tracker.track(i, async move { forever(i as u64).await; Ok::<u64, Elapsed>(1) }))
        .bounded(3)
        .within(Duration::from_millis(50))
        .try_gather()
        .await;
        assert_eq!(out, Err(Elapsed::Batch));
        assert_eq!(tracker.created(), 3);
        assert_eq!(tracker.alive(), 0);
    }

    async fn ready_children_of_an_endless_cycle_are_all_kept_until_the_cut() {
        let out = [1u8, 2, 3]
            .into_iter()
            .cycle()
            .map(yield_once)
            .bounded(2)
            // Under Miri, 30 ms pass before the first child finishes.
            .within(Duration::from_millis(if cfg!(miri) { 3_000 } else { 30 }))
            .gather()
            .await;
        // Every output before the cut is the child's own, in input order;
        // only the last few (those in flight at the cut) are missing.
        let cut = out.iter().position(Result::is_err).expect("the deadline cut the batch");
        assert!(cut > 0, "some children finished before the cut");
        for (index, output) in out[..cut].iter().enumerate() {
            assert_eq!(*output, Ok([1, 2, 3][index % 3]));
        }
        assert!(out[cut..].iter().all(|o| *o == Err(Elapsed::Batch)));
        assert!(out.len() - cut <= 2, "at most the bound was in flight");
    }
}

on_every_executor! {
    async fn an_unbounded_batch_over_an_endless_input_is_cut_by_its_deadline() {
        // Regression: with room for every input, the first poll admitted
        // forever and never returned, so the batch deadline never ran.
        let out = (0u64..)
            .map(forever)
            .within(Duration::from_millis(if cfg!(miri) { 1_000 } else { 20 }))
            .gather()
            .await;
        if cfg!(miri) {
            // Miri admits so slowly that the deadline may pass before the
            // first admission budget (1,024 children) is spent; the batch
            // still ends, cut by it.
            assert!(!out.is_empty(), "no child admitted in a second");
        } else {
            assert!(out.len() >= 1_024, "admission went on across polls: {}", out.len());
        }
        assert!(out.iter().all(|o| *o == Err(Elapsed::Batch)));
    }

    async fn an_unbounded_batch_lets_other_futures_run_while_it_admits() {
        // A large input of waiting children is admitted over several polls,
        // not all in the first: a sibling future in the same task runs in
        // between.
        let tracker = Tracker::new();
        let created_when_sibling_ran = std::sync::Mutex::new(None);
        let sibling = std::future::poll_fn(|cx| {
            created_when_sibling_ran.lock().unwrap().get_or_insert(tracker.created());
            cx.waker().wake_by_ref();
            std::task::Poll::<()>::Pending
        });
        // Under Miri, where each child costs thousands of times more, a
        // smaller input: still more than one poll's 1,024.
        let n = if cfg!(miri) { 1_100 } else { 10_000 };
        let batch = (0..n).map(|i| tracker.track(i, yield_once(i))).gather();
        let out = match futures::future::select(std::pin::pin!(batch), std::pin::pin!(sibling)).await {
            futures::future::Either::Left((out, _)) => out,
            futures::future::Either::Right(_) => unreachable!("the sibling never ends"),
        };
        assert_eq!(out.len(), n);
        let created = created_when_sibling_ran.lock().unwrap().expect("the sibling ran");
        assert!(created <= 1_024, "{created} children created before the sibling's first poll");
    }
}

/// Found by mutation testing: nothing checked that a batch that stops
/// admitting after 1,024 children, with room and input left, wakes its own
/// task; a batch deadline or a sibling's wake-up hid it. Children that never
/// wake anyone leave that wake-up as the only one.
#[test]
fn a_batch_paused_by_its_admission_budget_wakes_its_task() {
    use futures::stream::Stream;
    use std::pin::Pin;
    use std::task::Context;
    let _watchdog = common::watchdog::Watchdog::start();
    let (waker, wakes) = futures_test::task::new_count_waker();
    let mut cx = Context::from_waker(&waker);
    let tracker = Tracker::new();
    // Under Miri, fewer: still more than one poll's 1,024.
    let n = if cfg!(miri) { 1_100 } else { 3_000 };
    let children = (0..n).map(|i| tracker.track(i, futures::future::pending::<()>()));
    let mut batch = children.as_completed();
    assert!(Pin::new(&mut batch).poll_next(&mut cx).is_pending());
    assert_eq!(tracker.created(), 1_024);
    assert_eq!(
        wakes.get(),
        1,
        "paused with room and input left, and not woken"
    );
    // Every later poll goes on, and each `Pending` while inputs are left
    // comes with a wake-up.
    while tracker.created() < n {
        let before = wakes.get();
        assert!(Pin::new(&mut batch).poll_next(&mut cx).is_pending());
        assert!(wakes.get() > before || tracker.created() == n);
    }
    assert_eq!(tracker.alive(), n);
}
