//! `gather` and `try_gather` allocate their result once when the input
//! knows its length: an exact size hint, `(n, Some(n))`, reserves room for
//! `n` outputs. A hint is no promise, so the reservation is capped (at
//! 64 KiB of outputs): an input that claims billions of items and yields a
//! few costs no more than that, and never aborts the process.

mod common;
use common::*;
use fanout::prelude::*;
use futures::stream;
use std::future::{Ready, ready};

/// `inner`, but claiming an exact length of `claimed` whatever it holds.
struct Lying<I> {
    inner: I,
    claimed: usize,
}

impl<I: Iterator> Iterator for Lying<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        self.inner.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.claimed, Some(self.claimed))
    }
}

/// Children `0..len`, ready at once or after one `Pending` (so that some
/// finish out of input order under a bound).
fn children(len: u64) -> impl Iterator<Item = impl Future<Output = u64>> {
    (0..len).map(|i| async move { if i % 3 == 0 { yield_once(i).await } else { i } })
}

/// Ready children `0..len`, claiming `claimed` of them.
fn lying(len: u64, claimed: usize) -> Lying<impl Iterator<Item = Ready<u64>>> {
    Lying {
        inner: (0..len).map(ready),
        claimed,
    }
}

/// What the cap allows for `u64` outputs: 64 KiB of them.
const MOST_RESERVED: usize = 64 * 1024 / size_of::<u64>();

on_every_executor! {
    async fn gather_over_an_exact_size_input_allocates_exactly_once() {
        for len in [10, 1_000] {
            let out = children(len).bounded(4).gather().await;
            assert_eq!(out, (0..len).collect::<Vec<_>>());
            assert_eq!(out.capacity(), out.len(), "{len} inputs");
            // A stream that knows its length, unbounded.
            let out = stream::iter(children(len)).gather().await;
            assert_eq!(out.capacity(), out.len(), "{len} inputs from a stream");
        }
    }

    // An `on_each` hook and an `on_slow_poll` report wrap the input; its
    // length still reaches `gather`.
    async fn hooks_keep_the_exact_size_of_the_input() {
        for len in [10, 1_000] {
            let mut heard = 0;
            let out = children(len)
                .bounded(4)
                .on_each(|_, _| heard += 1)
                .on_slow_poll(std::time::Duration::from_secs(60), |_, _| {})
                .gather()
                .await;
            assert_eq!(out, (0..len).collect::<Vec<_>>());
            assert_eq!(out.capacity(), out.len(), "{len} inputs");
            assert_eq!(heard, len);
        }
    }

    async fn try_gather_over_an_exact_size_input_allocates_exactly_once() {
        for len in [10, 1_000] {
            let out = (0..len)
                .map(|i| async move { Ok::<_, ()>(yield_once(i).await) })
                .bounded(4)
                .try_gather()
                .await
                .unwrap();
            assert_eq!(out, (0..len).collect::<Vec<_>>());
            assert_eq!(out.capacity(), out.len(), "{len} inputs");
        }
    }

    async fn a_lying_exact_hint_reserves_no_more_than_the_cap() {
        for claimed in [1_000_000_000, usize::MAX] {
            let out = lying(5, claimed).bounded(2).gather().await;
            assert_eq!(out, [0, 1, 2, 3, 4]);
            assert!(out.capacity() <= MOST_RESERVED, "{} reserved", out.capacity());
            let out = stream::iter(lying(5, claimed)).gather().await;
            assert_eq!(out, [0, 1, 2, 3, 4]);
            assert!(out.capacity() <= MOST_RESERVED, "{} reserved", out.capacity());
            let out = lying(5, claimed)
                .map(|child| async move { Ok::<_, ()>(child.await) })
                .try_gather()
                .await;
            assert_eq!(out.as_deref(), Ok(&[0, 1, 2, 3, 4][..]));
            assert!(out.unwrap().capacity() <= MOST_RESERVED);
        }
    }

    async fn an_honest_hint_past_the_cap_still_collects_everything() {
        // 4 KiB outputs: the cap reserves 16, and the rest grows as a `Vec`
        // does.
        let out = (0..40u64).map(|i| ready([i; 512])).bounded(8).gather().await;
        assert_eq!(out.len(), 40);
        assert!(out.iter().map(|output| output[511]).eq(0..40));
    }
}
