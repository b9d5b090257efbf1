//! The pinned place a child lives in, reused from one child to the next.

use crate::panicked::{Panicked, Payload};
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Context, Poll, Waker};
use futures::task::AtomicWaker;
use pin_project_lite::pin_project;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::task::Wake;

pin_project! {
    #[project = OccupantProj]
    #[project_replace = OccupantReplace]
    enum Occupant<F> {
        Running {
            #[pin]
            future: F,
        },
        Empty,
    }
}

/// A heap cell a child is pinned in from its first poll until it is dropped.
///
/// Why a home of its own instead of living inside the `FuturesUnordered`
/// node: the engine gives a child its first poll the moment it is admitted,
/// and a child may not move once polled. Many children finish on that poll;
/// in a home taken from the batch's spares they cost no allocation at all,
/// and only those still pending move (as a pointer) into the
/// `FuturesUnordered`. A child is dropped in place, so the emptied home can
/// take the next one.
///
/// The first poll uses the home's own waker, not the task's: the
/// `FuturesUnordered` polls every newly pushed future, and for a child that
/// waits (I/O) that second poll would be wasted. The home's waker records
/// whether the child was woken and forwards the wake-up: to the task while
/// the child waits to be taken into the `FuturesUnordered`
/// ([`wake_task_meanwhile`](Home::wake_task_meanwhile)), then to its slot
/// there ([`hand_over_wake_up`](Home::hand_over_wake_up)), which polls the
/// child only if it was woken.
pub(crate) struct Home<F> {
    /// One pointer: a home is moved with its child's slot into and out of
    /// the `FuturesUnordered`, and a narrow one moves in a register.
    place: Pin<Box<Place<F>>>,
}

pin_project! {
    /// A home's heap cell: the child, and the waker of its first poll.
    struct Place<F> {
        // This home's number in its batch's `Homes`.
        number: usize,
        first_wake: Arc<FirstWake>,
        // `first_wake` as a `Waker`, built once per home.
        waker: Waker,
        // Whether `first_wake` forwards to a slot's waker, which must be
        // forgotten before the next child's first poll.
        forwarding: bool,
        #[pin]
        occupant: Occupant<F>,
    }
}

/// What the home's waker does: remember the wake-up, and pass it on.
///
/// Also where the engine marks a child as out of time: [`Homes`] keeps it
/// by the home's number, so the engine can reach a waiting child's slot
/// without looking through the `FuturesUnordered`.
struct FirstWake {
    woken: AtomicBool,
    forward: AtomicWaker,
    /// Set by the engine when the tagged child's deadline passed.
    expired: AtomicBool,
}

/// `Homes::tagged` for a home where no child has a live deadline.
const NO_CHILD: usize = usize::MAX;

impl Default for FirstWake {
    fn default() -> Self {
        FirstWake {
            woken: AtomicBool::new(false),
            forward: AtomicWaker::new(),
            expired: AtomicBool::new(false),
        }
    }
}

impl Wake for FirstWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.forward.wake();
    }
}

/// Every home a batch has made, by number: where a [`DeadlineTag`] finds
/// its child's home without holding on to it.
///
/// Why numbers rather than a shared pointer in each tag: a tag is made for
/// every child that waits with a deadline, and most finish soon after; a
/// reference count taken and dropped per child was a third of what a
/// deadline cost. Homes are few (one per child in flight, reused) and live
/// as long as the batch.
#[derive(Default)]
pub(crate) struct Homes {
    first_wakes: Vec<Arc<FirstWake>>,
    /// By home number: the input index of the child whose deadline the
    /// engine tracks there, or [`NO_CHILD`] once that child has left
    /// (finished or dropped), so a tag for an earlier occupant never
    /// touches the next one. Kept here, side by side, rather than in each
    /// home: the engine looks at many at once when it stamps a pass.
    tagged: Vec<usize>,
}

impl Homes {
    /// A new, empty home, numbered.
    pub(crate) fn make<F>(&mut self) -> Home<F> {
        let first_wake = Arc::new(FirstWake::default());
        self.first_wakes.push(Arc::clone(&first_wake));
        self.tagged.push(NO_CHILD);
        Home {
            place: Box::pin(Place {
                number: self.first_wakes.len() - 1,
                waker: Waker::from(Arc::clone(&first_wake)),
                first_wake,
                forwarding: false,
                occupant: Occupant::Empty,
            }),
        }
    }

    /// A handle through which the engine can mark the child now living
    /// in `home`, input `index`, as out of time (see [`DeadlineTag`]).
    #[inline]
    pub(crate) fn tag<F>(&mut self, home: &Home<F>, index: usize) -> DeadlineTag {
        let home = home.place.number;
        self.tagged[home] = index;
        DeadlineTag { home, index }
    }

    /// `home`'s child has left: a tag still held for it must neither mark
    /// nor wake whoever lives there next.
    #[inline]
    pub(crate) fn untag<F>(&mut self, home: &Home<F>) {
        self.tagged[home.place.number] = NO_CHILD;
    }

    /// Every child has left: the batch dropped them all.
    pub(crate) fn untag_all(&mut self) {
        self.tagged.fill(NO_CHILD);
    }

    fn first_wake(&self, tag: &DeadlineTag) -> &FirstWake {
        &self.first_wakes[tag.home]
    }
}

impl<F: Future> Home<F> {
    /// Moves a child into this empty home.
    pub(crate) fn move_in(&mut self, child: F) {
        let mut occupant = self.place.as_mut().project().occupant;
        debug_assert!(
            matches!(*occupant, Occupant::Empty),
            "a home took a second child"
        );
        // Dropping the `Empty` being replaced cannot panic.
        occupant.set(Occupant::Running { future: child });
    }

    /// The child's first poll, with the home's waker (see [`Home`]).
    pub(crate) fn poll_first(&mut self) -> Poll<Result<F::Output, Panicked>> {
        let place = self.place.as_mut().project();
        if *place.forwarding {
            // A waker of the previous child may still fire: it reaches this
            // child's slot at worst, as one spurious poll.
            drop(place.first_wake.forward.take());
            *place.forwarding = false;
        }
        place.first_wake.woken.store(false, Ordering::Relaxed);
        place.first_wake.expired.store(false, Ordering::Relaxed);
        poll_in_place(place.occupant, &mut Context::from_waker(place.waker))
    }

    /// Polls again, with the home's waker, a child that woke itself during
    /// its last poll here and has not been polled since (see
    /// [`Running`](crate::engine::running::Running)). As after its first
    /// poll, [`wake_task_meanwhile`](Home::wake_task_meanwhile) then says
    /// whether it woke itself again.
    #[inline]
    pub(crate) fn poll_again(&mut self) -> Poll<Result<F::Output, Panicked>> {
        let place = self.place.as_mut().project();
        // Nothing forwards: the child woke itself, so its wake-ups were
        // never routed anywhere (see `wake_task_meanwhile`). Its deadline
        // mark stays: a child out of time is not given more.
        place.first_wake.woken.store(false, Ordering::Relaxed);
        poll_in_place(place.occupant, &mut Context::from_waker(place.waker))
    }

    /// After a first poll that left the child pending: routes its wake-ups
    /// to the task, until its slot takes them over. Returns whether the
    /// child woke itself during that poll (asking to be polled again after
    /// others have had a turn): then nothing is routed, and the caller must
    /// wake the task before it next returns `Pending` (once for all such
    /// children, rather than once each).
    pub(crate) fn wake_task_meanwhile(&mut self, cx: &Context<'_>) -> bool {
        let place = self.place.as_mut().project();
        if place.first_wake.woken.load(Ordering::Acquire) {
            // Nothing to route: the slot will find the child woken.
            return true;
        }
        place.first_wake.forward.register(cx.waker());
        *place.forwarding = true;
        // A wake-up between the check and the registration reached no one.
        if place.first_wake.woken.load(Ordering::Acquire) {
            cx.waker().wake_by_ref();
        }
        false
    }

    /// Routes the child's wake-ups since its first poll to `cx`'s waker,
    /// and returns whether it has been woken since that poll (then it needs
    /// polling now).
    pub(crate) fn hand_over_wake_up(&mut self, cx: &Context<'_>) -> bool {
        let place = self.place.as_mut().project();
        if place.first_wake.woken.swap(false, Ordering::AcqRel) {
            // The child is polled now, and learns `cx`'s waker from that.
            return true;
        }
        place.first_wake.forward.register(cx.waker());
        *place.forwarding = true;
        // After registering: a wake-up that came first is seen here, one
        // that comes later reaches `cx`'s waker.
        place.first_wake.woken.swap(false, Ordering::AcqRel)
    }

    /// Polls the child, catching a panic. Once the child has an outcome its
    /// future is dropped in place, so the home is empty again: a panic in
    /// that destructor is the child's outcome unless its poll panicked
    /// first (the first panic is the one to report).
    pub(crate) fn poll_child(&mut self, cx: &mut Context<'_>) -> Poll<Result<F::Output, Panicked>> {
        poll_in_place(self.place.as_mut().project().occupant, cx)
    }
}

impl<F> Home<F> {
    /// Drops the child, if there is one, in place: a panic in its
    /// destructor is caught and returned, never unwound through the
    /// engine's bookkeeping.
    pub(crate) fn evict(&mut self) -> Result<(), Payload> {
        evict_in_place(self.place.as_mut().project().occupant)
    }

    /// Whether the engine marked the child as out of time.
    pub(crate) fn expired(&self) -> bool {
        self.place.first_wake.expired.load(Ordering::Acquire)
    }

    /// Has the engine's expiry (and any wake-up through the home's own
    /// waker) reach `cx`'s waker: for a child with a deadline, polled by the
    /// `FuturesUnordered` with a waker the home's forwarding may not hold
    /// any more (a forwarded wake-up uses it up).
    pub(crate) fn route_wakes_to(&mut self, cx: &Context<'_>) {
        let place = self.place.as_mut().project();
        place.first_wake.forward.register(cx.waker());
        *place.forwarding = true;
    }
}

/// The engine's handle on one waiting child's deadline: the number of the
/// child's home (in the batch's [`Homes`]) and its input index.
///
/// The engine keeps these in admission order, which is deadline order, so
/// an expiry costs a look at the children that are due and nothing more.
/// A tag outlives its child when the child finishes first; it then goes
/// stale (the home is untagged when its child leaves, or tagged for a later
/// child) and does nothing.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DeadlineTag {
    home: usize,
    index: usize,
}

impl DeadlineTag {
    /// Whether the child is still waiting in its home.
    #[inline]
    pub(crate) fn is_live(&self, homes: &Homes) -> bool {
        homes.tagged[self.home] == self.index
    }

    /// Marks the child as out of time and wakes its slot, which then
    /// resolves to `Elapsed` unless the child's output is ready first.
    /// Does nothing when the tag is stale. Returns whether it marked.
    pub(crate) fn expire(&self, homes: &Homes) -> bool {
        if !self.is_live(homes) {
            return false;
        }
        let first_wake = homes.first_wake(self);
        first_wake.expired.store(true, Ordering::Release);
        first_wake.forward.wake();
        true
    }
}

/// [`Home::poll_child`], on the occupant alone (so the home's own waker can
/// be borrowed alongside).
fn poll_in_place<F: Future>(
    mut occupant: Pin<&mut Occupant<F>>,
    cx: &mut Context<'_>,
) -> Poll<Result<F::Output, Panicked>> {
    let OccupantProj::Running { future } = occupant.as_mut().project() else {
        unreachable!("fanout: an empty home was polled");
    };
    let outcome = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
        Ok(Poll::Pending) => return Poll::Pending,
        Ok(Poll::Ready(output)) => Ok(output),
        Err(payload) => Err(Panicked::new(payload)),
    };
    Poll::Ready(match (evict_in_place(occupant), outcome) {
        (Err(payload), Ok(_)) => Err(Panicked::new(payload)),
        (_, outcome) => outcome,
    })
}

fn evict_in_place<F>(occupant: Pin<&mut Occupant<F>>) -> Result<(), Payload> {
    catch_unwind(AssertUnwindSafe(|| {
        occupant.project_replace(Occupant::Empty);
    }))
}
