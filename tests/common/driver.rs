//! A driver that checks rule 8 of the design: every `Pending` comes with a
//! wake-up arranged on the waker of that very poll.
//!
//! [`Driver`] is a small blocking executor for one future. It gives every
//! poll a fresh waker, carrying the poll's number, and after a `Pending` it
//! waits for a wake-up on the newest waker only: a wake-up on the waker of
//! an earlier poll does not count (the executor may have spent it, or the
//! future may have moved to another task since). It never re-polls on its
//! own, so a `Pending` with no wake-up arranged on its own waker shows up as
//! a stall:
//!
//! - after a generous watchdog (10 s unless set) without that wake-up; not a
//!   timing assertion, only the point where waiting longer is pointless;
//! - or at once, when the test keeps a [`Ledger`] of every wake-up source
//!   outside fanout: once nothing promised is left and the newest waker was
//!   not woken, nothing ever will wake it.
//!
//! Use it from a test thread (a proptest body, a `#[test]`):
//! `driver::run(future)` returns the output or panics with the stall;
//! [`Driver::drive`] returns the stall as an error instead.
//!
//! [`FreshWakers`] does the same to a future or stream awaited inside any
//! executor: it polls it with a new waker each time, only when that waker
//! was woken, and drops wake-ups that reach the waker of an earlier poll. [`or_stuck`] turns a hang into a
//! failure after a watchdog.

use super::ledger::Ledger;
use pin_project_lite::pin_project;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

/// How long a `Pending` may wait for its wake-up before the driver calls it
/// a stall, unless [`Driver::watchdog`] says otherwise.
pub const WATCHDOG: Duration = Duration::from_secs(10);

/// How often the driver looks at the ledger while it waits.
const LEDGER_CHECK: Duration = Duration::from_millis(1);

/// How a driven future stopped, when it did not stall.
#[derive(Debug)]
pub enum Stop<T> {
    Ready(T),
    /// It was still pending after the most polls it was allowed; it has
    /// been dropped.
    PollsUsed,
    /// It is pending with nothing left that could wake it, and no child it
    /// knows of owes a poll: it sleeps for good (children that never
    /// finish). Only with [`Driver::may_idle`]. It has been dropped.
    Idle,
}

/// A `Pending` that no wake-up on its own waker followed.
#[derive(Debug, Clone)]
pub struct Stall {
    /// Which poll (from 1) returned the `Pending`.
    pub poll: usize,
    /// Wake-ups that reached the wakers of earlier polls meanwhile.
    pub stale_wakes: usize,
    pub why: String,
}

impl fmt::Display for Stall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Pending with no wake-up arranged on this poll's waker (poll {}: {}; {} wake-ups reached the wakers of earlier polls)",
            self.poll, self.why, self.stale_wakes
        )
    }
}

impl std::error::Error for Stall {}

/// Drives one future on the calling thread, a fresh waker per poll; see
/// the module docs.
#[derive(Clone)]
pub struct Driver {
    watchdog: Duration,
    ledger: Option<Ledger>,
    may_idle: bool,
    max_polls: Option<usize>,
}

impl Default for Driver {
    fn default() -> Self {
        Driver {
            watchdog: WATCHDOG,
            ledger: None,
            may_idle: false,
            max_polls: None,
        }
    }
}

/// Drives `future` to its end; panics with the stall if a `Pending` is not
/// followed by a wake-up on its own waker.
pub fn run<F: Future>(future: F) -> F::Output {
    Driver::new().run(future)
}

impl Driver {
    pub fn new() -> Self {
        Self::default()
    }

    /// How long to wait for the newest waker's wake-up before calling it a
    /// stall.
    pub fn watchdog(mut self, watchdog: Duration) -> Self {
        self.watchdog = watchdog;
        self
    }

    /// Every wake-up source outside the future (threads, timers the test
    /// awaits, children's own wake-ups) keeps `ledger`, and the future has
    /// no timer of its own that may be the only thing left to wake it (a
    /// deadline of 60 s is fine: a batch that waits for it has stalled).
    /// A `Pending` is then a stall as soon as nothing promised is left.
    pub fn knowing(mut self, ledger: &Ledger) -> Self {
        self.ledger = Some(ledger.clone());
        self
    }

    /// The future may sleep for good (it has children that never finish):
    /// nothing promised left and no child owing a poll ends the drive with
    /// [`Stop::Idle`], not a stall. Needs [`knowing`](Driver::knowing).
    pub fn may_idle(mut self, may_idle: bool) -> Self {
        self.may_idle = may_idle;
        self
    }

    /// Drop the future after this many polls if it is still pending.
    pub fn max_polls(mut self, max_polls: Option<usize>) -> Self {
        self.max_polls = max_polls;
        self
    }

    /// Drives `future` to its end; panics with the stall, or if it stopped
    /// any other way.
    pub fn run<F: Future>(&self, future: F) -> F::Output {
        match self.drive(future) {
            Ok(Stop::Ready(output)) => output,
            Ok(Stop::PollsUsed) => panic!("still pending after {:?} polls", self.max_polls),
            Ok(Stop::Idle) => panic!("pending for good, with nothing left to wake it"),
            Err(stall) => panic!("{stall}"),
        }
    }

    /// Polls `future` until it is ready, it stalls, or the driver's limits
    /// stop it; the future is dropped before this returns.
    pub fn drive<F: Future>(&self, future: F) -> Result<Stop<F::Output>, Stall> {
        assert!(
            self.ledger.is_some() || !self.may_idle,
            "telling idle from stalled needs a ledger"
        );
        let mut future = std::pin::pin!(future);
        let signal = Arc::new(Signal::default());
        let mut poll = 0;
        loop {
            if self.max_polls.is_some_and(|max| poll >= max) {
                return Ok(Stop::PollsUsed);
            }
            poll += 1;
            let waker = signal.next_waker(poll);
            if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
                return Ok(Stop::Ready(output));
            }
            drop(waker);
            match self.wait(&signal) {
                Waited::Woken => {}
                Waited::Idle => return Ok(Stop::Idle),
                Waited::Stalled(why) => {
                    return Err(Stall {
                        poll,
                        stale_wakes: signal.state.lock().unwrap().stale,
                        why,
                    });
                }
            }
        }
    }

    /// Waits for a wake-up on the newest poll's waker.
    fn wait(&self, signal: &Signal) -> Waited {
        let started = Instant::now();
        let mut state = signal.state.lock().unwrap();
        loop {
            if state.woken {
                return Waited::Woken;
            }
            if let Some(ledger) = &self.ledger {
                // A promise is struck off only after its wake-up has been
                // passed on, and passing it on takes this lock, which is
                // held here: a wake-up counted before reaches `woken` first.
                if ledger.promised() == 0 {
                    let owed = ledger.owed();
                    return match (owed.is_empty(), self.may_idle) {
                        (true, true) => Waited::Idle,
                        (true, false) => Waited::Stalled(
                            "nothing promised is left to wake it, and it was meant to finish"
                                .into(),
                        ),
                        (false, _) => Waited::Stalled(format!(
                            "nothing promised is left to wake it, and children {owed:?} were woken and never polled again"
                        )),
                    };
                }
            }
            let waited = started.elapsed();
            if waited >= self.watchdog {
                return Waited::Stalled(format!("no wake-up in {waited:?}"));
            }
            let step = match self.ledger {
                Some(_) => LEDGER_CHECK,
                None => self.watchdog - waited,
            };
            state = signal.woken.wait_timeout(state, step).unwrap().0;
        }
    }
}

enum Waited {
    Woken,
    Idle,
    Stalled(String),
}

#[derive(Default)]
struct Signal {
    state: Mutex<SignalState>,
    woken: Condvar,
}

#[derive(Default)]
struct SignalState {
    /// The number of the newest poll, whose waker alone counts.
    newest: usize,
    woken: bool,
    stale: usize,
}

impl Signal {
    fn next_waker(self: &Arc<Self>, poll: usize) -> Waker {
        let mut state = self.state.lock().unwrap();
        state.newest = poll;
        state.woken = false;
        Waker::from(Arc::new(PollWaker {
            poll,
            signal: self.clone(),
        }))
    }
}

/// The waker of one poll.
struct PollWaker {
    poll: usize,
    signal: Arc<Signal>,
}

impl Wake for PollWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut state = self.signal.state.lock().unwrap();
        if state.newest == self.poll {
            state.woken = true;
            self.signal.woken.notify_all();
        } else {
            state.stale += 1;
        }
    }
}

pin_project! {
    /// A future or stream as `FuturesUnordered`, `select_all` or a spawned
    /// task hold it, inside any executor: polled only when the waker of
    /// its latest poll was woken (or, for a stream, right after it gave an
    /// item, as `select_all` re-queues it), each time with a new waker. A
    /// wake-up on the waker of an earlier poll is dropped, as it may be
    /// when a stream moves to another task.
    pub struct FreshWakers<T> {
        #[pin]
        inner: T,
        current: Arc<Mutex<Current>>,
    }
}

struct Current {
    poll: usize,
    task: Option<Waker>,
    /// Whether the inner future is due a poll: woken on the newest waker,
    /// not polled yet, or a stream that just gave an item.
    due: bool,
}

impl<T> FreshWakers<T> {
    pub fn new(inner: T) -> Self {
        FreshWakers {
            inner,
            current: Arc::new(Mutex::new(Current {
                poll: 0,
                task: None,
                due: true,
            })),
        }
    }
}

/// Forwards to the task only while its poll is the newest.
struct Forward {
    poll: usize,
    current: Arc<Mutex<Current>>,
}

impl Wake for Forward {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut current = self.current.lock().unwrap();
        if current.poll == self.poll {
            current.due = true;
            if let Some(task) = &current.task {
                task.wake_by_ref();
            }
        }
    }
}

/// A new waker for the inner future if it is due a poll; `None` if not
/// (the task's waker is kept for the wake-up that makes it due).
fn fresh_waker(current: &Arc<Mutex<Current>>, cx: &Context<'_>) -> Option<Waker> {
    let mut now = current.lock().unwrap();
    now.task = Some(cx.waker().clone());
    if !std::mem::replace(&mut now.due, false) {
        return None;
    }
    now.poll += 1;
    Some(Waker::from(Arc::new(Forward {
        poll: now.poll,
        current: current.clone(),
    })))
}

impl<F: Future> Future for FreshWakers<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(waker) = fresh_waker(this.current, cx) else {
            return Poll::Pending;
        };
        this.inner.poll(&mut Context::from_waker(&waker))
    }
}

impl<S: futures::Stream> futures::Stream for FreshWakers<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        let Some(waker) = fresh_waker(this.current, cx) else {
            return Poll::Pending;
        };
        let item = this.inner.poll_next(&mut Context::from_waker(&waker));
        if item.is_ready() {
            this.current.lock().unwrap().due = true;
        }
        item
    }
}

/// Awaits `future`, but fails the test if it is not done after `watchdog`:
/// a hang becomes a failure instead of a test run that never ends. The
/// watchdog is a timer on `futures-timer`'s own thread, so it works on
/// every executor.
pub async fn or_stuck<F: Future>(watchdog: Duration, future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut alarm = futures_timer::Delay::new(watchdog);
    std::future::poll_fn(move |cx| {
        // The alarm first: the alarm's own wake-up may get a stalled future
        // going again, and it must not pass for done in time then.
        if Pin::new(&mut alarm).poll(cx).is_ready() {
            panic!(
                "still pending after {watchdog:?}: a Pending with no wake-up arranged on this poll's waker?"
            );
        }
        future.as_mut().poll(cx)
    })
    .await
}
