//! Regression: the log behind `rate(max, per)` kept the last `max` starts
//! whatever their age, so with a large `max` it grew with the input: 25 MB
//! of heap for 10^6 children under `rate(usize::MAX, 1 h)`. Starts older
//! than `per` are forgotten now, and starts close together share an entry.
//!
//! Heap use is measured per thread by a counting allocator: every set-up
//! polls the batch on the test's own thread.

mod common;
use fanout::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

struct CountingAllocator;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // `try_with`: allocations during thread teardown find no counter.
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + delta);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The most heap this thread held at once while `run` ran, above what it
/// held before.
async fn peak_heap_during<F: std::future::Future>(run: F) -> isize {
    let before = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(before));
    run.await;
    PEAK.with(Cell::get) - before
}

async fn rated_batch(children: usize) {
    let done = (0..children)
        .map(|_| async {})
        .bounded(100)
        .rate(usize::MAX, Duration::from_secs(3600))
        .gather()
        .await;
    assert_eq!(done.len(), children);
}

on_every_executor! {
    async fn the_rate_log_does_not_grow_with_the_input() {
        // Under Miri, which takes tens of milliseconds a child, 10^2 and
        // 2 * 10^3 children, and less slack: 2 * 10^3 starts logged one by
        // one would still add some 48 KB.
        let (small_n, large_n, slack) =
            if cfg!(miri) { (100, 2_000, 16 * 1024) } else { (1_000, 100_000, 64 * 1024) };
        let small = peak_heap_during(rated_batch(small_n)).await;
        let large = peak_heap_during(rated_batch(large_n)).await;
        // 10^5 starts logged one by one were 1.6 MB; merged, the log holds
        // at most about 1,024 entries.
        assert!(large < 256 * 1024, "peak heap {large} bytes for {large_n} children");
        assert!(large < small + slack, "{small_n}: {small} bytes, {large_n}: {large} bytes");
    }
}
