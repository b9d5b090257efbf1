//! `Running`: the children of a batch that are still pending after their
//! first poll, and the emptied homes for the next ones.

use crate::engine::finished::Finished;
use crate::engine::home::{DeadlineTag, Home, Homes};
use crate::engine::slot::{AtHome, Slot};
use crate::engine::slow_polls::SlowPolls;
use crate::panicked::Payload;
use core::future::Future;
use core::task::{Context, Poll};
use futures::stream::{FuturesUnordered, StreamExt};
use std::collections::VecDeque;
use std::sync::Arc;

/// How many spare homes a batch keeps beyond its children waiting now
/// (see [`Running::home_back`]).
const SPARE_HOMES_BEYOND_LOAD: usize = 32;

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
///
/// Why a queue beside the `FuturesUnordered`: a child that woke itself
/// during its poll at home (`yield_now`, or any tokio resource once the
/// task's budget is spent) asks only to be polled again after the others
/// have had their turn. It needs no node: it waits in `woken`, polled once
/// more at home in a later pass, and most such children finish there. Only
/// a child that is still pending without having woken itself (it waits on
/// something else) takes a node, the one place its wake-ups can reach it.
pub(crate) struct Running<F> {
    waiting: FuturesUnordered<Slot<F>>,
    /// Children that woke themselves during their last poll, in that
    /// order, to be polled again at home. While one is here the engine
    /// wakes its task before returning `Pending`: nothing else will.
    woken: VecDeque<Slot<F>>,
    /// Whether the queue of woken children went first at the last call
    /// (see [`poll_finished`](Running::poll_finished)).
    woken_first: bool,
    spare: Vec<Home<F>>,
    /// Every home made for this batch, spare or not.
    homes: Homes,
}

impl<F> Default for Running<F> {
    fn default() -> Self {
        Running {
            waiting: FuturesUnordered::new(),
            woken: VecDeque::new(),
            woken_first: false,
            spare: Vec::new(),
            homes: Homes::default(),
        }
    }
}

impl<F> Running<F> {
    /// How many children wait.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.waiting.len() + self.woken.len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting.is_empty() && self.woken.is_empty()
    }

    /// Has every child's polls timed, and the slow ones reported (see
    /// [`Homes::time_polls`]).
    pub(crate) fn time_polls(&mut self, slow_polls: Option<Arc<SlowPolls>>) {
        self.homes.time_polls(slow_polls);
    }

    /// Tags the child at input `index`, living in `home`, for a deadline
    /// (see [`DeadlineTag`](crate::engine::home::DeadlineTag)); it is
    /// untagged when its home comes back.
    #[inline]
    pub(crate) fn tag(&mut self, home: &Home<F>, index: usize) -> DeadlineTag {
        self.homes.tag(home, index)
    }

    /// Every home made for this batch: where its deadline tags lead.
    #[inline]
    pub(crate) fn homes(&self) -> &Homes {
        &self.homes
    }

    /// Whether a child that woke itself waits for its next poll at home:
    /// then only the task's own wake-up brings that poll.
    #[inline]
    pub(crate) fn has_woken(&self) -> bool {
        !self.woken.is_empty()
    }

    /// The spare home the next child moves into, made if there is none.
    ///
    /// If the last child there gave its waker away (see [`Home`]), the home
    /// gets a new one first: a wake-up meant for that child may still come.
    #[inline]
    pub(crate) fn spare_home(&mut self) -> &mut Home<F> {
        if self.spare.is_empty() {
            let home = self.homes.make();
            self.spare.push(home);
        }
        let Some(home) = self.spare.last_mut() else {
            unreachable!("a spare home was just made sure of")
        };
        if home.waker_given_away() {
            home.renew_waker(&mut self.homes);
        }
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

    /// A child that waits from now on, its wake-ups routed to the task
    /// until the `FuturesUnordered` polls it.
    #[inline]
    pub(crate) fn push(&mut self, slot: Slot<F>) {
        self.waiting.push(slot);
    }

    /// A child that woke itself during its poll at home: polled there again
    /// in a later pass (see [`Running`]).
    #[inline]
    pub(crate) fn push_woken(&mut self, slot: Slot<F>) {
        self.woken.push_back(slot);
    }

    /// The input indices of the waiting children, in no particular order.
    pub(crate) fn indices(&self) -> Vec<usize> {
        let woken = self.woken.iter().map(Slot::index);
        self.waiting.iter().map(Slot::index).chain(woken).collect()
    }

    /// A home whose child has left: kept as a spare while the batch may
    /// need it soon, freed otherwise.
    ///
    /// The rule: at most as many spares as children waiting now, plus
    /// [`SPARE_HOMES_BEYOND_LOAD`]. A batch at its limit keeps a spare or
    /// two and never frees one; after a burst, memory follows the load as
    /// it falls, instead of the largest burst the batch ever ran (a home
    /// holds a whole child, often kilobytes). The next burst makes its
    /// homes again, as any batch does its first.
    #[inline(always)]
    fn home_back(&mut self, home: Home<F>) {
        self.homes.untag(&home);
        self.spare.push(home);
        // The spares alone first: a batch at its limit keeps one or two,
        // and `len` reads the `FuturesUnordered`'s head node.
        if self.spare.len() > SPARE_HOMES_BEYOND_LOAD
            && self.spare.len() > self.len() + SPARE_HOMES_BEYOND_LOAD
        {
            self.shed_spares();
        }
    }

    /// Frees the spare homes beyond the rule of
    /// [`home_back`](Running::home_back): one or two each time a child
    /// leaves while the load falls, as the rule moves by one.
    #[cold]
    fn shed_spares(&mut self) {
        while self.spare.len() > self.len() + SPARE_HOMES_BEYOND_LOAD {
            let Some(home) = self.spare.pop() else { break };
            self.homes.free(home);
        }
        if self.woken.is_empty() && self.woken.capacity() > SPARE_HOMES_BEYOND_LOAD {
            // The queue of woken children held as many at its peak.
            self.woken.shrink_to(SPARE_HOMES_BEYOND_LOAD);
        }
        if self.is_empty() {
            // Idle: every home is a spare, so the bookkeeping sized for the
            // peak (a number per home ever needed at once) can shrink too.
            self.spare.shrink_to(2 * SPARE_HOMES_BEYOND_LOAD);
            self.homes.renumber(&mut self.spare);
        }
    }

    /// Drops every waiting child, each dropped once even if a destructor
    /// panics, then their slots (which returns their permits). Returns the
    /// first panic, for the caller to resume once everything is gone.
    #[must_use]
    pub(crate) fn drop_all(&mut self) -> Option<Payload> {
        let mut first_panic = None;
        for slot in self.waiting.iter_mut().chain(self.woken.iter_mut()) {
            if let Err(payload) = slot.drop_child() {
                first_panic.get_or_insert(payload);
            }
        }
        // The slots hold no child now; dropping them cannot panic.
        self.waiting.clear();
        self.woken.clear();
        self.homes.untag_all();
        first_panic
    }
}

impl<F: Future> Running<F> {
    /// The next waiting child to finish; its home goes back to the spares.
    ///
    /// The `FuturesUnordered` and the children that woke themselves take
    /// turns at going first, call by call: either side may have an output
    /// at every call (a stream of children woken by others, a stream of
    /// children that yield once), and the side that always went second
    /// would wait for the other to run dry, deadlines passed or not.
    // Always inlined: its one caller is the engine's hot loop.
    #[inline(always)]
    pub(crate) fn poll_finished(
        &mut self,
        cx: &mut Context<'_>,
        yielded: &mut u8,
        yield_after: u8,
    ) -> Option<Finished<F::Output>> {
        if self.waiting.is_empty() {
            return self.poll_woken(cx, yielded, yield_after);
        }
        if self.woken.is_empty() {
            return self.poll_waiting(cx);
        }
        self.woken_first = !self.woken_first;
        if self.woken_first {
            self.poll_woken(cx, yielded, yield_after)
                .or_else(|| self.poll_waiting(cx))
        } else {
            self.poll_waiting(cx)
                .or_else(|| self.poll_woken(cx, yielded, yield_after))
        }
    }

    /// The next child the `FuturesUnordered` has finished.
    #[inline]
    fn poll_waiting(&mut self, cx: &mut Context<'_>) -> Option<Finished<F::Output>> {
        let Poll::Ready(Some((finished, home))) = self.waiting.poll_next_unpin(cx) else {
            return None;
        };
        self.home_back(home);
        Some(finished)
    }

    /// The children that woke themselves, polled again at home, each at
    /// most once per call and only while `yielded` (the children that woke
    /// themselves since the last output or yield, counted here too) stays
    /// under `yield_after`: then the task lets others run first.
    #[inline]
    fn poll_woken(
        &mut self,
        cx: &mut Context<'_>,
        yielded: &mut u8,
        yield_after: u8,
    ) -> Option<Finished<F::Output>> {
        for _ in 0..self.woken.len() {
            if *yielded >= yield_after {
                break;
            }
            let Some(mut slot) = self.woken.pop_front() else {
                break;
            };
            match slot.poll_at_home(cx) {
                AtHome::Finished(finished, home) => {
                    self.home_back(home);
                    return Some(finished);
                }
                AtHome::WokeItself => {
                    *yielded = yielded.saturating_add(1);
                    self.woken.push_back(slot);
                }
                AtHome::Waits => self.waiting.push(slot),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{Running, SPARE_HOMES_BEYOND_LOAD};
    use crate::engine::home::Home;
    use crate::engine::slot::Slot;
    use core::future::Future;
    use core::pin::Pin;
    use core::task::{Context, Poll};
    use futures::task::noop_waker;

    /// `child`, moved into a spare home of `running` and given its first
    /// poll, which leaves it pending; its home leaves the spares.
    fn after_a_pending_first_poll<F: Future>(running: &mut Running<F>, child: F) -> Home<F> {
        let home = running.spare_home();
        home.move_in(child, 0);
        assert!(home.poll_first().is_pending());
        running.take_spare()
    }

    /// Pending for as many polls as it holds, waking itself each time, then
    /// ready with 9.
    struct Yields(u8);

    impl Future for Yields {
        type Output = u8;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u8> {
            if self.0 == 0 {
                return Poll::Ready(9);
            }
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[test]
    fn a_finished_childs_home_is_reused() {
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut running = Running::default();
        let home = after_a_pending_first_poll(&mut running, Yields(1));
        running.push(Slot::new(home, 3, false, None));
        assert_eq!(running.len(), 1);
        assert_eq!(running.indices(), [3]);
        let mut yielded = 0;
        let finished = running.poll_finished(&mut cx, &mut yielded, 2);
        assert!(matches!(finished, Some((3, Ok(9)))));
        assert!(running.is_empty());
        assert_eq!(running.spare.len(), 1, "the home came back");
    }

    #[test]
    fn a_child_that_woke_itself_is_polled_again_at_home_once_per_call() {
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut running = Running::default();
        let mut home = after_a_pending_first_poll(&mut running, Yields(2));
        assert!(home.wake_task_meanwhile(&cx), "it woke itself");
        running.push_woken(Slot::new(home, 5, false, None));
        assert!(running.has_woken());
        assert_eq!((running.len(), running.indices()), (1, vec![5]));

        let mut yielded = 2;
        assert!(running.poll_finished(&mut cx, &mut yielded, 2).is_none());
        assert_eq!(yielded, 2, "not polled once the task is to yield");

        let mut yielded = 0;
        assert!(running.poll_finished(&mut cx, &mut yielded, 2).is_none());
        assert_eq!(yielded, 1, "it woke itself again: counted, and kept");
        assert!(running.has_woken());
        assert!(running.waiting.is_empty(), "no node for it");

        let finished = running.poll_finished(&mut cx, &mut yielded, 2);
        assert!(matches!(finished, Some((5, Ok(9)))));
        assert!(running.is_empty());
        assert_eq!(running.spare.len(), 1, "the home came back");
    }

    #[test]
    fn a_child_that_stops_waking_itself_moves_into_the_futures_unordered() {
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut running = Running::default();
        let child = async {
            futures::pending!();
            futures::future::pending::<u8>().await
        };
        let home = after_a_pending_first_poll(&mut running, child);
        running.push_woken(Slot::new(home, 1, false, None));
        let mut yielded = 0;
        assert!(running.poll_finished(&mut cx, &mut yielded, 2).is_none());
        assert_eq!(yielded, 0);
        assert!(!running.has_woken());
        assert_eq!((running.waiting.len(), running.len()), (1, 1));
    }

    #[test]
    fn spare_homes_follow_the_load_down_after_a_burst() {
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut running = Running::default();
        let burst = 3 * SPARE_HOMES_BEYOND_LOAD;
        for index in 0..burst {
            let home = after_a_pending_first_poll(&mut running, Yields(1));
            running.push(Slot::new(home, index, false, None));
        }
        assert_eq!(running.homes.count(), burst);
        let mut yielded = 0;
        let mut finished = 0;
        while let Some((_, Ok(9))) = running.poll_finished(&mut cx, &mut yielded, 2) {
            finished += 1;
            assert!(running.spare.len() <= running.len() + SPARE_HOMES_BEYOND_LOAD);
        }
        assert_eq!((finished, running.len()), (burst, 0));
        assert_eq!(running.spare.len(), SPARE_HOMES_BEYOND_LOAD);
        assert_eq!(
            running.homes.count(),
            SPARE_HOMES_BEYOND_LOAD,
            "the rest were freed"
        );
        assert_eq!(
            running.homes.numbers(),
            SPARE_HOMES_BEYOND_LOAD,
            "idle: numbered again from 0"
        );
        // The spares are used again, then one new home is made.
        for index in 0..=SPARE_HOMES_BEYOND_LOAD {
            let home = after_a_pending_first_poll(&mut running, Yields(1));
            running.push(Slot::new(home, index, false, None));
        }
        assert_eq!(running.homes.numbers(), SPARE_HOMES_BEYOND_LOAD + 1);
        assert_eq!(running.homes.count(), SPARE_HOMES_BEYOND_LOAD + 1);
    }

    #[test]
    fn a_late_wake_up_for_a_homes_last_child_never_polls_the_next() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Arc, Mutex};
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut running = Running::default();
        // The last child gives its waker away and finishes at once, before
        // anyone wakes it.
        let given_away = Arc::new(Mutex::new(None));
        let keep = given_away.clone();
        let home = running.spare_home();
        home.move_in(
            futures::future::Either::Left(futures::future::poll_fn(move |cx: &mut Context<'_>| {
                *keep.lock().unwrap() = Some(cx.waker().clone());
                Poll::Ready(1)
            })),
            0,
        );
        assert!(matches!(home.poll_first(), Poll::Ready(Ok(1))));
        // The next child in the same home waits, counting its polls.
        let polls = Arc::new(AtomicUsize::new(0));
        let counter = polls.clone();
        let home = running.spare_home();
        home.move_in(
            futures::future::Either::Right(futures::future::poll_fn(move |_: &mut Context<'_>| {
                counter.fetch_add(1, Ordering::SeqCst);
                Poll::Pending
            })),
            1,
        );
        assert!(home.poll_first().is_pending());
        assert!(!home.wake_task_meanwhile(&cx));
        let home = running.take_spare();
        running.push(Slot::new(home, 1, false, None));
        // The late wake-up lands now.
        let late = given_away
            .lock()
            .unwrap()
            .take()
            .expect("the waker was given away");
        late.wake();
        let mut yielded = 0;
        for _ in 0..3 {
            assert!(running.poll_finished(&mut cx, &mut yielded, 2).is_none());
        }
        assert_eq!(
            polls.load(Ordering::SeqCst),
            1,
            "polled for another child's wake-up"
        );
    }

    #[test]
    fn dropping_all_leaves_every_deadline_tag_stale() {
        let mut running = Running::default();
        let home = after_a_pending_first_poll(&mut running, futures::future::pending::<u8>());
        let tag = running.tag(&home, 4);
        running.push(Slot::new(home, 4, true, None));
        assert!(tag.is_live(running.homes()));
        assert!(running.drop_all().is_none());
        assert!(
            !tag.is_live(running.homes()),
            "a dropped child's deadline could still mark its home"
        );
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
            let child = async move {
                let _loud = loud;
                futures::future::pending::<()>().await;
            };
            let home = after_a_pending_first_poll(&mut running, child);
            running.push(Slot::new(home, index, false, None));
        }
        let panic = running.drop_all().expect("a destructor panicked");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"loud"));
        assert!(running.is_empty());
    }
}
