//! The per-child deadlines of one batch: one timer, and the waiting
//! children in the order their deadlines fall due.

use crate::engine::alarm::Alarm;
use crate::engine::clock::Instant;
use crate::engine::home::{DeadlineTag, Homes};
use core::task::Context;
use std::collections::VecDeque;

/// Every waiting child's deadline, earliest first, with one [`Alarm`] armed
/// no later than the earliest.
///
/// Why a queue in admission order: every child of a batch gets the same
/// deadline, counted from its admission, so deadlines fall due in the order
/// children were admitted. Pushing keeps the queue sorted for free, and when
/// the alarm rings only the children at the front (those due) are looked at:
/// an expiry costs O(children expired), however many are waiting.
///
/// A child that finishes before its deadline is not looked for: its entry
/// goes stale (see [`DeadlineTag`]) and is dropped when it reaches the
/// front, or by [`compact`](DeadlineQueue::compact) when stale entries come
/// to outnumber the live ones, so the queue stays O(children waiting).
#[derive(Default)]
pub(crate) struct DeadlineQueue {
    due: VecDeque<(Instant, DeadlineTag)>,
    alarm: Alarm,
}

impl DeadlineQueue {
    /// Adds a child whose deadline passes at `at`, no earlier than any
    /// deadline already queued. `now` is the clock reading `at` was counted
    /// from.
    pub(crate) fn push(&mut self, at: Instant, now: Instant, tag: DeadlineTag) {
        debug_assert!(
            self.due.back().is_none_or(|(last, _)| *last <= at),
            "deadlines are pushed in the order they fall due"
        );
        // An armed alarm already rings no later than any queued deadline,
        // and so no later than this one.
        self.alarm
            .arm_unless_armed(|| at.saturating_duration_since(now));
        self.due.push_back((at, tag));
    }

    /// When the alarm has rung: marks every child whose deadline has passed
    /// as out of time (waking its slot), and re-arms for the next live
    /// deadline. Returns whether any child was marked.
    ///
    /// Registers `cx`'s waker with the alarm whenever it stays armed.
    pub(crate) fn poll_expired(&mut self, cx: &mut Context<'_>, homes: &Homes) -> bool {
        let mut marked = false;
        while self.alarm.poll_rung(cx) {
            let now = Instant::now();
            while let Some((at, tag)) = self.due.front() {
                if *at > now {
                    break;
                }
                marked |= tag.is_live(homes);
                tag.expire(homes);
                self.due.pop_front();
            }
            self.drop_stale_front(homes);
            if let Some((at, _)) = self.due.front() {
                let at = *at;
                self.alarm
                    .arm_unless_armed(|| at.saturating_duration_since(now));
            }
        }
        marked
    }

    /// Forgets the entries of children that have finished, once they make
    /// up more than half of the queue: `waiting` is how many children of the
    /// batch are waiting now. Amortised O(1) per child.
    pub(crate) fn compact(&mut self, waiting: usize, homes: &Homes) {
        if self.due.len() > 2 * waiting + 32 {
            self.due.retain(|(_, tag)| tag.is_live(homes));
        }
    }

    /// Stale entries at the front would only make the alarm ring for
    /// nothing.
    fn drop_stale_front(&mut self, homes: &Homes) {
        while self.due.front().is_some_and(|(_, tag)| !tag.is_live(homes)) {
            self.due.pop_front();
        }
    }

    /// How many entries the queue holds, stale ones included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.due.len()
    }

    /// No deadline matters any more: the batch is over.
    pub(crate) fn stop(&mut self) {
        self.due.clear();
        self.alarm.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::home::{Home, Homes};
    use core::future::Future;
    use core::pin::Pin;
    use futures::task::noop_waker;
    use std::time::Duration;

    type Child = Pin<Box<dyn Future<Output = ()> + Send>>;

    /// Polls the queue until `done` says so, as the timer thread rings the
    /// alarm; returns whether any poll marked a child.
    fn poll_until(
        queue: &mut DeadlineQueue,
        homes: &Homes,
        done: impl Fn(&DeadlineQueue) -> bool,
    ) -> bool {
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut marked = false;
        for _ in 0..1_000 {
            marked |= queue.poll_expired(&mut cx, homes);
            if done(queue) {
                return marked;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("the alarm never rang");
    }

    /// A home with a child that stays pending, polled once.
    fn waiting_home(homes: &mut Homes) -> Home<Child> {
        let mut home = homes.make();
        home.move_in(Box::pin(futures::future::pending()) as Child);
        assert!(home.poll_first().is_pending());
        home
    }

    #[test]
    fn only_the_due_children_are_marked() {
        let mut queue = DeadlineQueue::default();
        let now = Instant::now();
        let mut book = Homes::default();
        let homes: Vec<_> = (0..3).map(|_| waiting_home(&mut book)).collect();
        // Two deadlines already past, one far away.
        let past = now.checked_sub(Duration::from_millis(1)).unwrap_or(now);
        queue.push(past, past, homes[0].tag(0));
        queue.push(past, past, homes[1].tag(1));
        queue.push(now + Duration::from_secs(60), now, homes[2].tag(2));
        // The alarm was armed for the first deadline, which has passed.
        assert!(poll_until(&mut queue, &book, |queue| queue.len() == 1));
        assert!(homes[0].expired() && homes[1].expired());
        assert!(!homes[2].expired());
        assert_eq!(
            queue.len(),
            1,
            "the far deadline waits; the others are gone"
        );
    }

    #[test]
    fn a_finished_child_is_not_marked_and_its_entry_goes_stale() {
        let mut queue = DeadlineQueue::default();
        let now = Instant::now();
        let mut homes = Homes::default();
        let mut home = waiting_home(&mut homes);
        queue.push(now, now, home.tag(7));
        // The child leaves; the home takes another, untagged.
        assert!(home.evict().is_ok());
        home.move_in(Box::pin(futures::future::pending()) as Child);
        assert!(home.poll_first().is_pending());
        let marked = poll_until(&mut queue, &homes, |queue| queue.len() == 0);
        assert!(!marked, "nothing live was due");
        assert!(!home.expired(), "the next occupant is untouched");
    }

    #[test]
    fn stale_entries_are_compacted_away() {
        let mut queue = DeadlineQueue::default();
        let now = Instant::now();
        let far = now + Duration::from_secs(60);
        let mut homes = Homes::default();
        let mut home = waiting_home(&mut homes);
        for index in 0..1_000 {
            queue.push(far, now, home.tag(index));
            queue.compact(1, &homes);
        }
        // Every tag but the last is stale: one live child waits.
        assert!(queue.len() <= 2 + 32 + 1, "{} entries", queue.len());
        assert!(home.evict().is_ok());
    }
}
