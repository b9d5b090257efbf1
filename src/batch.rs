//! `Batch`: the one type every chain configures, whatever its settings.

use crate::done::Done;
use crate::end::as_completed::AsCompleted;
use crate::end::drive::Drive;
use crate::end::for_each::{Fold, ForEach, TryForEach};
use crate::end::forward::Forward;
use crate::end::gather::Gather;
use crate::end::in_order::InOrder;
use crate::end::report::Reporting;
use crate::end::try_gather::TryGather;
use crate::engine::config::{Classifier, Config};
use crate::engine::flatten::Flatten;
use crate::engine::limit::Limit;
use crate::engine::rate::Rate;
use crate::engine::slow_polls::SlowPolls;
use crate::engine::{ChildOutput, Engine};
use crate::input::{Hooked, Input, NoHook, Until, Watched};
use crate::limits::{SharedLimit, SharedRate};
use crate::mode::{
    Caught, Deadlines, FailFast, FailWith, Fallible, Flat, Nested, Output, PanicWith, Panics,
    Timed, Uncaught, Untimed,
};
use crate::sealed::TOKEN;
use core::fmt;
use core::future::{Future, IntoFuture};
use futures::sink::Sink;
use std::sync::Arc;
use std::time::Duration;

/// A configured batch: the children an input yields, and how to run them.
/// A builder: it runs nothing itself; an end runs it.
///
/// Every chain builds this one type. Its configuration methods
/// ([`bounded`](Batch::bounded), [`bounded_by`](Batch::bounded_by),
/// [`with_deadline`](Batch::with_deadline), [`within`](Batch::within),
/// [`rate`](Batch::rate), [`on_slow_poll`](Batch::on_slow_poll),
/// [`on_each`](Batch::on_each), [`until`](Batch::until),
/// [`catch_panics`](Batch::catch_panics)) come in any order, and any order
/// gives the same type, but for `until`, `on_each` and `on_slow_poll`,
/// whose signal's, hook's and report's types become part of the batch's in
/// the order written; a setting
/// given twice keeps the last one (`bounded(2).bounded(3)` runs 3 at once,
/// and a later `bounded_by` replaces an earlier `bounded`). The type
/// parameters follow from them:
///
/// - `I` is the [input](crate::input::Input) the children come from: a
///   [`FromIter`](crate::input::FromIter) or a
///   [`FromStream`](crate::input::FromStream), inside an
///   [`Until`](crate::input::Until) once [`until`](Batch::until) gave it a
///   stop signal, inside a [`Hooked`](crate::input::Hooked) once
///   [`on_each`](Batch::on_each) gave it a hook, and inside a
///   [`Watched`](crate::input::Watched) once
///   [`on_slow_poll`](Batch::on_slow_poll) gave it a report.
/// - `D` is [`Untimed`], or [`Timed`] once a deadline is set: then each
///   output is `Result<T, Elapsed>`.
/// - `P` is [`Uncaught`], or [`Caught`] after
///   [`catch_panics`](Batch::catch_panics): then each output is wrapped
///   once more, as `Result<_, Panicked>` (outermost, wherever the call
///   stands in the chain).
/// - Both become [`Flat`] after [`flatten_errors`](Batch::flatten_errors),
///   which comes after the deadline settings and `catch_panics`: each
///   output is then the child's own `Result<T, E>`, a missed deadline or a
///   caught panic turned into an `E`.
///
/// End the chain with [`gather`](Batch::gather) (or `.await` the batch,
/// which gathers it), [`try_gather`](Batch::try_gather),
/// [`report`](Batch::report), or one of the streams
/// [`as_completed`](Batch::as_completed) and [`in_order`](Batch::in_order).
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
/// A batch holds its input and its settings, nothing running: dropping it
/// drops the input, and no child was ever created. The ends say what
/// dropping them releases.
#[must_use = "a batch runs nothing until an end (`gather`, `as_completed`, ..) runs it, or it is `.await`ed"]
pub struct Batch<I, D = Untimed, P = Uncaught>
where
    I: Input,
{
    drive: Drive<I, D, P>,
}

impl<I: Input<Hook = NoHook, SlowPollReport = NoHook>> Batch<I> {
    /// A batch over `input` with no limit, no deadline, nothing set.
    pub(crate) fn new(input: I) -> Self {
        Batch {
            drive: Drive::new(Engine::new(input, Config::default(), (NoHook, NoHook))),
        }
    }
}

impl<I, D, P> Batch<I, D, P>
where
    I: Input,
{
    /// The same batch under other type parameters.
    fn into_mode<D2, P2>(self) -> Batch<I, D2, P2> {
        Batch {
            drive: self.drive.into_mode(),
        }
    }

    /// Changes one setting.
    fn configure(mut self, set: impl FnOnce(&mut Config<ChildOutput<I>>)) -> Self {
        set(self.drive.engine_mut().config_mut());
        self
    }

    /// Lets at most `limit` children run at once; see
    /// [`FanoutExt::bounded`](crate::FanoutExt::bounded).
    ///
    /// # Panics
    ///
    /// If `limit` is 0, with a message that points at this call.
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
    pub fn bounded_by(self, limit: &impl SharedLimit) -> Self {
        let limiter = limit.limiter(TOKEN);
        self.configure(|config| config.limit = Limit::Shared(limiter))
    }

    /// Gives each child a deadline, counted from its admission; see
    /// [`FanoutExt::with_deadline`](crate::FanoutExt::with_deadline).
    ///
    /// Takes a `Duration`, or an `Option<Duration>` chosen at run time:
    /// `None` sets no deadline but still makes the batch [`Timed`], so both
    /// arms of a `match` have one type.
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
    pub fn with_deadline(self, deadline: impl Into<Option<Duration>>) -> Batch<I, Timed, P>
    where
        D: Nested,
    {
        let deadline = deadline.into();
        self.configure(|config| config.deadline = deadline)
            .into_mode()
    }

    /// Gives the whole batch a deadline, counted from its first poll; see
    /// [`FanoutExt::within`](crate::FanoutExt::within).
    ///
    /// Takes a `Duration`, or an `Option<Duration>` chosen at run time, as
    /// [`with_deadline`](Batch::with_deadline) does.
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
    pub fn within(self, deadline: impl Into<Option<Duration>>) -> Batch<I, Timed, P>
    where
        D: Nested,
    {
        let deadline = deadline.into();
        self.configure(|config| config.within = deadline)
            .into_mode()
    }

    /// Caps how often children start; see
    /// [`FanoutExt::rate`](crate::FanoutExt::rate).
    ///
    /// # Panics
    ///
    /// If `max` is 0, `per` is zero, or `per` is too long to measure, with a
    /// message that points at this call.
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
        let rate = Rate::own(max, per);
        self.configure(|config| config.rate = Some(rate))
    }

    /// Caps how often children start, together with every batch sharing
    /// `rate`; see [`FanoutExt::rate_by`](crate::FanoutExt::rate_by).
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let api = fanout::SharedRate::new(2, Duration::from_millis(20));
    /// let out = (1..=3).map(|i| async move { i }).bounded(2).rate_by(&api).gather().await;
    /// assert_eq!(out, [1, 2, 3]);
    /// # });
    /// ```
    pub fn rate_by(self, rate: &SharedRate) -> Self {
        let rate = Rate::shared(rate);
        self.configure(|config| config.rate = Some(rate))
    }

    /// Tells an [`AdaptiveLimit`](crate::AdaptiveLimit) which outputs mean
    /// the service is overloaded; see
    /// [`FanoutExt::overloaded_when`](crate::FanoutExt::overloaded_when).
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let limit = fanout::AdaptiveLimit::new(8, 1..=8);
    /// let out = (0..3)
    ///     .map(|i| async move { if i == 0 { Err(503) } else { Ok(i) } })
    ///     .bounded_by(&limit)
    ///     .overloaded_when(|out: &Result<i32, i32>| *out == Err(503))
    ///     .gather()
    ///     .await;
    /// assert_eq!(out, [Err(503), Ok(1), Ok(2)]);
    /// assert_eq!(limit.current(), 4, "halved once");
    /// # });
    /// ```
    pub fn overloaded_when(
        self,
        classify: impl Fn(&ChildOutput<I>) -> bool + Send + Sync + 'static,
    ) -> Self {
        let classify: Classifier<ChildOutput<I>> = Box::new(classify);
        self.configure(|config| config.overloaded_when = Some(classify))
    }

    /// Reports every poll of a child that holds the task longer than
    /// `threshold`; see [`FanoutExt::on_slow_poll`](crate::FanoutExt::on_slow_poll).
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
    pub fn on_slow_poll<R>(self, threshold: Duration, report: R) -> Batch<Watched<I, R>, D, P>
    where
        R: FnMut(usize, Duration),
    {
        let slow_polls = Arc::new(SlowPolls::new(threshold));
        let batch = self.configure(|config| config.slow_polls = Some(slow_polls));
        Batch {
            drive: Drive::new(batch.drive.into_engine().watched(report)),
        }
    }

    /// Calls `hook(input_index, done)` as each child finishes; see
    /// [`FanoutExt::on_each`](crate::FanoutExt::on_each).
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
    pub fn on_each<H>(self, hook: H) -> Batch<Hooked<I, H>, D, P>
    where
        H: FnMut(usize, Done<'_, ChildOutput<I>>),
    {
        Batch {
            drive: Drive::new(self.drive.into_engine().hooked(hook)),
        }
    }

    /// Stops taking input once `signal` resolves, and lets the running
    /// children finish; see [`FanoutExt::until`](crate::FanoutExt::until).
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
    pub fn until<S>(self, signal: S) -> Batch<Until<I, S::IntoFuture>, D, P>
    where
        S: IntoFuture,
    {
        let engine = self.drive.into_engine();
        Batch {
            drive: Drive::new(engine.map_source(|input| Until::new(input, signal.into_future()))),
        }
    }

    /// Turns a panicking child into a value in its slot; see
    /// [`FanoutExt::catch_panics`](crate::FanoutExt::catch_panics).
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
    pub fn catch_panics(mut self) -> Batch<I, D, Caught>
    where
        P: Nested,
    {
        self.drive.engine_mut().catch_panics();
        self.into_mode()
    }

    /// One `Result<T, E>` per child, for children that return
    /// `Result<T, E>`: a missed deadline becomes `Err(E::from(Elapsed))`
    /// and, when the batch [catches panics](Batch::catch_panics), a panic
    /// `Err(E::from(Panicked))`, instead of each wrapping the output once
    /// more (`Result<Result<T, E>, Elapsed>`, inside
    /// `Result<_, Panicked>`). Then `?` on an output works as on the
    /// child's own.
    ///
    /// It comes after [`with_deadline`](Batch::with_deadline),
    /// [`within`](Batch::within) and [`catch_panics`](Batch::catch_panics)
    /// (a chain that puts one of them after it does not compile, and says
    /// so); the other settings may follow it. It changes what the outputs
    /// look like, nothing of how the batch runs: every end takes the flat
    /// outputs ([`try_gather`](Batch::try_gather) excepted, which already
    /// fails with the children's own error), and [`report`](Batch::report)
    /// and [`on_each`](Batch::on_each) still tell timeouts, inputs never
    /// started and panics apart.
    ///
    /// The batch's type becomes `Batch<I, Flat, Flat>` (see
    /// [`Flat`](crate::mode::Flat)).
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use fanout::{Elapsed, Panicked};
    /// use std::time::Duration;
    ///
    /// #[derive(Debug, PartialEq)]
    /// enum FetchError {
    ///     NotFound,
    ///     TimedOut,
    ///     Crashed,
    /// }
    /// impl From<Elapsed> for FetchError {
    ///     fn from(_: Elapsed) -> Self {
    ///         FetchError::TimedOut
    ///     }
    /// }
    /// impl From<Panicked> for FetchError {
    ///     fn from(_: Panicked) -> Self {
    ///         FetchError::Crashed
    ///     }
    /// }
    ///
    /// async fn fetch(i: u32) -> Result<u32, FetchError> {
    ///     match i {
    ///         1 => Err(FetchError::NotFound),
    ///         2 => futures::future::pending().await,
    ///         3 => panic!("the parser broke"),
    ///         _ => Ok(i * 10),
    ///     }
    /// }
    ///
    /// # futures::executor::block_on(async {
    /// let out: Vec<Result<u32, FetchError>> = (0..5)
    ///     .map(fetch)
    ///     .bounded(2)
    ///     .with_deadline(Duration::from_millis(20))
    ///     .catch_panics()
    ///     .flatten_errors()
    ///     .gather()
    ///     .await;
    /// use FetchError::*;
    /// assert_eq!(out, [Ok(0), Err(NotFound), Err(TimedOut), Err(Crashed), Ok(40)]);
    /// # });
    /// ```
    pub fn flatten_errors(self) -> Batch<I, Flat, Flat>
    where
        ChildOutput<I>: Fallible,
        D: Nested + FailWith<<ChildOutput<I> as Fallible>::Err>,
        P: Nested + PanicWith<<ChildOutput<I> as Fallible>::Err>,
    {
        self.configure(|config| config.flatten = Flatten::for_modes::<D, P>())
            .into_mode()
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
    pub fn gather(self) -> Gather<I, D, P>
    where
        D: Deadlines,
        P: Panics,
    {
        Gather::new(self.drive)
    }

    /// Every success in input order, or the first failure; see
    /// [`FanoutExt::try_gather`](crate::FanoutExt::try_gather).
    ///
    /// # Errors
    ///
    /// Resolves to the first `Err` a child returns (first in time), or,
    /// under a deadline, to `E::from(elapsed)` for the first child to miss
    /// it.
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let out = (1..=3).map(|i| async move { Ok::<_, String>(i) }).bounded(2).try_gather().await;
    /// assert_eq!(out, Ok(vec![1, 2, 3]));
    /// # });
    /// ```
    pub fn try_gather(self) -> TryGather<I, D>
    where
        ChildOutput<I>: Fallible,
        D: FailWith<<ChildOutput<I> as Fallible>::Err>,
        P: FailFast,
    {
        TryGather::new(self.drive.into_mode())
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
    pub fn as_completed(self) -> AsCompleted<I, D, P> {
        AsCompleted::new(self.drive)
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
    pub fn in_order(self) -> InOrder<I, D, P>
    where
        D: Deadlines,
        P: Panics,
    {
        InOrder::new(self.drive)
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
    pub fn report(self) -> Reporting<I, D, P>
    where
        ChildOutput<I>: Fallible,
    {
        Reporting::new(self.drive)
    }
}

/// The ends that take the consumer's own async body: see
/// [`for_each`](Batch::for_each).
impl<I, D, P> Batch<I, D, P>
where
    I: Input,
    D: Deadlines,
    P: Panics,
{
    /// Runs `body` on each `(input index, output)` in completion order, one
    /// body at a time, while the children keep running: the cure for a
    /// consumer that awaits between items.
    ///
    /// In `while let Some(item) = stream.next().await { write(item).await }`
    /// no child is polled while `write` awaits (nothing polls the stream),
    /// but their deadlines run on: children time out for work that never
    /// got to run. `for_each` polls the body and the children in the same
    /// poll. It is `StreamExt::for_each` on
    /// [`as_completed`](Batch::as_completed) in every other way: one body
    /// at a time, items in completion order, done when the batch is done
    /// and the last body has finished.
    ///
    /// Outputs that finish while the body is busy wait in the future. They
    /// count against the batch's limit: while the waiting outputs and the
    /// running children fill it, no input is admitted (the running children
    /// keep running), so at most that many outputs wait, and no child is
    /// admitted only to wait past its deadline for a slow consumer.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use futures_timer::Delay;
    /// use std::sync::Mutex;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let written = Mutex::new(Vec::new());
    /// (0..6u64)
    ///     .map(|i| async move {
    ///         Delay::new(Duration::from_millis(5 * i)).await;
    ///         i
    ///     })
    ///     .bounded(3)
    ///     .with_deadline(Duration::from_secs(5))
    ///     .for_each(|(_, output)| {
    ///         let written = &written;
    ///         async move {
    ///             Delay::new(Duration::from_millis(2)).await; // a slow write
    ///             written.lock().unwrap().push(output.unwrap());
    ///         }
    ///     })
    ///     .await;
    /// assert_eq!(written.into_inner().unwrap().len(), 6);
    /// # });
    /// ```
    ///
    /// A body that needs `&mut` state across its await (a writer whose
    /// `write` is an `async fn(&mut self, ..)`) cannot borrow it from the
    /// closure: each body is a future of its own, and the closure makes the
    /// next one while it runs. [`fold`](Batch::fold) hands the state to
    /// each body and takes it back when it ends:
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// struct Writer(Vec<u32>);
    /// impl Writer {
    ///     async fn write(&mut self, line: u32) {
    ///         futures_timer::Delay::new(std::time::Duration::from_millis(1)).await;
    ///         self.0.push(line);
    ///     }
    /// }
    ///
    /// # futures::executor::block_on(async {
    /// let writer = (1..=4u32)
    ///     .map(|i| async move { i * 10 })
    ///     .bounded(2)
    ///     .in_order()
    ///     .fold(Writer(Vec::new()), |mut writer, line| async move {
    ///         writer.write(line).await;
    ///         writer
    ///     })
    ///     .await;
    /// assert_eq!(writer.0, [10, 20, 30, 40]);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the running body, every child in flight
    /// (their permits returned) and the outputs waiting; inputs not yet
    /// admitted are never created.
    ///
    /// # Panics
    ///
    /// A panic in the body or in a child goes on out of `poll`; a child's
    /// after its siblings are dropped (unless the batch catches panics).
    pub fn for_each<F, Fut>(self, body: F) -> ForEach<AsCompleted<I, D, P>, F, Fut>
    where
        F: FnMut((usize, Output<I, D, P>)) -> Fut,
        Fut: Future<Output = ()>,
    {
        ForEach::new(AsCompleted::new(self.drive), body)
    }

    /// As [`for_each`](Batch::for_each), stopping at the first `Err` a body
    /// returns.
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let stopped = (0..10)
    ///     .map(|i| async move { i })
    ///     .bounded(2)
    ///     .try_for_each(|(_, i)| async move { if i == 3 { Err(i) } else { Ok(()) } })
    ///     .await;
    /// assert_eq!(stopped, Err(3));
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// The first `Err` a body returns: every child in flight is dropped (its
    /// permit returned) before it is handed out, and no further input is
    /// pulled.
    ///
    /// # Cancel safety
    ///
    /// As for [`for_each`](Batch::for_each).
    ///
    /// # Panics
    ///
    /// As for [`for_each`](Batch::for_each).
    pub fn try_for_each<F, Fut, E>(self, body: F) -> TryForEach<AsCompleted<I, D, P>, F, Fut>
    where
        F: FnMut((usize, Output<I, D, P>)) -> Fut,
        Fut: Future<Output = Result<(), E>>,
    {
        TryForEach::new(AsCompleted::new(self.drive), body)
    }

    /// As [`for_each`](Batch::for_each), folding the outputs into an
    /// accumulator: `body(accumulator, item)` returns the next one.
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let sum = (1..=4)
    ///     .map(|i| async move { i })
    ///     .bounded(2)
    ///     .fold(0, |sum, (_, i)| async move { sum + i })
    ///     .await;
    /// assert_eq!(sum, 10);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`for_each`](Batch::for_each); the accumulator is dropped too.
    ///
    /// # Panics
    ///
    /// As for [`for_each`](Batch::for_each).
    pub fn fold<T, F, Fut>(self, init: T, body: F) -> Fold<AsCompleted<I, D, P>, F, Fut, T>
    where
        F: FnMut(T, (usize, Output<I, D, P>)) -> Fut,
        Fut: Future<Output = T>,
    {
        Fold::new(AsCompleted::new(self.drive), init, body)
    }

    /// Sends each `(input index, output)` into `sink`, in completion order,
    /// driving the sink beside the children, and closes it at the end: as
    /// `StreamExt::forward`, but the children keep running while the sink
    /// is not ready or flushes.
    ///
    /// Outputs wait for a busy sink as they wait for a busy body (see
    /// [`for_each`](Batch::for_each)): at most the batch's limit of them.
    /// The sink is flushed whenever the children have nothing more for it
    /// yet, and closed once every output is in.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let (sink, received) = futures::channel::mpsc::unbounded();
    /// (0..4).map(|i| async move { i * 10 }).bounded(2).forward(sink).await.unwrap();
    /// let mut received: Vec<_> = received.map(|(_, output)| output).collect().await;
    /// received.sort();
    /// assert_eq!(received, [0, 10, 20, 30]);
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// The sink's first error: every child in flight is dropped (its permit
    /// returned) before it is handed out.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the sink, every child in flight (their
    /// permits returned) and the outputs waiting; the sink is not closed.
    ///
    /// # Panics
    ///
    /// A panic in the sink or in a child goes on out of `poll`; a child's
    /// after its siblings are dropped (unless the batch catches panics).
    pub fn forward<S>(self, sink: S) -> Forward<AsCompleted<I, D, P>, S>
    where
        S: Sink<(usize, Output<I, D, P>)>,
    {
        Forward::new(AsCompleted::new(self.drive), sink)
    }
}

/// `.await` on a batch gathers it: every output, in input order, as
/// [`gather`](Batch::gather).
///
/// ```
/// use fanout::prelude::*;
///
/// # futures::executor::block_on(async {
/// let out = (1..=3).map(|i| async move { i * 2 }).bounded(2).await;
/// assert_eq!(out, [2, 4, 6]);
/// # });
/// ```
impl<I: Input, D: Deadlines, P: Panics> IntoFuture for Batch<I, D, P> {
    type Output = Vec<Output<I, D, P>>;
    type IntoFuture = Gather<I, D, P>;

    fn into_future(self) -> Gather<I, D, P> {
        self.gather()
    }
}

/// `Bounded { .. }` or `Deadline { .. }` with the settings and counts,
/// inside `CatchPanics { batch: .. }` when the batch catches panics.
impl<I: Input, D: Deadlines, P: Panics> fmt::Debug for Batch<I, D, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.drive.fmt(f)
    }
}
