//! Counts what happens to the children of a batch: how many were created,
//! how many are alive, how many are running, and the peaks of each.

use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

#[derive(Default)]
struct Counts {
    created: AtomicUsize,
    dropped: AtomicUsize,
    running: AtomicUsize,
    peak_running: AtomicUsize,
    peak_alive: AtomicUsize,
    finished: AtomicUsize,
    polls: AtomicUsize,
    /// Input indices in the order their children were first polled.
    started: Mutex<Vec<usize>>,
}

/// A shared set of counters; clone it into the closure that builds children.
#[derive(Clone, Default)]
pub struct Tracker(Arc<Counts>);

impl Tracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Wraps `future` (the child for input `index`) so the tracker sees its
    /// creation, first poll, completion and drop.
    pub fn track<F: Future>(&self, index: usize, future: F) -> Tracked<F> {
        let counts = &self.0;
        counts.created.fetch_add(1, SeqCst);
        let alive = self.alive();
        counts.peak_alive.fetch_max(alive, SeqCst);
        Tracked {
            future,
            index,
            state: State::Created,
            tracker: self.clone(),
        }
    }

    pub fn created(&self) -> usize {
        self.0.created.load(SeqCst)
    }
    pub fn dropped(&self) -> usize {
        self.0.dropped.load(SeqCst)
    }
    pub fn alive(&self) -> usize {
        self.created() - self.dropped()
    }
    pub fn running(&self) -> usize {
        self.0.running.load(SeqCst)
    }
    pub fn peak_running(&self) -> usize {
        self.0.peak_running.load(SeqCst)
    }
    pub fn peak_alive(&self) -> usize {
        self.0.peak_alive.load(SeqCst)
    }
    pub fn finished(&self) -> usize {
        self.0.finished.load(SeqCst)
    }
    pub fn polls(&self) -> usize {
        self.0.polls.load(SeqCst)
    }
    pub fn start_order(&self) -> Vec<usize> {
        self.0.started.lock().unwrap().clone()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Created,
    Running,
    Finished,
}

pin_project! {
    pub struct Tracked<F> {
        #[pin]
        future: F,
        index: usize,
        state: State,
        tracker: Tracker,
    }

    impl<F> PinnedDrop for Tracked<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let counts = &this.tracker.0;
            if *this.state == State::Running {
                counts.running.fetch_sub(1, SeqCst);
            }
            counts.dropped.fetch_add(1, SeqCst);
        }
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let counts = &this.tracker.0;
        assert!(
            *this.state != State::Finished,
            "child {} polled after it finished",
            this.index
        );
        counts.polls.fetch_add(1, SeqCst);
        if *this.state == State::Created {
            *this.state = State::Running;
            let running = counts.running.fetch_add(1, SeqCst) + 1;
            counts.peak_running.fetch_max(running, SeqCst);
            counts.started.lock().unwrap().push(*this.index);
        }
        let output = this.future.poll(cx);
        if output.is_ready() {
            *this.state = State::Finished;
            counts.running.fetch_sub(1, SeqCst);
            counts.finished.fetch_add(1, SeqCst);
        }
        output
    }
}
