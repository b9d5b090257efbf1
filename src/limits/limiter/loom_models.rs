//! Model checks of the shared limiter: loom runs each model under every
//! interleaving of its threads (up to `LOOM_MAX_PREEMPTIONS` preemptions).
//!
//! Each thread stands for one batch: a [`Ticket`] that asks for permits,
//! and children that hold one while they run. In every interleaving:
//!
//! - no permit is lost or made twice: once every batch is done, all the
//!   permits are free again, and never do more children run at once than
//!   the limiter's capacity;
//! - every batch waiting for a permit is woken: a lost wake-up leaves a
//!   thread asleep for good, which loom reports as a deadlock.
//!
//! The semaphore under the queue is the model's stand-in (see
//! [`crate::sync`]); the queue, the hand-off and the wake-ups are fanout's.
//!
//! Run with `RUSTFLAGS="--cfg fanout_loom" cargo test --release --features
//! loom --lib loom_models`.

use super::{Limiter, Permit, Ticket};
use crate::limits::controller::{Controller, Verdict};
use core::future::poll_fn;
use core::task::{Context, Poll};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

/// How many children hold a permit now; each checks the cap as it starts.
struct Running {
    now: AtomicUsize,
    capacity: usize,
}

impl Running {
    fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Running {
            now: AtomicUsize::new(0),
            capacity,
        })
    }

    /// A child that starts on `permit`, runs (a step other threads can
    /// come between), and finishes, returning the permit.
    fn child(&self, permit: Permit) {
        let running = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        assert!(
            running <= self.capacity,
            "{running} children ran at once under a limiter of {}",
            self.capacity
        );
        self.now.fetch_sub(1, Ordering::SeqCst);
        drop(permit);
    }
}

/// The next permit for `ticket`'s batch, asleep until it comes.
fn acquire(limiter: &Limiter, ticket: &mut Ticket) -> Permit {
    loom::future::block_on(poll_fn(|cx| limiter.poll_acquire(ticket, cx)))
}

/// Every permit free again, once every batch and child is gone.
fn all_returned(limiter: &Limiter) {
    assert_eq!(
        limiter.available(),
        limiter.capacity(),
        "a permit was lost or made twice"
    );
}

#[test]
fn two_batches_take_turns_at_one_permit() {
    loom::model(|| {
        let limiter = Limiter::new(1);
        let running = Running::new(1);
        let other = {
            let (limiter, running) = (limiter.clone(), Arc::clone(&running));
            thread::spawn(move || {
                let mut ticket = Ticket::default();
                for _ in 0..2 {
                    running.child(acquire(&limiter, &mut ticket));
                }
            })
        };
        let mut ticket = Ticket::default();
        for _ in 0..2 {
            running.child(acquire(&limiter, &mut ticket));
        }
        drop(ticket);
        other.join().unwrap();
        all_returned(&limiter);
    });
}

#[test]
fn a_permit_handed_on_unused_reaches_the_next_batch() {
    loom::model(|| {
        let limiter = Limiter::new(1);
        let running = Running::new(1);
        let other = {
            let (limiter, running) = (limiter.clone(), Arc::clone(&running));
            thread::spawn(move || {
                let mut ticket = Ticket::default();
                running.child(acquire(&limiter, &mut ticket));
            })
        };
        // A batch whose input turned out to have nothing ready yet: it
        // passes its permit on without running a child, then asks again.
        let mut ticket = Ticket::default();
        acquire(&limiter, &mut ticket).release_unused();
        running.child(acquire(&limiter, &mut ticket));
        drop(ticket);
        other.join().unwrap();
        all_returned(&limiter);
    });
}

#[test]
fn a_batch_dropped_while_queued_passes_its_turn_on() {
    loom::model(|| {
        let limiter = Limiter::new(1);
        let running = Running::new(1);
        // The only permit is out with a child of this thread's batch.
        let mut ticket = Ticket::default();
        let held = acquire(&limiter, &mut ticket);
        // A batch that asks once, then is dropped: queued, or already
        // handed the permit it never took.
        let dropped = {
            let limiter = limiter.clone();
            thread::spawn(move || {
                let mut ticket = Ticket::default();
                let waker = futures::task::noop_waker();
                if let Poll::Ready(permit) =
                    limiter.poll_acquire(&mut ticket, &mut Context::from_waker(&waker))
                {
                    drop(permit);
                }
                drop(ticket);
            })
        };
        // A batch that waits for its permit.
        let waiting = {
            let (limiter, running) = (limiter.clone(), Arc::clone(&running));
            thread::spawn(move || {
                let mut ticket = Ticket::default();
                running.child(acquire(&limiter, &mut ticket));
            })
        };
        running.child(held);
        drop(ticket);
        dropped.join().unwrap();
        waiting.join().unwrap();
        all_returned(&limiter);
    });
}

/// An adaptive limiter of `initial` permits within `min..=max`.
fn adaptive(initial: usize, min: usize, max: usize) -> Limiter {
    Limiter::with(initial, Some(Controller::new(initial, min, max)))
}

#[test]
fn a_shrink_racing_a_return_leaves_as_many_permits_as_the_limit() {
    loom::model(|| {
        let limiter = adaptive(2, 1, 4);
        let (mut first_batch, mut second_batch) = (Ticket::default(), Ticket::default());
        let first = acquire(&limiter, &mut first_batch);
        let second = acquire(&limiter, &mut second_batch);
        // One child's overload halves the limit (to 1) on another thread
        // while the other child's permit comes back: the shrink takes a
        // free permit out or owes one, whichever it finds.
        let other = {
            let limiter = limiter.clone();
            thread::spawn(move || {
                drop(first);
                limiter.judge(&first_batch, Verdict::Overloaded);
            })
        };
        drop(second);
        limiter.judge(&second_batch, Verdict::Unknown);
        other.join().unwrap();
        assert_eq!(limiter.capacity(), 1);
        // The one permit left can still be taken: none was lost.
        drop(acquire(&limiter, &mut Ticket::default()));
        all_returned(&limiter);
    });
}

#[test]
fn a_batch_waiting_when_the_limit_grows_gets_the_new_permit() {
    loom::model(|| {
        let limiter = adaptive(1, 1, 2);
        let mut holder = Ticket::default();
        let held = acquire(&limiter, &mut holder);
        let waiter = {
            let limiter = limiter.clone();
            thread::spawn(move || drop(acquire(&limiter, &mut Ticket::default())))
        };
        // A fast, fine finish with the limit in use grows it to 2: a new
        // permit, handed to the batch waiting if it has queued (else it
        // takes a free one). A lost wake-up would leave it asleep.
        drop(held);
        limiter.judge(&holder, Verdict::Fine);
        waiter.join().unwrap();
        assert_eq!(limiter.capacity(), 2);
        all_returned(&limiter);
    });
}
