//! `Report`: every outcome of a batch, sorted into successes, failures,
//! deadline misses and panics.

use crate::elapsed::Elapsed;
use crate::end::budget::poll_collecting;
use crate::end::drive::Drive;
use crate::end::poison::Poison;
use crate::engine::ChildOutput;
use crate::input::Input;
use crate::mode::{Deadlines, Fallible, Panics, Uncaught, Untimed};
use crate::outcome::Outcome;
use crate::panicked::Panicked;
use core::fmt;
use core::future::Future;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use futures::future::FusedFuture;

/// Every outcome of a batch, each list sorted by input index.
///
/// Made by [`report`](crate::FanoutExt::report), or collected from
/// `(index, Outcome)` pairs. Its `Display` is a one-line summary.
///
/// # Examples
///
/// ```
/// use fanout::prelude::*;
/// use futures_timer::Delay;
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let calls = (0..6).map(|i| async move {
///     match i {
///         2 => Err(format!("call {i} refused")),
///         4 => {
///             Delay::new(Duration::from_secs(10)).await;
///             Ok(i)
///         }
///         _ => Ok(i),
///     }
/// });
/// let report = calls.bounded(3).with_deadline(Duration::from_millis(50)).report().await;
/// assert_eq!(report.to_string(), "4 ok, 1 failed, 1 timed out");
/// assert_eq!(report.ok, [(0, 0), (1, 1), (3, 3), (5, 5)]);
/// assert_eq!(report.failed, [(2, "call 2 refused".to_string())]);
/// assert_eq!(report.timed_out, [(4, fanout::Elapsed::Child)]);
/// assert!(report.panicked.is_empty());
/// # });
/// ```
///
/// Inputs that a batch deadline ([`within`](crate::FanoutExt::within))
/// stopped before they were admitted are not children that timed out: they
/// have a list of their own, [`not_started`](Report::not_started), and the
/// summary counts them apart (`2 ok, 0 failed, 1 timed out, 3 not
/// started`): a batch that ran out of time before it could start most of
/// its inputs reads differently from one whose children were slow.
///
/// ```
/// use fanout::prelude::*;
/// use futures_timer::Delay;
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let calls = (0..6).map(|i| async move {
///     if i == 2 {
///         Delay::new(Duration::from_secs(10)).await; // stuck
///     }
///     Ok::<_, String>(i)
/// });
/// let report = calls.bounded(1).within(Duration::from_millis(50)).report().await;
/// assert_eq!(report.to_string(), "2 ok, 0 failed, 1 timed out, 3 not started");
/// assert_eq!(report.timed_out, [(2, fanout::Elapsed::Batch)]);
/// assert_eq!(report.not_started, [3, 4, 5]);
/// # });
/// ```
///
/// # Growing
///
/// `#[non_exhaustive]`: a later release may sort outcomes into more lists
/// without breaking your code. Read the fields by name, and destructure
/// with `..`:
///
/// ```
/// use fanout::Report;
/// use fanout::end::Outcome;
///
/// let report: Report<u8, ()> = [(0, Outcome::Ok(1))].into_iter().collect();
/// let Report { ok, failed, .. } = report;
/// assert_eq!((ok, failed), (vec![(0, 1)], vec![]));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Report<T, E> {
    /// `(input index, value)` of each child that returned `Ok`.
    pub ok: Vec<(usize, T)>,
    /// `(input index, error)` of each child that returned `Err`.
    pub failed: Vec<(usize, E)>,
    /// `(input index, which deadline)` of each child that ran out of time
    /// while it ran.
    pub timed_out: Vec<(usize, Elapsed)>,
    /// The input index of each input that a batch deadline stopped before
    /// it was admitted: never made into a child.
    pub not_started: Vec<usize>,
    /// `(input index, panic)` of each child that panicked.
    pub panicked: Vec<(usize, Panicked)>,
}

impl<T, E> Report<T, E> {
    /// How many outcomes the report holds.
    ///
    /// ```
    /// use fanout::Report;
    /// use fanout::end::Outcome;
    /// let report: Report<u8, ()> = [(0, Outcome::Ok(1)), (1, Outcome::Failed(()))].into_iter().collect();
    /// assert_eq!(report.len(), 2);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.ok.len()
            + self.failed.len()
            + self.timed_out.len()
            + self.not_started.len()
            + self.panicked.len()
    }

    /// True when the report holds no outcome at all.
    ///
    /// ```
    /// let report: fanout::Report<u8, ()> = std::iter::empty().collect();
    /// assert!(report.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when every child returned `Ok`.
    ///
    /// ```
    /// use fanout::Report;
    /// use fanout::end::Outcome;
    /// let report: Report<u8, ()> = [(0, Outcome::Ok(1))].into_iter().collect();
    /// assert!(report.all_ok());
    /// ```
    #[must_use]
    pub fn all_ok(&self) -> bool {
        self.len() == self.ok.len()
    }

    /// The input index of every input that did not return `Ok`, in input
    /// order: those that failed, timed out, never started or panicked. The
    /// inputs to run again, say.
    ///
    /// ```
    /// use fanout::prelude::*;
    /// use futures_timer::Delay;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let ids = [10, 11, 12, 13, 14];
    /// let calls = ids.map(|id| async move {
    ///     match id {
    ///         11 => Err("refused"),
    ///         13 => {
    ///             Delay::new(Duration::from_secs(10)).await; // too slow
    ///             Ok(id)
    ///         }
    ///         _ => Ok(id),
    ///     }
    /// });
    /// let report = calls.bounded(5).with_deadline(Duration::from_millis(50)).report().await;
    /// let retry: Vec<_> = report.not_ok().into_iter().map(|i| ids[i]).collect();
    /// assert_eq!(retry, [11, 13]);
    /// # });
    /// ```
    #[must_use]
    pub fn not_ok(&self) -> Vec<usize> {
        let mut indices: Vec<usize> = self
            .failed
            .iter()
            .map(|(index, _)| *index)
            .chain(self.timed_out.iter().map(|(index, _)| *index))
            .chain(self.not_started.iter().copied())
            .chain(self.panicked.iter().map(|(index, _)| *index))
            .collect();
        indices.sort_unstable();
        indices
    }

    fn new() -> Self {
        Report {
            ok: Vec::new(),
            failed: Vec::new(),
            timed_out: Vec::new(),
            not_started: Vec::new(),
            panicked: Vec::new(),
        }
    }

    fn add(&mut self, index: usize, outcome: Outcome<T, E>) {
        match outcome {
            Outcome::Ok(value) => self.ok.push((index, value)),
            Outcome::Failed(error) => self.failed.push((index, error)),
            Outcome::TimedOut(elapsed) => self.timed_out.push((index, elapsed)),
            Outcome::NotStarted => self.not_started.push(index),
            Outcome::Panicked(panicked) => self.panicked.push((index, panicked)),
        }
    }

    fn sort(&mut self) {
        self.ok.sort_unstable_by_key(|(index, _)| *index);
        self.failed.sort_unstable_by_key(|(index, _)| *index);
        self.timed_out.sort_unstable_by_key(|(index, _)| *index);
        self.not_started.sort_unstable();
        self.panicked.sort_unstable_by_key(|(index, _)| *index);
    }
}

impl<T, E> FromIterator<(usize, Outcome<T, E>)> for Report<T, E> {
    fn from_iter<I: IntoIterator<Item = (usize, Outcome<T, E>)>>(outcomes: I) -> Self {
        let mut report = Report::new();
        for (index, outcome) in outcomes {
            report.add(index, outcome);
        }
        report.sort();
        report
    }
}

/// `3 ok, 1 failed, 1 timed out`, with `, 2 not started` when a batch
/// deadline stopped any input before it was admitted, and `, 1 panicked`
/// when any child panicked.
impl<T, E> fmt::Display for Report<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ok, {} failed, {} timed out",
            self.ok.len(),
            self.failed.len(),
            self.timed_out.len()
        )?;
        if !self.not_started.is_empty() {
            write!(f, ", {} not started", self.not_started.len())?;
        }
        if !self.panicked.is_empty() {
            write!(f, ", {} panicked", self.panicked.len())?;
        }
        Ok(())
    }
}

/// What a child of a batch over `I` returns on success.
type Success<I> = <ChildOutput<I> as Fallible>::Ok;
/// What a child of a batch over `I` returns on failure.
type Failure<I> = <ChildOutput<I> as Fallible>::Err;

/// Future for the [`report`](crate::FanoutExt::report) method.
///
/// `I`, `D` and `P` are those of the [`Batch`](crate::Batch) it ends, whose
/// children return a `Result`.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Reporting<I, D = Untimed, P = Uncaught>
where
    I: Input,
    ChildOutput<I>: Fallible,
{
    batch: Drive<I, D, P>,
    // `None` once the report has been handed out.
    report: Option<Report<Success<I>, Failure<I>>>,
    poison: Poison,
}

impl<I, D, P> Reporting<I, D, P>
where
    I: Input,
    ChildOutput<I>: Fallible,
{
    pub(crate) fn new(batch: Drive<I, D, P>) -> Self {
        Reporting {
            batch: batch.collected(),
            report: Some(Report::new()),
            poison: Poison::default(),
        }
    }
}

// Nothing is pinned: the children live in heap cells of their own.
impl<I, D, P> Unpin for Reporting<I, D, P>
where
    I: Input,
    ChildOutput<I>: Fallible,
{
}

impl<I, D, P> Future for Reporting<I, D, P>
where
    I: Input,
    ChildOutput<I>: Fallible,
{
    type Output = Report<Success<I>, Failure<I>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.poison.guard("Reporting", || {
            let report = this
                .report
                .as_mut()
                .expect("`Reporting` polled after it completed");
            ready!(poll_collecting(&mut this.batch, cx, |batch, cx| {
                Poll::Ready(match ready!(batch.poll_next_outcome(cx)) {
                    Some((index, outcome)) => {
                        report.add(index, outcome);
                        ControlFlow::Continue(())
                    }
                    None => ControlFlow::Break(()),
                })
            }));
            let mut report = this.report.take().unwrap_or_else(Report::new);
            report.sort();
            Poll::Ready(report)
        })
    }
}

impl<I, D, P> FusedFuture for Reporting<I, D, P>
where
    I: Input,
    ChildOutput<I>: Fallible,
{
    fn is_terminated(&self) -> bool {
        self.report.is_none()
    }
}

impl<I, D, P> fmt::Debug for Reporting<I, D, P>
where
    I: Input,
    ChildOutput<I>: Fallible,
    D: Deadlines,
    P: Panics,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reporting")
            .field("batch", &self.batch)
            .field("collected", &self.report.as_ref().map_or(0, Report::len))
            .finish()
    }
}
