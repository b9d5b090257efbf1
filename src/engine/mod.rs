//! The machinery under every adapter: lazy admission under a limit, each
//! child's first poll at admission, the children still pending polled
//! through one `FuturesUnordered`, one timer for all per-child deadlines and
//! one for the batch's own deadline.

pub(crate) mod admission;
pub(crate) mod alarm;
pub(crate) mod config;
pub(crate) mod cut;
pub(crate) mod deadline_queue;
pub(crate) mod finished;
pub(crate) mod flatten;
pub(crate) mod home;
pub(crate) mod limit;
pub(crate) mod rate;
pub(crate) mod running;
pub(crate) mod slot;
pub(crate) mod slow_polls;
pub(crate) mod timers;

use crate::clock::Instant;
use crate::elapsed::Elapsed;
use crate::engine::admission::{Admission, Admitted};
use crate::engine::config::Config;
use crate::engine::cut::Cut;
use crate::engine::finished::{Finished, Lost};
use crate::engine::home::Home;
use crate::engine::running::Running;
use crate::engine::slot::Slot;
use crate::engine::timers::Timers;
use crate::input::{EachHook, Hooked, Input, SlowPollReport, Watched};
use crate::limits::controller::Verdict;
use crate::panicked::{Panicked, Payload};
use crate::sealed::TOKEN;
use core::future::Future;
use core::task::{Context, Poll};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Mutex;

/// How many children may wake themselves (asking to let others run) before
/// the task yields to the executor: as `FuturesUnordered` does.
const YIELD_AFTER_SELF_WAKES: u8 = 2;

pub(crate) use crate::input::ChildOutput;

/// The hooks an engine over `I` holds: the `on_each` hook and the
/// `on_slow_poll` report.
pub(crate) type Hooks<I> = (<I as Input>::Hook, <I as Input>::SlowPollReport);

/// Runs the children of one batch and yields them in completion order.
///
/// Why a child's first poll happens at admission, outside the
/// `FuturesUnordered`: in many batches most children are ready on that poll
/// (a cache hit, a buffered read, a computation). Such a child costs no
/// `FuturesUnordered` node (an `Arc` allocation, a queue push and a pass
/// through its ready queue), no clock read and no timer: it is polled in a
/// [`Home`] reused from an earlier child and its output is handed on at
/// once. A child still pending moves into the `FuturesUnordered`, which
/// routes its wake-ups from then on; it is polled again only when woken,
/// and always with its home's waker (see [`Home`]); one that woke itself during that
/// poll is polled again at home in a later pass instead, and takes a node
/// only if it then waits on something else (see [`Running`]).
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
pub(crate) struct Engine<I: Input> {
    /// The input, what has been taken from it, and the gates before the
    /// next child.
    admission: Admission<I>,
    /// What the chain asked for: limit, deadlines, rate, slow polls.
    config: Config<ChildOutput<I>>,
    /// The `on_each` hook and the `on_slow_poll` report (told of the slow
    /// polls the homes logged, see `slow_polls.rs`), kept here rather than
    /// in the input so that they outlive it. In a `Mutex` only so the batch
    /// is `Sync` whenever they are `Send`; reached through `&mut self`
    /// (`Mutex::get_mut`), it is never locked. `None` only once moved to a
    /// rewrapped batch (see [`into_parts`](Engine::into_parts)).
    hooks: Mutex<Option<Hooks<I>>>,
    /// The children still pending after their first poll, and the homes
    /// for the next ones.
    running: Running<I::Child>,
    /// An output waiting to be handed on: a child that finished on its
    /// first poll while a slot was refilled after an output had been chosen,
    /// or one that finished after it (they swap, so outputs leave in the
    /// order the children finished: `try_gather` needs the first failure in
    /// time). No child is admitted while an output is held, so a fail-fast
    /// batch never pulls an input after a failure, and at most one output
    /// ever waits here.
    held: Option<Finished<ChildOutput<I>>>,
    /// A panic met while refilling after an output had been chosen: the
    /// batch has been abandoned, and the panic resumes at the next poll, or
    /// when the batch is dropped (see "After a panic"). A `Panicked`
    /// rather than its bare payload keeps the batch `Sync`.
    deferred_panic: Option<Panicked>,
    /// Children that woke themselves during a poll at home since the task
    /// last returned `Pending` or an output was handed on. Such a child
    /// asks to let others run before it is polled again; when two do so
    /// with no child finishing in between, the batch is making no progress
    /// of its own, and the task yields to the executor (`FuturesUnordered`
    /// does the same within one call). Such a child waits in `Running`'s
    /// queue of woken children without waking anyone, so any `Pending`
    /// returned while one waits there wakes the task first (the child's own
    /// wake-up went to the home, not to the task).
    yielded: u8,
    /// The children's deadlines and the batch's own.
    timers: Timers,
    /// A zero batch deadline: the first pass admits what the limit allows
    /// (see [`Admission::limit_first_pass`]) and gives each child its first
    /// poll, those still pending are cut at once, and the batch is cut as
    /// soon as nothing is left to do, without a round trip through the
    /// timer thread (which could let a child finish first).
    cut_when_idle: bool,
    started: bool,
    /// Deadlines admitted in a pass are stamped when the task's poll of
    /// the batch ends ([`end_pass`](Engine::end_pass), or any `Pending`
    /// the engine returns), not as each admission call ends: set by the
    /// ends that collect the whole batch within one poll of their own.
    stamps_at_end_of_poll: bool,
    /// The batch's end says where each of its polls begins
    /// ([`begin_poll_of_chain`](Engine::begin_poll_of_chain)), because it
    /// takes several outputs in one; otherwise each call of
    /// [`poll_finished`](Engine::poll_finished) begins one. The budget of
    /// children started per poll is per poll of the chain.
    polls_marked_by_end: bool,
    /// Inputs that the batch deadline cut off, to report.
    cut: Cut,
    /// Admission saw the batch deadline pass: the next pass cuts the batch
    /// before anything else, so no child finishing after the deadline is
    /// handed on in the meantime.
    cut_due: bool,
}

impl<I: Input> Engine<I> {
    /// A batch over `source`, run as `config` says, telling `hooks.0` of
    /// each child that finishes and `hooks.1` of each slow poll.
    pub(crate) fn new(source: I, config: Config<ChildOutput<I>>, hooks: Hooks<I>) -> Self {
        Engine {
            admission: Admission::new(source),
            config,
            hooks: Mutex::new(Some(hooks)),
            running: Running::default(),
            held: None,
            deferred_panic: None,
            yielded: 0,
            timers: Timers::default(),
            cut_when_idle: false,
            started: false,
            stamps_at_end_of_poll: false,
            polls_marked_by_end: false,
            cut: Cut::default(),
            cut_due: false,
        }
    }

    /// The configuration, to change before the first poll (a
    /// [`Batch`](crate::Batch) is only configured, never polled: an end
    /// takes it whole).
    pub(crate) fn config_mut(&mut self) -> &mut Config<ChildOutput<I>> {
        debug_assert!(!self.started, "a batch was configured after it started");
        &mut self.config
    }

    /// Panics become outputs from now on.
    pub(crate) fn catch_panics(&mut self) {
        self.config.catch_panics = true;
    }

    /// The same batch over `wrap(source)`, whose children have the same
    /// output: the configuration and the hooks move over whole.
    pub(crate) fn map_source<J>(self, wrap: impl FnOnce(I) -> J) -> Engine<J>
    where
        J: Input<
                Child: Future<Output = ChildOutput<I>>,
                Hook = I::Hook,
                SlowPollReport = I::SlowPollReport,
            >,
    {
        let (source, config, hooks) = self.into_parts();
        Engine::new(wrap(source), config, hooks)
    }

    /// The same batch telling `hook` of each child that finishes, instead
    /// of the hook it had (the last `on_each` wins).
    pub(crate) fn hooked<H>(self, hook: H) -> Engine<Hooked<I, H>>
    where
        H: EachHook<ChildOutput<I>>,
    {
        let (source, config, (_replaced, report)) = self.into_parts();
        Engine::new(Hooked::new(source), config, (hook, report))
    }

    /// The same batch telling `report` of each slow poll, instead of the
    /// report it had (the last `on_slow_poll` wins).
    pub(crate) fn watched<R>(self, report: R) -> Engine<Watched<I, R>>
    where
        R: SlowPollReport,
    {
        let (source, config, (hook, _replaced)) = self.into_parts();
        Engine::new(Watched::new(source), config, (hook, report))
    }

    /// The input, the configuration and the hooks of a batch not yet
    /// polled.
    fn into_parts(mut self) -> (I, Config<ChildOutput<I>>, Hooks<I>) {
        let config = std::mem::take(self.config_mut());
        // Nothing has been admitted yet: no child, permit or timer to carry
        // over, only these.
        let Some(source) = self.admission.take_source() else {
            unreachable!("a batch not yet polled has its input")
        };
        let Some(hooks) = self.hooks_mut().take() else {
            unreachable!("a batch not yet polled has its hooks")
        };
        (source, config, hooks)
    }

    /// A child has an outcome: the `on_each` hook hears of it now, as it
    /// leaves the running set, even if its output is then held and never
    /// handed on (the consumer drops the stream after an earlier item). Not
    /// of a panic that ends the batch. A panic in the hook is caught and
    /// returned, for the engine to resume once the children are dropped.
    fn tell_finished(&mut self, finished: &Finished<ChildOutput<I>>) -> Result<(), Payload> {
        if matches!(finished.1, Err(Lost::Panicked(_))) && !self.config.catch_panics {
            return Ok(());
        }
        self.tell_on_each(finished)
    }

    /// Tells the `on_each` hook, if there is one, how a child finished.
    fn tell_on_each(&mut self, (index, result): &Finished<ChildOutput<I>>) -> Result<(), Payload> {
        if !<I::Hook as EachHook<_>>::LISTENS {
            return Ok(());
        }
        let Some((hook, _)) = self.hooks_mut().as_mut() else {
            return Ok(());
        };
        let done = finished::done(result);
        catch_unwind(AssertUnwindSafe(|| hook.heard(*index, done, TOKEN)))
    }

    /// The hooks' cell. Never locked (see `hooks`), so never poisoned.
    fn hooks_mut(&mut self) -> &mut Option<Hooks<I>> {
        self.hooks
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Tells the `on_slow_poll` report of the slow polls logged since it
    /// was last told: those of this poll of the batch, and of the refill
    /// that ended the previous one. A panic in the report is caught and
    /// returned, as one in the `on_each` hook is.
    #[inline]
    fn report_slow_polls(&mut self) -> Result<(), Payload> {
        let Some(slow_polls) = self.config.slow_polls.as_ref() else {
            return Ok(());
        };
        let logged = slow_polls.take_logged();
        if logged.is_empty() {
            return Ok(());
        }
        let Some((_, report)) = self.hooks_mut().as_mut() else {
            return Ok(());
        };
        catch_unwind(AssertUnwindSafe(|| {
            for (index, took) in logged {
                report.slow(index, took, TOKEN);
            }
        }))
    }

    pub(crate) fn admitted(&self) -> usize {
        self.admission.admitted()
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.running.len()
    }

    /// Children running, and an output held for the next call: what the
    /// batch's limit covers besides the outputs an end keeps.
    pub(crate) fn occupied(&self) -> usize {
        self.running.len() + usize::from(self.held.is_some())
    }

    /// Admits no input from index `ceiling` on: the window of
    /// [`InOrder`](crate::InOrder), moved on as it hands outputs out.
    #[inline]
    pub(crate) fn set_ceiling(&mut self, ceiling: usize) {
        self.admission.set_ceiling(ceiling);
    }

    /// What the chain asked for.
    pub(crate) fn config(&self) -> &Config<ChildOutput<I>> {
        &self.config
    }

    /// Outputs still to come: children in flight, inputs cut off by the
    /// batch deadline, and what the input promises.
    pub(crate) fn size_hint(&self) -> (usize, Option<usize>) {
        let (low, high) = self.admission.size_hint();
        let known = self.running.len() + usize::from(self.held.is_some()) + self.cut.len();
        (
            low.saturating_add(known),
            high.and_then(|high| high.checked_add(known)),
        )
    }

    /// True once every input has been admitted and every child has finished,
    /// or once a panic has ended the batch.
    pub(crate) fn is_done(&self) -> bool {
        !self.admission.has_input()
            && self.held.is_none()
            && self.deferred_panic.is_none()
            && self.running.is_empty()
            && self.cut.is_empty()
    }

    /// The next child to finish, with its input index, and its slot already
    /// refilled: the batch stays full while the caller holds the output.
    #[inline]
    pub(crate) fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Finished<ChildOutput<I>>>> {
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
    #[inline]
    pub(crate) fn refill(&mut self, cx: &mut Context<'_>) {
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
    /// timers that matter are registered, and the next input cannot be
    /// admitted: no permit is free (a shared limiter will wake us; an own
    /// limit's permits come back with the running children), the input is
    /// pending (and will wake us), its stop signal is pending (likewise),
    /// or the `in_order` window is full (its first input is running); or
    /// the task has been woken to let others run.
    ///
    /// A panic is resumed here, after every sibling has been dropped, unless
    /// panics are caught.
    #[inline]
    pub(crate) fn poll_finished(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Finished<ChildOutput<I>>>> {
        let polled = self.poll_finished_unreported(cx);
        if let Err(payload) = self.report_slow_polls() {
            self.fail(payload);
        }
        polled
    }

    /// [`poll_finished`](Engine::poll_finished), before the slow polls it
    /// ran are reported.
    #[inline]
    fn poll_finished_unreported(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Finished<ChildOutput<I>>>> {
        self.begin_poll();
        if self.should_yield() {
            // The wake-ups that led here may have been spent on an earlier
            // poll, so this poll arranges its own.
            cx.waker().wake_by_ref();
            self.end_pass();
            return Poll::Pending;
        }
        loop {
            if (self.cut_due || self.timers.check_this_pass()) && self.poll_armed_timers(cx) {
                continue;
            }
            if let Some(finished) = self.next_finished(cx) {
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
            if !self.admission.has_input() && self.running.is_empty() {
                return Poll::Ready(None);
            }
            // Nothing ready: waiting for children, the input, a permit or
            // a timer. Deadlines still unstamped are queued first, so their
            // timer is polled (armed for this task) before it sleeps.
            self.end_pass();
            if self.poll_timers(cx) {
                continue;
            }
            if self.running.has_woken() || self.admission.paused() {
                // Children that woke themselves wait for their next poll at
                // home (see `Running`): their wake-ups went to their homes,
                // not to the task. (One that woke itself inside the
                // `FuturesUnordered` is its business: it wakes the task.)
                // Or admission stopped for the executor's sake, not for want
                // of a permit or an item. Either way nothing else would wake
                // the task for it.
                cx.waker().wake_by_ref();
            }
            self.yielded = 0;
            return Poll::Pending;
        }
    }

    /// What every poll does first: start the clocks on the first one,
    /// renew the budget of starts if this call begins a poll of the chain,
    /// and resume a panic kept from the last one.
    #[inline]
    fn begin_poll(&mut self) {
        if !self.polls_marked_by_end {
            self.admission.begin_poll();
        }
        if !self.started {
            self.start_clocks();
        }
        if let Some(panicked) = self.deferred_panic.take() {
            self.fail(panicked.into_payload());
        }
    }

    /// Whether to let the executor run others before this pass: children
    /// woke themselves on their first poll, or a permit this batch freed
    /// went to another batch while this one has input left (the other then
    /// takes it up before this batch frees the next: batches take turns).
    #[inline]
    fn should_yield(&mut self) -> bool {
        let gave_way = self.admission.take_gave_way() && self.admission.has_input();
        let yielding = self.yielded >= YIELD_AFTER_SELF_WAKES || gave_way;
        if yielding {
            self.yielded = 0;
        }
        yielding
    }

    /// An output ready to hand on without admitting anything: a running
    /// child that finished, the held output, or an input the batch deadline
    /// cut.
    ///
    /// The running children come first, every pass: a held output (or a
    /// stream of children ready on their first poll) must not keep a woken
    /// or timed-out child waiting.
    #[inline]
    fn next_finished(&mut self, cx: &mut Context<'_>) -> Option<Finished<ChildOutput<I>>> {
        if !self.running.is_empty() {
            if let Some(mut finished) =
                self.running
                    .poll_finished(cx, &mut self.yielded, YIELD_AFTER_SELF_WAKES)
            {
                self.config.limit.child_finished();
                if let Err(payload) = self.judge(&finished) {
                    self.fail(payload);
                }
                if let Err(payload) = self.tell_finished(&finished) {
                    self.fail(payload);
                }
                if let Some(held) = self.held.as_mut() {
                    // The held child finished first: it leaves first.
                    std::mem::swap(held, &mut finished);
                }
                return Some(finished);
            }
        }
        if let Some(finished) = self.held.take() {
            return Some(finished);
        }
        let (index, lost) = self.cut.next()?;
        let finished = (index, Err(lost));
        if let Err(payload) = self.tell_finished(&finished) {
            self.fail(payload);
        }
        Some(finished)
    }

    /// The batch's first poll: its own deadline starts counting now.
    fn start_clocks(&mut self) {
        self.started = true;
        self.running.time_polls(self.config.slow_polls.clone());
        match self.config.within {
            Some(within) if within.is_zero() => {
                self.cut_when_idle = true;
                let capacity = self.config.limit.capacity();
                self.admission
                    .limit_first_pass(capacity.unwrap_or(usize::MAX));
            }
            Some(within) => self.timers.start_batch(within),
            None => {}
        }
    }

    /// Passes a finished child on to the caller (the `on_each` hook heard
    /// of it when it finished: see [`tell_finished`](Engine::tell_finished)).
    ///
    /// A child's panic is resumed here instead, after every sibling has
    /// been dropped, unless panics are caught: the child's own panic is the
    /// one to report, not one a sibling's destructor raised while being
    /// dropped.
    ///
    /// An output is progress: the children that woke themselves before it
    /// were not spinning, so their count starts again (as
    /// `FuturesUnordered` counts them per call, each call ending with an
    /// output or a yield).
    #[inline]
    fn hand_on(&mut self, finished: Finished<ChildOutput<I>>) -> Finished<ChildOutput<I>> {
        self.yielded = 0;
        match finished {
            (_, Err(Lost::Panicked(panicked))) if !self.config.catch_panics => {
                self.fail(panicked.into_payload())
            }
            finished => finished,
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
    #[inline]
    pub(crate) fn poll_fail_fast<T, E>(
        &mut self,
        cx: &mut Context<'_>,
        lift: impl FnOnce(Result<ChildOutput<I>, Lost>) -> Result<T, E>,
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

    /// Pulls inputs while every gate is open (see [`Admission`]) and gives
    /// each its first poll. Returns the first child that finishes on that
    /// poll (its slot is free again, and the caller hands it on), or the
    /// input's panic.
    #[inline]
    fn admit(&mut self, cx: &mut Context<'_>) -> Result<Option<Finished<ChildOutput<I>>>, Payload> {
        self.admission.begin_call();
        // The batch deadline is looked at before every pull, not only
        // between passes: an input slow to pull (a parse, a synchronous
        // cursor) must not go on being pulled after it passed. The cut
        // itself comes first thing in the next pass (see `cut_due`).
        loop {
            if self.timers.batch_passed(cx) {
                self.cut_due = true;
                break;
            }
            let Some(admitted) =
                self.admission
                    .next(&mut self.config.limit, self.config.rate.as_mut(), cx)?
            else {
                break;
            };
            if let Some(finished) = self.start(admitted, cx) {
                let finished = finished?;
                self.stamp_deadlines_after_admission();
                self.tell_finished(&finished)?;
                return Ok(Some(finished));
            }
        }
        self.stamp_deadlines_after_admission();
        Ok(None)
    }

    /// Stamps the deadlines of the pass just admitted, unless the batch's
    /// end stamps them once per poll of its own (see
    /// `stamps_at_end_of_poll`).
    #[inline]
    fn stamp_deadlines_after_admission(&mut self) {
        if !self.stamps_at_end_of_poll {
            self.end_pass();
        }
    }

    /// For the ends that take several outputs in one poll of their own
    /// (`gather`, `try_gather`, `report`, `in_order`): they call
    /// [`begin_poll_of_chain`](Engine::begin_poll_of_chain) as each of
    /// their polls begins.
    pub(crate) fn polls_marked_by_end(&mut self) {
        self.polls_marked_by_end = true;
    }

    /// A poll of the chain begins (see `polls_marked_by_end`).
    #[inline]
    pub(crate) fn begin_poll_of_chain(&mut self) {
        self.admission.begin_poll();
    }

    /// For the ends that collect a whole batch (`gather`, `try_gather`,
    /// `report`): they poll it many times within one poll of their own, and
    /// call [`end_pass`](Engine::end_pass) before that poll returns, so the
    /// clock is read once for all the children admitted in it.
    pub(crate) fn stamp_at_end_of_poll(&mut self) {
        self.stamps_at_end_of_poll = true;
    }

    /// A pass ends: starts the deadline clocks of the children admitted in
    /// it, with one clock reading after their first polls (see
    /// [`Timers::stamp_deadlines`]). Such a child gets more than its
    /// deadline only by the time the rest of that pass took, spent on its
    /// siblings.
    #[inline]
    pub(crate) fn end_pass(&mut self) {
        if let Some(deadline) = self.config.deadline {
            let waiting = self.running.len();
            self.timers
                .stamp_deadlines(deadline, waiting, self.running.homes());
        }
    }

    /// Moves an admitted child into a home and gives it its first poll:
    /// returns it if that finished it (`Err`: the `overloaded_when`
    /// classifier panicked on its output). Otherwise it waits in the
    /// `FuturesUnordered`, its deadline stamped.
    ///
    /// The deadline clock is read after that poll, and only if the child is
    /// still pending: it is admitted and polled in one step, and one that
    /// finishes there never needs the clock or the timer.
    #[inline]
    fn start(
        &mut self,
        Admitted {
            child,
            index,
            permit,
        }: Admitted<I::Child>,
        cx: &mut Context<'_>,
    ) -> Option<Result<Finished<ChildOutput<I>>, Payload>> {
        // A child that finishes at once never moves its home (see `Running`).
        let home = self.running.spare_home();
        home.move_in(child, index);
        // A zero deadline, the batch's or the child's, leaves the child its
        // first poll and nothing more. (A zero batch deadline also stops
        // admission after the first pass: see `cut_when_idle`.)
        let expired = match self.config.deadline {
            _ if self.cut_when_idle => Some(Elapsed::Batch),
            Some(deadline) if deadline.is_zero() => Some(Elapsed::Child),
            _ => None,
        };
        let polled = home.poll_first();
        if let Some(rate) = self.config.rate.as_mut() {
            // A start counts from when its first poll has run: a later
            // stamp than its true start, never an earlier one, so no window
            // of first polls holds more than the rate's `max`.
            rate.started(Instant::now());
        }
        let outcome = match (polled, expired) {
            (Poll::Ready(outcome), _) => outcome.map_err(Lost::Panicked),
            (Poll::Pending, Some(elapsed)) => finished::timed_out(home.evict(), elapsed),
            (Poll::Pending, None) => {
                let woke_itself = home.wake_task_meanwhile(cx);
                let home = self.running.take_spare();
                let timed = self.defer_deadline(&home, index);
                let slot = Slot::new(home, index, timed, permit);
                if woke_itself {
                    self.yielded = self.yielded.saturating_add(1);
                    self.running.push_woken(slot);
                } else {
                    self.running.push(slot);
                }
                return None;
            }
        };
        drop(permit);
        self.config.limit.child_finished();
        let finished = (index, outcome);
        Some(self.judge(&finished).map(|()| finished))
    }

    /// A child is done, its permit already returned: an adaptive limit
    /// (see [`AdaptiveLimit`](crate::AdaptiveLimit)) learns how it went,
    /// from its outcome and, for its output, the `overloaded_when`
    /// classifier. A panic in the classifier is caught and returned, for
    /// the engine to resume once the children are dropped.
    #[inline]
    fn judge(&mut self, (_, result): &Finished<ChildOutput<I>>) -> Result<(), Payload> {
        let Some(limiter) = self.config.limit.adaptive() else {
            return Ok(());
        };
        let verdict = match result {
            Ok(output) => match &self.config.overloaded_when {
                Some(classify) => match catch_unwind(AssertUnwindSafe(|| classify(output))) {
                    Ok(true) => Verdict::Overloaded,
                    Ok(false) => Verdict::Fine,
                    // The child's round trip goes unjudged.
                    Err(payload) => return Err(payload),
                },
                None => Verdict::Fine,
            },
            Err(Lost::Elapsed(Elapsed::Child)) => Verdict::DeadlinePassed,
            Err(_) => Verdict::Unknown,
        };
        limiter.judge(self.admission.ticket(), verdict);
        Ok(())
    }

    /// Queues the deadline of the child at input `index`, to start at the
    /// end of this admission pass (see [`Timers::stamp_deadlines`]).
    /// Returns whether it has one.
    fn defer_deadline(&mut self, home: &Home<I::Child>, index: usize) -> bool {
        if self.config.deadline.is_none() {
            return false;
        }
        let tag = self.running.tag(home, index);
        self.timers.defer_deadline(tag);
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
        self.timers.poll_expired(cx, self.running.homes())
    }

    /// The batch deadline passed: drop every running child, pull nothing
    /// more, and queue an `Elapsed::Batch` for each input left unfinished.
    ///
    /// Inputs never admitted are counted from the input's size hint when it
    /// is exact; they are not created.
    fn cut_off(&mut self) {
        self.cut_due = false;
        let running = self.running.indices();
        let unstarted = self.admission.cut_off();
        if let Some(payload) = self.abandon() {
            self.fail(payload);
        }
        self.cut = Cut::new(running, unstarted);
    }
}

impl<I: Input> Engine<I> {
    /// Leaves any limiter queue, stops the timers, and drops every running
    /// child and the input.
    ///
    /// A destructor that panics must not leave its siblings alive or their
    /// permits out (nor drop anything twice): every drop is caught, and the
    /// first panic is returned once everything is gone, for the caller to
    /// resume.
    #[must_use]
    fn abandon(&mut self) -> Option<Payload> {
        self.timers.stop();
        if let Some(rate) = self.config.rate.as_mut() {
            rate.stop();
        }
        let first_panic = self.running.drop_all();
        let input_panic = self.admission.abandon();
        first_panic.or(input_panic)
    }
}

impl<I: Input> Drop for Engine<I> {
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
