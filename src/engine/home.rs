//! The pinned place a child lives in, reused from one child to the next.

use crate::engine::slow_polls::SlowPolls;
use crate::panicked::{Panicked, Payload};
use crate::sync::{AtomicBool, AtomicWaker, Ordering, fence};
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use pin_project_lite::pin_project;
use std::panic::{AssertUnwindSafe, catch_unwind};
// `std`'s in every build, the model checks' too: a `Waker` is made from
// it through `std::task::Wake` (see `crate::sync`).
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
/// Every poll of the child uses the home's own waker, never the task's or
/// a `FuturesUnordered` node's: the home's waker records whether the child
/// was woken, so the child is polled again only after a wake-up of its own,
/// always with the waker it was first given (rule 13 of the design: a child
/// that registers its waker once, on its first poll, must work). The
/// wake-up is forwarded: to the task while the child waits to be taken into
/// the `FuturesUnordered` ([`wake_task_meanwhile`](Home::wake_task_meanwhile)),
/// then to its slot's node there ([`route_wakes_to`](Home::route_wakes_to)),
/// whose poll polls the child only if it was woken
/// ([`poll_if_woken`](Home::poll_if_woken)).
///
/// A home is reused by the next child, and its waker with it, unless a
/// clone of that waker is still out there
/// ([`spare_home`](crate::engine::running::Running::spare_home)): a child
/// may finish before its own wake-up has landed (its reactor marked it
/// done, then was slow to wake it), and that late wake-up must not be taken
/// for the next child's. Such a home gets a waker of its own first.
pub(crate) struct Home<F> {
    /// One pointer: a home is moved with its child's slot into and out of
    /// the `FuturesUnordered`, and a narrow one moves in a register.
    place: Pin<Box<Place<F>>>,
}

pin_project! {
    /// A home's heap cell: the child, and the waker of its first poll.
    #[project = PlaceProj]
    struct Place<F> {
        // This home's number in its batch's `Homes`.
        number: usize,
        first_wake: Arc<FirstWake>,
        // `first_wake` as a `Waker`, built once per home.
        waker: Waker,
        // Whether `first_wake` forwards to a slot's waker, which must be
        // forgotten before the next child's first poll.
        forwarding: bool,
        // The input index of the child living here, for the slow-poll
        // report.
        index: usize,
        // Set when the batch reports slow polls: every poll here is timed.
        slow_polls: Option<Arc<SlowPolls>>,
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

/// The references to a home's [`FirstWake`] that the batch itself holds:
/// its entry in [`Homes`], the home's own handle, and the home's `Waker`.
/// Any more is a clone of the waker that a child gave away (to a reactor, a
/// timer, another thread) and that may still fire.
const OWN_REFERENCES: usize = 3;

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
    /// By home number; `None` for a number whose home was freed (see
    /// [`free`](Homes::free)), until a new home takes it.
    first_wakes: Vec<Option<Arc<FirstWake>>>,
    /// By home number: the input index of the child whose deadline the
    /// engine tracks there, or [`NO_CHILD`] once that child has left
    /// (finished or dropped), so a tag for an earlier occupant never
    /// touches the next one. Kept here, side by side, rather than in each
    /// home: the engine looks at many at once when it stamps a pass.
    tagged: Vec<usize>,
    /// Numbers of freed homes, for the next homes made.
    free_numbers: Vec<usize>,
    /// The slow-poll report every home made from now on times its child's
    /// polls with (see [`time_polls`](Homes::time_polls)).
    slow_polls: Option<Arc<SlowPolls>>,
}

impl Homes {
    /// Has every home made from now on time its child's polls and report
    /// the slow ones. Set before the first home is made.
    pub(crate) fn time_polls(&mut self, slow_polls: Option<Arc<SlowPolls>>) {
        debug_assert!(self.first_wakes.is_empty(), "homes made untimed");
        self.slow_polls = slow_polls;
    }

    /// A new, empty home, numbered.
    pub(crate) fn make<F>(&mut self) -> Home<F> {
        let first_wake = Arc::new(FirstWake::default());
        let number = match self.free_numbers.pop() {
            Some(number) => {
                self.first_wakes[number] = Some(Arc::clone(&first_wake));
                number
            }
            None => {
                self.first_wakes.push(Some(Arc::clone(&first_wake)));
                self.tagged.push(NO_CHILD);
                self.first_wakes.len() - 1
            }
        };
        Home {
            place: Box::pin(Place {
                number,
                waker: Waker::from(Arc::clone(&first_wake)),
                first_wake,
                forwarding: false,
                index: 0,
                slow_polls: self.slow_polls.clone(),
                occupant: Occupant::Empty,
            }),
        }
    }

    /// Frees an empty home the batch no longer needs; its number goes to
    /// the next home made. A tag still held for its last child is stale
    /// already (the home was untagged when that child left).
    pub(crate) fn free<F>(&mut self, home: Home<F>) {
        let number = home.place.number;
        debug_assert_eq!(self.tagged[number], NO_CHILD, "a tagged home was freed");
        self.first_wakes[number] = None;
        self.free_numbers.push(number);
    }

    /// Gives `spares`, every home there is (no child is running), the
    /// numbers from 0 on, and forgets the rest: the numbers are as many as
    /// the homes again, however many there once were.
    ///
    /// A deadline tag still held for an earlier child stays stale: its
    /// number now leads to no home or to a home tagged for no child.
    pub(crate) fn renumber<F>(&mut self, spares: &mut [Home<F>]) {
        self.first_wakes.clear();
        for (number, home) in spares.iter_mut().enumerate() {
            let place = home.place.as_mut().project();
            *place.number = number;
            self.first_wakes.push(Some(Arc::clone(place.first_wake)));
        }
        self.first_wakes.shrink_to_fit();
        self.tagged.clear();
        self.tagged.resize(spares.len(), NO_CHILD);
        self.tagged.shrink_to_fit();
        self.free_numbers = Vec::new();
    }

    /// How many homes exist now (spare or holding a child).
    #[cfg(test)]
    pub(crate) fn count(&self) -> usize {
        self.first_wakes.len() - self.free_numbers.len()
    }

    /// How many numbers have been given out, freed or not.
    #[cfg(test)]
    pub(crate) fn numbers(&self) -> usize {
        self.first_wakes.len()
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

    /// The waker state of a live tag's home. (A freed home has no live
    /// tag: it was untagged when its last child left.)
    fn first_wake(&self, tag: &DeadlineTag) -> &FirstWake {
        let Some(first_wake) = self.first_wakes[tag.home].as_deref() else {
            unreachable!("fanout: a live deadline tag led to a freed home")
        };
        first_wake
    }
}

impl<F: Future> Home<F> {
    /// Moves the child at input `index` into this empty home.
    pub(crate) fn move_in(&mut self, child: F, index: usize) {
        let place = self.place.as_mut().project();
        *place.index = index;
        let mut occupant = place.occupant;
        debug_assert!(
            matches!(*occupant, Occupant::Empty),
            "a home took a second child"
        );
        // Dropping the `Empty` being replaced cannot panic.
        occupant.set(Occupant::Running { future: child });
    }

    /// The child's first poll, with the home's waker (see [`Home`]).
    ///
    /// The home comes from
    /// [`spare_home`](crate::engine::running::Running::spare_home), which
    /// gave it a waker of its own if its last child's could still fire, so
    /// any wake-up from now on is this child's.
    pub(crate) fn poll_first(&mut self) -> Poll<Result<F::Output, Panicked>> {
        let place = self.place.as_mut().project();
        if *place.forwarding {
            // Where the last child's wake-ups went: not this child's.
            drop(place.first_wake.forward.take());
            *place.forwarding = false;
        }
        place.first_wake.woken.store(false, Ordering::Relaxed);
        place.first_wake.expired.store(false, Ordering::Relaxed);
        poll_at_home(place)
    }

    /// Polls the child again, with the home's waker, if it has been woken
    /// since its last poll; otherwise leaves it alone (`Pending`): a child
    /// is polled again only after a wake-up of its own (see [`Home`]).
    ///
    /// Used for a child that woke itself during its last poll (see
    /// [`Running`](crate::engine::running::Running)): as after its first
    /// poll, [`wake_task_meanwhile`](Home::wake_task_meanwhile) then says
    /// whether it woke itself again. And by its slot in the
    /// `FuturesUnordered`, whose node its wake-ups are routed to.
    #[inline]
    pub(crate) fn poll_if_woken(&mut self) -> Poll<Result<F::Output, Panicked>> {
        let place = self.place.as_mut().project();
        // Its deadline mark stays: a child out of time is not given more.
        if !place.first_wake.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        poll_at_home(place)
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
            // Nothing to route: it is polled again at home, woken.
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

    /// Routes the child's wake-ups, and the engine's expiry mark, to
    /// `cx`'s waker: its slot's node in the `FuturesUnordered`, after a
    /// poll of the slot that left it pending. Done after every such poll:
    /// a forwarded wake-up uses the registration up.
    ///
    /// A wake-up or an expiry that came before this registration may have
    /// used up an earlier one: then `cx` is woken here, so the slot is
    /// polled again and finds it.
    pub(crate) fn route_wakes_to(&mut self, cx: &Context<'_>) {
        let place = self.place.as_mut().project();
        place.first_wake.forward.register(cx.waker());
        *place.forwarding = true;
        if place.first_wake.woken.load(Ordering::Acquire)
            || place.first_wake.expired.load(Ordering::Acquire)
        {
            cx.waker().wake_by_ref();
        }
    }

    /// Whether a clone of this home's waker may still be out there (given
    /// away by an earlier child, to a reactor or another thread), so that a
    /// wake-up meant for that child could still arrive here.
    #[inline]
    pub(crate) fn waker_given_away(&self) -> bool {
        if Arc::strong_count(&self.place.first_wake) > OWN_REFERENCES {
            return true;
        }
        // Every clone has been dropped; their last wake-ups, made before
        // each drop (a release), are seen by the flags' resets that follow.
        fence(Ordering::Acquire);
        false
    }

    /// Gives this empty home a waker of its own, forgetting the last one:
    /// the wake-ups of an earlier child, late or not, reach only that old
    /// waker from now on, and no one waits on it.
    pub(crate) fn renew_waker(&mut self, homes: &mut Homes) {
        let first_wake = Arc::new(FirstWake::default());
        let place = self.place.as_mut().project();
        homes.first_wakes[*place.number] = Some(Arc::clone(&first_wake));
        *place.waker = Waker::from(Arc::clone(&first_wake));
        *place.first_wake = first_wake;
        *place.forwarding = false;
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
        // A number beyond the list is one given up (see `Homes::renumber`).
        homes.tagged.get(self.home) == Some(&self.index)
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

/// Polls the child with the home's own waker, in place, catching a panic;
/// timed if the batch reports slow polls (a panic in the report is the
/// child's). Once the child has an outcome its future is dropped in place,
/// so the home is empty again: a panic in that destructor is the child's
/// outcome unless its poll panicked first (the first panic is the one to
/// report).
#[inline]
fn poll_at_home<F: Future>(place: PlaceProj<'_, F>) -> Poll<Result<F::Output, Panicked>> {
    let mut occupant = place.occupant;
    let OccupantProj::Running { future } = occupant.as_mut().project() else {
        unreachable!("fanout: an empty home was polled");
    };
    let cx = &mut Context::from_waker(place.waker);
    let polled = catch_unwind(AssertUnwindSafe(|| match place.slow_polls {
        None => future.poll(cx),
        Some(slow_polls) => slow_polls.time(*place.index, || future.poll(cx)),
    }));
    let outcome = match polled {
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

#[cfg(all(test, fanout_loom))]
mod loom_models;
