//! The public API as users write against it: every setting in any order
//! gives the same type, a deadline chosen at run time has one spelling for
//! both cases, and helpers generic over any batch can be written with the
//! traits the crate exports.

mod common;
use fanout::input::Input;
use fanout::mode::{Deadlines, Nested, Panics, Timed};
use fanout::prelude::*;
use fanout::{Batch, Done, Elapsed, Limiter};
use std::future::Future;
use std::time::Duration;

/// The same input type at every call.
fn children() -> impl Iterator<Item = impl Future<Output = u8>> {
    (1..=4u8).map(|i| async move { i })
}

/// The same signal type at every call.
fn never() -> futures::future::Pending<()> {
    futures::future::pending()
}

/// The same `on_each` hook type at every call.
fn ignore<T>(_index: usize, _done: Done<'_, T>) {}

/// The same `on_slow_poll` report type at every call.
fn unreported(_index: usize, _took: Duration) {}

/// Compiles only if `a` and `b` have one type.
fn same_type<T>(a: T, b: T) -> [T; 2] {
    [a, b]
}

/// The house policy, written once for any batch: at most 2 at once, 5 s
/// each, however the batch was configured before (but for
/// `flatten_errors`, which comes after a deadline: `Nested`).
fn with_policy<I: Input, D: Nested, P: Panics>(batch: Batch<I, D, P>) -> Batch<I, Timed, P> {
    batch.bounded(2).with_deadline(Duration::from_secs(5))
}

/// Gathers any batch and counts its outputs.
async fn count_outputs<I: Input, D: Deadlines, P: Panics>(batch: Batch<I, D, P>) -> usize {
    batch.gather().await.len()
}

on_every_executor! {
    async fn settings_in_any_order_give_one_type() {
        let limiter = Limiter::new(3);
        let second = Duration::from_secs(1);
        let [a, b] = same_type(
            // `until`, `on_each` and `on_slow_poll` wrap the input in the
            // order written (their signal's, hook's and report's types are
            // the batch's); every other setting may go anywhere.
            children()
                .bounded(2)
                .rate(10, second)
                .until(never())
                .on_each(ignore)
                .on_slow_poll(second, unreported)
                .with_deadline(second)
                .within(second)
                .catch_panics(),
            children()
                .catch_panics()
                .within(second)
                .until(never())
                .with_deadline(second)
                .rate(10, second)
                .on_each(ignore)
                .on_slow_poll(second, unreported)
                .bounded_by(&limiter),
        );
        assert_eq!(a.gather().await.len(), 4);
        assert_eq!(b.gather().await.len(), 4);
    }

    async fn a_deadline_chosen_at_run_time_has_one_spelling() {
        for deadline in [None, Some(Duration::from_secs(5))] {
            let out = children().bounded(2).with_deadline(deadline).gather().await;
            assert_eq!(out, [Ok(1), Ok(2), Ok(3), Ok(4)]);
        }
        let never_in_time = futures::future::pending::<u8>();
        let out = [never_in_time].with_deadline(Some(Duration::ZERO)).gather().await;
        assert_eq!(out, [Err(Elapsed::Child)]);
        let out: Vec<Result<u8, Elapsed>> = children().within(None).gather().await;
        assert_eq!(out.len(), 4);
    }

    async fn a_helper_generic_over_any_batch_compiles_and_runs() {
        let out = with_policy(children().bounded(1)).gather().await;
        assert_eq!(out, [Ok(1), Ok(2), Ok(3), Ok(4)]);
        let caught = with_policy(children().catch_panics().within(Duration::from_secs(5)));
        assert_eq!(count_outputs(caught).await, 4);
        assert_eq!(count_outputs(children().bounded(3)).await, 4);
    }

    async fn awaiting_a_batch_gathers_it() {
        let out = children().bounded(2).await;
        assert_eq!(out, [1, 2, 3, 4]);
        let timed = children().with_deadline(Duration::from_secs(5)).await;
        assert_eq!(timed, [Ok(1), Ok(2), Ok(3), Ok(4)]);
    }

    // Every iterator has the chain's methods (so that an iterator of values
    // is told to map its items to futures), and so does every stream of
    // futures: a `FuturesUnordered`, both an iterator of futures and a
    // stream of their outputs, still starts a chain as the iterator.
    async fn a_futures_unordered_starts_a_chain_as_an_iterator_of_its_futures() {
        let pending: futures::stream::FuturesUnordered<_> =
            (1..=3u8).map(|i| Box::pin(async move { i * 2 })).collect();
        let mut out = pending.bounded(2).gather().await;
        out.sort_unstable();
        assert_eq!(out, [2, 4, 6]);
    }
}
