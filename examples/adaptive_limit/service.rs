//! The simulated service of the `adaptive_limit` example and of the bench
//! report's `--service` section, and one run of a batch against it.
//!
//! # The service
//!
//! It serves `C` calls at once at full speed; a call needs 20 ms of that.
//! With `n > C` calls in it they share it (processor sharing): each one's
//! remaining work drains at `C / n` of full speed, so while `n` stays put a
//! call takes `20 ms × n / C`. `C` is 40 for the first phase, 10 for the
//! second and 40 again from the third on.
//!
//! A call that arrives while more than `2C` calls are in the service is
//! refused: it returns [`Overloaded`] after 1 ms. A refused call never
//! enters the service, not even for its millisecond, as if a front end
//! turned it away: counted there, a client with more than `2C` calls out
//! would never get back in once `C` fell (each refusal replaced at once by
//! the next call, refused in turn, while the served ones drain away).
//!
//! A call its caller drops (its deadline passed) leaves the service at
//! once, as a server stops work for a closed connection.
//!
//! # How time moves
//!
//! The state is shared (`Arc<Mutex<..>>`) and exact at every event: each
//! arrival and departure first advances every call's progress to the
//! present, finish by finish (the calls in the service drain at the same
//! rate and all need the same work, so they finish in the order they
//! came), then changes `n`. A thread plays the server's clock: it sleeps
//! until the next call is due (or `C` changes), advances the state and
//! wakes the tasks of the calls that finished. An arrival only delays the
//! others; a departure or a rise of `C` brings the next finish forward,
//! and wakes the thread when it does.

use fanout::AdaptiveLimit;
use fanout::limits::ChangeReason;
use fanout::prelude::*;
use futures::future;
use futures_timer::Delay;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The service's capacity in each phase; the last one stays.
pub(crate) const CAPACITIES: [usize; 3] = [40, 10, 40];
/// The work of one call, in seconds at full speed.
const WORK: f64 = 0.020;
/// How soon a refused call hears so.
const REFUSAL: Duration = Duration::from_millis(1);
/// Each call's deadline, from its admission.
pub(crate) const DEADLINE: Duration = Duration::from_secs(1);
/// How often a run samples the limit and the service.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// The service's answer to a call that came while it was past twice its
/// capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overloaded;

/// A call in the service.
struct InService {
    /// When its work is done, on the clock of `Model::work`.
    finish: f64,
    waker: Option<Waker>,
    done: bool,
}

/// The service's state. Times are seconds since the service started.
struct Model {
    started: Instant,
    /// When the capacity changes: the ends of the first two phases.
    changes: [f64; 2],
    /// The time the state is exact at.
    now: f64,
    /// The work every call in the service has received since the start
    /// (calls drain at one rate): a call that came at `work = w` is done
    /// at `w + WORK`.
    work: f64,
    /// By order of arrival, which is the order of finishing.
    calls: BTreeMap<u64, InService>,
    /// The calls in `calls` not yet done.
    serving: usize,
    next_id: u64,
    /// When the clock thread will look next.
    clock_wakes_at: f64,
    stopped: bool,
}

impl Model {
    fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn capacity_at(&self, t: f64) -> usize {
        let phase = self.changes.iter().filter(|&&change| change <= t).count();
        CAPACITIES[phase]
    }

    /// The first change of capacity after `t`.
    fn change_after(&self, t: f64) -> f64 {
        self.changes
            .into_iter()
            .find(|&change| change > t)
            .unwrap_or(f64::INFINITY)
    }

    /// How fast the calls in the service drain at `t`: 1 is full speed.
    fn speed_at(&self, t: f64) -> f64 {
        (self.capacity_at(t) as f64 / self.serving as f64).min(1.0)
    }

    /// When the first call due to finish is done, on the clock of `work`.
    fn head(&self) -> Option<f64> {
        self.calls
            .values()
            .find(|call| !call.done)
            .map(|c| c.finish)
    }

    /// Advances the state to `to`, finish by finish, pushing the wakers of
    /// the calls that finished onto `woken`.
    fn advance(&mut self, to: f64, woken: &mut Vec<Waker>) {
        while self.now < to {
            let segment_end = to.min(self.change_after(self.now));
            let Some(head) = self.head() else {
                self.now = segment_end;
                continue;
            };
            let speed = self.speed_at(self.now);
            let head_at = self.now + (head - self.work).max(0.0) / speed;
            if head_at <= segment_end {
                self.now = head_at;
                self.work = head;
                for call in self.calls.values_mut() {
                    if call.finish > head {
                        break;
                    }
                    if !call.done {
                        call.done = true;
                        self.serving -= 1;
                        woken.extend(call.waker.take());
                    }
                }
            } else {
                self.work += speed * (segment_end - self.now);
                self.now = segment_end;
            }
        }
    }

    /// When the next call finishes at the present speed, or the speed
    /// changes with the capacity: the clock thread's next look.
    fn next_event(&self) -> f64 {
        match self.head() {
            None => f64::INFINITY,
            Some(head) => {
                let due = self.now + (head - self.work).max(0.0) / self.speed_at(self.now);
                due.min(self.change_after(self.now))
            }
        }
    }
}

struct Shared {
    model: Mutex<Model>,
    /// The clock thread waits on it.
    clock: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Model> {
        self.model.lock().expect("the service's state")
    }

    /// Wakes the clock thread if the next event came before its next look.
    fn check_clock(&self, model: &Model) {
        if model.next_event() < model.clock_wakes_at {
            self.clock.notify_one();
        }
    }
}

/// The simulated service, and its clock thread (stopped on drop).
pub(crate) struct Service {
    shared: Arc<Shared>,
    clock: Option<JoinHandle<()>>,
}

impl Service {
    /// Starts the service now; each phase lasts `phase`.
    pub(crate) fn start(phase: Duration) -> Service {
        let phase = phase.as_secs_f64();
        let shared = Arc::new(Shared {
            model: Mutex::new(Model {
                started: Instant::now(),
                changes: [phase, 2.0 * phase],
                now: 0.0,
                work: 0.0,
                calls: BTreeMap::new(),
                serving: 0,
                next_id: 0,
                clock_wakes_at: f64::INFINITY,
                stopped: false,
            }),
            clock: Condvar::new(),
        });
        let clock = std::thread::spawn({
            let shared = shared.clone();
            move || run_clock(&shared)
        });
        Service {
            shared,
            clock: Some(clock),
        }
    }

    /// One call: `Ok(())` after its work, or `Err(Overloaded)` after 1 ms.
    pub(crate) fn call(&self) -> Call {
        Call {
            shared: self.shared.clone(),
            state: CallState::New,
        }
    }

    /// Seconds since the service started.
    pub(crate) fn elapsed(&self) -> f64 {
        self.shared.lock().elapsed()
    }

    /// The capacity now, and how many calls are in the service.
    fn gauges(&self) -> (usize, usize) {
        let model = self.shared.lock();
        (model.capacity_at(model.elapsed()), model.serving)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.shared.lock().stopped = true;
        self.shared.clock.notify_one();
        if let Some(clock) = self.clock.take() {
            clock.join().expect("the service's clock thread");
        }
    }
}

/// The clock thread: advances the state at each finish and change of
/// capacity, and wakes the finished calls' tasks.
fn run_clock(shared: &Shared) {
    let mut woken = Vec::new();
    let mut model = shared.lock();
    while !model.stopped {
        let now = model.elapsed();
        model.advance(now, &mut woken);
        if !woken.is_empty() {
            drop(model);
            woken.drain(..).for_each(Waker::wake);
            model = shared.lock();
            continue;
        }
        let next = model.next_event();
        model.clock_wakes_at = next;
        // An idle service waits for an arrival, which notifies it.
        let wait = Duration::from_secs_f64((next - now).clamp(0.0, 3600.0));
        model = shared
            .clock
            .wait_timeout(model, wait)
            .expect("the service's state")
            .0;
    }
}

enum CallState {
    New,
    InService(u64),
    Refused(Delay),
    Finished,
}

/// A call to the [`Service`]: arrives at its first poll.
pub(crate) struct Call {
    shared: Arc<Shared>,
    state: CallState,
}

impl Future for Call {
    type Output = Result<(), Overloaded>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut woken = Vec::new();
        let mut model = this.shared.lock();
        let now = model.elapsed();
        model.advance(now, &mut woken);
        let poll = match this.state {
            CallState::New if model.serving > 2 * model.capacity_at(now) => {
                this.state = CallState::Refused(Delay::new(REFUSAL));
                Poll::Pending
            }
            CallState::New => {
                let id = model.next_id;
                model.next_id += 1;
                let finish = model.work + WORK;
                model.calls.insert(
                    id,
                    InService {
                        finish,
                        waker: Some(cx.waker().clone()),
                        done: false,
                    },
                );
                model.serving += 1;
                this.shared.check_clock(&model);
                this.state = CallState::InService(id);
                Poll::Pending
            }
            CallState::InService(id) => {
                let call = model.calls.get_mut(&id).expect("a call in the service");
                if call.done {
                    model.calls.remove(&id);
                    this.state = CallState::Finished;
                    Poll::Ready(Ok(()))
                } else {
                    match &mut call.waker {
                        Some(waker) => waker.clone_from(cx.waker()),
                        None => call.waker = Some(cx.waker().clone()),
                    }
                    Poll::Pending
                }
            }
            CallState::Refused(_) => Poll::Pending,
            CallState::Finished => panic!("a call polled after it finished"),
        };
        drop(model);
        woken.into_iter().for_each(Waker::wake);
        let told = match &mut this.state {
            CallState::Refused(delay) => Pin::new(delay).poll(cx).is_ready(),
            _ => false,
        };
        if told {
            this.state = CallState::Finished;
            return Poll::Ready(Err(Overloaded));
        }
        poll
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        let CallState::InService(id) = self.state else {
            return;
        };
        let mut woken = Vec::new();
        let mut model = self.shared.lock();
        let now = model.elapsed();
        model.advance(now, &mut woken);
        match model.calls.remove(&id) {
            Some(call) if !call.done => {
                model.serving -= 1;
                self.shared.check_clock(&model);
            }
            _ => {}
        }
        drop(model);
        woken.into_iter().for_each(Waker::wake);
    }
}

/// The batch's cap on calls in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// `bounded(n)`.
    Fixed(usize),
    /// `bounded_by(&AdaptiveLimit::new(10, 1..=100))`.
    Adaptive,
}

impl Bound {
    pub(crate) fn name(self) -> String {
        match self {
            Bound::Fixed(n) => format!("bounded({n})"),
            Bound::Adaptive => "AdaptiveLimit::new(10, 1..=100)".to_string(),
        }
    }
}

/// What came back in one phase.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PhaseCounts {
    /// Successes before the input stopped.
    pub(crate) ok: usize,
    pub(crate) overloaded: usize,
    pub(crate) timed_out: usize,
    /// Overloaded errors from `Run::settled_after` into the phase on.
    pub(crate) overloaded_late: usize,
    /// The last overloaded error, in seconds since the phase began.
    pub(crate) last_overloaded: Option<f64>,
}

/// The limit, the calls in flight and the service, at one moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    /// Seconds since the start.
    pub(crate) t: f64,
    pub(crate) capacity: usize,
    /// The adaptive limit's `current()`, `None` under a fixed one.
    pub(crate) limit: Option<usize>,
    /// Its `in_flight()`: calls holding a permit, refused ones included.
    pub(crate) in_flight: Option<usize>,
    /// Calls in the service.
    pub(crate) serving: usize,
}

/// A change of the adaptive limit, seen between two outputs (or samples).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Change {
    pub(crate) t: f64,
    pub(crate) from: usize,
    pub(crate) to: usize,
    /// The reason of the last change, as `last_change()` told it.
    pub(crate) reason: Option<ChangeReason>,
}

/// One run of a batch against a fresh service.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub(crate) bound: Bound,
    /// Seconds.
    pub(crate) phase: f64,
    pub(crate) phases: [PhaseCounts; 3],
    /// Successes after the input stopped (the calls in flight then).
    pub(crate) ok_after_stop: usize,
    pub(crate) samples: Vec<Sample>,
    pub(crate) changes: Vec<Change>,
}

impl Run {
    /// Seconds into each phase from which the limit should have settled.
    pub(crate) fn settled_after(&self) -> f64 {
        SETTLED_AFTER.min(self.phase / 2.0)
    }

    /// Successes per second in each phase.
    pub(crate) fn rates(&self) -> [f64; 3] {
        self.phases.map(|phase| phase.ok as f64 / self.phase)
    }
}

/// Calls the service for three phases of `phase` each, from an endless
/// input stopped by a timer, each call with a 1 s deadline, under `bound`;
/// samples the limit and the service every 50 ms meanwhile.
pub(crate) fn run(bound: Bound, phase: Duration) -> Run {
    let limit = AdaptiveLimit::new(10, 1..=100);
    let adaptive = (bound == Bound::Adaptive).then_some(&limit);
    let service = Service::start(phase);
    let phase_secs = phase.as_secs_f64();
    let settled_after = SETTLED_AFTER.min(phase_secs / 2.0);
    let calls = (0..).map(|_| service.call());
    let calls = match bound {
        Bound::Fixed(n) => calls.bounded(n),
        Bound::Adaptive => calls.bounded_by(&limit),
    };
    let mut phases = [PhaseCounts::default(); 3];
    let mut ok_after_stop = 0;
    let changes = RefCell::new(Changes::new(adaptive));
    let batch = calls
        .with_deadline(DEADLINE)
        .overloaded_when(|out| matches!(out, Err(Overloaded)))
        .until(Delay::new(phase * 3))
        .for_each(|(_, out)| {
            let t = service.elapsed();
            let index = ((t / phase_secs) as usize).min(2);
            let counts = &mut phases[index];
            match out {
                Ok(Ok(())) if t < 3.0 * phase_secs => counts.ok += 1,
                Ok(Ok(())) => ok_after_stop += 1,
                Ok(Err(Overloaded)) => {
                    let into = t - index as f64 * phase_secs;
                    counts.overloaded += 1;
                    counts.last_overloaded = Some(into);
                    if into >= settled_after {
                        counts.overloaded_late += 1;
                    }
                }
                Err(_elapsed) => counts.timed_out += 1,
            }
            changes.borrow_mut().look(t);
            future::ready(())
        });
    let samples = RefCell::new(Vec::new());
    let sampler = async {
        let started = Instant::now();
        for k in 1u32.. {
            Delay::new((SAMPLE_EVERY * k).saturating_sub(started.elapsed())).await;
            let t = service.elapsed();
            let (capacity, serving) = service.gauges();
            samples.borrow_mut().push(Sample {
                t,
                capacity,
                limit: adaptive.map(AdaptiveLimit::current),
                in_flight: adaptive.map(AdaptiveLimit::in_flight),
                serving,
            });
            changes.borrow_mut().look(t);
        }
    };
    // The sampler never ends: the batch does.
    futures::executor::block_on(future::select(pin!(batch), pin!(sampler)));
    Run {
        bound,
        phase: phase_secs,
        phases,
        ok_after_stop,
        samples: samples.into_inner(),
        changes: changes.into_inner().changes,
    }
}

/// The changes of an adaptive limit, as seen from outside.
struct Changes<'a> {
    limit: Option<&'a AdaptiveLimit>,
    last: usize,
    changes: Vec<Change>,
}

impl<'a> Changes<'a> {
    fn new(limit: Option<&'a AdaptiveLimit>) -> Self {
        Changes {
            limit,
            last: limit.map_or(0, AdaptiveLimit::current),
            changes: Vec::new(),
        }
    }

    /// Notes a change since the last look, at `t`.
    fn look(&mut self, t: f64) {
        let Some(limit) = self.limit else { return };
        let now = limit.current();
        if now != self.last {
            self.changes.push(Change {
                t,
                from: self.last,
                to: now,
                reason: limit.last_change().map(|change| change.reason),
            });
            self.last = now;
        }
    }
}

/// `12345` as `12,345`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|group| std::str::from_utf8(group).expect("ASCII digits"))
        .collect();
    groups.join(",")
}

/// One row per run: successes per second and overloaded errors in each
/// phase (and missed deadlines, if any).
pub(crate) fn print_table(runs: &[Run]) {
    println!("| limit | C = 40 | C = 10 | C = 40 again |\n| --- | --- | --- | --- |");
    for run in runs {
        let cells: Vec<String> = run
            .phases
            .iter()
            .zip(run.rates())
            .map(|(counts, rate)| {
                let mut cell = format!(
                    "{}/s, {}",
                    thousands(rate.round() as usize),
                    thousands(counts.overloaded)
                );
                if counts.timed_out > 0 {
                    cell += &format!(", {} timed out", thousands(counts.timed_out));
                }
                cell
            })
            .collect();
        println!("| {} | {} |", run.bound.name(), cells.join(" | "));
    }
}

/// Seconds into a phase from which the limit should have settled (half
/// the phase, in phases shorter than 2 s).
const SETTLED_AFTER: f64 = 1.0;

/// The samples of `run`'s phase `index` taken from `from` seconds into it.
pub(crate) fn samples_of(run: &Run, index: usize, from: f64) -> impl Iterator<Item = &Sample> {
    let start = index as f64 * run.phase;
    let end = if index == 2 {
        3.0 * run.phase
    } else {
        start + run.phase
    };
    run.samples
        .iter()
        .filter(move |s| s.t >= start + from && s.t < end)
}

/// The adaptive run's report: where its limit stayed in each phase, its
/// changes from 0.1 s before to 1.5 s after each change of capacity, and
/// the plot over time.
pub(crate) fn print_adaptive(run: &Run) {
    println!("\nthe adaptive limit:\n");
    print_limits(run);
    println!();
    print_changes(run, 0.1, 1.5);
    println!();
    print_plot(run);
}

/// The adaptive limit in each phase, from `Run::settled_after` into it: its
/// range and median, the calls in flight, and the overloaded errors.
fn print_limits(run: &Run) {
    let from = run.settled_after();
    println!(
        "| phase | limit from {from} s on: range (median) | in flight (median) | in the service (median) | overloaded errors from {from} s on | the last one |\n| --- | --- | --- | --- | --- | --- |"
    );
    let median = |mut values: Vec<usize>| {
        values.sort_unstable();
        values.get(values.len() / 2).copied().unwrap_or(0)
    };
    for (index, counts) in run.phases.iter().enumerate() {
        let samples: Vec<&Sample> = samples_of(run, index, from).collect();
        let limits: Vec<usize> = samples.iter().filter_map(|s| s.limit).collect();
        let range = match (limits.iter().min(), limits.iter().max()) {
            (Some(low), Some(high)) => format!("{low}..={high} ({})", median(limits.clone())),
            _ => "-".to_string(),
        };
        let in_flight = median(samples.iter().filter_map(|s| s.in_flight).collect());
        let serving = median(samples.iter().map(|s| s.serving).collect());
        let last = counts
            .last_overloaded
            .map_or("none".to_string(), |t| format!("{t:.3} s into the phase"));
        println!(
            "| C = {} | {range} | {in_flight} | {serving} | {} | {last} |",
            CAPACITIES[index], counts.overloaded_late
        );
    }
    println!(
        "({} calls in flight when the input stopped finished after it: not counted above)",
        run.ok_after_stop
    );
}

/// Every change of the adaptive limit from `before` seconds before each
/// change of capacity to `after` seconds after it (within the phases).
fn print_changes(run: &Run, before: f64, after: f64) {
    let (before, after) = (before.min(run.phase), after.min(run.phase));
    for (index, capacity) in CAPACITIES.iter().enumerate().skip(1) {
        let at = index as f64 * run.phase;
        let changes: Vec<String> = run
            .changes
            .iter()
            .filter(|change| change.t >= at - before && change.t < at + after)
            .map(|change| {
                let reason = match change.reason {
                    _ if change.to > change.from => "",
                    Some(ChangeReason::SlowerRoundTrips) => " (slower)",
                    Some(ChangeReason::Overloaded) => " (overloaded)",
                    Some(ChangeReason::DeadlinePassed) => " (deadline)",
                    _ => "",
                };
                format!(
                    "{:+.3} s {}->{}{reason}",
                    change.t - at,
                    change.from,
                    change.to
                )
            })
            .collect();
        println!(
            "C -> {capacity} at {at:.0} s; the limit from {before} s before to {after} s after:"
        );
        for line in changes.chunks(6) {
            println!("   {}", line.join(", "));
        }
    }
}

/// An ASCII plot of the run's samples over time: the limit (`#`), the
/// calls in flight (`o`) and the service's capacity (`=`), one column per
/// 100 ms of a 4 s phase.
fn print_plot(run: &Run) {
    const COLUMNS: usize = 120;
    const ROWS: usize = 20;
    let total = 3.0 * run.phase;
    let top = run
        .samples
        .iter()
        .map(|s| {
            s.capacity
                .max(s.limit.unwrap_or(0))
                .max(s.in_flight.unwrap_or(0))
        })
        .max()
        .unwrap_or(1)
        .div_ceil(ROWS)
        * ROWS;
    let per_row = top / ROWS;
    let mut grid = vec![[b' '; COLUMNS]; ROWS];
    for sample in &run.samples {
        let column = ((sample.t / total * COLUMNS as f64) as usize).min(COLUMNS - 1);
        let series = [
            (Some(sample.capacity), b'='),
            (sample.in_flight, b'o'),
            (sample.limit, b'#'),
        ];
        for (value, mark) in series {
            if let Some(value) = value {
                let row = (value / per_row).min(ROWS - 1);
                grid[ROWS - 1 - row][column] = mark;
            }
        }
    }
    println!(
        "# limit, o calls in flight, = capacity C; {} ms per column, {per_row} per row",
        (total * 1000.0 / COLUMNS as f64).round()
    );
    for (i, line) in grid.iter().enumerate() {
        let row = ROWS - 1 - i;
        // Every other row, from 0 up.
        let label = if (row + 1) % 2 == 1 {
            format!("{:>4}", row * per_row)
        } else {
            "    ".to_string()
        };
        println!("{label} |{}", String::from_utf8_lossy(line).trim_end());
    }
    let mut axis = vec![b'-'; COLUMNS];
    let mut labels = vec![b' '; COLUMNS + 8];
    for k in 0..=3 {
        let column = (k * COLUMNS / 3).min(COLUMNS - 1);
        axis[column] = b'+';
        let text = format!("{:.0} s", k as f64 * run.phase);
        let at = (k * COLUMNS / 3).saturating_sub(if k == 3 { text.len() - 1 } else { 0 });
        labels[at..at + text.len()].copy_from_slice(text.as_bytes());
    }
    println!("     +{}", String::from_utf8_lossy(&axis));
    println!("      {}", String::from_utf8_lossy(&labels).trim_end());
}
