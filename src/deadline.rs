//! `deadline(budget, child)`: a deadline of a child's own, for inputs
//! whose deadlines differ.

use crate::clock::Instant;
use crate::elapsed::Elapsed;
use crate::end::body_wake::BodyWake;
use crate::engine::alarm::Alarm;
use core::fmt;
use core::future::{Future, IntoFuture};
use core::pin::Pin;
use core::task::{Context, Poll};
use futures::future::FusedFuture;
use pin_project_lite::pin_project;
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

/// Gives `child` a deadline of its own, `budget` counted from its first
/// poll: its output, or `Err(Elapsed::Child)` once `budget` has passed
/// (the child is dropped then).
///
/// For a batch whose inputs need different deadlines (a budget per job, a
/// timeout per host): map each input to `deadline(its_budget, child)`.
/// In a batch, a child's first poll is its admission, so the clock starts
/// when the child is admitted, as with
/// [`with_deadline`](crate::FanoutExt::with_deadline), not while it waits
/// for a slot (unlike `tokio::time::timeout`, whose clock starts when it is
/// made). When every child has the same deadline, prefer `with_deadline`:
/// the batch then keeps one timer for all its children, where each
/// `deadline` keeps one of its own.
///
/// The child is polled before its deadline is looked at: an output ready
/// when the deadline passes wins. It is polled only when it woke itself
/// (or first): the deadline's own timer wakes the task, not the child, so
/// a child that registers its waker once is never polled without its
/// wake-up. That costs an allocation per child, for the child's waker. A zero `budget` gives the child its first
/// poll and nothing more; a `budget` too long for the clock never passes.
///
/// ```
/// use fanout::prelude::*;
/// use fanout::{deadline, Elapsed};
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// struct Job { budget_ms: u64, work_ms: u64 }
/// let jobs = [Job { budget_ms: 200, work_ms: 10 }, Job { budget_ms: 5, work_ms: 500 }];
/// let out = jobs
///     .iter()
///     .map(|job| {
///         let work = futures_timer::Delay::new(Duration::from_millis(job.work_ms));
///         deadline(Duration::from_millis(job.budget_ms), async move { work.await; job.work_ms })
///     })
///     .bounded(2)
///     .gather()
///     .await;
/// assert_eq!(out, [Ok(10), Err(Elapsed::Child)]);
/// # });
/// ```
///
/// # Cancel safety
///
/// Dropping it drops the child; nothing else is held.
///
/// # Panics
///
/// Polled again after it resolved.
pub fn deadline<F: IntoFuture>(budget: Duration, child: F) -> Deadline<F::IntoFuture> {
    Deadline {
        child: Some(child.into_future()),
        budget,
        started: false,
        due: None,
        alarm: Alarm::default(),
        wake: Arc::new(BodyWake::default()),
        waker: None,
    }
}

pin_project! {
    /// A child with a deadline of its own: see [`deadline`].
    #[must_use = "futures do nothing unless polled"]
    pub struct Deadline<F> {
        // `None` once resolved: the child is dropped as soon as it has an
        // outcome, so a timed-out child frees what it holds at once.
        #[pin]
        child: Option<F>,
        budget: Duration,
        started: bool,
        // Set at the first poll; `None` after it when the deadline lies
        // past what the clock can represent (it never passes).
        due: Option<Instant>,
        alarm: Alarm,
        // The child's own waker: it notes the child's wake-ups, then wakes
        // the task (the timer's wake the task alone).
        wake: Arc<BodyWake>,
        // Made at the first poll, and the child always sees this one.
        waker: Option<Waker>,
    }
}

impl<F: Future> Future for Deadline<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(child) = this.child.as_mut().as_pin_mut() else {
            panic!("fanout: a `Deadline` was polled after it resolved");
        };
        this.wake.register(cx.waker());
        if !*this.started {
            *this.started = true;
            *this.due = Instant::now().checked_add(*this.budget);
            this.wake.body_started();
        }
        let waker = this.waker.get_or_insert_with(|| BodyWake::waker(this.wake));
        // Polled only if new or woken by its own wake-ups.
        if let Poll::Ready(output) = this.wake.poll_body(waker, child) {
            this.child.set(None);
            return Poll::Ready(Ok(output));
        }
        if this.budget.is_zero() {
            this.child.set(None);
            return Poll::Ready(Err(Elapsed::Child));
        }
        let Some(due) = *this.due else {
            return Poll::Pending;
        };
        loop {
            let now = Instant::now();
            if now >= due {
                this.child.set(None);
                return Poll::Ready(Err(Elapsed::Child));
            }
            this.alarm.arm_unless_armed(|| due - now);
            if !this.alarm.poll_rung(cx) {
                return Poll::Pending;
            }
            // It rang: on time, or early for a wait longer than one timer
            // holds; the clock says which.
        }
    }
}

impl<F: Future> FusedFuture for Deadline<F> {
    fn is_terminated(&self) -> bool {
        self.child.is_none()
    }
}

impl<F> fmt::Debug for Deadline<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadline")
            .field("budget", &self.budget)
            .field("resolved", &self.child.is_none())
            .finish_non_exhaustive()
    }
}
