//! The machinery under every adapter: lazy admission under a limit, each
//! child's first poll at admission, the children still pending polled
//! through one `FuturesUnordered`, one timer for all per-child deadlines and
//! one for the batch's own deadline.

pub(crate) mod alarm;
pub(crate) mod clock;
pub(crate) mod config;
pub(crate) mod cut;
pub(crate) mod deadline_queue;
pub(crate) mod finished;
pub(crate) mod home;
pub(crate) mod limit;
pub(crate) mod rate;
pub(crate) mod running;
pub(crate) mod slot;
pub(crate) mod timers;

use crate::elapsed::Elapsed;
use crate::engine::clock::Instant;
use crate::engine::config::Config;
use crate::engine::cut::Cut;
use crate::engine::finished::{Finished, Lost};
use crate::engine::home::Home;
use crate::engine::running::Running;
use crate::engine::slot::Slot;
use crate::engine::timers::Timers;
use crate::limiter::{Permit, Ticket};
use crate::panicked::{Panicked, Payload};
use core::future::Future;
use core::task::{Context, Poll};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

/// How many children one call of the admission loop starts before it lets
/// the executor in. A batch with room for many (unbounded, or a large
/// bound) would otherwise create and poll its whole input in one poll, and
/// over an endless input never return: not even a batch deadline could cut
/// it.
const ADMISSIONS_PER_CALL: usize = 1024;

/// Runs the children of one batch and yields them in completion order.
///
/// Why a child's first poll happens at admission, outside the
/// `FuturesUnordered`: in many batches most children are ready on that poll
/// (a cache hit, a buffered read, a computation). Such a child costs no
/// `FuturesUnordered` node (an `Arc` allocation, a queue push and a pass
/// through its ready queue), no clock read and no timer: it is polled in a
/// [`Home`] reused from an earlier child and its output is handed on at
/// once. A child still pending moves into the `FuturesUnordered`, which
/// owns its wake-ups from then on, without being polled again unless it
/// was woken meanwhile (see [`Home`]).
///
/// A child finishing on its first poll while a slot is refilled after an
/// output has been chosen is held and handed on next; outputs still leave
/// in the order the children finished (see `held`).
///
/// Why one timer for the per-child deadlines: every child of a batch has the
/// same deadline duration and children are admitted in input order, so
/// deadlines fall due in admission order. The engine keeps the waiting
/// children's deadlines in that order, with one timer armed no later than
/// the earliest (see [`DeadlineQueue`]): an expiry looks only at the
/// children that are due. A child that finishes before its deadline costs
/// no timer work at all.
///
/// # After a panic
///
/// A panic that is not caught as a value (a child's, the input's, a
/// destructor's, the `on_each` hook's) ends the batch: every child and the
/// input are dropped, then the panic is resumed, and the batch yields
/// nothing more. One met while refilling a slot after an output has been
/// chosen is kept until the next poll (or the drop of the batch), so that
/// output is handed on first; nothing is lost and nothing hangs.
pub(crate) struct Engine<I>
where
    I: Iterator<Item: Future>,
{
    /// `None` once the input is exhausted or cut off, so its captures are
    /// freed early and nothing more is pulled.
    source: Option<I>,
    admitted: usize,
    /// What the chain asked for: limit, deadlines, rate, hooks.
    config: Config<<I::Item as Future>::Output>,
    /// This batch's place with a shared limiter.
    ticket: Ticket,
    /// The children still pending after their first poll, and the homes
    /// for the next ones.
    running: Running<I::Item>,
    /// An output waiting to be handed on: a child that finished on its
    /// first poll while a slot was refilled after an output had been chosen,
    /// or one that finished after it (they swap, so outputs leave in the
    /// order the children finished: `try_gather` needs the first failure in
    /// time). No child is admitted while an output is held, so a fail-fast
    /// batch never pulls an input after a failure, and at most one output
    /// ever waits here.
    held: Option<Finished<<I::Item as Future>::Output>>,
    /// A panic met while refilling after an output had been chosen: the
    /// batch has been abandoned, and the panic resumes at the next poll, or
    /// when the batch is dropped (see "After a panic"). A `Panicked`
    /// rather than its bare payload keeps the batch `Sync`.
    deferred_panic: Option<Panicked>,
    /// Children that woke themselves during their first poll since the task
    /// last returned `Pending`. Such a child asks to let others run before
    /// it is polled again; `FuturesUnordered` yields to the executor after
    /// two of those, and so does the engine for first polls (waking the
    /// task first: the wake-ups counted may have gone to an earlier poll).
    yielded: u8,
    /// Admission stopped after [`ADMISSIONS_PER_CALL`] children with input
    /// and room left: the task must wake itself to go on.
    admission_paused: bool,
    /// The children's deadlines and the batch's own.
    timers: Timers,
    /// A zero batch deadline: the first pass admits what the limit allows
    /// (`first_pass_admissions` counts down) and gives each child its first
    /// poll, those still pending are cut at once, and the batch is cut as
    /// soon as nothing is left to do, without a round trip through the
    /// timer thread (which could let a child finish first).
    cut_when_idle: bool,
    first_pass_admissions: Option<usize>,
    started: bool,
    /// Inputs that the batch deadline cut off, to report.
    cut: Cut,
}

impl<I: Iterator> Engine<I>
where
    I::Item: Future,
{
    /// A batch over `source`, run as `config` says.
    pub(crate) fn new(source: I, config: Config<<I::Item as Future>::Output>) -> Self {
        Engine {
            source: Some(source),
            admitted: 0,
            config,
            ticket: Ticket::default(),
            running: Running::default(),
            held: None,
            deferred_panic: None,
            yielded: 0,
            admission_paused: false,
            timers: Timers::default(),
            cut_when_idle: false,
            first_pass_admissions: None,
            started: false,
            cut: Cut::default(),
        }
    }

    /// The configuration, to change before the first poll.
    ///
    /// # Panics
    ///
    /// Once the batch has been polled: a limit or deadline changed mid-run
    /// would break the invariants the engine keeps (permits from two
    /// semaphores, deadlines out of admission order). The panic carries the
    /// caller's location, the chain method called too late.
    #[track_caller]
    pub(crate) fn config_mut(&mut self) -> &mut Config<<I::Item as Future>::Output> {
        assert!(
            !self.started,
            "fanout: configure a batch (bounded, bounded_by, with_deadline, within, rate, on_slow_poll, on_each) before polling it"
        );
        &mut self.config
    }

    /// Panics become outputs from now on. Allowed after the first poll,
    /// unlike the other settings: no invariant of the engine depends on it.
    pub(crate) fn catch_panics(&mut self) {
        self.config.catch_panics = true;
    }

    /// The same batch over `wrap(source)`, whose children have the same
    /// output: the configuration moves over whole.
    ///
    /// # Panics
    ///
    /// Once the batch has been polled, as [`config_mut`](Engine::config_mut).
    #[track_caller]
    pub(crate) fn map_source<J>(mut self, wrap: impl FnOnce(I) -> J) -> Engine<J>
    where
        J: Iterator<Item: Future<Output = <I::Item as Future>::Output>>,
    {
        let config = std::mem::take(self.config_mut());
        // Nothing has been admitted yet: no child, permit or timer to carry
        // over, only the input and the configuration.
        let Some(source) = self.source.take() else {
            unreachable!("a batch not yet polled has its input")
        };
        Engine::new(wrap(source), config)
    }

    /// Tells the `on_each` hook, if there is one, how a child finished. A
    /// panic in the hook is caught and returned, for the engine to resume
    /// once the children are dropped.
    fn tell_on_each(
        &mut self,
        (index, result): &Finished<<I::Item as Future>::Output>,
    ) -> Result<(), Payload> {
        let Some(hook) = self.config.on_each.as_mut() else {
            return Ok(());
        };
        let done = finished::done(result);
        // Never locked (see `OnEach`), so never poisoned by a panic.
        let hook = hook
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        catch_unwind(AssertUnwindSafe(|| hook(*index, done)))
    }

    pub(crate) fn admitted(&self) -> usize {
        self.admitted
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.running.len()
    }

    /// What the chain asked for.
    pub(crate) fn config(&self) -> &Config<<I::Item as Future>::Output> {
        &self.config
    }

    /// Outputs still to come: children in flight, inputs cut off by the
    /// batch deadline, and what the input promises.
    pub(crate) fn size_hint(&self) -> (usize, Option<usize>) {
        let (low, high) = self
            .source
            .as_ref()
            .map_or((0, Some(0)), Iterator::size_hint);
        let known = self.running.len() + usize::from(self.held.is_some()) + self.cut.len();
        (
            low.saturating_add(known),
            high.and_then(|high| high.checked_add(known)),
        )
    }

    /// True once every input has been admitted and every child has finished,
    /// or once a panic has ended the batch.
    pub(crate) fn is_done(&self) -> bool {
        self.source.is_none()
            && self.held.is_none()
            && self.deferred_panic.is_none()
            && self.running.is_empty()
            && self.cut.is_empty()
    }

    /// The next child to finish, with its input index, and its slot already
    /// refilled: the batch stays full while the caller holds the output.
    pub(crate) fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Finished<<I::Item as Future>::Output>>> {
        let finished = self.poll_finished(cx);
        if let Poll::Ready(Some(_)) = finished {
            self.refill(cx);
        }
        finished
    }

    /// Admits children into the slots freed so far, unless an output is
    /// held (see `held`); a child that finishes on its first poll is held,
    /// to be handed on at the next call.
    ///
    /// Runs after an output has been chosen, so a panic met here must not
    /// unwind over it: the batch is abandoned at once and the panic kept
    /// for the next poll.
    fn refill(&mut self, cx: &mut Context<'_>) {
        if self.held.is_some() || self.deferred_panic.is_some() {
            return;
        }
        let panic = match self.admit(cx) {
            Ok(Some((_, Err(Lost::Panicked(panicked))))) if !self.config.catch_panics => panicked,
            Ok(finished) => {
                self.held = finished;
                return;
            }
            Err(payload) => Panicked::new(payload),
        };
        // A destructor panic while dropping the rest comes second.
        let _ = self.abandon();
        self.deferred_panic = Some(panic);
    }

    /// The next child to finish, without refilling its slot yet: for callers
    /// that may stop at this output (fail fast) and must not pull another
    /// input first. [`poll_fail_fast`](Engine::poll_fail_fast) refills
    /// after a success.
    ///
    /// Returns `Pending` only with a wake-up arranged on `cx`'s waker: every
    /// running child is pending with its wake-up routed to this task (by
    /// the `FuturesUnordered`, polled in this call, or by its home), the
    /// timers that matter are registered, and no permit is free for the
    /// next input (or a shared limiter will wake us); or the task has been
    /// woken to let others run.
    ///
    /// A panic is resumed here, after every sibling has been dropped, unless
    /// panics are caught.
    pub(crate) fn poll_finished(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Finished<<I::Item as Future>::Output>>> {
        if !self.started {
            self.start_clocks();
        }
        if let Some(panicked) = self.deferred_panic.take() {
            self.fail(panicked.into_payload());
        }
        // Let the executor run others first when children woke themselves
        // on their first poll, or when a permit this batch freed went to
        // another batch while this one has input left (the other then
        // takes it up before this batch frees the next: batches take
        // turns). The wake-ups that led here may
        // have been spent on an earlier poll, so this poll arranges its own.
        let gave_way = self.ticket.take_gave_way() && self.source.is_some();
        if self.yielded >= 2 || gave_way {
            self.yielded = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        loop {
            if self.timers.check_this_pass() && self.poll_armed_timers(cx) {
                continue;
            }
            // The running children first, every pass: a held output (or a
            // stream of children ready on their first poll) must not keep a
            // woken or timed-out child waiting.
            if !self.running.is_empty() {
                if let Poll::Ready(Some(mut finished)) = self.running.poll_finished(cx) {
                    self.config.limit.child_finished();
                    if let Some(held) = self.held.as_mut() {
                        // The held child finished first: it leaves first.
                        std::mem::swap(held, &mut finished);
                    }
                    return Poll::Ready(Some(self.hand_on(finished)));
                }
            }
            if let Some(finished) = self.held.take() {
                return Poll::Ready(Some(self.hand_on(finished)));
            }
            if let Some(index) = self.cut.next() {
                let finished = (index, Err(Lost::Elapsed(Elapsed::Batch)));
                return Poll::Ready(Some(self.hand_on(finished)));
            }
            // Every running child is pending: admit more. Those still
            // pending after their first poll have their wake-ups routed to
            // this task until the `FuturesUnordered` takes them in.
            match self.admit(cx) {
                Ok(Some(finished)) => return Poll::Ready(Some(self.hand_on(finished))),
                Ok(None) => {}
                Err(payload) => self.fail(payload),
            }
            if self.source.is_none() && self.running.is_empty() {
                return Poll::Ready(None);
            }
            // Nothing ready, or waiting for a shared permit.
            if self.poll_timers(cx) {
                continue;
            }
            self.yielded = 0;
            if self.admission_paused {
                // Admission stopped for the executor's sake, not for want
                // of a permit: nothing else would wake the task for it.
                cx.waker().wake_by_ref();
            }
            return Poll::Pending;
        }
    }

    /// The batch's first poll: its own deadline starts counting now.
    fn start_clocks(&mut self) {
        self.started = true;
        match self.config.within {
            Some(within) if within.is_zero() => {
                self.cut_when_idle = true;
                self.first_pass_admissions =
                    Some(self.config.limit.capacity().unwrap_or(usize::MAX));
            }
            Some(within) => self.timers.start_batch(within),
            None => {}
        }
    }

    /// Passes a finished child on: to the `on_each` hook, then to the caller.
    ///
    /// A child's panic is resumed here instead, after every sibling has
    /// been dropped, unless panics are caught: the child's own panic is the
    /// one to report, not one a sibling's destructor raised while being
    /// dropped.
    fn hand_on(
        &mut self,
        finished: Finished<<I::Item as Future>::Output>,
    ) -> Finished<<I::Item as Future>::Output> {
        match finished {
            (_, Err(Lost::Panicked(panicked))) if !self.config.catch_panics => {
                self.fail(panicked.into_payload())
            }
            finished => match self.tell_on_each(&finished) {
                Ok(()) => finished,
                Err(payload) => self.fail(payload),
            },
        }
    }

    /// Ends the batch with a panic: drops every child and the input, then
    /// resumes `payload`. The one place a panic leaves the engine.
    fn fail(&mut self, payload: Payload) -> ! {
        // A destructor panic while dropping the rest comes second.
        let _ = self.abandon();
        self.held = None;
        self.cut.clear();
        resume_unwind(payload)
    }

    /// The next child to finish as a success or a failure (`lift` decides
    /// which), refilling its slot only after a success: a failure ends the
    /// batch, so no input is pulled for it.
    pub(crate) fn poll_fail_fast<T, E>(
        &mut self,
        cx: &mut Context<'_>,
        lift: impl FnOnce(Result<<I::Item as Future>::Output, Lost>) -> Result<T, E>,
    ) -> Poll<Option<(usize, Result<T, E>)>> {
        let Poll::Ready(finished) = self.poll_finished(cx) else {
            return Poll::Pending;
        };
        let Some((index, result)) = finished else {
            return Poll::Ready(None);
        };
        let result = lift(result);
        if result.is_ok() {
            self.refill(cx);
        }
        Poll::Ready(Some((index, result)))
    }

    /// Pulls inputs while a permit is free (and the rate allows) and gives
    /// each its first poll. Returns the first child that finishes on that
    /// poll (its slot is free again, and the caller hands it on), or the
    /// input's panic.
    ///
    /// The permit comes first, then the input: an input is created only
    /// once it can start, so under a shared limiter of n, however many
    /// batches wait, at most n children exist. A batch whose input is known
    /// to be exhausted does not ask for a permit at all; one that learns it
    /// only by pulling hands the permit straight on.
    fn admit(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Result<Option<Finished<<I::Item as Future>::Output>>, Payload> {
        let mut started = 0;
        self.admission_paused = false;
        while let Some(source) = self.source.as_mut() {
            if started == ADMISSIONS_PER_CALL {
                // Let the executor (and the timers) in; the task is woken
                // before it sleeps, to go on admitting.
                self.admission_paused = true;
                return Ok(None);
            }
            started += 1;
            if self.config.limit.queues() && source.size_hint() == (0, Some(0)) {
                return self.end_input().map(|()| None);
            }
            if self.first_pass_admissions == Some(0) {
                return Ok(None);
            }
            // Before the permit: a batch held back by its rate must not sit
            // on a permit others could use.
            if let Some(rate) = self.config.rate.as_mut() {
                if !rate.allows(Instant::now()) {
                    return Ok(None);
                }
            }
            let Poll::Ready(permit) = self.config.limit.poll_admit(&mut self.ticket, cx) else {
                return Ok(None);
            };
            let child = match catch_unwind(AssertUnwindSafe(|| source.next())) {
                Ok(Some(child)) => child,
                pulled => {
                    // The permit, if any, goes on as it is dropped; an own
                    // limit's goes back to its spares.
                    drop(permit);
                    self.config.limit.child_finished();
                    return match pulled {
                        Ok(_) => self.end_input().map(|()| None),
                        Err(payload) => Err(payload),
                    };
                }
            };
            let index = self.admitted;
            self.admitted += 1;
            if let Some(left) = self.first_pass_admissions.as_mut() {
                *left -= 1;
            }
            if let Some(rate) = self.config.rate.as_mut() {
                // A start is the moment the child's first poll begins.
                rate.started(Instant::now());
            }
            if let Some(finished) = self.start(child, index, permit, cx) {
                return Ok(Some(finished));
            }
        }
        Ok(None)
    }

    /// The input has nothing more: drop it now, so its captures go early.
    fn end_input(&mut self) -> Result<(), Payload> {
        let source = self.source.take();
        catch_unwind(AssertUnwindSafe(|| drop(source)))
    }

    /// Moves an admitted child into a home and gives it its first poll:
    /// returns it if that finished it. Otherwise it waits in the
    /// `FuturesUnordered`, its deadline stamped.
    ///
    /// The deadline clock is read after that poll, and only if the child is
    /// still pending: it is admitted and polled in one step, and one that
    /// finishes there never needs the clock or the timer.
    fn start(
        &mut self,
        child: I::Item,
        index: usize,
        permit: Option<Permit>,
        cx: &mut Context<'_>,
    ) -> Option<Finished<<I::Item as Future>::Output>> {
        // A child that finishes at once never moves its home (see `Running`).
        let home = self.running.spare_home();
        home.move_in(child);
        // A zero deadline, the batch's or the child's, leaves the child its
        // first poll and nothing more. (A zero batch deadline also stops
        // admission after the first pass: see `first_pass_admissions`.)
        let expired = match self.config.deadline {
            _ if self.cut_when_idle => Some(Elapsed::Batch),
            Some(deadline) if deadline.is_zero() => Some(Elapsed::Child),
            _ => None,
        };
        let outcome = match (home.poll_first(), expired) {
            (Poll::Ready(outcome), _) => outcome.map_err(Lost::Panicked),
            (Poll::Pending, Some(elapsed)) => finished::timed_out(home.evict(), elapsed),
            (Poll::Pending, None) => {
                if home.wake_task_meanwhile(cx) {
                    self.yielded = self.yielded.saturating_add(1);
                }
                let home = self.running.take_spare();
                let timed = self.stamp_deadline(&home, index);
                self.running.push(Slot::new(home, index, timed, permit));
                return None;
            }
        };
        drop(permit);
        self.config.limit.child_finished();
        Some((index, outcome))
    }

    /// Starts the deadline clock of the child at input `index`, now, and
    /// queues its deadline. Returns whether it has one: not without a
    /// deadline, nor with one too far away to represent (it never passes).
    fn stamp_deadline(&mut self, home: &Home<I::Item>, index: usize) -> bool {
        let Some(deadline) = self.config.deadline else {
            return false;
        };
        let now = Instant::now();
        let Some(due) = now.checked_add(deadline) else {
            return false;
        };
        let waiting = self.running.len();
        self.timers
            .push_deadline(due, now, home.tag(index), waiting);
        true
    }

    /// Polls both timers and acts on those that fired. Returns whether that
    /// left something to do right away (outputs to report, children to poll).
    fn poll_timers(&mut self, cx: &mut Context<'_>) -> bool {
        if self.cut_when_idle {
            self.cut_when_idle = false;
            self.cut_off();
            return true;
        }
        self.poll_armed_timers(cx)
    }

    /// The timers alone. Also checked before every pass, not only when the
    /// children are all pending: a stream of children that finish on their
    /// first poll would otherwise keep a timed-out sibling (and its slot)
    /// alive until they ran out.
    fn poll_armed_timers(&mut self, cx: &mut Context<'_>) -> bool {
        if let Some(rate) = self.config.rate.as_mut() {
            if rate.poll_timer(cx) {
                // The next start is allowed; a pass admits it.
                return true;
            }
        }
        if self.timers.batch_passed(cx) {
            self.cut_off();
            return true;
        }
        self.timers.poll_expired(cx)
    }

    /// The batch deadline passed: drop every running child, pull nothing
    /// more, and queue an `Elapsed::Batch` for each input left unfinished.
    ///
    /// Inputs never admitted are counted from the input's size hint when it
    /// is exact; they are not created.
    fn cut_off(&mut self) {
        let running = self.running.indices();
        let unstarted = self
            .source
            .as_ref()
            .map_or(0, |source| match source.size_hint() {
                (low, Some(high)) if low == high => low,
                _ => 0,
            });
        if let Some(payload) = self.abandon() {
            self.fail(payload);
        }
        let end = self.admitted.saturating_add(unstarted);
        self.cut = Cut::new(running, self.admitted..end);
        self.admitted = end;
    }
}

impl<I> Engine<I>
where
    I: Iterator<Item: Future>,
{
    /// Leaves any limiter queue, stops the timers, and drops every running
    /// child and the input.
    ///
    /// A destructor that panics must not leave its siblings alive or their
    /// permits out (nor drop anything twice): every drop is caught, and the
    /// first panic is returned once everything is gone, for the caller to
    /// resume.
    #[must_use]
    fn abandon(&mut self) -> Option<Payload> {
        self.ticket = Ticket::default();
        self.timers.stop();
        self.first_pass_admissions = None;
        if let Some(rate) = self.config.rate.as_mut() {
            rate.stop();
        }
        let mut first_panic = self.running.drop_all();
        let source = self.source.take();
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| drop(source))) {
            first_panic.get_or_insert(payload);
        }
        first_panic
    }
}

impl<I> Drop for Engine<I>
where
    I: Iterator<Item: Future>,
{
    /// Dropping a batch mid-flight cancels it: see [`Engine::abandon`]. A
    /// panic kept for the next poll that never came goes on from here.
    fn drop(&mut self) {
        let deferred = self.deferred_panic.take().map(Panicked::into_payload);
        let dropped = self.abandon();
        if let Some(payload) = deferred.or(dropped) {
            // Already unwinding: a second panic would abort the process.
            if !std::thread::panicking() {
                resume_unwind(payload);
            }
        }
    }
}
