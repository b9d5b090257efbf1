//! A batch can be configured in any order (issue 14): every pair of
//! configuration methods compiles and runs in both orders with the same
//! outputs, so do whole chains of all of them in several orders, and a
//! setting given twice keeps the last one.

mod common;
use common::{Tracker, yield_once};
use fanout::Limiter;
use fanout::prelude::*;
use futures::executor::block_on;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// Six children, two of them pending once, none slow, none failing.
fn children() -> impl Iterator<Item = impl Future<Output = u32>> {
    (0..6u32).map(|i| async move { if i % 3 == 1 { yield_once(i).await } else { i } })
}

fn limiter() -> &'static Limiter {
    static LIMITER: LazyLock<Limiter> = LazyLock::new(|| Limiter::new(3));
    &LIMITER
}

/// Applies one configuration method, named by `$setting`, to `$batch`.
macro_rules! set {
    ($batch:expr, bounded) => {
        $batch.bounded(2)
    };
    ($batch:expr, bounded_by) => {
        $batch.bounded_by(limiter())
    };
    ($batch:expr, with_deadline) => {
        $batch.with_deadline(Duration::from_secs(60))
    };
    ($batch:expr, within) => {
        $batch.within(Duration::from_secs(60))
    };
    ($batch:expr, rate) => {
        $batch.rate(100, Duration::from_millis(1))
    };
    ($batch:expr, on_slow_poll) => {
        $batch.on_slow_poll(Duration::from_secs(60), |_, _| {})
    };
    ($batch:expr, on_each) => {
        $batch.on_each(|_, _| {})
    };
    ($batch:expr, catch_panics) => {
        $batch.catch_panics()
    };
    ($batch:expr, until) => {
        $batch.until(futures::future::pending::<()>())
    };
}

/// Builds `children()` configured by each setting in turn, and gathers it.
macro_rules! chain {
    ($first:ident $(, $rest:ident)*) => {{
        let batch = set!(children(), $first);
        $(let batch = set!(batch, $rest);)*
        format!("{:?}", block_on(batch.gather()))
    }};
}

/// The same children as a stream: every setting, then every end.
fn stream_of_children() -> impl futures::Stream<Item = impl Future<Output = u32>> {
    futures::stream::iter(children())
}

/// Every setting on a stream input, in the order given, ending the chain
/// each way: each end sees every input's output in its place.
macro_rules! every_end_over_a_stream {
    ($($setting:ident),*) => {{
        use futures::StreamExt;
        let configured = || {
            let batch = stream_of_children().bounded(6);
            $(let batch = set!(batch, $setting);)*
            batch
        };
        let gathered = format!("{:?}", block_on(configured().gather()));
        let in_order = format!("{:?}", block_on(configured().in_order().collect::<Vec<_>>()));
        let mut completed = block_on(configured().as_completed().collect::<Vec<_>>());
        completed.sort_by_key(|(index, _)| *index);
        let completed: Vec<_> = completed.into_iter().map(|(_, output)| output).collect();
        assert_eq!(gathered, in_order);
        assert_eq!(gathered, format!("{completed:?}"));
        gathered
    }};
}

/// One module per setting, with one test per later setting: both orders of
/// the pair give the same outputs, every input's value in its place.
macro_rules! pairs {
    ($first:ident $(, $rest:ident)*) => {
        mod $first {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $rest() {
                    let _watchdog = crate::common::watchdog::Watchdog::start();
                    let forward = chain!($first, $rest);
                    let backward = chain!($rest, $first);
                    assert_eq!(forward, backward);
                    for i in 0..6 {
                        assert!(forward.contains(&i.to_string()), "{forward}");
                    }
                }
            )*
        }
        pairs!($($rest),*);
    };
    () => {};
}

pairs!(
    bounded,
    bounded_by,
    with_deadline,
    within,
    rate,
    on_slow_poll,
    on_each,
    catch_panics,
    until
);

#[test]
fn every_setting_in_several_orders() {
    let _watchdog = common::watchdog::Watchdog::start();
    let orders = [
        chain!(
            bounded,
            bounded_by,
            with_deadline,
            within,
            rate,
            on_slow_poll,
            on_each,
            catch_panics,
            until
        ),
        chain!(
            until,
            catch_panics,
            on_each,
            on_slow_poll,
            rate,
            within,
            with_deadline,
            bounded_by,
            bounded
        ),
        chain!(
            within,
            catch_panics,
            bounded,
            until,
            on_slow_poll,
            with_deadline,
            on_each,
            bounded_by,
            rate
        ),
        chain!(
            on_slow_poll,
            rate,
            catch_panics,
            bounded_by,
            until,
            on_each,
            within,
            bounded,
            with_deadline
        ),
        chain!(
            on_each,
            with_deadline,
            bounded_by,
            catch_panics,
            bounded,
            rate,
            within,
            until,
            on_slow_poll
        ),
    ];
    for order in &orders[1..] {
        assert_eq!(order, &orders[0]);
    }
    assert!(
        orders[0].starts_with("[Ok(Ok(0)), Ok(Ok(1))"),
        "{}",
        orders[0]
    );
}

#[test]
fn every_setting_and_every_end_over_a_stream_input() {
    let _watchdog = common::watchdog::Watchdog::start();
    let forward = every_end_over_a_stream!(
        bounded,
        bounded_by,
        with_deadline,
        within,
        rate,
        on_slow_poll,
        on_each,
        until,
        catch_panics
    );
    let backward = every_end_over_a_stream!(
        catch_panics,
        until,
        on_each,
        on_slow_poll,
        rate,
        within,
        with_deadline,
        bounded_by,
        bounded
    );
    assert_eq!(forward, backward);
    assert!(forward.starts_with("[Ok(Ok(0)), Ok(Ok(1))"), "{forward}");
    // Fallible children: try_gather and report over a stream, every setting
    // but catch_panics (try_gather lets panics go on).
    let fallible = || {
        futures::StreamExt::map(stream_of_children(), |child| async move {
            Ok::<u32, fanout::Elapsed>(child.await)
        })
        .bounded(2)
        .bounded_by(limiter())
        .with_deadline(Duration::from_secs(60))
        .within(Duration::from_secs(60))
        .rate(100, Duration::from_millis(1))
        .on_slow_poll(Duration::from_secs(60), |_, _| {})
        .on_each(|_, _| {})
        .until(futures::future::pending::<()>())
    };
    assert_eq!(
        block_on(fallible().try_gather()),
        Ok(vec![0, 1, 2, 3, 4, 5])
    );
    assert_eq!(
        block_on(fallible().report()).to_string(),
        "6 ok, 0 failed, 0 timed out"
    );
}

#[test]
fn catch_panics_anywhere_catches() {
    let _watchdog = common::watchdog::Watchdog::start();
    let cursed = || {
        (0..4u32).map(|i| async move {
            assert!(i != 2, "input {i} is cursed");
            i
        })
    };
    let outputs = [
        block_on(
            cursed()
                .catch_panics()
                .bounded(2)
                .with_deadline(Duration::from_secs(60))
                .gather(),
        ),
        block_on(
            cursed()
                .bounded(2)
                .catch_panics()
                .with_deadline(Duration::from_secs(60))
                .gather(),
        ),
        block_on(
            cursed()
                .bounded(2)
                .with_deadline(Duration::from_secs(60))
                .catch_panics()
                .gather(),
        ),
    ];
    for out in outputs {
        assert_eq!(out.len(), 4);
        assert_eq!(
            out[2].as_ref().unwrap_err().message(),
            Some("input 2 is cursed")
        );
        assert_eq!(out[3].as_ref().ok(), Some(&Ok(3)));
    }
}

#[test]
fn a_limit_given_twice_keeps_the_last() {
    let _watchdog = common::watchdog::Watchdog::start();
    for (first, last) in [(2, 3), (3, 2)] {
        let tracker = Tracker::new();
        let children = (0..12).map(|i| tracker.track(i, yield_once(i)));
        let out = block_on(children.bounded(first).bounded(last).gather());
        assert_eq!(out, (0..12).collect::<Vec<_>>());
        assert_eq!(
            tracker.peak_alive(),
            last,
            "bounded({first}).bounded({last})"
        );
    }
    let tracker = Tracker::new();
    let shared = Limiter::new(1);
    let children = (0..4).map(|i| tracker.track(i, yield_once(i)));
    block_on(children.bounded(3).bounded_by(&shared).gather());
    assert_eq!(
        tracker.peak_alive(),
        1,
        "a later bounded_by replaces bounded"
    );
}

#[test]
fn a_deadline_given_twice_keeps_the_last() {
    let _watchdog = common::watchdog::Watchdog::start();
    let never = || [futures::future::pending::<u8>()];
    let out = block_on(
        never()
            .with_deadline(Duration::from_secs(60))
            .with_deadline(Duration::ZERO)
            .gather(),
    );
    assert_eq!(out, [Err(fanout::Elapsed::Child)]);
    let out = block_on(
        never()
            .within(Duration::from_secs(60))
            .within(Duration::ZERO)
            .gather(),
    );
    assert_eq!(out, [Err(fanout::Elapsed::Batch)]);
}

#[test]
fn hooks_given_twice_keep_the_last() {
    let _watchdog = common::watchdog::Watchdog::start();
    let heard = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let (first, last) = (heard.clone(), heard.clone());
    let slow = (0..3).map(|i| async move {
        std::thread::sleep(Duration::from_millis(20));
        i
    });
    let out = block_on(
        slow.on_slow_poll(Duration::from_millis(1), move |_, _| {
            first[0].fetch_add(1, Ordering::Relaxed);
        })
        .bounded(2)
        .on_slow_poll(Duration::from_millis(1), move |_, _| {
            last[1].fetch_add(1, Ordering::Relaxed);
        })
        .gather(),
    );
    assert_eq!(out, [0, 1, 2]);
    assert_eq!(
        heard[0].load(Ordering::Relaxed),
        0,
        "the first report was replaced"
    );
    assert_eq!(heard[1].load(Ordering::Relaxed), 3);

    let (first, last) = (heard.clone(), heard.clone());
    let out = block_on(
        (0..4)
            .map(|i| async move { i })
            .on_each(move |_, _| {
                first[0].fetch_add(1, Ordering::Relaxed);
            })
            .on_each(move |_, _| {
                last[1].fetch_add(1, Ordering::Relaxed);
            })
            .gather(),
    );
    assert_eq!(out, [0, 1, 2, 3]);
    assert_eq!(
        heard[0].load(Ordering::Relaxed),
        0,
        "the first hook was replaced"
    );
    assert_eq!(heard[1].load(Ordering::Relaxed), 7);
}
