//! The slow-consumer scenario of the bench report: children that wait on
//! timers, a consumer that awaits after every output. Where the consumer's
//! await stops the children (an `as_completed` or `buffer_unordered` loop),
//! their deadlines fire for work that never ran; `for_each` and the
//! spawn-based tokio idiom keep them running.
//!
//! 1,000 children each wait 1 to 20 ms on a timer, at most 20 at once, with
//! a 100 ms deadline each; the consumer awaits a 2 ms timer per output. The
//! consumer sets the pace (about 2 s in all), so the rows differ in
//! timeouts, CPU time and how many outputs wait.

use fanout::prelude::*;
use futures::StreamExt;
use futures_timer::Delay;
use std::time::{Duration, Instant};

const CHILDREN: usize = 1_000;
const BOUND: usize = 20;
const DEADLINE: Duration = Duration::from_millis(100);
const CONSUMER_AWAITS: Duration = Duration::from_millis(2);

/// Child `i`: waits 1 to 20 ms, then returns `i`.
async fn child(i: usize) -> usize {
    Delay::new(Duration::from_millis(1 + (i * 7 % 20) as u64)).await;
    i
}

/// What one run of a way came to.
pub(crate) struct Run {
    pub(crate) wall: Duration,
    pub(crate) cpu: Option<Duration>,
    pub(crate) timed_out: usize,
    /// The most outputs that waited for the consumer at once, where known.
    pub(crate) peak_waiting: Option<usize>,
}

/// The ways measured, by name.
pub(crate) const WAYS: [&str; 5] = [
    "fanout as_completed + loop",
    "fanout for_each",
    "fanout for_each on tokio, tokio sleep in the body",
    "futures buffer_unordered + loop",
    "tokio JoinSet + Semaphore + timeout + loop",
];

/// Runs the way named `way` once, timing it with `cpu_time`.
pub(crate) fn run(way: &str, cpu_time: fn() -> Option<Duration>) -> Run {
    let cpu_before = cpu_time();
    let started = Instant::now();
    let (timed_out, peak_waiting) = match way {
        "fanout as_completed + loop" => (as_completed_loop(), None),
        "fanout for_each" => {
            let (timed_out, peak) =
                futures::executor::block_on(for_each(|| Box::pin(Delay::new(CONSUMER_AWAITS))));
            (timed_out, Some(peak))
        }
        "fanout for_each on tokio, tokio sleep in the body" => {
            let (timed_out, peak) = tokio_runtime()
                .block_on(for_each(|| Box::pin(tokio::time::sleep(CONSUMER_AWAITS))));
            (timed_out, Some(peak))
        }
        "futures buffer_unordered + loop" => (buffer_unordered_loop(), None),
        "tokio JoinSet + Semaphore + timeout + loop" => (join_set_loop(), None),
        other => panic!("no way named {other}"),
    };
    let wall = started.elapsed();
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    Run {
        wall,
        cpu,
        timed_out,
        peak_waiting,
    }
}

fn as_completed_loop() -> usize {
    futures::executor::block_on(async {
        let mut outputs = (0..CHILDREN)
            .map(child)
            .bounded(BOUND)
            .with_deadline(DEADLINE)
            .as_completed();
        let mut timed_out = 0;
        while let Some((_, output)) = outputs.next().await {
            Delay::new(CONSUMER_AWAITS).await;
            timed_out += usize::from(output.is_err());
        }
        timed_out
    })
}

/// The consumer's await, as the runtime at hand spells it.
type ConsumerAwait = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

/// `for_each` with a body that awaits what `consumer_awaits` makes; the
/// timeouts and the most outputs that waited for the body.
async fn for_each(consumer_awaits: fn() -> ConsumerAwait) -> (usize, usize) {
    let timed_out = std::cell::Cell::new(0);
    let run = (0..CHILDREN)
        .map(child)
        .bounded(BOUND)
        .with_deadline(DEADLINE)
        .for_each(|(_, output)| {
            let timed_out = &timed_out;
            async move {
                consumer_awaits().await;
                timed_out.set(timed_out.get() + usize::from(output.is_err()));
            }
        });
    let mut run = std::pin::pin!(run);
    run.as_mut().await;
    // The most outputs that waited for the body, from its `Debug`.
    let shown = format!("{run:?}");
    let peak = shown
        .split("peak_waiting: ")
        .nth(1)
        .and_then(|rest| rest.split([',', ' ']).next())
        .and_then(|n| n.parse().ok())
        .expect("for_each shows its peak of waiting outputs");
    (timed_out.get(), peak)
}

/// The runtime of the tokio rows: one thread, its own timer.
fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread tokio runtime")
}

fn buffer_unordered_loop() -> usize {
    futures::executor::block_on(async {
        // A deadline per child, counted from when `buffer_unordered` takes
        // it in (it creates the futures lazily, as it polls them).
        let timed = (0..CHILDREN).map(|i| async move {
            match futures::future::select(Box::pin(child(i)), Delay::new(DEADLINE)).await {
                futures::future::Either::Left((i, _)) => Ok(i),
                futures::future::Either::Right(((), _)) => Err(()),
            }
        });
        let mut outputs = futures::stream::iter(timed).buffer_unordered(BOUND);
        let mut timed_out = 0;
        while let Some(output) = outputs.next().await {
            Delay::new(CONSUMER_AWAITS).await;
            timed_out += usize::from(output.is_err());
        }
        timed_out
    })
}

fn join_set_loop() -> usize {
    tokio_runtime().block_on(async {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(BOUND));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..CHILDREN {
            let permits = permits.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.expect("never closed");
                tokio::time::timeout(DEADLINE, child(i)).await
            });
        }
        let mut timed_out = 0;
        while let Some(output) = tasks.join_next().await {
            tokio::time::sleep(CONSUMER_AWAITS).await;
            timed_out += usize::from(output.expect("no task panics").is_err());
        }
        timed_out
    })
}
