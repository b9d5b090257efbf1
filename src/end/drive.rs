//! `Drive`: a configured batch as the ends of a chain run it.

use crate::elapsed::Elapsed;
use crate::engine::finished::{self, Finished, Lost};
use crate::engine::flatten::Flatten;
use crate::engine::{ChildOutput, Engine};
use crate::input::Input;
use crate::mode::{Deadlines, FailWith, Fallible, Output, Panics, Uncaught, Untimed};
use crate::outcome::Outcome;
use crate::sealed::TOKEN;
use core::fmt;
use core::marker::PhantomData;
use core::task::{Context, Poll};

/// An output a batch over `I` with modes `D` and `P` hands on, with its
/// input index.
pub(crate) type Item<I, D, P> = (usize, Output<I, D, P>);

/// The engine of one batch, with the modes that say what it hands on: the
/// one thing a [`Batch`](crate::Batch) is, and what each end holds.
///
/// The ends reach the engine only through this type, never through
/// `batch.rs`: the batch builds the configuration and hands the drive to an
/// end, which runs it.
pub(crate) struct Drive<I: Input, D, P> {
    engine: Engine<I>,
    mode: PhantomData<fn() -> (D, P)>,
}

impl<I: Input, D, P> Drive<I, D, P> {
    pub(crate) fn new(engine: Engine<I>) -> Self {
        Drive {
            engine,
            mode: PhantomData,
        }
    }

    /// The same engine under other modes.
    pub(crate) fn into_mode<D2, P2>(self) -> Drive<I, D2, P2> {
        Drive::new(self.engine)
    }

    pub(crate) fn engine(&self) -> &Engine<I> {
        &self.engine
    }

    pub(crate) fn engine_mut(&mut self) -> &mut Engine<I> {
        &mut self.engine
    }

    pub(crate) fn into_engine(self) -> Engine<I> {
        self.engine
    }

    /// For an end that takes several outputs in one poll of its own
    /// (`in_order`): it says where each of its polls begins
    /// ([`begin_poll`](Drive::begin_poll)), for the budget of starts.
    pub(crate) fn polls_marked(mut self) -> Self {
        self.engine.polls_marked_by_end();
        self
    }

    /// For an end that collects the whole batch (`gather`, `try_gather`,
    /// `report`): it marks its polls, and calls
    /// [`end_pass`](Drive::end_pass) before each returns `Pending`, so the
    /// deadline clock is read once per poll.
    pub(crate) fn collected(mut self) -> Self {
        self.engine.stamp_at_end_of_poll();
        self.polls_marked()
    }

    /// A poll of the end begins: the budget of starts is whole again.
    #[inline]
    pub(crate) fn begin_poll(&mut self) {
        self.engine.begin_poll_of_chain();
    }

    /// The poll of a collecting end is about to return `Pending`.
    #[inline]
    pub(crate) fn end_pass(&mut self) {
        self.engine.end_pass();
    }

    /// Outputs still to come.
    pub(crate) fn size_hint(&self) -> (usize, Option<usize>) {
        self.engine.size_hint()
    }

    /// Whether every output has been handed on.
    pub(crate) fn is_done(&self) -> bool {
        self.engine.is_done()
    }
}

impl<I: Input, D: Deadlines, P: Panics> Drive<I, D, P> {
    /// The next child to finish, with its slot already refilled.
    // Always inlined: each end's loop calls it once per output, and a call
    // that the inliner sometimes leaves costs each output a prologue.
    #[inline(always)]
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Item<I, D, P>>> {
        let finished = self.engine.poll_next(cx);
        finished.map(|finished| handed_out::<I, D, P>(finished, &self.engine.config().flatten))
    }

    /// The next child to finish, without a refill, admitting no input from
    /// index `ceiling` on: for `in_order`.
    #[inline]
    pub(crate) fn poll_finished_below(
        &mut self,
        cx: &mut Context<'_>,
        ceiling: usize,
    ) -> Poll<Option<Item<I, D, P>>> {
        self.engine.set_ceiling(ceiling);
        let finished = self.engine.poll_finished(cx);
        finished.map(|finished| handed_out::<I, D, P>(finished, &self.engine.config().flatten))
    }

    /// Refills the freed slots, admitting no input from index `ceiling` on.
    #[inline]
    pub(crate) fn refill_below(&mut self, cx: &mut Context<'_>, ceiling: usize) {
        self.engine.set_ceiling(ceiling);
        self.engine.refill(cx);
    }
}

/// A failure ends the batch; a panic goes on as it always does, so fail
/// fast and catching panics do not combine.
impl<I, D> Drive<I, D, Uncaught>
where
    I: Input,
    ChildOutput<I>: Fallible,
    D: FailWith<<ChildOutput<I> as Fallible>::Err>,
{
    /// The next child to finish as a success or a failure; its slot is
    /// refilled only after a success.
    #[allow(clippy::type_complexity)]
    pub(crate) fn poll_next_result(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<
        Option<(
            usize,
            Result<<ChildOutput<I> as Fallible>::Ok, <ChildOutput<I> as Fallible>::Err>,
        )>,
    > {
        self.engine.poll_fail_fast(cx, |result| match result {
            Err(Lost::Elapsed(elapsed)) => Err(D::fail(elapsed, TOKEN)),
            Err(Lost::NotStarted) => Err(D::fail(Elapsed::Batch, TOKEN)),
            result => finished::output::<_, Untimed, Uncaught>(result, &Flatten::default())
                .into_result(TOKEN),
        })
    }
}

impl<I, D, P> Drive<I, D, P>
where
    I: Input,
    ChildOutput<I>: Fallible,
{
    /// The next child to finish, with what became of it.
    #[allow(clippy::type_complexity)]
    pub(crate) fn poll_next_outcome(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<
        Option<(
            usize,
            Outcome<<ChildOutput<I> as Fallible>::Ok, <ChildOutput<I> as Fallible>::Err>,
        )>,
    > {
        let finished = self.engine.poll_next(cx);
        finished.map(|finished| finished.map(|(index, result)| (index, finished::outcome(result))))
    }
}

/// A finished child (if any) as the batch hands it on.
#[inline]
fn handed_out<I: Input, D: Deadlines, P: Panics>(
    finished: Option<Finished<ChildOutput<I>>>,
    flatten: &Flatten<ChildOutput<I>>,
) -> Option<Item<I, D, P>> {
    finished.map(|(index, result)| (index, finished::output::<_, D, P>(result, flatten)))
}

/// `Bounded { .. }` or `Deadline { .. }` with the settings and counts,
/// inside `CatchPanics { batch: .. }` when the batch catches panics.
impl<I: Input, D: Deadlines, P: Panics> fmt::Debug for Drive<I, D, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.engine.config().catch_panics {
            f.debug_struct("CatchPanics")
                .field("batch", &Settings::<I, D>(&self.engine, PhantomData))
                .finish()
        } else {
            Settings::<I, D>(&self.engine, PhantomData).fmt(f)
        }
    }
}

/// A batch's settings and counts, for its `Debug` output.
struct Settings<'a, I: Input, D>(&'a Engine<I>, PhantomData<D>);

impl<I: Input, D: Deadlines> fmt::Debug for Settings<'_, I, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let engine = self.0;
        let config = engine.config();
        let mut debug = if D::TIMED || config.flatten.elapsed().is_some() {
            let mut debug = f.debug_struct("Deadline");
            debug
                .field("deadline", &config.deadline)
                .field("within", &config.within);
            debug
        } else {
            f.debug_struct("Bounded")
        };
        debug
            .field("limit", &config.limit.capacity())
            .field("admitted", &engine.admitted())
            .field("in_flight", &engine.in_flight())
            .finish_non_exhaustive()
    }
}
