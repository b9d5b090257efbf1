//! `Running`: the children of a batch that are still pending after their
//! first poll, and the emptied homes for the next ones.

use crate::engine::finished::Finished;
use crate::engine::home::Home;
use crate::engine::slot::Slot;
use crate::panicked::Payload;
use core::future::Future;
use core::task::{Context, Poll};
use futures::stream::{FuturesUnordered, StreamExt};

/// The running set of one batch.
///
/// Its per-child methods are `#[inline]`: the engine is generic, so it is
/// compiled in the user's crate, and each of these runs once or twice per
/// child (measured: without the hints, a child pending once cost about 10%
/// more).
///
/// A child moves into the spare home on top of the stack for its first
/// poll ([`spare_home`](Running::spare_home)); only if it is still pending
/// does that home leave the stack ([`take_spare`](Running::take_spare)) to
/// wait in the `FuturesUnordered`, and it comes back emptied when its child
/// finishes. A child that finishes at once never moves a home.
pub(crate) struct Running<F> {
    waiting: FuturesUnordered<Slot<F>>,
    spare: Vec<Home<F>>,
}

impl<F> Default for Running<F> {
    fn default() -> Self {
        Running {
            waiting: FuturesUnordered::new(),
            spare: Vec::new(),
        }
    }
}

impl<F> Running<F> {
    /// How many children wait.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.waiting.len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// The spare home the next child moves into, made if there is none.
    #[inline]
    pub(crate) fn spare_home(&mut self) -> &mut Home<F> {
        if self.spare.is_empty() {
            self.spare.push(Home::default());
        }
        let Some(home) = self.spare.last_mut() else {
            unreachable!("a spare home was just made sure of")
        };
        home
    }

    /// The spare home [`spare_home`](Running::spare_home) gave, whose child
    /// is still pending: it leaves the stack, for its slot.
    #[inline]
    pub(crate) fn take_spare(&mut self) -> Home<F> {
        let Some(home) = self.spare.pop() else {
            unreachable!("the child's home is on top of the stack")
        };
        home
    }

    /// A child that waits from now on.
    #[inline]
    pub(crate) fn push(&mut self, slot: Slot<F>) {
        self.waiting.push(slot);
    }

    /// The input indices of the waiting children, in no particular order.
    pub(crate) fn indices(&self) -> Vec<usize> {
        self.waiting.iter().map(Slot::index).collect()
    }

    /// Drops every waiting child, each dropped once even if a destructor
    /// panics, then their slots (which returns their permits). Returns the
    /// first panic, for the caller to resume once everything is gone.
    #[must_use]
    pub(crate) fn drop_all(&mut self) -> Option<Payload> {
        let mut first_panic = None;
        for slot in self.waiting.iter_mut() {
            if let Err(payload) = slot.drop_child() {
                first_panic.get_or_insert(payload);
            }
        }
        // The slots hold no child now; dropping them cannot panic.
        self.waiting.clear();
        first_panic
    }
}

impl<F: Future> Running<F> {
    /// The next waiting child to finish; its home goes back to the spares.
    #[inline]
    pub(crate) fn poll_finished(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Finished<F::Output>>> {
        self.waiting.poll_next_unpin(cx).map(|settled| {
            settled.map(|(finished, home)| {
                self.spare.push(home);
                finished
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Running;
    use crate::engine::slot::Slot;
    use core::future::Future;
    use core::pin::Pin;
    use core::task::{Context, Poll};
    use futures::task::noop_waker;

    /// Pending on its first poll, ready on the next.
    struct Twice(bool);

    impl Future for Twice {
        type Output = u8;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u8> {
            if std::mem::replace(&mut self.0, true) {
                return Poll::Ready(7);
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[test]
    fn a_finished_childs_home_is_reused() {
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut running = Running::default();
        let home = running.spare_home();
        home.move_in(Twice(false));
        assert!(home.poll_first().is_pending());
        let home = running.take_spare();
        running.push(Slot::new(home, 3, false, None));
        assert_eq!(running.len(), 1);
        assert_eq!(running.indices(), [3]);
        let finished = running.poll_finished(&mut cx);
        assert!(matches!(finished, Poll::Ready(Some((3, Ok(7))))));
        assert!(running.is_empty());
        assert_eq!(running.spare.len(), 1, "the home came back");
    }

    #[test]
    fn dropping_all_catches_a_panicking_destructor() {
        struct Loud;
        impl Drop for Loud {
            fn drop(&mut self) {
                panic!("loud");
            }
        }
        let mut running = Running::default();
        for index in 0..2 {
            let loud = Loud;
            let home = running.spare_home();
            home.move_in(async move {
                let _loud = loud;
                futures::future::pending::<()>().await;
            });
            assert!(home.poll_first().is_pending());
            let home = running.take_spare();
            running.push(Slot::new(home, index, false, None));
        }
        let panic = running.drop_all().expect("a destructor panicked");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"loud"));
        assert!(running.is_empty());
    }
}
