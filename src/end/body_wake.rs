//! `BodyWake`: the consumer's body is polled only when it was woken.

use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Context, Poll, Waker};
use futures::task::AtomicWaker;
use std::sync::Arc;
use std::task::Wake;

/// The waker a consumer's body is polled with: it notes that the body was
/// woken, then wakes the task.
///
/// Why not the task's own waker: the task is woken by every child too, and
/// each such poll would poll the body again before its own wake-up. That
/// costs a poll of the body per child wake-up, and breaks a body that
/// registers its waker once and expects no poll before it fires (a
/// hand-written future over a reactor, as many are). With this one the
/// body is polled when it is new and after its own wake-ups, never else.
/// A [`Deadline`](crate::Deadline) polls its child through one too, so
/// that its timer's wake-ups never poll the child.
#[derive(Debug, Default)]
pub(crate) struct BodyWake {
    /// Set by the body's wake-ups, taken by the poll that follows.
    woken: AtomicBool,
    /// The task to wake; registered at each poll of the consuming future.
    task: AtomicWaker,
}

impl BodyWake {
    /// A poll of the consuming future begins: the body's wake-ups go to
    /// this task.
    #[inline]
    pub(crate) fn register(&self, task: &Waker) {
        self.task.register(task);
    }

    /// A new body: its first poll is due.
    #[inline]
    pub(crate) fn body_started(&self) {
        self.woken.store(true, Ordering::Relaxed);
    }

    /// Polls `body` with `waker` (this one's, see [`BodyWake::waker`]) if
    /// it is new or was woken since its last poll; `Pending` otherwise, its
    /// wake-up still to come.
    #[inline]
    pub(crate) fn poll_body<F: Future>(&self, waker: &Waker, body: Pin<&mut F>) -> Poll<F::Output> {
        // Taken before the poll: a wake-up during the poll is kept for the
        // next one.
        if !self.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        body.poll(&mut Context::from_waker(waker))
    }

    /// The waker the body is polled with: made once per consuming end.
    pub(crate) fn waker(this: &Arc<Self>) -> Waker {
        Waker::from(this.clone())
    }
}

impl Wake for BodyWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}
