//! The precision rule of per-child deadlines: the clock is read once per
//! admission pass, after that pass's first polls (for `gather`,
//! `try_gather` and `report`, once per poll of theirs, as it ends). So a child never gets
//! less than its full deadline from its admission, and it gets more only by
//! the time the task spent on the rest of the same pass, its siblings'
//! creation and first polls (time it could not have used: the task was
//! busy). Asserted on which
//! children time out, with wide margins.

mod common;
use common::*;
use fanout::Elapsed;
use fanout::prelude::*;
use futures::StreamExt;
use std::time::Duration;

on_every_executor! {
    async fn a_sibling_blocking_the_pass_extends_a_deadline_by_that_time() {
        // Child 0 needs 700 ms against a 300 ms deadline, but child 1,
        // admitted in the same pass, holds the thread for 600 ms in its
        // first poll: child 0's clock starts after that, so it is due at
        // 900 ms at the earliest and finishes in time.
        let children = (0..2).map(|i| async move {
            if i == 0 {
                sleep_ms(700).await;
            } else {
                std::thread::sleep(Duration::from_millis(600));
            }
            i
        });
        let out = children.bounded(2).with_deadline(Duration::from_millis(300)).gather().await;
        assert_eq!(out, [Ok(0), Ok(1)]);
    }

    async fn the_extension_is_only_the_time_spent_on_siblings() {
        // The same, but child 0 needs 3 s: 200 ms of a blocking sibling do
        // not save it from a 300 ms deadline.
        let children = (0..2).map(|i| async move {
            if i == 0 {
                sleep_ms(3_000).await;
            } else {
                std::thread::sleep(Duration::from_millis(200));
            }
            i
        });
        let out = children.bounded(2).with_deadline(Duration::from_millis(300)).gather().await;
        assert_eq!(out, [Err(Elapsed::Child), Ok(1)]);
    }

    async fn a_child_admitted_in_a_later_pass_gets_its_own_reading() {
        // Child 2 is admitted when child 0 finishes, 100 ms in, in a pass of
        // its own: its deadline counts from there, and it finishes 250 ms
        // after its admission, well within its 1 s deadline; child 1 needs
        // 3 s and times out after its 1 s.
        let children = (0..3).map(|i| async move {
            sleep_ms([100, 3_000, 250][i]).await;
            i
        });
        let out = children.bounded(2).with_deadline(Duration::from_secs(1)).gather().await;
        assert_eq!(out, [Ok(0), Err(Elapsed::Child), Ok(2)]);
    }

    async fn gather_starts_the_clocks_of_a_poll_when_that_poll_ends() {
        // Input 1 needs 700 ms against a 300 ms deadline. It is admitted by
        // one refill; a later refill in the same poll of `gather` admits
        // input 3, which holds the thread for 600 ms. `gather` reads the
        // clock for both when its poll ends, so input 1 is due at 900 ms at
        // the earliest and makes it.
        let out = children_around_a_blocking_sibling()
            .bounded(2)
            .with_deadline(Duration::from_millis(300))
            .gather()
            .await;
        assert_eq!(out, [Ok(0), Ok(1), Ok(2), Ok(3)]);
    }

    async fn as_completed_starts_each_clock_as_its_admission_ends() {
        // The same children as a stream: the consumer may await anything
        // between two items, so each admission reads the clock itself, and
        // input 1's 300 ms count from before input 3 blocked the thread.
        let mut out: Vec<_> = children_around_a_blocking_sibling()
            .bounded(2)
            .with_deadline(Duration::from_millis(300))
            .as_completed()
            .collect()
            .await;
        out.sort_by_key(|(index, _)| *index);
        let out: Vec<_> = out.into_iter().map(|(_, output)| output).collect();
        assert_eq!(out, [Ok(0), Err(Elapsed::Child), Ok(2), Ok(3)]);
    }
}

/// Inputs 0 and 2 ready at once, input 1 done after 700 ms, input 3
/// holding the thread for 600 ms in its first poll.
fn children_around_a_blocking_sibling() -> impl Iterator<Item = impl Future<Output = usize>> {
    (0..4).map(|i| async move {
        match i {
            1 => sleep_ms(700).await,
            3 => std::thread::sleep(Duration::from_millis(600)),
            _ => {}
        }
        i
    })
}

use std::future::Future;
