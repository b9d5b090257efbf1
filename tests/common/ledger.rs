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
    debts: Mutex<Debts>,
}

#[derive(Default)]
struct Debts {
    /// Per child, by the number of its debt: how many polls it has begun,
    /// and whether it is done (finished or dropped).
    children: Vec<(usize, bool)>,
    /// Children woken since their latest poll began.
    owed: BTreeSet<usize>,
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

    /// A fresh debt marker for one child, numbered from 0 in the order
    /// they are made.
    pub fn debt(&self) -> Debt {
        let mut debts = self.0.debts.lock().unwrap();
        debts.children.push((0, false));
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
        self.waker.wake_by_ref();
        if let Some((debt, polls)) = &self.debt {
            debt.incur(*polls);
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
        self.ledger.0.debts.lock().unwrap().children[self.number].0
    }

    /// Woken by a wake-up arranged at the child's `polls`th poll: it owes
    /// a poll if that is still its latest.
    fn incur(&self, polls: usize) {
        let mut debts = self.ledger.0.debts.lock().unwrap();
        if debts.children[self.number] == (polls, false) {
            debts.owed.insert(self.number);
        }
    }

    /// The child woke itself during its current poll.
    pub fn woke_itself(&self) {
        self.incur(self.polls());
    }

    /// A poll of the child begins: what it owed is paid, and wake-ups
    /// arranged before are stale from now on.
    pub fn poll_begins(&self) {
        let mut debts = self.ledger.0.debts.lock().unwrap();
        debts.children[self.number].0 += 1;
        debts.owed.remove(&self.number);
    }

    /// The child finished or is dropped: it owes nothing any more.
    pub fn retire(&self) {
        let mut debts = self.ledger.0.debts.lock().unwrap();
        debts.children[self.number].1 = true;
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
