//! Property tests: random batch scripts (length, bound, shared limiter,
//! per-child and batch deadlines, children that go pending and are woken in
//! different ways, then succeed, fail or never finish, an optional early
//! drop, and for `as_completed` a consumer that awaits between items),
//! checked against every promise of the design after each case.
//!
//! Every case runs under the [`Driver`] of `tests/common/driver.rs`, which
//! gives each poll a fresh waker and fails the case when a `Pending` is not
//! followed by a wake-up on that very waker (rule 8). The children and the
//! consumer keep a [`Ledger`] of the wake-ups they arrange, so a lost
//! wake-up fails at once instead of after the watchdog (except in cases
//! with a short deadline, whose timers the ledger cannot see: 10 s there).
//!
//! What the scripts are drawn to reach:
//! - children that wake themselves during their first poll (`yield_now`),
//!   mixed with children ready on it: the common case, not an edge case;
//! - wake-ups from another thread that race the first poll, landing before
//!   or after it returns;
//! - batches longer than the 256 outputs `gather`, `try_gather` and
//!   `report` take per poll (lengths up to 1,000, three cases in five
//!   above 256), with runs of ready children ending right at 256;
//! - an `as_completed` or `in_order` consumer that awaits a yield, or now
//!   and then a timer, after each item;
//! - in half the cases, the children come through a stream that is pending
//!   before some items, woken every way a child is; the stream must never
//!   be polled while every slot is taken.
//!
//! `in_order` must hand out every output in input order, and never admit
//! an input 2n places past the first not yet handed out.
//!
//! Each of the five properties runs 1,000 cases under `cargo test` (`PROPTEST_CASES`
//! overrides), about 30 s in debug on 2 cores. The long hunt, 10^5 cases
//! per property:
//! `PROPTEST_CASES=100000 cargo test --release --test properties`.
//! Last run: 10^5 cases of each of the five, no failure, 1,118 s on 2 cores
//! shared with other jobs (at the commit that made a `Pending` wake the
//! task for the queue of woken children). Do not pause (SIGSTOP) a long
//! run: the stall detector's watchdog counts wall time, and reports the
//! pause as a stall.
//! How often each property fails, by reason, instead of stopping at the
//! first failure: `cargo test --test properties census -- --ignored
//! --nocapture` (same variable).

mod common;
use common::Tracker;
use common::driver::{Driver, Stall, Stop};
use common::ledger::Ledger;
use common::scripted::{End, Script, Scripted, ScriptedStream, Wake, expected};
use common::yield_once;
use fanout::prelude::*;
use fanout::{Elapsed, Limiter, Report};
use futures::{FutureExt, Stream, TryFutureExt};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

/// A deadline under this is one the case may see pass; one of 60 s never
/// does (a batch that waits for it has stalled).
const SHORT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
enum Limit {
    None,
    Own(usize),
    Shared(usize),
}

/// What an `as_completed` consumer awaits after each item.
#[derive(Debug, Clone, Copy)]
enum Between {
    Nothing,
    /// A yield: pending once, woken at once.
    Yield,
    /// A yield, and after every 32nd item a 200 µs timer instead.
    YieldAndTimer,
}

#[derive(Clone)]
struct Case {
    deadline: Option<Duration>,
    within: Option<Duration>,
    limit: Limit,
    between: Between,
    /// Drop the batch after this many polls, if it has not finished.
    drop_after: Option<usize>,
    scripts: Vec<Script>,
    /// `Some`: the children come through a stream, pending before item `i`
    /// as `gaps[i % gaps.len()]` says (see [`ScriptedStream`]); `None`: an
    /// iterator.
    gaps: Option<Vec<Option<Script>>>,
}

fn is_short(deadline: Option<Duration>) -> bool {
    deadline.is_some_and(|d| d < SHORT)
}

impl Case {
    fn bound(&self) -> usize {
        match self.limit {
            Limit::None => usize::MAX,
            Limit::Own(n) | Limit::Shared(n) => n,
        }
    }

    /// The case may end with children that never finish, and no deadline
    /// will stop them: the batch may sleep for good.
    fn may_idle(&self) -> bool {
        self.scripts.iter().any(|s| s.end == End::Never)
            && !is_short(self.deadline)
            && !is_short(self.within)
    }

    /// A timer of the batch's own may be the only wake-up left: the ledger
    /// cannot see it, so the driver falls back on its watchdog.
    fn has_batch_timers_due_soon(&self) -> bool {
        let soon = |d: Option<Duration>| is_short(d) && d != Some(Duration::ZERO);
        soon(self.deadline) || soon(self.within)
    }

    fn driver(&self, ledger: &Ledger) -> Driver {
        let driver = Driver::new().max_polls(self.drop_after);
        if self.has_batch_timers_due_soon() {
            driver
        } else {
            driver.knowing(ledger).may_idle(self.may_idle())
        }
    }
}

/// One line per run of equal scripts: `ready ok ×256, 1a ok, 2r17 err`
/// (pendings, then who wakes: a at once, t another thread, r racing with
/// that many µs of spin, m a timer).
impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn code(s: &Script) -> String {
            let end = match s.end {
                End::Ok => "ok",
                End::Err => "err",
                End::Never => "never",
            };
            let wake = match s.wake {
                Wake::AtOnce => "a".to_string(),
                Wake::OtherThread => "t".to_string(),
                Wake::Race { spin_us } => format!("r{spin_us}"),
                Wake::Timer => "m".to_string(),
            };
            match s.pendings {
                0 => format!("ready {end}"),
                n => format!("{n}{wake} {end}"),
            }
        }
        let mut runs: Vec<(String, usize)> = Vec::new();
        for script in &self.scripts {
            let code = code(script);
            match runs.last_mut() {
                Some((last, count)) if *last == code => *count += 1,
                _ => runs.push((code, 1)),
            }
        }
        let runs: Vec<String> = runs
            .into_iter()
            .map(|(code, count)| match count {
                1 => code,
                n => format!("{code} ×{n}"),
            })
            .collect();
        f.debug_struct("Case")
            .field("deadline", &self.deadline)
            .field("within", &self.within)
            .field("limit", &self.limit)
            .field("between", &self.between)
            .field("drop_after", &self.drop_after)
            .field("len", &self.scripts.len())
            .field(
                "stream_gaps",
                &self.gaps.as_ref().map(|gaps| {
                    gaps.iter()
                        .map(|gap| gap.map_or("-".to_string(), |s| code(&s)))
                        .collect::<Vec<_>>()
                }),
            )
            .field("scripts", &format_args!("[{}]", runs.join(", ")))
            .finish()
    }
}

fn script() -> impl Strategy<Value = Script> {
    // Ready on the first poll, or pending: mostly woken during that very
    // poll, the rest from elsewhere.
    let pendings = prop_oneof![4 => Just(0u8), 4 => Just(1u8), 2 => 2u8..4];
    let wake = prop_oneof![
        14 => Just(Wake::AtOnce),
        3 => (0u8..50).prop_map(|spin_us| Wake::Race { spin_us }),
        2 => Just(Wake::OtherThread),
        1 => Just(Wake::Timer),
    ];
    let end = prop_oneof![12 => Just(End::Ok), 2 => Just(End::Err), 1 => Just(End::Never)];
    (pendings, wake, end).prop_map(|(pendings, wake, end)| Script {
        pendings,
        wake,
        end,
    })
}

/// Children ready on their first poll.
fn ready(count: usize) -> Vec<Script> {
    let ready = Script {
        pendings: 0,
        wake: Wake::AtOnce,
        end: End::Ok,
    };
    vec![ready; count]
}

/// The longest batch a case draws.
const MAX_LEN: usize = 1_000;

/// The scripts of a case: either drawn one by one, or in runs of children
/// ready on their first poll between bursts of drawn ones. Runs reach the
/// places where a poll of `gather` ends (after 256 outputs) with the
/// children that wake themselves right behind them; drawn one by one, two
/// children waking themselves almost always end the poll first.
fn scripts() -> impl Strategy<Value = Vec<Script>> {
    let run = prop_oneof![3 => 0usize..8, 2 => 254usize..259, 1 => 0usize..600];
    let segment = (run, prop::collection::vec(script(), 1..8));
    let runs = prop::collection::vec(segment, 1..6).prop_map(|segments| {
        let mut scripts = Vec::new();
        for (run, burst) in segments {
            scripts.extend(ready(run));
            scripts.extend(burst);
        }
        scripts.truncate(MAX_LEN);
        scripts
    });
    prop_oneof![
        1 => prop::collection::vec(script(), 0..64),
        1 => prop::collection::vec(script(), 64..257),
        2 => prop::collection::vec(script(), 257..MAX_LEN),
        3 => runs,
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let ms = |max: u64| (0..max).prop_map(|ms: u64| Some(Duration::from_millis(ms)));
    // Deadlines come first, so shrinking tries without them first.
    let deadline = prop_oneof![
        4 => Just(None),
        1 => ms(3),
        1 => Just(Some(Duration::from_secs(60))),
    ];
    let within = prop_oneof![
        6 => Just(None),
        1 => ms(4),
        1 => Just(Some(Duration::from_secs(60))),
    ];
    let bound = prop_oneof![2 => 1usize..4, 2 => 4usize..64, 1 => 64usize..400];
    let limit = prop_oneof![
        1 => Just(Limit::None),
        2 => bound.clone().prop_map(Limit::Own),
        2 => bound.prop_map(Limit::Shared),
    ];
    let between = prop_oneof![
        Just(Between::Nothing),
        Just(Between::Yield),
        Just(Between::YieldAndTimer),
    ];
    let drop_after = prop_oneof![3 => Just(None), 1 => (1usize..40).prop_map(Some)];
    // Failures in half the cases, children that never finish in a quarter:
    // one failure in the first 256 ends `try_gather` before its budget, and
    // a case that ends asleep proves less.
    let (errors, nevers) = (prop::bool::weighted(0.5), prop::bool::weighted(0.25));
    // Half the cases feed their children through a stream, pending before
    // one item in four or so, woken every way a child is.
    let gap = prop_oneof![
        3 => Just(None),
        1 => script().prop_map(|script| Some(Script { pendings: script.pendings.max(1), end: End::Ok, ..script })),
    ];
    let gaps = prop_oneof![
        1 => Just(None),
        1 => prop::collection::vec(gap, 1..40).prop_map(Some),
    ];
    (
        (deadline, within, limit, between),
        drop_after,
        errors,
        nevers,
        scripts(),
        gaps,
    )
        .prop_map(
            |(
                (deadline, within, limit, between),
                drop_after,
                errors,
                nevers,
                mut scripts,
                gaps,
            )| {
                for script in &mut scripts {
                    if (script.end == End::Err && !errors) || (script.end == End::Never && !nevers)
                    {
                        script.end = End::Ok;
                    }
                }
                Case {
                    deadline,
                    within,
                    limit,
                    between,
                    drop_after,
                    scripts,
                    gaps,
                }
            },
        )
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A child's outcome as any terminal may show it.
type Seen = Result<Result<usize, usize>, Elapsed>;

/// The outputs of batches with and without deadlines, made alike.
trait IntoSeen {
    fn seen(self) -> Seen;
}

impl IntoSeen for Result<usize, usize> {
    fn seen(self) -> Seen {
        Ok(self)
    }
}

impl IntoSeen for Result<Result<usize, usize>, Elapsed> {
    fn seen(self) -> Seen {
        self
    }
}

fn seen_all<T: IntoSeen>(outputs: Vec<T>) -> Vec<Seen> {
    outputs.into_iter().map(IntoSeen::seen).collect()
}

/// A child's error once deadlines can fail the batch too.
#[derive(Debug, PartialEq)]
enum Failure {
    Child(usize),
    Elapsed,
}

impl From<Elapsed> for Failure {
    fn from(_: Elapsed) -> Self {
        Failure::Elapsed
    }
}

/// What the tracker saw when the driver let go of a batch that had not
/// finished, just before dropping it.
#[derive(Debug, Clone, Copy, Default)]
struct AtStop {
    running: usize,
    created: usize,
}

/// A future that takes an [`AtStop`] if it is dropped before it finishes.
struct Watching<'a, F: Future> {
    future: Pin<Box<F>>,
    finished: bool,
    tracker: &'a Tracker,
    at_stop: &'a Mutex<Option<AtStop>>,
}

fn watching<'a, F: Future>(
    tracker: &'a Tracker,
    at_stop: &'a Mutex<Option<AtStop>>,
    future: F,
) -> Watching<'a, F> {
    Watching {
        future: Box::pin(future),
        finished: false,
        tracker,
        at_stop,
    }
}

impl<F: Future> Future for Watching<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let output = self.future.as_mut().poll(cx);
        self.finished = output.is_ready();
        output
    }
}

impl<F: Future> Drop for Watching<'_, F> {
    fn drop(&mut self) {
        if !self.finished {
            *self.at_stop.lock().unwrap() = Some(AtStop {
                running: self.tracker.running(),
                created: self.tracker.created(),
            });
        }
    }
}

/// How the drive ended, checked: the output if the batch finished.
fn check_stop<T>(
    case: &Case,
    stop: Result<Stop<T>, Stall>,
    at_stop: &Mutex<Option<AtStop>>,
) -> Result<Option<T>, TestCaseError> {
    check_stop_within(case, stop, at_stop, None)
}

/// [`check_stop`], for an `in_order` stream that had handed out
/// `window.0` outputs when it stopped, with a window of `window.1`: a full
/// window may leave a slot free for good behind a child that never ends.
fn check_stop_within<T>(
    case: &Case,
    stop: Result<Stop<T>, Stall>,
    at_stop: &Mutex<Option<AtStop>>,
    window: Option<(usize, usize)>,
) -> Result<Option<T>, TestCaseError> {
    match stop {
        Ok(Stop::Ready(output)) => Ok(Some(output)),
        Err(stall) => Err(TestCaseError::fail(stall.to_string())),
        Ok(Stop::PollsUsed) => {
            prop_assert!(case.drop_after.is_some(), "stopped without being dropped");
            Ok(None)
        }
        Ok(Stop::Idle) => {
            prop_assert!(case.may_idle(), "asleep for good, yet meant to finish");
            let at = at_stop
                .lock()
                .unwrap()
                .expect("the batch was dropped unfinished");
            // Asleep for good is right only when every slot holds a child
            // that never finishes, or no input is left.
            let window_full = window.is_some_and(|(handed_out, window)| {
                at.created >= handed_out.saturating_add(window)
            });
            prop_assert!(
                at.running > 0
                    && (at.running >= case.bound()
                        || at.created == case.scripts.len()
                        || window_full),
                "asleep with a slot free and inputs left: {:?}",
                at
            );
            Ok(None)
        }
    }
}

/// The promises every case must keep, whatever the terminal.
fn check_bookkeeping(
    case: &Case,
    tracker: &Tracker,
    limiter: Option<&Limiter>,
) -> Result<(), TestCaseError> {
    prop_assert!(
        tracker.peak_running() <= case.bound(),
        "peak in flight {} > bound",
        tracker.peak_running()
    );
    // Rule 2: n + 1 alive while admitting; under a shared limiter an input
    // is created only once its permit is held.
    let alive_bound = match case.limit {
        Limit::Shared(n) => n,
        _ => case.bound().saturating_add(1),
    };
    prop_assert!(
        tracker.peak_alive() <= alive_bound,
        "peak alive {} > {}",
        tracker.peak_alive(),
        alive_bound
    );
    prop_assert_eq!(tracker.alive(), 0, "every created child is dropped");
    prop_assert_eq!(tracker.dropped(), tracker.created());
    prop_assert!(tracker.created() <= case.scripts.len());
    if let Some(limiter) = limiter {
        prop_assert_eq!(
            limiter.available(),
            limiter.capacity(),
            "every permit returned"
        );
    }
    if case.deadline == Some(Duration::ZERO) || case.within == Some(Duration::ZERO) {
        // A zero deadline leaves each child its first poll and nothing more.
        prop_assert_eq!(
            tracker.polls(),
            tracker.start_order().len(),
            "a child polled again after a zero deadline"
        );
    }
    if case.within == Some(Duration::ZERO) {
        // Rule 11: a zero batch deadline admits nothing more after the
        // first pass: beyond the children ready on their first poll, at
        // most a bound's worth.
        let ready = tracker
            .start_order()
            .into_iter()
            .filter(|&i| case.scripts[i].pendings == 0 && case.scripts[i].end != End::Never)
            .count();
        prop_assert!(
            tracker.created() <= case.bound().saturating_add(ready),
            "a zero batch deadline created {} inputs ({} ready at once)",
            tracker.created(),
            ready
        );
    }
    Ok(())
}

/// One child's outcome as the case may see it.
fn check_output(case: &Case, index: usize, output: Seen) -> Result<(), TestCaseError> {
    let script = case.scripts[index];
    match output {
        Ok(value) => {
            prop_assert_eq!(Some(value), expected(index, script.end), "input {}", index);
            if case.deadline == Some(Duration::ZERO) || case.within == Some(Duration::ZERO) {
                prop_assert_eq!(
                    script.pendings,
                    0,
                    "input {} finished after a zero deadline",
                    index
                );
            }
        }
        Err(Elapsed::Child) => prop_assert!(
            is_short(case.deadline),
            "input {} missed a child deadline of {:?}",
            index,
            case.deadline
        ),
        Err(Elapsed::Batch) => prop_assert!(
            is_short(case.within),
            "input {} missed a batch deadline of {:?}",
            index,
            case.within
        ),
        Err(other) => prop_assert!(
            false,
            "input {} missed an unknown deadline: {:?}",
            index,
            other
        ),
    }
    Ok(())
}

/// Every input shows up once, with an outcome it may have.
fn check_every_input(case: &Case, outputs: Vec<(usize, Seen)>) -> Result<(), TestCaseError> {
    let mut seen = vec![false; case.scripts.len()];
    for (index, output) in outputs {
        prop_assert!(!seen[index], "input {} reported twice", index);
        seen[index] = true;
        check_output(case, index, output)?;
    }
    prop_assert!(seen.iter().all(|s| *s), "an input was never reported");
    Ok(())
}

fn children<'a>(
    case: &'a Case,
    tracker: &'a Tracker,
    ledger: &'a Ledger,
) -> impl Iterator<Item = impl Future<Output = Result<usize, usize>> + Send + 'a> + 'a {
    case.scripts
        .iter()
        .enumerate()
        .map(move |(i, script)| tracker.track(i, Scripted::new(i, *script).keeping(ledger)))
}

fn limiter_for(case: &Case) -> Option<Limiter> {
    match case.limit {
        Limit::Shared(n) => Some(Limiter::new(n)),
        _ => None,
    }
}

/// Hands `$children` over as `$case` says, through a [`ScriptedStream`]
/// or as the iterator it is, to `$body` as `$input`; `$full` counts the
/// stream's polls while every slot was taken.
macro_rules! with_input {
    ($children:expr, $case:expr, $tracker:expr, $ledger:expr, $full:ident, |$input:ident| $body:expr) => {{
        let case: &Case = $case;
        let children = $children;
        match &case.gaps {
            None => {
                let $input = children;
                $body
            }
            Some(pattern) => {
                let gaps = (0..case.scripts.len())
                    .map(|i| pattern[i % pattern.len()])
                    .collect();
                let stream =
                    ScriptedStream::new(children, gaps, $ledger).gated($tracker, case.bound());
                $full = stream.polls_while_full();
                let $input = stream;
                $body
            }
        }
    }};
}

/// The stream input, if any, was polled only while a slot was free.
fn check_lazy_pull(full: &std::sync::atomic::AtomicUsize) -> Result<(), TestCaseError> {
    let polls = full.load(std::sync::atomic::Ordering::SeqCst);
    prop_assert_eq!(polls, 0, "the stream was polled while every slot was taken");
    Ok(())
}

/// Configures `$children` as `$case` says and ends the chain with `$end`,
/// `$batch` naming the configured batch. Without deadlines the batch is a
/// plain one (`Bounded`, or none at all), so both kinds are exercised.
macro_rules! with_batch {
    ($children:expr, $case:expr, $limiter:expr, |$batch:ident| $end:expr) => {{
        let case: &Case = $case;
        let limiter: Option<&Limiter> = $limiter;
        let children = $children;
        match (case.deadline, case.within) {
            (None, None) => match (&case.limit, limiter) {
                (Limit::Own(n), _) => {
                    let $batch = children.bounded(*n);
                    $end
                }
                (Limit::Shared(_), Some(limiter)) => {
                    let $batch = children.bounded_by(limiter);
                    $end
                }
                _ => {
                    let $batch = children;
                    $end
                }
            },
            (deadline, within) => {
                let batch = match (deadline, within) {
                    (Some(deadline), Some(within)) => {
                        children.with_deadline(deadline).within(within)
                    }
                    (Some(deadline), None) => children.with_deadline(deadline),
                    (None, Some(within)) => children.within(within),
                    (None, None) => unreachable!("matched above"),
                };
                let $batch = match (&case.limit, limiter) {
                    (Limit::Own(n), _) => batch.bounded(*n),
                    (Limit::Shared(_), Some(limiter)) => batch.bounded_by(limiter),
                    _ => batch,
                };
                $end
            }
        }
    }};
}

/// Runs `$children` as `$case` says ([`with_input!`], then [`with_batch!`]),
/// ending the chain with `$end`, under the case's driver, watched by the
/// tracker; checks that a stream input was pulled lazily, and returns how
/// the drive stopped.
macro_rules! drive {
    ($children:expr, $case:expr, ($tracker:expr, $ledger:expr, $limiter:expr, $at_stop:expr), |$batch:ident| $end:expr) => {{
        let mut full = Arc::default();
        let stop = with_input!(
            $children,
            $case,
            $tracker,
            $ledger,
            full,
            |input| with_batch!(input, $case, $limiter, |$batch| $case
                .driver($ledger)
                .drive(watching($tracker, $at_stop, $end)))
        );
        check_lazy_pull(&full)?;
        stop
    }};
}

fn gather_keeps_its_promises(case: &Case) -> Result<(), TestCaseError> {
    let (tracker, ledger, limiter) = (Tracker::new(), Ledger::new(), limiter_for(case));
    let at_stop = Mutex::new(None);
    let stop = drive!(
        children(case, &tracker, &ledger),
        case,
        (&tracker, &ledger, limiter.as_ref(), &at_stop),
        |batch| batch.gather().map(seen_all)
    );
    let outputs = check_stop(case, stop, &at_stop)?;
    check_bookkeeping(case, &tracker, limiter.as_ref())?;
    if let Some(outputs) = outputs {
        prop_assert_eq!(outputs.len(), case.scripts.len());
        check_every_input(case, outputs.into_iter().enumerate().collect())?;
        if !is_short(case.within) {
            prop_assert_eq!(tracker.created(), case.scripts.len());
        }
    }
    Ok(())
}

fn try_gather_keeps_its_promises(case: &Case) -> Result<(), TestCaseError> {
    let (tracker, ledger, limiter) = (Tracker::new(), Ledger::new(), limiter_for(case));
    let at_stop = Mutex::new(None);
    // How many inputs had been created when the first child failed.
    let created_at_failure = Arc::new(Mutex::new(None));
    let children = case.scripts.iter().enumerate().map(|(i, script)| {
        let (tracker_at_failure, created_at_failure) =
            (tracker.clone(), created_at_failure.clone());
        let child = Scripted::new(i, *script)
            .keeping(&ledger)
            .on_error(move || {
                created_at_failure
                    .lock()
                    .unwrap()
                    .get_or_insert(tracker_at_failure.created());
            });
        tracker.track(i, child.map_err(Failure::Child))
    });
    let stop = drive!(
        children,
        case,
        (&tracker, &ledger, limiter.as_ref(), &at_stop),
        |batch| batch.try_gather()
    );
    let outcome = check_stop(case, stop, &at_stop)?;
    check_bookkeeping(case, &tracker, limiter.as_ref())?;
    match outcome {
        Some(Ok(values)) => {
            prop_assert_eq!(values.len(), case.scripts.len());
            for (index, value) in values.into_iter().enumerate() {
                check_output(case, index, Ok(Ok(value)))?;
            }
        }
        Some(Err(Failure::Child(index))) => {
            prop_assert_eq!(case.scripts[index].end, End::Err);
            // The failing child was the first to fail, and no input was
            // pulled after it.
            let created = *created_at_failure.lock().unwrap();
            prop_assert_eq!(
                created,
                Some(tracker.created()),
                "input pulled after the failure"
            );
        }
        Some(Err(Failure::Elapsed)) => prop_assert!(
            is_short(case.deadline) || is_short(case.within),
            "a deadline that cannot pass failed the batch"
        ),
        None => {}
    }
    Ok(())
}

/// Collects a stream in arrival order, awaiting `between` after each item,
/// and telling `after_each` how many items have come so far.
async fn collect<S: Stream>(
    stream: S,
    between: Between,
    ledger: &Ledger,
    mut after_each: impl FnMut(usize),
) -> Vec<S::Item> {
    let mut stream = std::pin::pin!(stream);
    let mut items = Vec::new();
    while let Some(item) = futures::StreamExt::next(&mut stream).await {
        items.push(item);
        after_each(items.len());
        match between {
            Between::Nothing => {}
            Between::YieldAndTimer if items.len() % 32 == 0 => {
                ledger
                    .watch(futures_timer::Delay::new(Duration::from_micros(200)))
                    .await;
            }
            Between::Yield | Between::YieldAndTimer => yield_once(()).await,
        }
    }
    items
}

fn as_completed_keeps_its_promises(case: &Case) -> Result<(), TestCaseError> {
    let (tracker, ledger, limiter) = (Tracker::new(), Ledger::new(), limiter_for(case));
    let at_stop = Mutex::new(None);
    let stop = drive!(
        children(case, &tracker, &ledger),
        case,
        (&tracker, &ledger, limiter.as_ref(), &at_stop),
        |batch| collect(batch.as_completed(), case.between, &ledger, |_| {}).map(|items| items
            .into_iter()
            .map(|(index, output)| (index, output.seen()))
            .collect::<Vec<_>>())
    );
    let items = check_stop(case, stop, &at_stop)?;
    check_bookkeeping(case, &tracker, limiter.as_ref())?;
    if let Some(items) = items {
        check_every_input(case, items)?;
    }
    Ok(())
}

fn in_order_keeps_its_promises(case: &Case) -> Result<(), TestCaseError> {
    let (tracker, ledger, limiter) = (Tracker::new(), Ledger::new(), limiter_for(case));
    let at_stop = Mutex::new(None);
    // No input is admitted 2n places or more past the first not yet
    // handed out: when k outputs are out, at most k + 2n were created.
    let window = case.bound().saturating_mul(2);
    let past_window = Mutex::new(None);
    let handed = std::sync::atomic::AtomicUsize::new(0);
    let check_window = |handed_out: usize| {
        handed.store(handed_out, std::sync::atomic::Ordering::SeqCst);
        let created = tracker.created();
        if created > handed_out.saturating_add(window) {
            past_window
                .lock()
                .unwrap()
                .get_or_insert((handed_out, created));
        }
    };
    let stop = drive!(
        children(case, &tracker, &ledger),
        case,
        (&tracker, &ledger, limiter.as_ref(), &at_stop),
        |batch| collect(batch.in_order(), case.between, &ledger, check_window).map(seen_all)
    );
    let handed = handed.load(std::sync::atomic::Ordering::SeqCst);
    let outputs = check_stop_within(case, stop, &at_stop, Some((handed, window)))?;
    check_bookkeeping(case, &tracker, limiter.as_ref())?;
    let past_window = *past_window.lock().unwrap();
    prop_assert_eq!(
        past_window,
        None,
        "(handed out, created) past the window of {}",
        window
    );
    if let Some(outputs) = outputs {
        prop_assert_eq!(outputs.len(), case.scripts.len());
        check_every_input(case, outputs.into_iter().enumerate().collect())?;
    }
    Ok(())
}

fn report_keeps_its_promises(case: &Case) -> Result<(), TestCaseError> {
    let (tracker, ledger, limiter) = (Tracker::new(), Ledger::new(), limiter_for(case));
    let at_stop = Mutex::new(None);
    let stop = drive!(
        children(case, &tracker, &ledger),
        case,
        (&tracker, &ledger, limiter.as_ref(), &at_stop),
        |batch| batch.report()
    );
    let report: Option<Report<usize, usize>> = check_stop(case, stop, &at_stop)?;
    check_bookkeeping(case, &tracker, limiter.as_ref())?;
    if let Some(report) = report {
        prop_assert!(report.panicked.is_empty());
        prop_assert_eq!(report.len(), case.scripts.len());
        let outputs = (report.ok.into_iter().map(|(i, v)| (i, Ok(Ok(v)))))
            .chain(report.failed.into_iter().map(|(i, e)| (i, Ok(Err(e)))))
            .chain(report.timed_out.into_iter().map(|(i, e)| (i, Err(e))))
            .collect();
        check_every_input(case, outputs)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    #[cfg_attr(miri, ignore)] // thousands of cases: far too slow under Miri
    fn gather(case in case()) {
        let _watchdog = crate::common::watchdog::Watchdog::start();
        gather_keeps_its_promises(&case)?;
    }

    #[test]
    #[cfg_attr(miri, ignore)] // thousands of cases: far too slow under Miri
    fn try_gather(case in case()) {
        let _watchdog = crate::common::watchdog::Watchdog::start();
        try_gather_keeps_its_promises(&case)?;
    }

    #[test]
    #[cfg_attr(miri, ignore)] // thousands of cases: far too slow under Miri
    fn as_completed(case in case()) {
        let _watchdog = crate::common::watchdog::Watchdog::start();
        as_completed_keeps_its_promises(&case)?;
    }

    #[test]
    #[cfg_attr(miri, ignore)] // thousands of cases: far too slow under Miri
    fn in_order(case in case()) {
        let _watchdog = crate::common::watchdog::Watchdog::start();
        in_order_keeps_its_promises(&case)?;
    }

    #[test]
    #[cfg_attr(miri, ignore)] // thousands of cases: far too slow under Miri
    fn report(case in case()) {
        let _watchdog = crate::common::watchdog::Watchdog::start();
        report_keeps_its_promises(&case)?;
    }
}

/// Runs every property on the same cases without stopping at a failure, and
/// prints how many failed and why, with the shortest failing case of each
/// kind: for bug hunts, where the first failure proptest stops at may hide
/// the others.
#[test]
#[ignore = "a census for bug hunts: cargo test --test properties census -- --ignored --nocapture"]
fn census() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeMap;
    type Property = fn(&Case) -> Result<(), TestCaseError>;
    let properties: [(&str, Property); 5] = [
        ("gather", gather_keeps_its_promises),
        ("try_gather", try_gather_keeps_its_promises),
        ("as_completed", as_completed_keeps_its_promises),
        ("in_order", in_order_keeps_its_promises),
        ("report", report_keeps_its_promises),
    ];
    let config = config();
    let mut runner = TestRunner::new(config.clone());
    let strategy = case();
    // (property, reason with its numbers blanked) -> (count, shortest case,
    // its message)
    let mut failures: BTreeMap<(&str, String), (usize, Case, String)> = BTreeMap::new();
    for _ in 0..config.cases {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        for (name, property) in properties {
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| property(&case)));
            let message = match outcome {
                Ok(Ok(())) => continue,
                Ok(Err(error)) => error.to_string(),
                Err(panic) => format!("panicked: {}", common::panic_message(&*panic)),
            };
            let mut reason: String = message
                .split(|c: char| c.is_ascii_digit())
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join("#");
            while reason.contains("#, #") {
                reason = reason.replace("#, #", "#");
            }
            let entry = failures
                .entry((name, reason))
                .or_insert_with(|| (0, case.clone(), message.clone()));
            entry.0 += 1;
            if case.scripts.len() < entry.1.scripts.len() {
                (entry.1, entry.2) = (case.clone(), message);
            }
        }
    }
    println!("{} cases per property", config.cases);
    for ((name, reason), (count, case, message)) in &failures {
        let case = format!("{case:?}");
        let end = case.char_indices().nth(800).map_or(case.len(), |(i, _)| i);
        println!(
            "{name}: {count} failed: {reason}\n    shortest: {}\n    {message}",
            &case[..end]
        );
    }
}
