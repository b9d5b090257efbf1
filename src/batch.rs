//! `Batch`: the one type every chain configures, whatever its settings.

use crate::done::Done;
use crate::end::as_completed::AsCompleted;
use crate::end::gather::Gather;
use crate::end::in_order::InOrder;
use crate::end::report::Reporting;
use crate::end::try_gather::TryGather;
use crate::engine::config::Config;
use crate::engine::finished::{self, Finished, Lost};
use crate::engine::limit::Limit;
use crate::engine::rate::Rate;
use crate::engine::{ChildOutput, Engine};
use crate::input::Input;
use crate::limiter::Limiter;
use crate::mode::{
    Catching, Caught, Deadlines, FailFast, FailWith, Fallible, Outcomes, Panics, Passes, Timed,
    Uncaught, Untimed,
};
use crate::outcome::Outcome;
use crate::slow_poll::{SlowPolled, SlowPolls};
use crate::until::Until;
use core::fmt;
use core::future::{Future, IntoFuture};
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures::stream::{FusedStream, Stream};
use std::sync::Mutex;
use std::time::Duration;

/// A batch with no deadline that lets panics go on: what
/// [`bounded`](crate::FanoutExt::bounded), [`bounded_by`](crate::FanoutExt::bounded_by),
/// [`rate`](crate::FanoutExt::rate), [`on_each`](crate::FanoutExt::on_each)
/// and [`on_slow_poll`](crate::FanoutExt::on_slow_poll) start.
///
/// ```
/// use fanout::prelude::*;
/// use fanout::Bounded;
///
/// # futures::executor::block_on(async {
/// let batch: Bounded<_> = (1..=3).map(|i| async move { i }).bounded(2);
/// assert_eq!(batch.gather().await, [1, 2, 3]);
/// # });
/// ```
pub type Bounded<I> = Batch<I, Untimed, Uncaught>;

/// A batch whose children carry a deadline: what
/// [`with_deadline`](crate::FanoutExt::with_deadline) and
/// [`within`](crate::FanoutExt::within) make of any batch.
///
/// ```
/// use fanout::prelude::*;
/// use fanout::Deadline;
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let batch: Deadline<_> = (1..=2).map(|i| async move { i }).bounded(2).within(Duration::from_secs(5));
/// assert_eq!(batch.gather().await, [Ok(1), Ok(2)]);
/// # });
/// ```
pub type Deadline<I> = Batch<I, Timed, Uncaught>;

/// The batch `B` once it [catches panics](crate::FanoutExt::catch_panics):
/// `CatchPanics<Bounded<I>>` is `Batch<I, Untimed, Caught>`.
///
/// ```
/// use fanout::prelude::*;
/// use fanout::{Bounded, CatchPanics};
///
/// # futures::executor::block_on(async {
/// let batch: CatchPanics<Bounded<_>> = [async { 1 }].bounded(1).catch_panics();
/// assert_eq!(batch.gather().await.pop().unwrap().ok(), Some(1));
/// # });
/// ```
pub type CatchPanics<B> = <B as Catching>::Caught;

/// What a `Batch<I, D, P>` hands on for each child.
pub(crate) type Output<I, D, P> = <P as Panics>::Output<<D as Deadlines>::Output<ChildOutput<I>>>;

/// A configured batch: a [`Stream`] of `(input index, output)` in
/// completion order, and the methods that configure it and end the chain.
///
/// Every chain builds this one type. Its configuration methods
/// ([`bounded`](Batch::bounded), [`bounded_by`](Batch::bounded_by),
/// [`with_deadline`](Batch::with_deadline), [`within`](Batch::within),
/// [`rate`](Batch::rate), [`on_slow_poll`](Batch::on_slow_poll),
/// [`on_each`](Batch::on_each), [`catch_panics`](Batch::catch_panics))
/// come in any order, each said once; a setting given twice keeps the last
/// one (`bounded(2).bounded(3)` runs 3 at once, and a later `bounded_by`
/// replaces an earlier `bounded`). The type parameters follow from them:
///
/// - `D` is [`Untimed`], or [`Timed`] once any deadline is set: then each
///   output is `Result<T, Elapsed>`.
/// - `P` is [`Uncaught`], or [`Caught`] after
///   [`catch_panics`](Batch::catch_panics): then each output is wrapped
///   once more, as `Result<_, Panicked>` (outermost, wherever the call
///   stands in the chain).
///
/// [`Bounded`], [`Deadline`] and [`CatchPanics`] name the common cases.
///
/// End the chain with [`gather`](Batch::gather),
/// [`try_gather`](Batch::try_gather), [`as_completed`](Batch::as_completed)
/// or [`report`](Batch::report), or poll it as a stream.
///
/// ```
/// use fanout::prelude::*;
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let children = || (1..=3).map(|i| async move { i });
/// let a = children().catch_panics().within(Duration::from_secs(5)).bounded(2).gather().await;
/// let b = children().bounded(2).within(Duration::from_secs(5)).catch_panics().gather().await;
/// let a: Vec<_> = a.into_iter().map(Result::ok).collect();
/// let b: Vec<_> = b.into_iter().map(Result::ok).collect();
/// assert_eq!(a, [Some(Ok(1)), Some(Ok(2)), Some(Ok(3))]);
/// assert_eq!(a, b);
/// # });
/// ```
///
/// # Cancel safety
///
/// Dropping it drops every child in flight and returns their permits;
/// inputs not yet admitted are never created. Between two items nothing is
/// polled: while you hold an item, the children in flight wait, and their
/// deadlines keep running. [`gather`](Batch::gather) does not have that
/// problem.
///
/// # Panics
///
/// Its configuration methods panic if called after the batch has been
/// polled: limits and deadlines are set before the first child runs. A
/// child's panic goes on out of `poll_next` after its siblings are dropped,
/// unless the batch catches panics.
#[must_use = "streams do nothing unless polled"]
pub struct Batch<I, D = Untimed, P = Uncaught>
where
    I: Input,
{
    // The engine needs no pinning: children live in their own heap cells
    // and the input is only iterated.
    engine: Engine<I>,
    mode: PhantomData<fn() -> (D, P)>,
}

// Nothing in a batch is pinned (see `engine`).
impl<I, D, P> Unpin for Batch<I, D, P> where I: Input {}

impl<I> Bounded<I>
where
    I: Input,
{
    /// A batch over `input` with no limit, no deadline, nothing set.
    pub(crate) fn new(input: I) -> Self {
        Batch::from_engine(Engine::new(input, Config::default()))
    }
}

impl<I, D, P> Batch<I, D, P>
where
    I: Input,
{
    fn from_engine(engine: Engine<I>) -> Self {
        Batch {
            engine,
            mode: PhantomData,
        }
    }

    /// The same batch under other type parameters.
    fn into_mode<D2, P2>(self) -> Batch<I, D2, P2> {
        Batch::from_engine(self.engine)
    }

    /// Changes one setting.
    #[track_caller]
    fn configure(mut self, set: impl FnOnce(&mut Config<ChildOutput<I>>)) -> Self {
        set(self.engine.config_mut());
        self
    }

    /// Lets at most `limit` children run at once; see
    /// [`FanoutExt::bounded`](crate::FanoutExt::bounded).
    ///
    /// # Panics
    ///
    /// If `limit` is 0, or if the batch has been polled.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=2)
    ///     .map(|i| async move { i })
    ///     .with_deadline(Duration::from_secs(1))
    ///     .bounded(1)
    ///     .gather()
    ///     .await;
    /// assert_eq!(out, [Ok(1), Ok(2)]);
    /// # });
    /// ```
    #[track_caller]
    pub fn bounded(self, limit: usize) -> Self {
        let limit = Limit::own(limit);
        self.configure(|config| config.limit = limit)
    }

    /// Lets the children run only under `limiter`, shared with other
    /// batches; see [`FanoutExt::bounded_by`](crate::FanoutExt::bounded_by).
    ///
    /// # Panics
    ///
    /// If the batch has been polled.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let limiter = fanout::Limiter::new(2);
    /// let out = (1..=3)
    ///     .map(|i| async move { i })
    ///     .with_deadline(Duration::from_secs(1))
    ///     .bounded_by(&limiter)
    ///     .gather()
    ///     .await;
    /// assert_eq!(out, [Ok(1), Ok(2), Ok(3)]);
    /// # });
    /// ```
    #[track_caller]
    pub fn bounded_by(self, limiter: &Limiter) -> Self {
        self.configure(|config| config.limit = Limit::Shared(limiter.clone()))
    }

    /// Gives each child a deadline, counted from its admission; see
    /// [`FanoutExt::with_deadline`](crate::FanoutExt::with_deadline).
    ///
    /// # Panics
    ///
    /// If the batch has been polled.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=2)
    ///     .map(|i| async move { i })
    ///     .bounded(1)
    ///     .with_deadline(Duration::from_secs(1))
    ///     .gather()
    ///     .await;
    /// assert_eq!(out, [Ok(1), Ok(2)]);
    /// # });
    /// ```
    #[track_caller]
    pub fn with_deadline(self, deadline: Duration) -> Batch<I, Timed, P> {
        self.configure(|config| config.deadline = Some(deadline))
            .into_mode()
    }

    /// Gives the whole batch a deadline, counted from its first poll; see
    /// [`FanoutExt::within`](crate::FanoutExt::within).
    ///
    /// # Panics
    ///
    /// If the batch has been polled.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=2).map(|i| async move { i }).bounded(1).within(Duration::from_secs(5)).gather().await;
    /// assert_eq!(out, [Ok(1), Ok(2)]);
    /// # });
    /// ```
    #[track_caller]
    pub fn within(self, deadline: Duration) -> Batch<I, Timed, P> {
        self.configure(|config| config.within = Some(deadline))
            .into_mode()
    }

    /// Caps how often children start; see
    /// [`FanoutExt::rate`](crate::FanoutExt::rate).
    ///
    /// # Panics
    ///
    /// If `max` is 0, `per` is zero, `per` is too long to measure, or the
    /// batch has been polled.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=3)
    ///     .map(|i| async move { i })
    ///     .bounded(2)
    ///     .rate(2, Duration::from_millis(20))
    ///     .gather()
    ///     .await;
    /// assert_eq!(out.len(), 3);
    /// # });
    /// ```
    #[track_caller]
    pub fn rate(self, max: usize, per: Duration) -> Self {
        let rate = Rate::new(max, per);
        self.configure(|config| config.rate = Some(rate))
    }

    /// Reports every poll of a child that holds the task longer than
    /// `threshold`; see [`FanoutExt::on_slow_poll`](crate::FanoutExt::on_slow_poll).
    ///
    /// # Panics
    ///
    /// If the batch has been polled.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=3)
    ///     .map(|i| async move { i })
    ///     .bounded(2)
    ///     .on_slow_poll(Duration::from_millis(100), |index, took| {
    ///         eprintln!("input {index} held the task for {took:?}");
    ///     })
    ///     .gather()
    ///     .await;
    /// assert_eq!(out.len(), 3);
    /// # });
    /// ```
    #[track_caller]
    pub fn on_slow_poll(
        mut self,
        threshold: Duration,
        report: impl Fn(usize, Duration) + Send + Sync + 'static,
    ) -> Batch<SlowPolled<I>, D, P> {
        let slow_polls = SlowPolls::new(threshold, report);
        let config = self.engine.config_mut();
        if let Some(earlier) = config.slow_polls.replace(slow_polls.clone()) {
            earlier.supersede();
        }
        Batch::from_engine(
            self.engine
                .map_source(|input| SlowPolled::new(input, slow_polls)),
        )
    }

    /// Calls `hook(input_index, done)` as each child finishes; see
    /// [`FanoutExt::on_each`](crate::FanoutExt::on_each).
    ///
    /// # Panics
    ///
    /// If the batch has been polled.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=3)
    ///     .map(|i| async move { i })
    ///     .with_deadline(Duration::from_secs(1))
    ///     .on_each(|index, done| eprintln!("input {index}: {done:?}"))
    ///     .gather()
    ///     .await;
    /// assert_eq!(out.len(), 3);
    /// # });
    /// ```
    #[track_caller]
    pub fn on_each(
        self,
        hook: impl FnMut(usize, Done<'_, ChildOutput<I>>) + Send + 'static,
    ) -> Self {
        let hook = Mutex::new(Box::new(hook) as Box<_>);
        self.configure(|config| config.on_each = Some(hook))
    }

    /// Stops taking input once `signal` resolves, and lets the running
    /// children finish; see [`FanoutExt::until`](crate::FanoutExt::until).
    ///
    /// # Panics
    ///
    /// If the batch has been polled.
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// // A signal that has already fired: nothing is admitted.
    /// let out = (1..=3).map(|i| async move { i }).bounded(2).until(async {}).gather().await;
    /// assert!(out.is_empty());
    /// # });
    /// ```
    #[track_caller]
    pub fn until<S>(mut self, signal: S) -> Batch<Until<I, S::IntoFuture>, D, P>
    where
        S: IntoFuture,
    {
        // Checked here, so the panic points at this call.
        let _ = self.engine.config_mut();
        Batch::from_engine(
            self.engine
                .map_source(|input| Until::new(input, signal.into_future())),
        )
    }

    /// Turns a panicking child into a value in its slot; see
    /// [`FanoutExt::catch_panics`](crate::FanoutExt::catch_panics).
    ///
    /// # Panics
    ///
    /// Never panics, even on a batch already polled: the panics of its
    /// children are caught from then on.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let out = [async { panic!("no") }]
    ///     .catch_panics()
    ///     .with_deadline(Duration::from_secs(1))
    ///     .gather()
    ///     .await;
    /// assert_eq!(out[0].as_ref().map_err(|p| p.message()).err(), Some(Some("no")));
    /// # });
    /// ```
    pub fn catch_panics(mut self) -> Batch<I, D, Caught> {
        self.engine.catch_panics();
        self.into_mode()
    }

    /// Every output, in input order; see
    /// [`FanoutExt::gather`](crate::FanoutExt::gather).
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=4).map(|i| async move { i * 10 }).bounded(2).gather().await;
    /// assert_eq!(out, [10, 20, 30, 40]);
    /// # });
    /// ```
    pub fn gather(self) -> Gather<Self, Output<I, D, P>>
    where
        D: Deadlines,
        P: Panics,
    {
        let size_hint = self.engine.size_hint();
        Gather::new(self.collected(), size_hint)
    }

    /// Every success in input order, or the first failure; see
    /// [`FanoutExt::try_gather`](crate::FanoutExt::try_gather).
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=3).map(|i| async move { Ok::<_, String>(i) }).bounded(2).try_gather().await;
    /// assert_eq!(out, Ok(vec![1, 2, 3]));
    /// # });
    /// ```
    pub fn try_gather<T, E>(self) -> TryGather<Self, T, E>
    where
        ChildOutput<I>: Fallible<Ok = T, Err = E>,
        Self: FailFast<T, E>,
    {
        let size_hint = self.engine.size_hint();
        TryGather::new(self.collected(), size_hint)
    }

    /// Outputs as they finish, with their input index; see
    /// [`FanoutExt::as_completed`](crate::FanoutExt::as_completed).
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let mut done = (0..3).map(|i| async move { i }).bounded(2).as_completed();
    /// let mut seen = Vec::new();
    /// while let Some((index, output)) = done.next().await {
    ///     seen.push((index, output));
    /// }
    /// seen.sort();
    /// assert_eq!(seen, [(0, 0), (1, 1), (2, 2)]);
    /// # });
    /// ```
    // Named after asyncio's `as_completed`, which users look for.
    #[allow(clippy::wrong_self_convention)]
    pub fn as_completed(self) -> AsCompleted<Self> {
        AsCompleted::new(self)
    }

    /// Outputs in input order, each as soon as every earlier one is out;
    /// see [`FanoutExt::in_order`](crate::FanoutExt::in_order).
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let out: Vec<_> = (1..=4).map(|i| async move { i * 10 }).bounded(2).in_order().collect().await;
    /// assert_eq!(out, [10, 20, 30, 40]);
    /// # });
    /// ```
    pub fn in_order(self) -> InOrder<Self, Output<I, D, P>>
    where
        D: Deadlines,
        P: Panics,
    {
        let mut batch = self;
        // `InOrder` takes several outputs in one poll of its own.
        batch.engine.polls_marked_by_end();
        let window = batch
            .engine
            .config()
            .limit
            .capacity()
            .map_or(usize::MAX, |capacity| {
                capacity.saturating_mul(IN_ORDER_WINDOW_PER_SLOT)
            });
        InOrder::new(batch, window)
    }

    /// Runs the batch and sorts every outcome into a
    /// [`Report`](crate::Report); see
    /// [`FanoutExt::report`](crate::FanoutExt::report).
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let calls = (0..4).map(|i| async move { if i == 1 { Err("no") } else { Ok(i) } });
    /// let report = calls.bounded(2).report().await;
    /// assert_eq!(report.to_string(), "3 ok, 1 failed, 0 timed out");
    /// # });
    /// ```
    pub fn report<T, E>(self) -> Reporting<Self, T, E>
    where
        ChildOutput<I>: Fallible<Ok = T, Err = E>,
    {
        Reporting::new(self.collected())
    }

    /// The batch, about to be collected whole by an end that tells it when
    /// each of its polls ends (see [`Passes`]).
    fn collected(mut self) -> Self {
        self.engine.stamp_at_end_of_poll();
        self.engine.polls_marked_by_end();
        self
    }
}

impl<I: Input, D, P> Passes for Batch<I, D, P> {
    fn begin_poll(self: Pin<&mut Self>) {
        self.get_mut().engine.begin_poll_of_chain();
    }

    fn end_pass(self: Pin<&mut Self>) {
        self.get_mut().engine.end_pass();
    }
}

/// What a `Batch<I, D, P>` yields as a stream: an input index and its
/// output.
type Item<I, D, P> = (usize, Output<I, D, P>);

/// A finished child (if any) as the batch hands it on.
#[inline]
fn handed_out<I: Input, D: Deadlines, P: Panics>(
    finished: Option<Finished<ChildOutput<I>>>,
) -> Option<Item<I, D, P>> {
    finished.map(|(index, result)| (index, finished::output::<_, D, P>(result)))
}

/// How many inputs past the first one not yet handed out `in_order` may
/// admit, per child the batch may run at once.
const IN_ORDER_WINDOW_PER_SLOT: usize = 2;

/// What [`InOrder`] drives a batch with: the next output without a refill,
/// and a refill, each admitting no input from index `ceiling` on.
impl<I, D, P> Batch<I, D, P>
where
    I: Input,
    D: Deadlines,
    P: Panics,
{
    /// A poll of [`InOrder`] begins (see [`Passes::begin_poll`]).
    pub(crate) fn begin_poll(&mut self) {
        self.engine.begin_poll_of_chain();
    }

    pub(crate) fn poll_finished_below(
        &mut self,
        cx: &mut Context<'_>,
        ceiling: usize,
    ) -> Poll<Option<Item<I, D, P>>> {
        self.engine.set_ceiling(ceiling);
        self.engine.poll_finished(cx).map(handed_out::<I, D, P>)
    }

    pub(crate) fn refill_below(&mut self, cx: &mut Context<'_>, ceiling: usize) {
        self.engine.set_ceiling(ceiling);
        self.engine.refill(cx);
    }
}

impl<I, D, P> Stream for Batch<I, D, P>
where
    I: Input,
    D: Deadlines,
    P: Panics,
{
    type Item = Item<I, D, P>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut()
            .engine
            .poll_next(cx)
            .map(handed_out::<I, D, P>)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.engine.size_hint()
    }
}

impl<I, D, P> FusedStream for Batch<I, D, P>
where
    I: Input,
    D: Deadlines,
    P: Panics,
{
    fn is_terminated(&self) -> bool {
        self.engine.is_done()
    }
}

/// A failure ends the batch; a panic goes on as it always does, so fail
/// fast and catching panics do not combine.
impl<I, D, T, E> FailFast<T, E> for Batch<I, D, Uncaught>
where
    I: Input<Child: Future<Output: Fallible<Ok = T, Err = E>>>,
    D: FailWith<E>,
{
    fn poll_next_result(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Result<T, E>)>> {
        self.get_mut()
            .engine
            .poll_fail_fast(cx, |result| match result {
                Err(Lost::Elapsed(elapsed)) => Err(D::fail(elapsed)),
                result => finished::output::<_, Untimed, Uncaught>(result).into_result(),
            })
    }
}

impl<I, D, P, T, E> Outcomes<T, E> for Batch<I, D, P>
where
    I: Input<Child: Future<Output: Fallible<Ok = T, Err = E>>>,
{
    fn poll_next_outcome(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Outcome<T, E>)>> {
        let finished = self.get_mut().engine.poll_next(cx);
        finished.map(|finished| finished.map(|(index, result)| (index, finished::outcome(result))))
    }
}

impl<I, D, P> Catching for Batch<I, D, P>
where
    I: Input,
{
    type Caught = Batch<I, D, Caught>;
}

/// `Bounded { .. }` or `Deadline { .. }` with the settings and counts, inside
/// `CatchPanics { batch: .. }` when the batch catches panics.
impl<I, D, P> fmt::Debug for Batch<I, D, P>
where
    I: Input,
    D: Deadlines,
    P: Panics,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if P::CAUGHT {
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
        let mut debug = if D::TIMED {
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
