//! The per-child deadlines of one batch: one timer, and the waiting
//! children in the order their deadlines fall due.

use crate::clock::Instant;
use crate::engine::alarm::Alarm;
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
/// Why groups: the children stamped by one clock reading (one pass, see
/// [`Timers::stamp_deadlines`](crate::engine::timers::Timers::stamp_deadlines))
/// share one due time, so they go in as one entry, their tags in a list
/// taken whole; pushing costs the same for one child or a thousand. Emptied
/// lists are kept for the next passes.
///
/// A child that finishes before its deadline is not looked for: its tag
/// goes stale (see [`DeadlineTag`]) and is dropped when its group reaches
/// the front, or by [`compact`](DeadlineQueue::compact) when stale tags come
/// to outnumber the live ones, so the queue stays O(children waiting).
#[derive(Default)]
pub(crate) struct DeadlineQueue {
    due: VecDeque<(Instant, Vec<DeadlineTag>)>,
    /// How many tags the groups hold, stale ones included.
    tags: usize,
    /// Emptied tag lists, to take the next groups in.
    spare: Vec<Vec<DeadlineTag>>,
    alarm: Alarm,
}

/// How many emptied tag lists are kept: a batch stamps one group per pass,
/// and only a few are emptied between two passes.
const SPARE_LISTS: usize = 4;

impl DeadlineQueue {
    /// Adds the children of `group`, whose deadlines pass at `at`, no
    /// earlier than any deadline already queued, and leaves `group` empty
    /// (an emptied list from earlier, if there is one). `now` is the clock
    /// reading `at` was counted from.
    pub(crate) fn push_group(&mut self, at: Instant, now: Instant, group: &mut Vec<DeadlineTag>) {
        debug_assert!(
            self.due.back().is_none_or(|(last, _)| *last <= at),
            "deadlines are pushed in the order they fall due"
        );
        if group.is_empty() {
            return;
        }
        // An armed alarm already rings no later than any queued deadline,
        // and so no later than these.
        self.alarm
            .arm_unless_armed(|| at.saturating_duration_since(now));
        self.tags += group.len();
        let emptied = self.spare.pop().unwrap_or_default();
        self.due.push_back((at, std::mem::replace(group, emptied)));
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
            while self.due.front().is_some_and(|(at, _)| *at <= now) {
                let Some((_, group)) = self.due.pop_front() else {
                    break;
                };
                for tag in &group {
                    marked |= tag.expire(homes);
                }
                self.recycle(group);
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

    /// Forgets the tags of children that have finished, once they make up
    /// more than half of the queue: `waiting` is how many children of the
    /// batch are waiting now. Amortised O(1) per child.
    pub(crate) fn compact(&mut self, waiting: usize, homes: &Homes) {
        if self.tags <= 2 * waiting + 32 {
            return;
        }
        let mut emptied = Vec::new();
        let mut stale = 0;
        self.due.retain_mut(|(_, group)| {
            stale += drop_stale(group, homes);
            if !group.is_empty() {
                return true;
            }
            emptied.push(std::mem::take(group));
            false
        });
        self.tags -= stale;
        for group in emptied {
            self.recycle(group);
        }
    }

    /// Stale tags at the front would only make the alarm ring for nothing.
    fn drop_stale_front(&mut self, homes: &Homes) {
        while let Some((_, group)) = self.due.front_mut() {
            self.tags -= drop_stale(group, homes);
            if !group.is_empty() {
                return;
            }
            if let Some((_, group)) = self.due.pop_front() {
                self.recycle(group);
            }
        }
    }

    /// Keeps an emptied group's list for a later one.
    fn recycle(&mut self, mut group: Vec<DeadlineTag>) {
        self.tags -= group.len();
        if self.spare.len() < SPARE_LISTS {
            group.clear();
            self.spare.push(group);
        }
    }

    /// How many tags the queue holds, stale ones included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.tags
    }

    /// No deadline matters any more: the batch is over.
    pub(crate) fn stop(&mut self) {
        self.due.clear();
        self.tags = 0;
        self.alarm.stop();
    }
}

/// Drops the tags of `group` whose children have finished; returns how
/// many.
fn drop_stale(group: &mut Vec<DeadlineTag>, homes: &Homes) -> usize {
    let before = group.len();
    group.retain(|tag| tag.is_live(homes));
    before - group.len()
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
        home.move_in(Box::pin(futures::future::pending()) as Child, 0);
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
        queue.push_group(
            past,
            past,
            &mut vec![book.tag(&homes[0], 0), book.tag(&homes[1], 1)],
        );
        queue.push_group(
            now + Duration::from_secs(60),
            now,
            &mut vec![book.tag(&homes[2], 2)],
        );
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
        queue.push_group(now, now, &mut vec![homes.tag(&home, 7)]);
        // The child leaves; the home takes another, untagged.
        assert!(home.evict().is_ok());
        homes.untag(&home);
        home.move_in(Box::pin(futures::future::pending()) as Child, 0);
        assert!(home.poll_first().is_pending());
        let marked = poll_until(&mut queue, &homes, |queue| queue.len() == 0);
        assert!(!marked, "nothing live was due");
        assert!(!home.expired(), "the next occupant is untouched");
    }

    #[test]
    fn a_group_goes_in_whole_and_its_emptied_list_comes_back_for_the_next() {
        let mut queue = DeadlineQueue::default();
        let mut homes = Homes::default();
        let now = Instant::now();
        let past = now.checked_sub(Duration::from_millis(1)).unwrap_or(now);
        let due: Vec<_> = (0..3).map(|_| waiting_home(&mut homes)).collect();
        let mut group: Vec<_> = due
            .iter()
            .zip(10..)
            .map(|(home, i)| homes.tag(home, i))
            .collect();
        queue.push_group(past, past, &mut group);
        assert!(group.is_empty(), "the group was taken whole");
        assert_eq!(queue.len(), 3);
        assert!(poll_until(&mut queue, &homes, |queue| queue.len() == 0));
        assert!(due.iter().all(Home::expired), "every child of the group");
        // The next group is taken in the emptied list, and leaves this one
        // behind: no allocation per pass.
        let later = waiting_home(&mut homes);
        let mut group = vec![homes.tag(&later, 20)];
        queue.push_group(now + Duration::from_secs(60), now, &mut group);
        assert!(
            group.is_empty() && group.capacity() >= 3,
            "the spare list came back"
        );
    }

    #[test]
    fn no_more_than_a_few_emptied_lists_are_kept() {
        let mut queue = DeadlineQueue::default();
        let mut homes = Homes::default();
        let now = Instant::now();
        let past = now.checked_sub(Duration::from_millis(1)).unwrap_or(now);
        let due: Vec<_> = (0..SPARE_LISTS + 2)
            .map(|_| waiting_home(&mut homes))
            .collect();
        for (index, home) in due.iter().enumerate() {
            queue.push_group(past, past, &mut vec![homes.tag(home, index)]);
        }
        assert!(poll_until(&mut queue, &homes, |queue| queue.len() == 0));
        assert_eq!(queue.spare.len(), SPARE_LISTS, "the rest are freed");
    }

    #[test]
    fn a_front_group_keeps_its_live_children_when_its_stale_ones_go() {
        let mut queue = DeadlineQueue::default();
        let mut homes = Homes::default();
        let now = Instant::now();
        let far = now + Duration::from_secs(60);
        let mut finished = waiting_home(&mut homes);
        let live = waiting_home(&mut homes);
        let mut group = vec![homes.tag(&finished, 0), homes.tag(&live, 1)];
        queue.push_group(far, now, &mut group);
        assert!(finished.evict().is_ok());
        homes.untag(&finished);
        queue.drop_stale_front(&homes);
        assert_eq!(queue.len(), 1, "only the finished child's tag went");
        queue.compact(0, &homes);
        assert_eq!(queue.len(), 1, "no compaction below the threshold");
    }

    #[test]
    fn stale_entries_stay_until_they_outnumber_twice_the_waiting_children() {
        let mut queue = DeadlineQueue::default();
        let now = Instant::now();
        let far = now + Duration::from_secs(60);
        let mut homes = Homes::default();
        let mut home = waiting_home(&mut homes);
        // 60 stale tags: the child each was made for has left.
        for index in 0..60 {
            queue.push_group(far, now, &mut vec![homes.tag(&home, index)]);
        }
        homes.untag(&home);
        // With 20 children waiting, up to 2 * 20 + 32 tags are kept: a
        // compaction then costs less than the pushes since the last one.
        queue.compact(20, &homes);
        assert_eq!(queue.len(), 60, "compacted too early");
        queue.compact(13, &homes);
        assert_eq!(queue.len(), 0, "every stale tag goes once they outnumber");
        assert!(home.evict().is_ok());
    }

    #[test]
    fn stale_entries_are_compacted_away() {
        let mut queue = DeadlineQueue::default();
        let now = Instant::now();
        let far = now + Duration::from_secs(60);
        let mut homes = Homes::default();
        let mut home = waiting_home(&mut homes);
        for index in 0..1_000 {
            let tag = homes.tag(&home, index);
            queue.push_group(far, now, &mut vec![tag]);
            queue.compact(1, &homes);
        }
        // Every tag but the last is stale: one live child waits.
        assert!(queue.len() <= 2 + 32 + 1, "{} entries", queue.len());
        assert!(home.evict().is_ok());
    }
}
