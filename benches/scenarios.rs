//! The jobs every benchmark runs, shared by `benches/compare.rs` (criterion)
//! and `benches/bench_report.rs` (one-run ratios): the same children run
//! through fanout and through the idioms a user would write instead.

#![allow(dead_code, unreachable_pub)]

use fanout::prelude::*;
use futures::StreamExt;
use std::future::Future;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, mpsc};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// How a child behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Finished on its first poll.
    Ready,
    /// Pending once: it wakes itself in its first poll, so its wake-up
    /// costs no other thread anything and the executor never sleeps.
    PendingOnce,
    /// Pending until another thread wakes it, as a reactor wakes a task
    /// whose socket became ready (see [`Woken`]).
    Thread,
    /// Waits on a real timer for 1 to 10 ms (see [`timer_wait`]).
    Timer,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Ready, Kind::PendingOnce, Kind::Thread, Kind::Timer];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Ready => "ready",
            Kind::PendingOnce => "pending once",
            Kind::Thread => "woken by another thread",
            Kind::Timer => "waiting 1 to 10 ms on a timer",
        }
    }

    /// The kind's name on the command line.
    pub fn arg(self) -> &'static str {
        match self {
            Kind::Ready => "ready",
            Kind::PendingOnce => "pending",
            Kind::Thread => "thread",
            Kind::Timer => "timer",
        }
    }

    pub fn from_arg(arg: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.arg() == arg)
    }

    /// The ways this kind is measured with: every one, but sequential
    /// `await` only where it is the floor. A child woken by another thread,
    /// or by a timer, waits alone there: a round trip to the reactor thread
    /// (about 18 us on a 2-core VM), or 5.5 ms, per child.
    pub fn ways(self) -> impl Iterator<Item = Way> {
        let floor = matches!(self, Kind::Ready | Kind::PendingOnce);
        Way::ALL
            .into_iter()
            .filter(move |&way| floor || way != Way::Sequential)
    }

    /// Starts what the children of this kind wait on (the reactor thread,
    /// futures-timer's thread), so that no timed run pays for it.
    pub fn prepare(self) {
        match self {
            Kind::Ready | Kind::PendingOnce => {}
            Kind::Thread => {
                reactor();
            }
            Kind::Timer => drop(futures_timer::Delay::new(Duration::ZERO)),
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

/// One child of `Kind::Thread`: returns its index once the reactor thread
/// has woken it. Every poll that finds it not yet woken hands that poll's
/// waker to the reactor, so a spurious poll stays pending with a wake-up
/// arranged.
pub struct Woken {
    index: u32,
    /// Set by the reactor before it wakes the child; made on the first poll.
    woken: Option<Arc<AtomicBool>>,
}

impl Woken {
    pub fn new(index: u32) -> Self {
        Woken { index, woken: None }
    }
}

impl Future for Woken {
    type Output = u32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        let index = self.index;
        let woken = self
            .woken
            .get_or_insert_with(|| Arc::new(AtomicBool::new(false)));
        if woken.load(Ordering::Acquire) {
            return Poll::Ready(index);
        }
        reactor()
            .send((cx.waker().clone(), woken.clone()))
            .expect("the reactor thread runs as long as the process");
        Poll::Pending
    }
}

/// What a `Woken` child hands the reactor: its waker, and the flag the
/// reactor sets before waking it.
type Registration = (Waker, Arc<AtomicBool>);

/// The most wakers the reactor wakes in one batch.
const REACTOR_BATCH: usize = 64;

/// The reactor thread's inbox, started on first use, one per process.
fn reactor() -> &'static mpsc::Sender<Registration> {
    static REACTOR: OnceLock<mpsc::Sender<Registration>> = OnceLock::new();
    REACTOR.get_or_init(|| {
        let (sender, inbox) = mpsc::channel();
        std::thread::Builder::new()
            .name("reactor".to_string())
            .spawn(move || wake_in_batches(inbox))
            .expect("start the reactor thread");
        sender
    })
}

/// The reactor's loop: sleeps until a waker arrives, then wakes it with
/// every other waker that arrived meanwhile, up to `REACTOR_BATCH`, as an
/// event loop wakes the tasks of the events one `epoll_wait` returned. A
/// batch is what came in while the reactor was busy with the previous one;
/// it never waits to fill up: a batch held for a tick (say 50 us) would
/// make every wave of children at a small bound wait for the tick, and the
/// report would time the tick instead of the ways.
fn wake_in_batches(inbox: mpsc::Receiver<Registration>) {
    let mut batch = Vec::with_capacity(REACTOR_BATCH);
    while let Ok(first) = inbox.recv() {
        batch.push(first);
        batch.extend(inbox.try_iter().take(REACTOR_BATCH - 1));
        for (waker, woken) in batch.drain(..) {
            woken.store(true, Ordering::Release);
            waker.wake();
        }
    }
}

/// How long the `Kind::Timer` child for input `index` waits: 1 to 10 ms,
/// spread evenly and the same in every run (5.5 ms on average).
pub fn timer_wait(index: u32) -> Duration {
    Duration::from_millis(1 + u64::from(index) * 7 % 10)
}

/// A `Kind::Timer` child on futures-timer. The timer starts at its first
/// poll, when the child is admitted, not when the input makes it.
async fn on_futures_timer(index: u32) -> u32 {
    futures_timer::Delay::new(timer_wait(index)).await;
    index
}

/// A `Kind::Timer` child on tokio's timer; it must be polled on a tokio
/// runtime.
async fn on_tokio_timer(index: u32) -> u32 {
    tokio::time::sleep(timer_wait(index)).await;
    index
}

/// tokio's idiom over `Kind::Timer` children waiting on futures-timer, as
/// every other way's do, to tell the timers' costs from the ways'.
pub fn tokio_join_set_on_futures_timer(n: u32, bound: usize) -> u64 {
    tokio_join_set(n, bound, on_futures_timer)
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
        match kind {
            Kind::Ready | Kind::PendingOnce => {
                let pending = kind == Kind::PendingOnce;
                self.run_children(n, bound, move |index| Child { index, pending })
            }
            Kind::Thread => self.run_children(n, bound, Woken::new),
            // tokio's idiom sleeps on tokio's own timer, as a tokio program
            // does: the runtime's timer wheel, on the runtime's thread (it
            // rounds each wait up to the next millisecond). The others have
            // no timer of their own and use futures-timer, as fanout's
            // deadlines do: a heap on a helper thread that wakes them from
            // there. `tokio_join_set_on_futures_timer` runs tokio's idiom on
            // the same timer as the others.
            Kind::Timer if self == Way::TokioJoinSet => tokio_join_set(n, bound, on_tokio_timer),
            Kind::Timer => self.run_children(n, bound, on_futures_timer),
        }
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
            // The streams, drained as any stream is: `StreamExt::fold`,
            // named, since the ends' own `fold` (the consumer's body run
            // beside the children) is found first.
            Way::FanoutAsCompleted => {
                StreamExt::fold(
                    children().bounded(bound).as_completed(),
                    0,
                    |t, (_, v)| async move { t + u64::from(v) },
                )
                .await
            }
            Way::FanoutInOrder => {
                StreamExt::fold(children().bounded(bound).in_order(), 0, |t, v| async move {
                    t + u64::from(v)
                })
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
