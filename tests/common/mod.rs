//! Shared helpers for the test suite: run a test body on every executor,
//! count children, and sleep without tying a test to one runtime.

#![allow(dead_code, unused_imports, unreachable_pub)]

pub mod driver;
pub mod executors;
pub mod ledger;
pub mod scripted;
pub mod source;
pub mod strict;
pub mod tracker;
pub mod watchdog;

pub use tracker::Tracker;

use std::time::Duration;

/// Sleeps on `futures-timer`'s own thread, so the same test body runs under
/// every executor.
pub async fn sleep_ms(ms: u64) {
    futures_timer::Delay::new(Duration::from_millis(ms)).await;
}

/// Returns `value` after one `Pending`, with its wake-up already arranged:
/// the cheapest child that is not ready at once.
pub async fn yield_once<T>(value: T) -> T {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return std::task::Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await;
    value
}

/// A waker that counts its wake-ups, for tests that poll by hand.
#[derive(Default)]
pub struct CountedWake(std::sync::atomic::AtomicUsize);

impl std::task::Wake for CountedWake {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl CountedWake {
    /// A fresh one, and a waker that counts into it.
    pub fn new() -> (std::sync::Arc<Self>, std::task::Waker) {
        let counter = std::sync::Arc::new(CountedWake::default());
        (counter.clone(), counter.into())
    }

    /// How many times its wakers were woken.
    pub fn count(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Takes `stream`'s items until it ends or panics: the items, and the
/// panic if one came. The stream stays usable, to check what it does after.
pub async fn collect_until_panic<S: futures::Stream + Unpin>(
    stream: &mut S,
) -> (Vec<S::Item>, std::thread::Result<()>) {
    use futures::{FutureExt, StreamExt};
    let mut items = Vec::new();
    let ended = std::panic::AssertUnwindSafe(async {
        while let Some(item) = stream.next().await {
            items.push(item);
        }
    })
    .catch_unwind()
    .await;
    (items, ended)
}

/// A deadline that a test's quick children must beat (and its slow ones
/// must not): `ms` natively, 20 times that under Miri, where a child of a
/// few milliseconds takes far longer to interpret than to wait, and a
/// short deadline could win the race it is meant to lose.
pub fn race_ms(ms: u64) -> Duration {
    Duration::from_millis(if cfg!(miri) { ms * 20 } else { ms })
}

/// An upper bound on wall-clock time for a test's sanity check, with the
/// slack already in it. Under Miri, which runs code far slower, there is no
/// upper bound: counts and order carry those tests.
pub fn at_most_ms(ms: u64) -> Duration {
    if cfg!(miri) {
        Duration::MAX
    } else {
        Duration::from_millis(ms)
    }
}

/// Instantiates each `async fn` once per executor set-up, as a module of
/// tests named after the function:
///
/// ```ignore
/// on_every_executor! {
///     async fn keeps_input_order() { ... }
/// }
/// ```
///
/// yields `keeps_input_order::block_on`, `::smol`, `::async_std`,
/// `::tokio_current_thread` and `::tokio_multi_thread`. Only the
/// `block_on` one runs under Miri. Each runs under a
/// [`watchdog`](watchdog::Watchdog), so a hang fails the run within a
/// minute, naming the test.
#[macro_export]
macro_rules! on_every_executor {
    ($($(#[$attr:meta])* async fn $name:ident() $body:block)*) => {$(
        $(#[$attr])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body() $body

            #[test]
            fn block_on() {
                $crate::common::watchdog::watched($crate::common::executors::block_on, body())
            }
            #[test]
            #[cfg_attr(miri, ignore)]
            fn smol() {
                $crate::common::watchdog::watched($crate::common::executors::smol, body())
            }
            #[test]
            #[cfg_attr(miri, ignore)]
            fn async_std() {
                $crate::common::watchdog::watched($crate::common::executors::async_std, body())
            }
            #[test]
            #[cfg_attr(miri, ignore)]
            fn tokio_current_thread() {
                $crate::common::watchdog::watched($crate::common::executors::tokio_current_thread, body())
            }
            #[test]
            #[cfg_attr(miri, ignore)]
            fn tokio_multi_thread() {
                $crate::common::watchdog::watched($crate::common::executors::tokio_multi_thread, body())
            }
        }
    )*};
}

/// The message a panic carried, when it was a string.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("<not a string>")
}
