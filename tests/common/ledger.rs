//! A ledger of the wake-ups a test's own sources still owe: those promised
//! (a thread or a timer holds a waker and will wake it) and the polls owed
//! (a child was woken and has not been polled since).
//!
//! With every source outside fanout keeping the ledger, the
//! [`Driver`](super::driver::Driver) can tell a batch that sleeps with a
//! wake-up coming from one that will never be woken, without waiting on a
//! clock: once nothing promised is left and the newest waker was not woken,
//! nothing ever will wake it.
//!
//! A wake-up makes a child owe a poll only if it was arranged at the
//! child's latest poll: the `Future` contract asks the caller to honour the
//! waker of the latest poll only, so once a child has been polled again
//! (woken or not), a wake-up arranged earlier is stale.
//!
//! A strict child (rule 13 of the design) may be polled again only after a
//! wake-up of its own, stale or not, each wake-up good for one poll: a
//! poll that no wake-up of the child can account for is counted as
//! [`spurious`](Ledger::spurious). A wake-up arranged by a child that has
//! finished is nobody's: it makes no one owe a poll, and a poll of the
//! next occupant of the place it woke is spurious.
//!
//! The ledger sees a wake-up land only around the moment it really does
//! (just before and just after it is passed on), and a poll begin a little
//! after the caller decided on it. So a poll is spurious only if no
//! wake-up could have led to it: one still landing when the poll began, or
//! one that landed after the poll before last ended (the caller may have
//! decided on the last poll just before it landed), and that no earlier
//! poll has been given.

use pin_project_lite::pin_project;
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

#[derive(Default)]
struct Book {
    promised: AtomicUsize,
    /// Polls of strict children that began with no wake-up of their own
    /// since their latest poll began.
    spurious: AtomicUsize,
    debts: Mutex<Debts>,
}

#[derive(Default)]
struct Debts {
    /// Counts every event below: the ledger's clock.
    clock: u64,
    /// Per child, by the number of its debt.
    children: Vec<Child>,
    /// Children woken, by a wake-up arranged at their latest poll, since
    /// that poll began.
    owed: BTreeSet<usize>,
    /// The first spurious poll: the child's tag, and which of its polls.
    first_spurious: Option<(usize, usize)>,
}

struct Child {
    /// How many polls it has begun.
    polls: usize,
    /// Finished or dropped.
    done: bool,
    /// When its latest poll ended, and the one before it (0: none yet).
    ended: [u64; 2],
    /// Its wake-ups no poll has been given yet, by when they began to
    /// land: when they landed, `None` while they are being passed on.
    wakes: Vec<(u64, Option<u64>)>,
    /// Its polls are checked against its wake-ups.
    strict: bool,
    /// What the test calls it (an input index).
    tag: usize,
}

/// Shared by a test's children and wake-up sources; clone it freely.
#[derive(Clone, Default)]
pub struct Ledger(Arc<Book>);

impl Ledger {
    pub fn new() -> Self {
        Self::default()
    }

    /// Wakers handed to a thread or a timer that have not woken yet.
    pub fn promised(&self) -> usize {
        self.0.promised.load(SeqCst)
    }

    /// Children woken and not polled since, by the number of their debt
    /// (children are numbered as their debts are made, so in input order
    /// when made with the children).
    pub fn owed(&self) -> BTreeSet<usize> {
        self.0.debts.lock().unwrap().owed.clone()
    }

    /// Polls of strict children that began while they were not woken (see
    /// the module docs).
    pub fn spurious(&self) -> usize {
        self.0.spurious.load(SeqCst)
    }

    /// The first spurious poll, if any: the child's tag, and which of its
    /// polls (from 1) it was.
    pub fn first_spurious(&self) -> Option<(usize, usize)> {
        self.0.debts.lock().unwrap().first_spurious
    }

    /// A waker that passes its wake-ups on to `waker`, counted as promised
    /// from now until it first wakes, or until its last clone is dropped
    /// (a waker dropped unused will never wake anyone). When it wakes,
    /// `debt`'s child owes a poll, unless it has been polled since.
    ///
    /// The wake-up is passed on before the promise is struck off: once
    /// [`promised`](Ledger::promised) reads 0, every wake-up it counted has
    /// reached the waker it was meant for.
    pub fn promise(&self, waker: &Waker, debt: Option<&Debt>) -> Waker {
        self.0.promised.fetch_add(1, SeqCst);
        let debt = debt.map(|debt| (debt.clone(), debt.polls()));
        Waker::from(Arc::new(Promise {
            waker: waker.clone(),
            ledger: self.clone(),
            debt,
            kept: AtomicBool::new(false),
        }))
    }

    /// A fresh debt marker for one child (called `tag` in reports),
    /// numbered from 0 in the order they are made; a strict one counts the
    /// polls that begin while the child was not woken.
    pub fn debt(&self, tag: usize, strict: bool) -> Debt {
        let mut debts = self.0.debts.lock().unwrap();
        debts.children.push(Child {
            polls: 0,
            done: false,
            ended: [0; 2],
            wakes: Vec::new(),
            strict,
            tag,
        });
        Debt {
            ledger: self.clone(),
            number: debts.children.len() - 1,
        }
    }

    /// `future`, polled with promising wakers: for a timer or any other
    /// source the test awaits itself.
    pub fn watch<F: Future>(&self, future: F) -> Watched<F> {
        Watched {
            future,
            ledger: self.clone(),
        }
    }
}

struct Promise {
    waker: Waker,
    ledger: Ledger,
    /// The child it wakes, and how many polls it had begun when the
    /// promise was made.
    debt: Option<(Debt, usize)>,
    kept: AtomicBool,
}

impl Wake for Promise {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // The debt first: once the wake-up is passed on, the child may be
        // polled at once, on another thread, and that poll is owed.
        let landing = self.debt.as_ref().map(|(debt, polls)| debt.incur(*polls));
        self.waker.wake_by_ref();
        if let (Some((debt, _)), Some(landing)) = (&self.debt, landing) {
            debt.landed(landing);
        }
        if !self.kept.swap(true, SeqCst) {
            self.ledger.0.promised.fetch_sub(1, SeqCst);
        }
    }
}

impl Drop for Promise {
    fn drop(&mut self) {
        if !*self.kept.get_mut() {
            self.ledger.0.promised.fetch_sub(1, SeqCst);
        }
    }
}

/// Whether one child owes a poll.
#[derive(Clone)]
pub struct Debt {
    ledger: Ledger,
    number: usize,
}

impl Debt {
    fn polls(&self) -> usize {
        self.ledger.0.debts.lock().unwrap().children[self.number].polls
    }

    /// A wake-up arranged at the child's `polls`th poll begins to land: it
    /// owes a poll if that is still its latest, and it may be polled once
    /// more in any case. Once it is done, the wake-up is nobody's. Returns
    /// when it began, for [`landed`](Debt::landed).
    fn incur(&self, polls: usize) -> u64 {
        let mut debts = self.ledger.0.debts.lock().unwrap();
        debts.clock += 1;
        let now = debts.clock;
        let child = &mut debts.children[self.number];
        if child.done {
            return now;
        }
        if child.strict {
            child.wakes.push((now, None));
        }
        if child.polls == polls {
            debts.owed.insert(self.number);
        }
        now
    }

    /// The wake-up that began to land at `began` has been passed on.
    fn landed(&self, began: u64) {
        let mut debts = self.ledger.0.debts.lock().unwrap();
        debts.clock += 1;
        let now = debts.clock;
        let child = &mut debts.children[self.number];
        if let Some(wake) = child.wakes.iter_mut().find(|wake| wake.0 == began) {
            wake.1 = Some(now);
        }
    }

    /// The child woke itself during its current poll.
    pub fn woke_itself(&self) {
        let began = self.incur(self.polls());
        self.landed(began);
    }

    /// A poll of the child begins: what it owed is paid, and wake-ups
    /// arranged before are stale from now on. A strict child's poll
    /// (not its first) takes the earliest wake-up that could have led to
    /// it (see the module docs); with none, it is spurious.
    pub fn poll_begins(&self) {
        let mut debts = self.ledger.0.debts.lock().unwrap();
        debts.clock += 1;
        let child = &mut debts.children[self.number];
        child.polls += 1;
        if child.strict && child.polls > 1 {
            // Wake-ups that landed before the poll before last ended were
            // that poll's or the last one's to take; they can lead to no
            // later poll.
            let before_last = child.ended[1];
            child
                .wakes
                .retain(|&(_, landed)| landed.is_none_or(|landed| landed > before_last));
            let earliest = (0..child.wakes.len())
                .min_by_key(|&i| (child.wakes[i].1.unwrap_or(u64::MAX), child.wakes[i].0));
            match earliest {
                Some(i) => {
                    child.wakes.swap_remove(i);
                }
                None => {
                    let at = (child.tag, child.polls);
                    self.ledger.0.spurious.fetch_add(1, SeqCst);
                    debts.first_spurious.get_or_insert(at);
                }
            }
        }
        debts.owed.remove(&self.number);
    }

    /// A poll of the child has returned.
    pub fn poll_ends(&self) {
        let mut debts = self.ledger.0.debts.lock().unwrap();
        debts.clock += 1;
        let now = debts.clock;
        let child = &mut debts.children[self.number];
        child.ended = [now, child.ended[0]];
    }

    /// The child finished or is dropped: it owes nothing any more, and
    /// wake-ups it arranged are nobody's.
    pub fn retire(&self) {
        let mut debts = self.ledger.0.debts.lock().unwrap();
        debts.children[self.number].done = true;
        debts.owed.remove(&self.number);
    }
}

pin_project! {
    /// Future for [`Ledger::watch`].
    pub struct Watched<F> {
        #[pin]
        future: F,
        ledger: Ledger,
    }
}

impl<F: Future> Future for Watched<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let waker = this.ledger.promise(cx.waker(), None);
        this.future.poll(&mut Context::from_waker(&waker))
    }
}
