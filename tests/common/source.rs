//! A stream input for tests: it yields children built by a closure, is
//! pending before the items its script says (woken in every way a real
//! stream is), ends, never ends or panics where told, and counts how it
//! was polled, so tests can assert that a batch pulls it lazily.

use crate::common::Tracker;
use futures::stream::Stream;
use futures::task::AtomicWaker;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll};
use std::time::Duration;

/// An endless source whose input 0 never finishes, while every later
/// input is ready on its first poll with its index; `tracker` counts the
/// children. The head that holds everything up in input order.
pub fn endless_behind_a_stuck_head(
    tracker: &Tracker,
) -> TestSource<impl std::future::Future<Output = usize> + Send + 'static> {
    let maker = tracker.clone();
    TestSource::new(Length::Endless, move |i| {
        maker.track(i, async move {
            if i == 0 {
                futures::future::pending::<()>().await;
            }
            i
        })
    })
}

/// How the source is pending before an item.
#[derive(Clone, Copy, Debug)]
pub enum Gap {
    /// Ready at once.
    None,
    /// Pending once, having woken its own task (a `yield_now`).
    SelfWake,
    /// Pending until another thread makes the item ready and wakes the
    /// task, after this long (a channel fed by a producer thread).
    Thread(Duration),
    /// Pending for good: nothing will ever wake it for this item.
    Forever,
}

/// How the source ends.
#[derive(Clone, Copy, Debug)]
pub enum Length {
    /// After this many items.
    Ends(usize),
    /// Never.
    Endless,
    /// Its `poll_next` panics when asked for item `n`.
    PanicsAt(usize),
}

/// What a test reads back from a [`TestSource`] it has handed to a batch.
#[derive(Default)]
pub struct Probe {
    polls: AtomicUsize,
    pulled: AtomicUsize,
    /// Polls that came while the batch had no free slot (checked against
    /// the tracker's live children, when a gate is set).
    polls_while_full: AtomicUsize,
    dropped: AtomicBool,
}

impl Probe {
    pub fn polls(&self) -> usize {
        self.polls.load(SeqCst)
    }
    pub fn pulled(&self) -> usize {
        self.pulled.load(SeqCst)
    }
    pub fn polls_while_full(&self) -> usize {
        self.polls_while_full.load(SeqCst)
    }
    pub fn dropped(&self) -> bool {
        self.dropped.load(SeqCst)
    }
}

/// The stream itself. Build it with [`TestSource::new`], then hand it to a
/// batch with `.map`-free chains: its items are already the children.
pub struct TestSource<C> {
    make: Box<dyn FnMut(usize) -> C + Send + Sync>,
    gap: Box<dyn Fn(usize) -> Gap + Send + Sync>,
    length: Length,
    next: usize,
    /// The gap before item `next` has been entered.
    waiting: Option<Arc<Later>>,
    probe: Arc<Probe>,
    /// `(tracker, limit)`: a poll while `limit` tracked children are alive
    /// is a poll while every slot is taken.
    gate: Option<(Tracker, usize)>,
}

/// An item made ready by another thread.
#[derive(Default)]
struct Later {
    ready: AtomicBool,
    waker: AtomicWaker,
}

impl<C> TestSource<C> {
    pub fn new(length: Length, make: impl FnMut(usize) -> C + Send + Sync + 'static) -> Self {
        TestSource {
            make: Box::new(make),
            gap: Box::new(|_| Gap::None),
            length,
            next: 0,
            waiting: None,
            probe: Arc::default(),
            gate: None,
        }
    }

    /// Pending before item `i` as `gap(i)` says.
    pub fn gaps(mut self, gap: impl Fn(usize) -> Gap + Send + Sync + 'static) -> Self {
        self.gap = Box::new(gap);
        self
    }

    /// Counts the polls that come while `limit` children of `tracker` are
    /// alive.
    pub fn gated(mut self, tracker: &Tracker, limit: usize) -> Self {
        self.gate = Some((tracker.clone(), limit));
        self
    }

    pub fn probe(&self) -> Arc<Probe> {
        self.probe.clone()
    }
}

impl<C> Stream for TestSource<C> {
    type Item = C;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<C>> {
        let this = self.get_mut();
        this.probe.polls.fetch_add(1, SeqCst);
        let full = |(tracker, limit): &(Tracker, usize)| tracker.alive() >= *limit;
        if this.gate.as_ref().is_some_and(full) {
            this.probe.polls_while_full.fetch_add(1, SeqCst);
        }
        match this.length {
            Length::Ends(n) if this.next >= n => return Poll::Ready(None),
            Length::PanicsAt(n) if this.next == n => panic!("the source broke at item {n}"),
            _ => {}
        }
        match (&this.waiting, (this.gap)(this.next)) {
            (_, Gap::None) => {}
            (None, Gap::SelfWake) => {
                this.waiting = Some(Arc::default());
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            (Some(_), Gap::SelfWake) => {}
            (None, Gap::Thread(after)) => {
                let later = Arc::new(Later::default());
                later.waker.register(cx.waker());
                this.waiting = Some(later.clone());
                std::thread::spawn(move || {
                    std::thread::sleep(after);
                    later.ready.store(true, SeqCst);
                    later.waker.wake();
                });
                return Poll::Pending;
            }
            (Some(later), Gap::Thread(_)) => {
                later.waker.register(cx.waker());
                if !later.ready.load(SeqCst) {
                    return Poll::Pending;
                }
            }
            (_, Gap::Forever) => return Poll::Pending,
        }
        this.waiting = None;
        let index = this.next;
        this.next += 1;
        this.probe.pulled.fetch_add(1, SeqCst);
        Poll::Ready(Some((this.make)(index)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.length {
            Length::Ends(n) => (0, Some(n.saturating_sub(self.next))),
            _ => (0, None),
        }
    }
}

impl<C> Drop for TestSource<C> {
    fn drop(&mut self) {
        self.probe.dropped.store(true, SeqCst);
    }
}

/// A stream (or iterator) whose size hint says it is empty while it still
/// has items: a hint is no promise.
pub struct SaysEmpty<T>(pub T);

impl<S: futures::Stream + Unpin> futures::Stream for SaysEmpty<S> {
    type Item = S::Item;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<S::Item>> {
        std::pin::Pin::new(&mut self.0).poll_next(cx)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(0))
    }
}

impl<I: Iterator> Iterator for SaysEmpty<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(0))
    }
}
