//! Regression: an idle batch kept the memory of its largest burst.
//!
//! Every child lives in a home (a heap cell that holds the whole child), and
//! an emptied home went back on a stack of spares for the next child. None
//! was ever freed: a long-lived `as_completed` over an open job channel that
//! once ran a burst of 50,000 children of 1 KiB each still held about 60 MB
//! once every one had finished and the batch sat idle (`buffer_unordered`
//! on the same channel: about 1.2 KB). Now a batch keeps at most as many
//! spare homes as children waiting, plus a few: memory follows the load,
//! not its peak.
//!
//! Polled by hand with a waker that does nothing: the test is about what
//! the batch holds, not about who wakes it.

mod common;
use common::watchdog::Watchdog;
use fanout::prelude::*;
use futures::Stream;
use futures::channel::{mpsc, oneshot};
use futures::task::noop_waker;
use std::alloc::{GlobalAlloc, Layout, System};
use std::pin::Pin;
use std::sync::atomic::{AtomicIsize, Ordering::SeqCst};
use std::task::{Context, Poll};

/// The system allocator, counting the bytes live at any moment.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.load(SeqCst)
}

/// The tests of this file count the same allocator: one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Polls `batch` until every job of the burst has been admitted.
fn admit_whole_burst<S: Stream + Unpin + std::fmt::Debug>(
    batch: &mut S,
    burst: usize,
    cx: &mut Context<'_>,
) {
    while !format!("{batch:?}").contains(&format!("admitted: {burst},")) {
        assert!(Pin::new(&mut *batch).poll_next(cx).is_pending());
    }
}

/// Lets every job go, takes every output (each job returns 7), and checks
/// that the batch then sits idle, its channel still open.
fn release_and_drain<S: Stream<Item = (usize, u8)> + Unpin>(
    gos: Vec<oneshot::Sender<()>>,
    batch: &mut S,
    cx: &mut Context<'_>,
) {
    let burst = gos.len();
    for go in gos {
        go.send(()).unwrap();
    }
    let mut outputs = 0;
    while outputs < burst {
        match Pin::new(&mut *batch).poll_next(cx) {
            Poll::Ready(Some((_, 7))) => outputs += 1,
            Poll::Ready(other) => panic!("unexpected {other:?}"),
            Poll::Pending => {}
        }
    }
    assert!(Pin::new(&mut *batch).poll_next(cx).is_pending(), "idle");
}

/// A child of about 1 KiB that waits for its go.
async fn job(go: oneshot::Receiver<()>) -> u8 {
    let ballast = [7u8; 1024];
    let _ = go.await;
    std::hint::black_box(ballast)[0]
}

#[test]
#[cfg_attr(miri, ignore = "50,000 children of 1 KiB: too slow under Miri")]
fn an_idle_batch_gives_back_the_memory_of_its_last_burst() {
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let _watchdog = Watchdog::start();
    const BURST: usize = 50_000;
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let (jobs, queue) = mpsc::unbounded();
    let mut batch = queue.as_completed();
    let before = live();

    // The burst: every job admitted and waiting for its go.
    let mut gos = Vec::with_capacity(BURST);
    for _ in 0..BURST {
        let (go, wait) = oneshot::channel();
        gos.push(go);
        jobs.unbounded_send(job(wait)).unwrap();
    }
    admit_whole_burst(&mut batch, BURST, &mut cx);
    let at_peak = live() - before;
    assert!(
        at_peak > (BURST * 1024) as isize,
        "the burst is not in flight: {at_peak} bytes"
    );

    // Every job goes; every output is taken; the channel stays open.
    release_and_drain(gos, &mut batch, &mut cx);
    let idle = live() - before;
    eprintln!("live bytes: {at_peak} at the peak of the burst, {idle} once idle");
    // Allowed: a few spare homes (32, of about 1 KiB each) and the
    // channel's own blocks; a kept home per child of the burst would be
    // over 50 MB, and bookkeeping per home ever made over 1 MB.
    assert!(
        idle < 256 * 1024,
        "an idle batch holds {idle} bytes after a burst that peaked at {at_peak}"
    );

    // The batch still works: a new job runs in it.
    let (go, wait) = oneshot::channel();
    jobs.unbounded_send(job(wait)).unwrap();
    assert!(Pin::new(&mut batch).poll_next(&mut cx).is_pending());
    go.send(()).unwrap();
    assert!(matches!(
        Pin::new(&mut batch).poll_next(&mut cx),
        Poll::Ready(Some((BURST, 7)))
    ));
    drop(jobs);
    assert!(matches!(
        Pin::new(&mut batch).poll_next(&mut cx),
        Poll::Ready(None)
    ));
}

/// The same for the queue of children that woke themselves (they wait
/// there for their next poll at home): a burst of children that yield
/// until their go grows it to one place per child, and an idle batch gives
/// that back too.
#[test]
#[cfg_attr(miri, ignore = "30,000 children: too slow under Miri")]
fn an_idle_batch_gives_back_the_queue_of_its_last_yielding_burst() {
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let _watchdog = Watchdog::start();
    const BURST: usize = 30_000;
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let (jobs, queue) = mpsc::unbounded();
    let mut batch = queue.as_completed();
    let before = live();
    let mut gos = Vec::with_capacity(BURST);
    for _ in 0..BURST {
        let (go, mut wait) = oneshot::channel::<()>();
        gos.push(go);
        jobs.unbounded_send(async move {
            // Wakes itself at every poll until its go comes.
            while let Ok(None) = wait.try_recv() {
                common::yield_once(()).await;
            }
            7u8
        })
        .unwrap();
    }
    admit_whole_burst(&mut batch, BURST, &mut cx);
    let at_peak = live() - before;
    release_and_drain(gos, &mut batch, &mut cx);
    let idle = live() - before;
    eprintln!("live bytes: {at_peak} at the peak of the burst, {idle} once idle");
    // A place in the queue per child of the burst would be 240 KB or more.
    assert!(
        idle < 64 * 1024,
        "an idle batch holds {idle} bytes after a burst that peaked at {at_peak}"
    );
    drop(jobs);
    assert!(matches!(
        Pin::new(&mut batch).poll_next(&mut cx),
        Poll::Ready(None)
    ));
}
