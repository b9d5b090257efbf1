//! The jobs every benchmark runs, shared by `benches/compare.rs` (criterion)
//! and `benches/bench_report.rs` (one-run ratios): the same children run
//! through fanout and through the idioms a user would write instead.

#![allow(dead_code, unreachable_pub)]

use fanout::prelude::*;
use futures::StreamExt;
use std::future::Future;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// How a child behaves: finished on its first poll, or pending once (it
/// wakes itself, as a child waiting on a ready socket would be woken).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ready,
    PendingOnce,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ready => "ready",
            Kind::PendingOnce => "pending once",
        }
    }
}

/// One child: returns its index, after one `Pending` for `Kind::PendingOnce`.
pub struct Child {
    index: u32,
    pending: bool,
}

impl Future for Child {
    type Output = u32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if self.pending {
            self.pending = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(self.index)
    }
}

impl Child {
    /// A child for input `index` that is pending once, then done.
    pub fn pending_once(index: u32) -> Self {
        Child {
            index,
            pending: true,
        }
    }
}

/// A deadline no child reaches: the timer work is measured, not timeouts.
pub const DEADLINE: Duration = Duration::from_secs(3600);

/// Every way to run the job, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Way {
    Sequential,
    FanoutGather,
    FanoutGatherStream,
    FanoutGatherDeadline,
    FanoutGatherSlowPoll,
    FanoutTryGather,
    FanoutAsCompleted,
    FanoutInOrder,
    BufferUnordered,
    BufferUnorderedDelay,
    Buffered,
    FuturesBuffered,
    FuturesConcurrency,
    TokioJoinSet,
}

impl Way {
    pub const ALL: [Way; 14] = [
        Way::Sequential,
        Way::FanoutGather,
        Way::FanoutGatherStream,
        Way::FanoutGatherDeadline,
        Way::FanoutGatherSlowPoll,
        Way::FanoutTryGather,
        Way::FanoutAsCompleted,
        Way::FanoutInOrder,
        Way::BufferUnordered,
        Way::BufferUnorderedDelay,
        Way::Buffered,
        Way::FuturesBuffered,
        Way::FuturesConcurrency,
        Way::TokioJoinSet,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Way::Sequential => "sequential await (floor)",
            Way::FanoutGather => "fanout bounded(n).gather()",
            Way::FanoutGatherStream => "fanout stream::iter(..).bounded(n).gather()",
            Way::FanoutGatherDeadline => "fanout bounded(n).with_deadline(d).gather()",
            Way::FanoutGatherSlowPoll => "fanout bounded(n).on_slow_poll(1 h, _).gather()",
            Way::FanoutTryGather => "fanout bounded(n).try_gather()",
            Way::FanoutAsCompleted => "fanout bounded(n).as_completed()",
            Way::FanoutInOrder => "fanout bounded(n).in_order()",
            Way::BufferUnordered => "futures buffer_unordered(n)",
            Way::BufferUnorderedDelay => "futures buffer_unordered(n) + Delay per child",
            Way::Buffered => "futures buffered(n)",
            Way::FuturesBuffered => "futures-buffered buffered_unordered(n)",
            Way::FuturesConcurrency => "futures-concurrency co().limit(n)",
            Way::TokioJoinSet => "tokio JoinSet + Semaphore + timeout",
        }
    }

    /// Runs `n` children of `kind` with at most `bound` in flight, and
    /// returns a checksum so the work cannot be optimised away.
    pub fn run(self, n: u32, bound: usize, kind: Kind) -> u64 {
        let pending = kind == Kind::PendingOnce;
        self.run_children(n, bound, move |index| Child { index, pending })
    }

    /// Runs the children `child(0..n)` this way.
    fn run_children<C>(self, n: u32, bound: usize, child: impl Fn(u32) -> C + Copy) -> u64
    where
        C: Future<Output = u32> + Send + 'static,
    {
        match self {
            Way::TokioJoinSet => tokio_join_set(n, bound, child),
            _ => futures::executor::block_on(self.run_async(n, bound, child)),
        }
    }

    async fn run_async<C>(self, n: u32, bound: usize, child: impl Fn(u32) -> C + Copy) -> u64
    where
        C: Future<Output = u32>,
    {
        let children = || (0..n).map(child);
        let sum = |outputs: &[u32]| outputs.iter().map(|&v| u64::from(v)).sum::<u64>();
        match self {
            Way::Sequential => {
                let mut total = 0;
                for child in children() {
                    total += u64::from(child.await);
                }
                total
            }
            Way::FanoutGather => sum(&children().bounded(bound).gather().await),
            Way::FanoutGatherStream => sum(&futures::stream::iter(children())
                .bounded(bound)
                .gather()
                .await),
            Way::FanoutGatherDeadline => {
                let out = children()
                    .bounded(bound)
                    .with_deadline(DEADLINE)
                    .gather()
                    .await;
                out.into_iter()
                    .map(|r| u64::from(r.expect("no child reaches the deadline")))
                    .sum()
            }
            Way::FanoutGatherSlowPoll => {
                // A threshold no poll reaches: the cost is the timing alone.
                let out = children()
                    .bounded(bound)
                    .on_slow_poll(DEADLINE, |index, took| {
                        unreachable!("input {index} held the task for {took:?}")
                    })
                    .gather()
                    .await;
                sum(&out)
            }
            Way::FanoutTryGather => {
                let ok = children().map(|c| async move { Ok::<_, ()>(c.await) });
                sum(&ok
                    .bounded(bound)
                    .try_gather()
                    .await
                    .expect("no child fails"))
            }
            Way::FanoutAsCompleted => {
                children()
                    .bounded(bound)
                    .as_completed()
                    .fold(0, |t, (_, v)| async move { t + u64::from(v) })
                    .await
            }
            Way::FanoutInOrder => {
                children()
                    .bounded(bound)
                    .in_order()
                    .fold(0, |t, v| async move { t + u64::from(v) })
                    .await
            }
            Way::BufferUnordered => {
                let out: Vec<u32> = futures::stream::iter(children())
                    .buffer_unordered(bound)
                    .collect()
                    .await;
                sum(&out)
            }
            Way::BufferUnorderedDelay => {
                let timed = children().map(|child| async move {
                    let delay = futures_timer::Delay::new(DEADLINE);
                    match futures::future::select(std::pin::pin!(child), delay).await {
                        futures::future::Either::Left((value, _)) => value,
                        futures::future::Either::Right(_) => {
                            unreachable!("no child reaches the deadline")
                        }
                    }
                });
                let out: Vec<u32> = futures::stream::iter(timed)
                    .buffer_unordered(bound)
                    .collect()
                    .await;
                sum(&out)
            }
            Way::Buffered => {
                futures::stream::iter(children())
                    .buffered(bound)
                    .fold(0, |t, v| async move { t + u64::from(v) })
                    .await
            }
            Way::FuturesBuffered => {
                use futures_buffered::BufferedStreamExt;
                let out: Vec<u32> = futures::stream::iter(children())
                    .buffered_unordered(bound)
                    .collect()
                    .await;
                sum(&out)
            }
            Way::FuturesConcurrency => {
                use futures_concurrency::prelude::*;
                let out: Vec<u32> = futures::stream::iter(children())
                    .co()
                    .limit(NonZeroUsize::new(bound))
                    .map(|child| child)
                    .collect()
                    .await;
                sum(&out)
            }
            Way::TokioJoinSet => unreachable!("runs on its own runtime"),
        }
    }
}

/// The tokio idiom: spawn every child as a task holding a semaphore permit,
/// each under `tokio::time::timeout`, and join them all.
fn tokio_join_set<C>(n: u32, bound: usize, child: impl Fn(u32) -> C) -> u64
where
    C: Future<Output = u32> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(bound));
        let mut tasks = tokio::task::JoinSet::new();
        let mut total = 0;
        for child in (0..n).map(child) {
            let permit = semaphore
                .clone()
                .acquire_owned()
                .await
                .expect("semaphore open");
            tasks.spawn(async move {
                let value = tokio::time::timeout(DEADLINE, child)
                    .await
                    .expect("no child reaches the deadline");
                drop(permit);
                value
            });
            // Reap finished tasks as we go, as a careful user would.
            while let Some(done) = tasks.try_join_next() {
                total += u64::from(done.expect("task"));
            }
        }
        while let Some(done) = tasks.join_next().await {
            total += u64::from(done.expect("task"));
        }
        total
    })
}
