//! The extension trait that starts every chain.

use crate::batch::Batch;
use crate::done::Done;
use crate::end::as_completed::AsCompleted;
use crate::end::feed::Feed;
use crate::end::for_each::{Fold, ForEach, TryForEach};
use crate::end::forward::Forward;
use crate::end::gather::Gather;
use crate::end::in_order::InOrder;
use crate::end::report::Reporting;
use crate::end::try_gather::TryGather;
use crate::engine::ChildOutput;
use crate::input::{Ended, Hooked, Input, IntoInput, Iterated, Streamed, Until, Watched};
use crate::limits::{SharedLimit, SharedRate};
use crate::mode::{Caught, Deadlines, FailWith, Fallible, Panics, Timed, Untimed};
use crate::sealed::TOKEN;
use core::future::{Future, IntoFuture};
use futures::Stream;
use std::time::Duration;

/// The input of a chain over `S`.
type InputOf<S, M> = <S as IntoInput<M>>::Input;

/// What each child of a chain over `S` resolves to.
type OutputOf<S, M> = ChildOutput<<S as IntoInput<M>>::Input>;

/// Runs a collection of futures concurrently inside the current task.
///
/// Implemented for every [`IntoIterator`] of futures (a `Vec`, an array, or
/// a lazy `.map(..)` that builds each future only when it is admitted) and
/// for every [`Stream`](futures::Stream) of futures (a channel of jobs
/// mapped to futures, a paginated listing, rows from a cursor): the same
/// chain, the same methods. `Marker` only tells the two apart; you never
/// name it. Bring the trait into scope with `use fanout::prelude::*;`.
///
/// Only an iterator or a stream of futures can call the methods (each asks
/// `Self: IntoInput<Marker>`), but every iterator has them, and so does
/// every end of a chain ([`Ended`](crate::input::Ended)): an iterator of
/// values, or a setting written after the end, is then told what to do by
/// the compiler's error instead of getting a list of unsatisfied bounds.
/// A type that is both an iterator of futures and a stream of their outputs
/// (a `FuturesUnordered`) starts a chain as the iterator.
///
/// A chain configures the batch, in any order: [`bounded`](FanoutExt::bounded)
/// or [`bounded_by`](FanoutExt::bounded_by), [`with_deadline`](FanoutExt::with_deadline),
/// [`within`](FanoutExt::within), [`rate`](FanoutExt::rate),
/// [`on_slow_poll`](FanoutExt::on_slow_poll), [`on_each`](FanoutExt::on_each),
/// [`until`](FanoutExt::until), [`catch_panics`](FanoutExt::catch_panics);
/// a setting given twice keeps the last (see [`Batch`](crate::Batch)).
/// It ends with one of [`gather`](FanoutExt::gather),
/// [`try_gather`](FanoutExt::try_gather), [`as_completed`](FanoutExt::as_completed),
/// [`in_order`](FanoutExt::in_order) or [`report`](FanoutExt::report) (on
/// a configured batch, these are [`Batch`](crate::Batch)'s methods).
/// Nothing is spawned: every child is polled by the task that awaits the
/// chain, so any executor works, including
/// [`futures::executor::block_on`](https://docs.rs/futures/0.3/futures/executor/fn.block_on.html).
///
/// # Stream inputs
///
/// A stream obeys every rule an iterator does. It is polled only when the
/// batch could admit what it yields: a slot is free (a permit is held), the
/// rate allows a start, the stop signal has not resolved. While it is
/// pending, the children already running go on, and its wake-up (a message
/// arriving on an idle channel) admits the item at once. A child's index is
/// its place in the stream, and its deadline clock starts at its admission.
/// No item is ever pulled before its permit: under a shared
/// [`Limiter`](crate::Limiter), a batch takes a permit, then polls its stream, and if the
/// stream is pending hands the permit straight on (to the next batch
/// waiting) rather than holding it while it waits. Dropping the chain drops
/// the stream. [`gather`](FanoutExt::gather),
/// [`try_gather`](FanoutExt::try_gather) and [`report`](FanoutExt::report)
/// need the stream to end (or [`until`](FanoutExt::until), or
/// [`within`](FanoutExt::within)); [`as_completed`](FanoutExt::as_completed)
/// and [`in_order`](FanoutExt::in_order) run over an endless one in memory
/// bounded by the limit.
///
/// ```
/// use fanout::prelude::*;
/// use futures::StreamExt;
/// use futures::channel::mpsc;
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let (jobs, job_rx) = mpsc::unbounded::<u32>();
/// for job in 1..=3 {
///     jobs.unbounded_send(job).unwrap();
/// }
/// drop(jobs); // the batch ends when the channel does
/// let results = job_rx
///     .map(|job| async move { job * 10 })
///     .bounded(5)
///     .with_deadline(Duration::from_secs(1))
///     .gather()
///     .await;
/// assert_eq!(results, [Ok(10), Ok(20), Ok(30)]);
/// # });
/// ```
pub trait FanoutExt<Marker>: Sized {
    /// Runs every child at once and collects their outputs in input order,
    /// like Python's `asyncio.gather`.
    ///
    /// Outputs are values: a child returning a `Result` comes back as its
    /// `Result`, and one failure does not disturb the others (asyncio's
    /// `return_exceptions=True`).
    ///
    /// An empty input resolves at once to an empty `Vec`.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let calls = (0..4).map(|i| async move {
    ///     if i == 2 { Err(format!("call {i} failed")) } else { Ok(i * 10) }
    /// });
    /// let out = calls.gather().await;
    /// assert_eq!(out, [Ok(0), Ok(10), Err("call 2 failed".to_string()), Ok(30)]);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops every child in flight and the outputs
    /// collected so far. Inputs not yet admitted are never created.
    ///
    /// # Panics
    ///
    /// A panic in a child propagates out of the `poll` of the returned
    /// future, after every other child has been dropped (unless the batch
    /// [catches panics](FanoutExt::catch_panics)). A panic in a child's
    /// destructor counts as a panic of that child. If the batch itself is
    /// dropped while a child's destructor panics, every other child is still
    /// dropped and every permit returned before that panic goes on. A panic
    /// ends the batch: polling the future again after catching it panics
    /// with a message rather than resolving to a `Vec` with outputs missing.
    fn gather(self) -> Gather<InputOf<Self, Marker>>
    where
        Self: IntoInput<Marker>,
    {
        unbounded(self).gather()
    }

    /// Runs every child at once and collects their successes in input order,
    /// or stops at the first failure, like Python's `asyncio.TaskGroup` or
    /// Go's `errgroup`.
    ///
    /// For children returning `Result<T, E>`: resolves to `Ok(Vec<T>)` when
    /// all succeed, or to the first `Err` to happen (first in time, not in
    /// input order). At that failure every live child is dropped at once,
    /// before the error is returned, and no further input is pulled.
    ///
    /// With [`with_deadline`](FanoutExt::with_deadline) or
    /// [`within`](FanoutExt::within), a missed deadline fails the batch too:
    /// `E` must implement `From<Elapsed>`, so your own error type comes back
    /// and `?` works.
    ///
    /// # Errors
    ///
    /// The first child to return `Err(e)` (first in time) makes it resolve
    /// to `Err(e)`; under a deadline, the first child to miss it makes it
    /// resolve to `Err(E::from(elapsed))`.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use futures_timer::Delay;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let calls = (0..10).map(|i| async move {
    ///     Delay::new(Duration::from_millis(if i == 7 { 10 } else { 5_000 })).await;
    ///     if i == 7 { Err(format!("call {i} failed")) } else { Ok(i) }
    /// });
    /// // Returns after about 10 ms: the other nine calls are dropped.
    /// assert_eq!(calls.try_gather().await, Err("call 7 failed".to_string()));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops every child in flight and the outputs
    /// collected so far. Inputs not yet admitted are never created.
    ///
    /// # Panics
    ///
    /// A panic in a child propagates out of the `poll` of the returned
    /// future, after every other child has been dropped.
    fn try_gather(self) -> TryGather<InputOf<Self, Marker>>
    where
        Self: IntoInput<Marker>,
        OutputOf<Self, Marker>: Fallible,
    {
        unbounded(self).try_gather()
    }

    /// Yields `(input index, output)` as each child finishes, like Python's
    /// `asyncio.as_completed`.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use futures::StreamExt;
    /// use futures_timer::Delay;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let waits = [300, 10, 100].map(|ms| async move {
    ///     Delay::new(Duration::from_millis(ms)).await;
    ///     ms
    /// });
    /// let order: Vec<_> = waits.as_completed().collect().await;
    /// assert_eq!(order, [(1, 10), (2, 100), (0, 300)]);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the stream drops every child in flight and returns their
    /// permits; inputs not yet admitted are never created. Dropping a
    /// `next()` future loses nothing: an output is taken from the batch only
    /// when it is returned.
    ///
    /// **Consumer awaits? Use [`for_each`](crate::end::AsCompleted::for_each).**
    /// The children run only while the stream is polled: in
    /// `while let Some(item) = stream.next().await { write(item).await }`
    /// every child in flight waits while `write` awaits, and deadlines keep
    /// running, so children time out for work that never got a chance to
    /// run. `stream.for_each(|item| write(item)).await` (found before
    /// `StreamExt::for_each`), [`try_for_each`](crate::end::AsCompleted::try_for_each)
    /// and [`fold`](crate::end::AsCompleted::fold) poll the body beside the
    /// children, so they keep running; a plain loop is fine when its body
    /// does not await. A loop body that waits on a [`Limiter`](crate::Limiter) the batch is
    /// bounded by is a futurelock (see [`Limiter`](crate::Limiter)'s docs).
    ///
    /// # Panics
    ///
    /// A panic in a child propagates out of `poll_next`, after every other
    /// child has been dropped, and ends the stream: polled again, it yields
    /// `None`. A panic met while refilling a slot after an output was
    /// chosen (a child panicking on its first poll, or the input iterator)
    /// drops the other children at once and goes on at the next poll, after
    /// that output has been handed on; if the stream is dropped first, it
    /// goes on from the drop.
    // Named after asyncio's `as_completed`, which users look for.
    #[allow(clippy::wrong_self_convention)]
    fn as_completed(self) -> AsCompleted<InputOf<Self, Marker>>
    where
        Self: IntoInput<Marker>,
    {
        unbounded(self).as_completed()
    }

    /// Yields every output in input order, each as soon as it and every
    /// earlier one are done: futures' `buffered`, without its stall.
    ///
    /// While an early child is slow, the batch keeps its limit's worth of
    /// children running on the inputs after it and holds their outputs,
    /// instead of waiting with only the slow one in flight. Those outputs
    /// wait in a bounded window (2n places past the first output not yet
    /// handed out, for a limit of n; see [`InOrder`]), so memory stays
    /// O(n) even over an endless input whose first child never finishes:
    /// when the window is full, admission waits for that first child.
    ///
    /// Use it when the order matters and the input may be long or endless
    /// (a log to replay, pages to write out in order); for a whole batch
    /// at once, [`gather`](FanoutExt::gather) gives the same order as a
    /// `Vec`.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use futures::StreamExt;
    /// use futures_timer::Delay;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let pages = (0..6).map(|i| async move {
    ///     // Page 0 is slow; the others come back at once.
    ///     Delay::new(Duration::from_millis(if i == 0 { 50 } else { 1 })).await;
    ///     format!("page {i}")
    /// });
    /// let mut in_order = pages.bounded(2).in_order();
    /// let mut seen = Vec::new();
    /// while let Some(page) = in_order.next().await {
    ///     seen.push(page);
    /// }
    /// assert_eq!(seen, ["page 0", "page 1", "page 2", "page 3", "page 4", "page 5"]);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`as_completed`](FanoutExt::as_completed), and the same trap:
    /// **the children run only while the stream is polled.** A loop body
    /// that awaits something else between two items stops every child in
    /// flight, while their deadlines keep running. **Consumer awaits? Use
    /// [`for_each`](InOrder::for_each)** (or
    /// [`try_for_each`](InOrder::try_for_each), [`fold`](InOrder::fold),
    /// [`forward`](InOrder::forward)), found before `StreamExt`'s: the body
    /// gets the outputs in input order and the children keep running while
    /// it awaits. A slot freed by a finished child is refilled at once,
    /// before the output is handed on, so the batch stays full while you
    /// hold an item.
    ///
    /// # Panics
    ///
    /// As for [`as_completed`](FanoutExt::as_completed): a child's panic
    /// propagates out of `poll_next` after its siblings are dropped, and
    /// the stream ends.
    fn in_order(self) -> InOrder<InputOf<Self, Marker>>
    where
        Self: IntoInput<Marker>,
    {
        unbounded(self).in_order()
    }

    /// Runs every child and sorts the outcomes into a
    /// [`Report`](crate::Report): successes, failures, deadline misses and
    /// panics, each with its input index, and a one-line summary.
    ///
    /// For children returning `Result<T, E>`.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let calls = (0..5).map(|i| async move { if i % 2 == 1 { Err(i) } else { Ok(i) } });
    /// let report = calls.report().await;
    /// assert_eq!(report.to_string(), "3 ok, 2 failed, 0 timed out");
    /// assert_eq!(report.failed, [(1, 1), (3, 3)]);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`gather`](FanoutExt::gather).
    ///
    /// # Panics
    ///
    /// A panic in a child propagates, after every other child has been
    /// dropped, unless the batch [catches panics](FanoutExt::catch_panics).
    fn report(self) -> Reporting<InputOf<Self, Marker>>
    where
        Self: IntoInput<Marker>,
        OutputOf<Self, Marker>: Fallible,
    {
        unbounded(self).report()
    }

    /// Lets at most `limit` children run at once, like an `asyncio.Semaphore`
    /// taken inside every task.
    ///
    /// Admission is lazy and in input order: the input iterator is pulled
    /// only when a slot is free, so at most `limit` children exist at any
    /// moment however long the input is, and a finished child's slot goes to
    /// the next input at once. Each child in flight holds a slot of the
    /// batch's own, returned the moment it finishes, times out or is
    /// dropped.
    ///
    /// The result is a [`Batch`]: set more, then end the chain with
    /// [`gather`](Batch::gather) (or `.await` it) for the outputs in input
    /// order, or [`as_completed`](Batch::as_completed) for a stream of them
    /// in completion order.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// // A million inputs, but never more than 100 futures alive.
    /// let out = (0..1_000_000u32).map(|i| async move { i % 7 }).bounded(100).gather().await;
    /// assert_eq!(out.len(), 1_000_000);
    /// assert_eq!(out[8], 1);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the batch drops every child in flight and returns their
    /// permits; inputs not yet admitted are never created.
    ///
    /// # Panics
    ///
    /// Panics at the call if `limit` is 0: such a batch could never admit a
    /// child and would hang.
    ///
    /// ```should_panic
    /// use fanout::prelude::*;
    ///
    /// let _ = [async { 1 }].bounded(0); // panics: the limit must be at least 1
    /// ```
    #[track_caller]
    fn bounded(self, limit: usize) -> Batch<InputOf<Self, Marker>>
    where
        Self: IntoInput<Marker>,
    {
        unbounded(self).bounded(limit)
    }

    /// Lets the children run only under `limiter`, a cap shared with every
    /// other batch bounded by it (per host, per API key, per database).
    ///
    /// Same as [`bounded`](FanoutExt::bounded) in every other way: lazy
    /// admission in input order, permits returned as children finish. An
    /// input is created only once its permit is held, so however many
    /// batches share a limiter of n, at most n children exist between them;
    /// a batch whose input is known to be exhausted (an exact `size_hint`
    /// of 0) never queues. Batches under one limiter take turns: see
    /// [`Limiter`](crate::Limiter).
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use fanout::Limiter;
    ///
    /// # futures::executor::block_on(async {
    /// let database = Limiter::new(4);
    /// let reads = (0..10).map(|i| async move { i }).bounded_by(&database).gather();
    /// let writes = (0..10).map(|i| async move { -i }).bounded_by(&database).gather();
    /// let (reads, writes) = futures::join!(reads, writes);
    /// assert_eq!((reads.len(), writes.len()), (10, 10));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the batch drops every child in flight and returns their
    /// permits to the limiter; a batch dropped while waiting for a permit
    /// leaves the queue, and a permit already handed to it goes to the next
    /// batch in line.
    ///
    /// # Panics
    ///
    /// Never panics; [`Limiter::new`](crate::Limiter::new) refuses a capacity of 0.
    ///
    /// # Futurelock
    ///
    /// A child must not wait on the same limiter (for example by awaiting
    /// another batch bounded by it): it would hold a permit while waiting
    /// for one, and once all permits are held that way nothing moves.
    ///
    /// # Adaptive
    ///
    /// Given an [`AdaptiveLimit`](crate::AdaptiveLimit) instead, the cap
    /// follows how the service copes; tell it which outputs mean overload
    /// with [`overloaded_when`](FanoutExt::overloaded_when).
    fn bounded_by(self, limit: &impl SharedLimit) -> Batch<InputOf<Self, Marker>>
    where
        Self: IntoInput<Marker>,
    {
        unbounded(self).bounded_by(limit)
    }

    /// Gives every child `deadline` to finish, like `asyncio.timeout` inside
    /// each task; a child that misses it is dropped at once and its output is
    /// `Err(Elapsed)`.
    ///
    /// The clock starts when the child is admitted (pulled from the input and
    /// first polled), not when the batch is built: with
    /// `.bounded(5).with_deadline(d)`, a child waiting for a slot is not
    /// using up its time. `.bounded(n).with_deadline(d)` and
    /// `.with_deadline(d).bounded(n)` mean the same.
    ///
    /// A child is always polled before its deadline is checked: if its
    /// output and its deadline are ready at the same poll, the output wins.
    /// A slot freed by a timed-out child goes to the next input at once.
    ///
    /// A zero deadline lets each child run its first poll only: those not
    /// ready then time out. A deadline too far away to represent (such as
    /// [`Duration::MAX`]) never passes.
    ///
    /// Each child gets its first poll the moment it is admitted; a child
    /// that finishes there never touches the clock or the timer. For the
    /// children still pending, the clock is read once per pass rather than
    /// once per child: once per admission call for the streams
    /// ([`as_completed`](FanoutExt::as_completed), [`in_order`](FanoutExt::in_order),
    /// polling the batch yourself), once per poll of
    /// [`gather`](FanoutExt::gather), [`try_gather`](FanoutExt::try_gather)
    /// or [`report`](FanoutExt::report), in each case after the pass's
    /// first polls. The precision rule: a child never gets less than its
    /// full deadline from its admission, and gets more only by the time the
    /// rest of its pass took (its siblings' creation and polls), which it
    /// could not have used: the task was busy. One timer serves the whole
    /// batch, whatever its size; a child that finishes before its deadline
    /// costs no timer work.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use fanout::Elapsed;
    /// use futures_timer::Delay;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let waits = [10, 5_000, 10].map(|ms| async move {
    ///     Delay::new(Duration::from_millis(ms)).await;
    ///     ms
    /// });
    /// let out = waits.with_deadline(Duration::from_millis(500)).gather().await;
    /// assert_eq!(out, [Ok(10), Err(Elapsed::Child), Ok(10)]);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`bounded`](FanoutExt::bounded): dropping the batch drops
    /// every child in flight, timed or not.
    ///
    /// # Panics
    ///
    /// Never panics; see above for zero and very large deadlines.
    fn with_deadline(
        self,
        deadline: impl Into<Option<Duration>>,
    ) -> Batch<InputOf<Self, Marker>, Timed>
    where
        Self: IntoInput<Marker>,
    {
        unbounded(self).with_deadline(deadline)
    }

    /// Gives the whole batch `deadline` to finish, like `asyncio.timeout`
    /// around `gather`.
    ///
    /// The clock starts at the batch's first poll. When it runs out, every
    /// live child is dropped at once, and with them the batch's timers (none
    /// wakes the task afterwards), no further input is pulled or created,
    /// and every unfinished input reports `Err(Elapsed::Batch)`, which tells
    /// it apart from a child's own deadline (`Elapsed::Child`). Inputs never
    /// admitted are reported when the input knows its length (an exact
    /// `size_hint`, as for a `Vec`, an array, a range or a `.map` over one);
    /// otherwise the output ends at the last admitted input.
    ///
    /// Composes with [`with_deadline`](FanoutExt::with_deadline): each child
    /// then stops at whichever deadline comes first.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use fanout::Elapsed;
    /// use futures_timer::Delay;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let waits = [10, 5_000, 5_000, 5_000].map(|ms| async move {
    ///     Delay::new(Duration::from_millis(ms)).await;
    ///     ms
    /// });
    /// let out = waits.bounded(2).within(Duration::from_millis(200)).gather().await;
    /// // Input 3 was never started: it is reported without being created
    /// // (a `report()` lists it in `not_started`, an `on_each` hook hears
    /// // `Done::NotStarted`).
    /// assert_eq!(out, [Ok(10), Err(Elapsed::Batch), Err(Elapsed::Batch), Err(Elapsed::Batch)]);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`bounded`](FanoutExt::bounded).
    ///
    /// # Panics
    ///
    /// Never panics. A zero deadline lets the first pass admit what the
    /// limit allows (every input, unbounded), gives each of those children
    /// one poll, and cuts the rest: with `.bounded(n)`, at most n inputs are
    /// ever created, even from an endless input. A deadline too far away to
    /// represent never passes.
    fn within(self, deadline: impl Into<Option<Duration>>) -> Batch<InputOf<Self, Marker>, Timed>
    where
        Self: IntoInput<Marker>,
    {
        unbounded(self).within(deadline)
    }

    /// Caps how often children start: at most `max` admissions in any window
    /// of length `per`, like aiometer's `max_per_second` or an API's rate
    /// limit. Composes with [`bounded`](FanoutExt::bounded) (a child needs a
    /// free slot and the rate's leave to start) and with deadlines, whose
    /// clocks still start at admission, so waiting for the rate costs a
    /// child none of its time.
    ///
    /// Bursts: up to `max` children start at once; after that a child may
    /// start only once the start `max` places before it is `per` old. So
    /// `.rate(10, Duration::from_secs(1))` starts 10 at once, then the next
    /// 10 one second after those, and never 11 within any one second. For
    /// evenly spaced starts, use `.rate(1, per / max)`.
    ///
    /// A start is a child's first poll. It is stamped as that poll returns,
    /// never earlier than the poll began, so no window of `per` holds more
    /// than `max` first polls; a slow first poll delays the next start by
    /// its own length at most. The batch remembers starts
    /// within the last `per` only, and starts closer together than
    /// `per / 1024` as one (the latest of them), so its memory stays small
    /// whatever `max` is; that rounding can delay a start by less than
    /// `per / 1024`, never let one in early.
    ///
    /// The rate is the batch's own. Waiting for it arranges a timer wake-up
    /// and holds no permit of a shared [`Limiter`](crate::Limiter).
    ///
    /// A `per` the call accepts, but only just (see below), can make a
    /// window that opens later end past the last instant the clock can
    /// represent. Such a window never ends: it is no error, and it lets no
    /// start in early. So at most `max` children start under such a `per`,
    /// ever; the next waits, with no timer armed, until
    /// [`within`](FanoutExt::within) or [`until`](FanoutExt::until) ends
    /// the batch, or for good without them.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::{Duration, Instant};
    ///
    /// # futures::executor::block_on(async {
    /// let start = Instant::now();
    /// // 6 calls, at most 3 starts per 100 ms: the second three wait.
    /// let out = (0..6).map(|i| async move { i }).rate(3, Duration::from_millis(100)).gather().await;
    /// assert_eq!(out, [0, 1, 2, 3, 4, 5]);
    /// assert!(start.elapsed() >= Duration::from_millis(100));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`bounded`](FanoutExt::bounded).
    ///
    /// # Panics
    ///
    /// At the call, if `max` is 0 (nothing could ever start), if `per` is
    /// zero, or if `per` is too long to add to the current time (such as
    /// [`Duration::MAX`]).
    ///
    /// ```should_panic
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// let _ = [async { 1 }].rate(0, Duration::from_secs(1)); // panics
    /// ```
    #[track_caller]
    fn rate(self, max: usize, per: Duration) -> Batch<InputOf<Self, Marker>>
    where
        Self: IntoInput<Marker>,
    {
        unbounded(self).rate(max, per)
    }

    /// Caps how often children start, together with every other batch
    /// given the same [`SharedRate`]: at most its `max` starts in any window
    /// of its `per`, across all of them. Several batches that call one API
    /// share its "100 requests per second" this way.
    ///
    /// Batches take turns when the window is full (see
    /// [`SharedRate`]'s fairness). `rate_by` replaces a batch's own
    /// [`rate`](FanoutExt::rate), and the other way round: a batch has one
    /// rate.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use fanout::SharedRate;
    /// use std::time::{Duration, Instant};
    ///
    /// # futures::executor::block_on(async {
    /// let api = SharedRate::new(3, Duration::from_millis(100));
    /// let start = Instant::now();
    /// let (a, b) = futures::join!(
    ///     (0..3).map(|i| async move { i }).rate_by(&api).gather(),
    ///     (0..3).map(|i| async move { i }).rate_by(&api).gather(),
    /// );
    /// assert_eq!((a.len(), b.len()), (3, 3));
    /// // Six starts at three per 100 ms: the second three waited a window.
    /// assert!(start.elapsed() >= Duration::from_millis(100));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`bounded_by`](FanoutExt::bounded_by): a batch dropped while
    /// in line leaves it, and a start it reserved goes to the next in line.
    ///
    /// # Panics
    ///
    /// Never panics; [`SharedRate::new`] refuses a `max` of 0 and an
    /// unmeasurable `per`.
    fn rate_by(self, rate: &SharedRate) -> Batch<InputOf<Self, Marker>>
    where
        Self: IntoInput<Marker>,
    {
        unbounded(self).rate_by(rate)
    }

    /// Tells an [`AdaptiveLimit`](crate::AdaptiveLimit) that bounds this
    /// batch which outputs mean the service is overloaded: each such output
    /// halves the limit (at most once per round trip), as a missed deadline
    /// does. `classify` sees the child's own output (before any deadline or
    /// caught panic wraps it). Without an adaptive limit it is never
    /// called.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use fanout::AdaptiveLimit;
    ///
    /// # futures::executor::block_on(async {
    /// struct Response { status: u16 }
    /// let limit = AdaptiveLimit::new(16, 2..=64);
    /// let out = [429, 200, 200]
    ///     .map(|status| async move { Response { status } })
    ///     .bounded_by(&limit)
    ///     .overloaded_when(|response| response.status == 429 || response.status == 503)
    ///     .gather()
    ///     .await;
    /// assert_eq!(out.len(), 3);
    /// assert_eq!(limit.current(), 8, "one 429 halved it");
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`bounded`](FanoutExt::bounded).
    ///
    /// # Panics
    ///
    /// Never at the call. A panic in `classify` ends the batch as a panic
    /// of the `on_each` hook does: every child is dropped first, then the
    /// panic resumes from the batch's poll.
    fn overloaded_when(
        self,
        classify: impl Fn(&OutputOf<Self, Marker>) -> bool + Send + Sync + 'static,
    ) -> Batch<InputOf<Self, Marker>>
    where
        Self: IntoInput<Marker>,
    {
        unbounded(self).overloaded_when(classify)
    }

    /// Times every poll of every child and calls `report(input_index, took)`
    /// for each poll that held the task longer than `threshold`.
    ///
    /// All the children of a batch share one task, so a child that blocks
    /// (a `std::thread::sleep`, a synchronous driver call, a long loop
    /// without an `.await`) freezes every sibling, and their deadlines pass
    /// meanwhile. This shows which child did it, and for how long. The
    /// remedies: make the work async, move blocking calls off the task
    /// (`blocking::unblock`, or the runtime's `spawn_blocking`), or send
    /// heavy computation to a thread pool.
    ///
    /// `report` runs inside the task, at the end of the batch's poll that
    /// ran the slow poll (a poll that refilled a slot after an output was
    /// handed on is reported at the next one), in the order the slow polls
    /// happened; keep it short. It costs two clock reads per child poll;
    /// batches without it pay nothing.
    ///
    /// Like an [`on_each`](FanoutExt::on_each) hook, the report is held by
    /// the batch and may borrow from the caller, and the batch is `Send`
    /// when it is; its type becomes part of the batch's (the input is
    /// wrapped in a [`Watched`](crate::input::Watched)). A second
    /// `on_slow_poll` replaces the first.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let mut slow = Vec::new();
    /// let children = (0..3).map(|i| async move {
    ///     if i == 1 {
    ///         std::thread::sleep(Duration::from_millis(50)); // blocks the task
    ///     }
    ///     i
    /// });
    /// let out = children
    ///     .on_slow_poll(Duration::from_millis(10), |index, took| slow.push((index, took)))
    ///     .gather()
    ///     .await;
    /// assert_eq!(out, [0, 1, 2]);
    /// assert_eq!(slow.len(), 1);
    /// assert_eq!(slow[0].0, 1);
    /// assert!(slow[0].1 >= Duration::from_millis(50));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`bounded`](FanoutExt::bounded). A slow poll the batch has
    /// not reported yet when it is dropped (one in the refill after the
    /// last output taken) goes unreported.
    ///
    /// # Panics
    ///
    /// Never panics itself. A panic in `report` ends the batch as a panic
    /// of the `on_each` hook does: every child is dropped first, then the
    /// panic resumes from the batch's poll.
    fn on_slow_poll<R>(
        self,
        threshold: Duration,
        report: R,
    ) -> Batch<Watched<InputOf<Self, Marker>, R>>
    where
        Self: IntoInput<Marker>,
        R: FnMut(usize, Duration),
    {
        unbounded(self).on_slow_poll(threshold, report)
    }

    /// Calls `hook(input_index, done)` as each child finishes, before its
    /// output is handed on: to drive a progress bar, count outcomes, or log,
    /// while the batch runs.
    ///
    /// Like `StreamExt::inspect`, but it sees every child whatever ends the
    /// chain (`gather`, `try_gather`, `as_completed`, `report`), including
    /// children that timed out ([`Done::TimedOut`](crate::Done::TimedOut)),
    /// inputs a batch deadline stopped, and caught panics. It runs inside
    /// the task that awaits the batch; keep it short.
    ///
    /// The hook may borrow what the children may: it runs only inside the
    /// batch, which holds it, so a counter on the stack needs no `Arc` and
    /// no `move`. The batch is `Send` when the hook is (and `Sync` then too),
    /// so a hook that holds an `Rc` or a `&Cell` is fine on a single-thread
    /// executor and refused only where the batch must move between threads.
    /// The hook's type is part of the batch's: `on_each` wraps the input in
    /// a [`Hooked`](crate::input::Hooked), as [`until`](FanoutExt::until)
    /// wraps it in an [`Until`] and [`on_slow_poll`](FanoutExt::on_slow_poll)
    /// in a [`Watched`](crate::input::Watched), in the order written. A
    /// second `on_each` replaces the first.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use fanout::Done;
    ///
    /// # futures::executor::block_on(async {
    /// let mut failed = 0;
    /// let calls = (0..5).map(|i| async move { if i % 2 == 0 { Ok(i) } else { Err(i) } });
    /// let out = calls
    ///     .bounded(2)
    ///     .on_each(|_index, done| {
    ///         if let Done::Output(Err(_)) = done {
    ///             failed += 1;
    ///         }
    ///     })
    ///     .gather()
    ///     .await;
    /// assert_eq!(out.len(), 5);
    /// assert_eq!(failed, 2);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`bounded`](FanoutExt::bounded). A child dropped with the
    /// batch never finished, so the hook does not hear of it; a child that
    /// finished does, even if its output is never taken (a stream dropped
    /// after an earlier item: the child that refilled its slot may have
    /// finished on its first poll, its output held for the next item).
    ///
    /// # Panics
    ///
    /// A panic in `hook` propagates out of the batch's `poll`.
    fn on_each<H>(self, hook: H) -> Batch<Hooked<InputOf<Self, Marker>, H>>
    where
        Self: IntoInput<Marker>,
        H: FnMut(usize, Done<'_, OutputOf<Self, Marker>>),
    {
        unbounded(self).on_each(hook)
    }

    /// Stops taking input once `signal` resolves, and lets the children
    /// already running finish: a graceful stop (a shutdown channel, a
    /// cancellation token, Ctrl-C).
    ///
    /// `signal` is any future (or [`IntoFuture`]), whatever it resolves to:
    /// a `oneshot` receiver (whose sender is sent to or dropped), an event
    /// listener, a timer. When it resolves, the batch admits nothing more
    /// and never polls its input again (the input is dropped); the running
    /// children go on, under their deadlines if they have any, and the
    /// chain ends with what was done:
    ///
    /// - [`gather`](FanoutExt::gather) returns the outputs of the inputs
    ///   admitted before the signal, in input order: a prefix of the input.
    /// - [`report`](FanoutExt::report) covers exactly those inputs.
    /// - [`as_completed`](FanoutExt::as_completed) and
    ///   [`in_order`](FanoutExt::in_order) end after the last running child.
    /// - [`try_gather`](FanoutExt::try_gather) returns the successes of
    ///   those inputs, unless one of them failed.
    ///
    /// The signal is polled each time the batch is about to admit a child,
    /// before a permit is taken, and it wakes the batch when it resolves:
    /// a stopped batch waits for no permit. A signal already resolved at
    /// the first poll admits nothing. [`within`](FanoutExt::within) stays
    /// the hard cut: it drops the running children too. Given twice, the
    /// last signal wins (the earlier one is never polled again).
    ///
    /// Adding work while the batch runs needs no other API: make the input
    /// a channel's receiver (see [`FanoutExt`]'s implementors for
    /// [`Stream`](futures::Stream)s), and feed it.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use futures::channel::oneshot;
    /// use futures_timer::Delay;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let (stop, stopped) = oneshot::channel::<()>();
    /// let mut stop = Some(stop);
    /// let jobs = (0..1_000).map(|i| async move {
    ///     Delay::new(Duration::from_millis(5)).await;
    ///     i
    /// });
    /// let done = jobs
    ///     .bounded(4)
    ///     .on_each(move |index, _| {
    ///         if index == 9 {
    ///             // Time to stop: say, a shutdown was requested.
    ///             stop.take().map(|stop| stop.send(()));
    ///         }
    ///     })
    ///     .until(stopped)
    ///     .gather()
    ///     .await;
    /// // A prefix of the input: what had been admitted when input 9
    /// // finished (9 and the three beside it, give or take the order in
    /// // which they finished), and nothing after.
    /// assert!(done.len() >= 10 && done.len() < 1_000);
    /// assert_eq!(done, (0..done.len()).collect::<Vec<_>>());
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`bounded`](FanoutExt::bounded); the signal is dropped with
    /// the batch.
    ///
    /// # Panics
    ///
    /// Never at the call. A panic in the signal's `poll` propagates out of
    /// the end's, as one in the input does.
    fn until<F>(self, signal: F) -> Batch<Until<InputOf<Self, Marker>, F::IntoFuture>>
    where
        Self: IntoInput<Marker>,
        F: IntoFuture,
    {
        unbounded(self).until(signal)
    }

    /// Turns a panicking child into a value instead of a panic: its slot
    /// holds `Err(Panicked)`, with the panic's message when it is a string,
    /// and its siblings run on undisturbed.
    ///
    /// This is what `return_exceptions=True` means for a Rust panic. Without
    /// it a child's panic drops every sibling and then continues out of the
    /// batch. It may stand anywhere in the configuration: the panic is the
    /// outermost wrapping of each output either way, so with a deadline a
    /// slot holds `Result<Result<T, Elapsed>, Panicked>`.
    ///
    /// The panicking child is dropped right away and never polled again. If
    /// it left shared state half-updated (a poisoned `Mutex`, say), that is
    /// still yours to handle.
    ///
    /// # Examples
    ///
    /// ```
    /// use fanout::prelude::*;
    ///
    /// # futures::executor::block_on(async {
    /// let children = (0..4).map(|i| async move {
    ///     assert!(i != 2, "input {i} is cursed");
    ///     i * 10
    /// });
    /// let out = children.bounded(2).catch_panics().gather().await;
    /// assert_eq!(out.iter().filter(|r| r.is_ok()).count(), 3);
    /// assert_eq!(out[2].as_ref().unwrap_err().message(), Some("input 2 is cursed"));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for the batch it wraps.
    ///
    /// # Panics
    ///
    /// Panics in a child's `poll` are caught, and so are panics in the
    /// destructor of a child that has finished or timed out (the child is
    /// reported as panicked). Still propagating: a panic in the input
    /// iterator, and one in the destructor of a child dropped because the
    /// batch was dropped or ran out of time (after its siblings are dropped).
    fn catch_panics(self) -> Batch<InputOf<Self, Marker>, Untimed, Caught>
    where
        Self: IntoInput<Marker>,
    {
        unbounded(self).catch_panics()
    }
}

// Every iterator and every stream of futures gets the methods, and only an
// input (`Self: IntoInput<Marker>`) can call them. Iterators of anything
// else, and the ends of a chain, get them too, so that a call from one
// fails on that bound, whose message says what to do, rather than with
// rustc's list of unsatisfied bounds.
impl<I> FanoutExt<Iterated> for I where I: IntoIterator {}

impl<S> FanoutExt<Streamed> for S where S: Stream<Item: Future> {}

impl<I, D, P> FanoutExt<Ended> for Gather<I, D, P>
where
    I: Input,
    D: Deadlines,
    P: Panics,
{
}

impl<I, D> FanoutExt<Ended> for TryGather<I, D>
where
    I: Input,
    ChildOutput<I>: Fallible,
    D: FailWith<<ChildOutput<I> as Fallible>::Err>,
{
}

impl<I, D, P> FanoutExt<Ended> for Reporting<I, D, P>
where
    I: Input,
    ChildOutput<I>: Fallible,
{
}

impl<I: Input, D, P> FanoutExt<Ended> for AsCompleted<I, D, P> {}

impl<I, D, P> FanoutExt<Ended> for InOrder<I, D, P>
where
    I: Input,
    D: Deadlines,
    P: Panics,
{
}

impl<E: Feed, F, Fut> FanoutExt<Ended> for ForEach<E, F, Fut> {}

impl<E: Feed, F, Fut> FanoutExt<Ended> for TryForEach<E, F, Fut> {}

impl<E: Feed, F, Fut, T> FanoutExt<Ended> for Fold<E, F, Fut, T> {}

impl<E: Feed, S> FanoutExt<Ended> for Forward<E, S> {}

/// The batch every chain starts from: no limit, no deadline.
fn unbounded<S: IntoInput<M>, M>(input: S) -> Batch<S::Input> {
    Batch::new(input.into_input(TOKEN))
}
