//! The primitives of the few parts that race with other threads.
//!
//! A home's waker state ([`engine::home`](crate::engine::home): the woken
//! and expired flags, the forwarding waker, the fence) and the shared
//! [`Limiter`](crate::Limiter) (its queue, its flags, its semaphore) take
//! their atomics, locks, `Arc`s and wakers from here, and from nowhere
//! else.
//!
//! In every build that users make these are the very types of `core`,
//! `std`, `futures` and `async-lock`, re-exported: the seam costs nothing.
//! In the model checks' build (`--cfg fanout_loom`, with the `loom`
//! feature) they are loom's, or stand-ins built on loom's, so that loom
//! can run small models of those parts under every interleaving of their
//! threads (the models sit beside the code they check, in `cfg(all(test,
//! fanout_loom))` modules, and in `tests/loom_*.rs`).
//!
//! What the models then do not cover:
//!
//! - The `Arc` behind a home's waker stays `std`'s: a `Waker` can be built
//!   from an `Arc` without `unsafe` code only through `std::task::Wake`,
//!   which takes `std`'s. Its reference count (read when a home is reused,
//!   to see whether a child gave its waker away) is exact in the models,
//!   since loom runs one thread at a time, but loom does not weigh the
//!   orderings of its updates.
//! - [`AtomicWaker`] is a stand-in with the contract of futures' (the last
//!   waker registered is the one woken, a wake-up racing a registration is
//!   never lost), not futures' lock-free implementation, which the models
//!   take as correct. (loom's own mock prints a line at every
//!   registration.)
//! - [`Semaphore`] is a stand-in too: a counter of free permits, taken by a
//!   compare-and-swap and given back by an add. fanout only ever
//!   `try_acquire`s a permit of a shared limiter and drops it, under its
//!   own queue's lock; it never waits on the semaphore, so async-lock's
//!   listeners (event-listener) are never used. The models check fanout's
//!   queue and hand-off over a semaphore that keeps its count, not
//!   async-lock's implementation of that count.
//! - `FuturesUnordered`, the executor, and everything else in the engine
//!   run on the batch's own thread and keep `std`'s and futures' atomics:
//!   loom sees them as plain code between its steps, and takes no ordering
//!   from them. A wake-up that reaches a slot through the
//!   `FuturesUnordered`'s queue orders nothing in the models; what orders it
//!   before the poll it brings is the home's woken flag, taken by a swap
//!   before every poll of a waiting child, in the models as on a machine.

#[cfg(all(fanout_loom, not(feature = "loom")))]
compile_error!("`--cfg fanout_loom` is the model checks' build: enable the `loom` feature with it");

#[cfg(not(fanout_loom))]
pub(crate) use async_lock::{Semaphore, SemaphoreGuardArc};
#[cfg(not(fanout_loom))]
pub(crate) use core::sync::atomic::{AtomicBool, Ordering, fence};
#[cfg(not(fanout_loom))]
pub(crate) use futures::task::AtomicWaker;
#[cfg(not(fanout_loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

#[cfg(fanout_loom)]
pub(crate) use loom::sync::atomic::{Ordering, fence};
#[cfg(fanout_loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(fanout_loom)]
pub(crate) use stand_ins::{AtomicBool, AtomicWaker, Semaphore, SemaphoreGuardArc};

/// The model checks' stand-ins, built on loom's primitives, for the types
/// that loom has no model of (see the module's docs for what they leave
/// out). Each has exactly the methods fanout calls on the real one.
#[cfg(fanout_loom)]
mod stand_ins {
    use core::task::Waker;
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::{Arc, Mutex};

    /// loom's `AtomicBool`, whose stores are read-modify-writes.
    ///
    /// loom 0.7 lets a plain store of one thread fall, in the atomic's
    /// modification order, between the read and the write of a
    /// read-modify-write that another thread made earlier (loom issues 254
    /// and 389): a later `swap` may then read a value that no real machine
    /// could still hold. The flags here are set by a plain store on one
    /// thread and taken by a `swap` on another, which is just that shape.
    /// A `swap` whose result is dropped stores the same value with the same
    /// ordering, and loom orders it after every store it has seen, as a
    /// real machine would.
    #[derive(Debug, Default)]
    pub(crate) struct AtomicBool(loom::sync::atomic::AtomicBool);

    impl AtomicBool {
        pub(crate) fn new(value: bool) -> Self {
            AtomicBool(loom::sync::atomic::AtomicBool::new(value))
        }

        pub(crate) fn load(&self, order: Ordering) -> bool {
            self.0.load(order)
        }

        pub(crate) fn store(&self, value: bool, order: Ordering) {
            self.0.swap(value, order);
        }

        pub(crate) fn swap(&self, value: bool, order: Ordering) -> bool {
            self.0.swap(value, order)
        }
    }

    /// futures' `AtomicWaker`, as a waker slot under a lock.
    #[derive(Debug, Default)]
    pub(crate) struct AtomicWaker {
        waker: Mutex<Option<Waker>>,
    }

    impl AtomicWaker {
        pub(crate) fn new() -> Self {
            AtomicWaker::default()
        }

        /// Keeps `waker` for the next [`wake`](AtomicWaker::wake), unless
        /// the one kept already wakes the same task (as futures' does).
        pub(crate) fn register(&self, waker: &Waker) {
            let mut slot = self.waker.lock().unwrap();
            if !slot.as_ref().is_some_and(|kept| kept.will_wake(waker)) {
                *slot = Some(waker.clone());
            }
        }

        /// Wakes the waker kept, if any, and forgets it; with no lock held
        /// while it runs.
        pub(crate) fn wake(&self) {
            if let Some(waker) = self.take() {
                waker.wake();
            }
        }

        pub(crate) fn take(&self) -> Option<Waker> {
            self.waker.lock().unwrap().take()
        }
    }

    /// async-lock's `Semaphore`, as far as fanout uses it: a count of free
    /// permits.
    #[derive(Debug)]
    pub(crate) struct Semaphore {
        permits: AtomicUsize,
    }

    impl Semaphore {
        pub(crate) fn new(permits: usize) -> Self {
            Semaphore {
                permits: AtomicUsize::new(permits),
            }
        }

        pub(crate) fn available_permits(&self) -> usize {
            self.permits.load(Ordering::Acquire)
        }

        /// `n` more permits, free at once (an adaptive limit grows).
        pub(crate) fn add_permits(&self, n: usize) {
            self.permits.fetch_add(n, Ordering::AcqRel);
        }

        /// A permit if one is free, held until the guard is dropped.
        pub(crate) fn try_acquire_arc(semaphore: &Arc<Self>) -> Option<SemaphoreGuardArc> {
            let mut free = semaphore.permits.load(Ordering::Acquire);
            loop {
                let left = free.checked_sub(1)?;
                match semaphore.permits.compare_exchange(
                    free,
                    left,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        return Some(SemaphoreGuardArc {
                            semaphore: Some(Arc::clone(semaphore)),
                        });
                    }
                    Err(now) => free = now,
                }
            }
        }
    }

    /// One permit of a [`Semaphore`], given back when dropped.
    #[derive(Debug)]
    pub(crate) struct SemaphoreGuardArc {
        /// `None` once forgotten.
        semaphore: Option<Arc<Semaphore>>,
    }

    impl SemaphoreGuardArc {
        /// Drops the permit without giving it back (an adaptive limit
        /// shrinks).
        pub(crate) fn forget(mut self) {
            self.semaphore = None;
        }
    }

    impl Drop for SemaphoreGuardArc {
        fn drop(&mut self) {
            if let Some(semaphore) = self.semaphore.take() {
                semaphore.permits.fetch_add(1, Ordering::AcqRel);
            }
        }
    }
}
