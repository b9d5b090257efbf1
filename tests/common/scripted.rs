//! Children that follow a script: pending a given number of times, each time
//! woken in a given way, then finishing with a given end.

use super::ledger::{Debt, Ledger};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Who wakes a scripted child after it returns `Pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The child wakes itself before returning `Pending`.
    AtOnce,
    /// Another thread wakes it a little later.
    OtherThread,
    /// A `futures_timer::Delay` wakes it.
    Timer,
    /// Another thread wakes it at once, racing the poll that handed it the
    /// waker: the child spins (yielding the CPU) for up to `spin_us`
    /// microseconds or until it has been woken, so the wake-up lands
    /// sometimes before that poll returns and sometimes after.
    Race { spin_us: u8 },
    /// Two sources hold its waker: the thread of [`Race`](Wake::Race),
    /// which wakes it at once, and a slower one that wakes it `late_us`
    /// microseconds later. The child goes on once the first has
    /// woken it; the second wake-up comes late, often after the child
    /// finished, when the place it woke may hold the next child.
    Twice { late_us: u16 },
}

/// How a scripted child ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Ok,
    Err,
    /// Pending forever, with no wake-up arranged.
    Never,
}

#[derive(Debug, Clone, Copy)]
pub struct Script {
    pub pendings: u8,
    pub wake: Wake,
    pub end: End,
}

/// What a scripted child for input `index` returns when it ends.
pub fn expected(index: usize, end: End) -> Option<Result<usize, usize>> {
    match end {
        End::Ok => Some(Ok(index * 3)),
        End::Err => Some(Err(index)),
        End::Never => None,
    }
}

pub struct Scripted {
    index: usize,
    script: Script,
    delay: Option<futures_timer::Delay>,
    /// Runs just before the child returns its `Err`.
    on_error: Option<Box<dyn FnOnce() + Send>>,
    /// The test's ledger and this child's debt, when kept.
    book: Option<(Ledger, Debt)>,
}

impl Scripted {
    pub fn new(index: usize, script: Script) -> Self {
        Scripted {
            index,
            script,
            delay: None,
            on_error: None,
            book: None,
        }
    }

    pub fn on_error(mut self, hook: impl FnOnce() + Send + 'static) -> Self {
        self.on_error = Some(Box::new(hook));
        self
    }

    /// Keeps `ledger`: every wake-up the child arranges off its own poll is
    /// promised there, and every wake-up it gets makes it owe a poll.
    pub fn keeping(mut self, ledger: &Ledger) -> Self {
        self.book = Some((ledger.clone(), ledger.debt(self.index, false)));
        self
    }

    /// As [`keeping`](Scripted::keeping), and the ledger counts every poll
    /// of the child that begins while it was not woken (rule 13): for a
    /// child of a batch, never for an input a batch may poll whenever it
    /// could admit.
    pub fn keeping_strictly(mut self, ledger: &Ledger) -> Self {
        self.book = Some((ledger.clone(), ledger.debt(self.index, true)));
        self
    }

    /// `waker`, promised in the ledger if one is kept.
    fn promise(&self, waker: &Waker) -> Waker {
        match &self.book {
            Some((ledger, debt)) => ledger.promise(waker, Some(debt)),
            None => waker.clone(),
        }
    }

    /// The child woke itself.
    fn woke_itself(&self) {
        if let Some((_, debt)) = &self.book {
            debt.woke_itself();
        }
    }

    fn finished(&self) {
        if let Some((_, debt)) = &self.book {
            debt.retire();
        }
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.finished();
    }
}

impl Future for Scripted {
    type Output = Result<usize, usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some((_, debt)) = &self.book {
            debt.poll_begins();
        }
        let polled = self.as_mut().follow_script(cx);
        if let Some((_, debt)) = &self.book {
            debt.poll_ends();
        }
        polled
    }
}

impl Scripted {
    /// One poll's worth of the script.
    fn follow_script(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<<Self as Future>::Output> {
        if self.script.pendings > 0 {
            match self.script.wake {
                Wake::AtOnce => {
                    cx.waker().wake_by_ref();
                    self.woke_itself();
                }
                Wake::OtherThread => wake_from_another_thread(self.promise(cx.waker())),
                Wake::Twice { late_us } => {
                    wake_racing(self.promise(cx.waker()), Duration::ZERO);
                    wake_late(
                        self.promise(cx.waker()),
                        Duration::from_micros(late_us.into()),
                    );
                }
                Wake::Race { spin_us } => wake_racing(
                    self.promise(cx.waker()),
                    Duration::from_micros(spin_us.into()),
                ),
                Wake::Timer => {
                    let waker = self.promise(cx.waker());
                    let delay = self
                        .delay
                        .get_or_insert_with(|| futures_timer::Delay::new(Duration::ZERO));
                    if Pin::new(delay)
                        .poll(&mut Context::from_waker(&waker))
                        .is_pending()
                    {
                        return Poll::Pending;
                    }
                    self.delay = None;
                    cx.waker().wake_by_ref();
                    self.woke_itself();
                }
            }
            self.script.pendings -= 1;
            return Poll::Pending;
        }
        match self.script.end {
            End::Ok => {
                self.finished();
                Poll::Ready(Ok(self.index * 3))
            }
            End::Err => {
                if let Some(hook) = self.on_error.take() {
                    hook();
                }
                self.finished();
                Poll::Ready(Err(self.index))
            }
            End::Never => Poll::Pending,
        }
    }
}

/// Hands `waker` to a helper thread that wakes it after a short pause.
pub fn wake_from_another_thread(waker: Waker) {
    static HELPER: OnceLock<Mutex<Sender<Waker>>> = OnceLock::new();
    let sender = HELPER.get_or_init(|| {
        let (sender, receiver) = channel::<Waker>();
        std::thread::spawn(move || {
            for waker in receiver {
                std::thread::sleep(Duration::from_micros(20));
                waker.wake();
            }
        });
        Mutex::new(sender)
    });
    sender
        .lock()
        .unwrap()
        .send(waker)
        .expect("the waking thread runs for the whole test");
}

/// Hands `waker` to a helper thread that wakes it `after` from now (or
/// later, behind wake-ups handed to it earlier and due later).
pub fn wake_late(waker: Waker, after: Duration) {
    static HELPER: OnceLock<Mutex<Sender<(Waker, Instant)>>> = OnceLock::new();
    let sender = HELPER.get_or_init(|| {
        let (sender, receiver) = channel::<(Waker, Instant)>();
        std::thread::spawn(move || {
            for (waker, due) in receiver {
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                waker.wake();
            }
        });
        Mutex::new(sender)
    });
    sender
        .lock()
        .unwrap()
        .send((waker, Instant::now() + after))
        .expect("the late thread runs for the whole test");
}

/// Hands `waker` to a helper thread that wakes it at once, with no pause,
/// then spins for up to `spin` (yielding the CPU, so the helper can run on
/// a busy machine) or until the wake-up has happened: the wake-up races
/// the poll that is still running, and lands before or after it returns.
pub fn wake_racing(waker: Waker, spin: Duration) {
    /// A waker to wake, and the flag to raise once it has been woken.
    type Job = (Waker, Arc<AtomicBool>);
    static HELPER: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    let sender = HELPER.get_or_init(|| {
        let (sender, receiver) = channel::<Job>();
        std::thread::spawn(move || {
            for (waker, woken) in receiver {
                waker.wake();
                woken.store(true, SeqCst);
            }
        });
        Mutex::new(sender)
    });
    let woken = Arc::new(AtomicBool::new(false));
    sender
        .lock()
        .unwrap()
        .send((waker, woken.clone()))
        .expect("the racing thread runs for the whole test");
    let started = Instant::now();
    while !woken.load(SeqCst) && started.elapsed() < spin {
        std::thread::yield_now();
    }
}

/// What a [`ScriptedStream`]'s size hint says, of the items it has left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// The truth.
    True,
    /// That it is empty: `(0, Some(0))`.
    SaysEmpty,
    /// Half as many as it has, at most.
    TooLow,
    /// At least twice as many as it has, and no end.
    TooHigh,
}

/// A stream input made of an iterator's children, pending before some of
/// them as a script says: before item `i`, if `gaps[i]` is set, the stream
/// waits on a [`Scripted`] gate (pending its `pendings` times, woken its
/// way), made only when the batch asks for that item, so a gate that owes a
/// poll is one the batch has asked for.
pub struct ScriptedStream<I> {
    children: I,
    gaps: Vec<Option<Script>>,
    next: usize,
    gate: Option<Scripted>,
    ledger: Ledger,
    /// `(running children, limit)`: a poll while `limit` children run is a
    /// poll while every slot is taken.
    gate_check: Option<(super::Tracker, usize)>,
    /// The batch queues at a shared limiter: a poll made when the stream's
    /// hint says it is empty is the one the design allows while full.
    shared: bool,
    hint: Hint,
    polls_while_full: Arc<std::sync::atomic::AtomicUsize>,
}

impl<I: Iterator> ScriptedStream<I> {
    pub fn new(children: I, gaps: Vec<Option<Script>>, ledger: &Ledger) -> Self {
        ScriptedStream {
            children,
            gaps,
            next: 0,
            gate: None,
            ledger: ledger.clone(),
            gate_check: None,
            shared: false,
            hint: Hint::True,
            polls_while_full: Arc::default(),
        }
    }

    /// Counts the polls made while `limit` children of `tracker` run; a
    /// batch under a `shared` limiter may make one when the hint says the
    /// stream is empty.
    pub fn gated(mut self, tracker: &super::Tracker, limit: usize, shared: bool) -> Self {
        self.gate_check = Some((tracker.clone(), limit));
        self.shared = shared;
        self
    }

    /// Its size hint says `hint`.
    pub fn hint(mut self, hint: Hint) -> Self {
        self.hint = hint;
        self
    }

    pub fn polls_while_full(&self) -> Arc<std::sync::atomic::AtomicUsize> {
        self.polls_while_full.clone()
    }
}

impl<I: Iterator + Unpin> futures::Stream for ScriptedStream<I> {
    type Item = I::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<I::Item>> {
        let this = &mut *self;
        let full = |(tracker, limit): &(super::Tracker, usize)| tracker.running() >= *limit;
        // A stream whose hint says it is empty is asked before its batch
        // queues at a shared limiter for a permit (a hint is no promise):
        // the one poll the design allows while every slot is taken.
        let says_empty = this.shared && futures::Stream::size_hint(&*this) == (0, Some(0));
        if !says_empty && this.gate_check.as_ref().is_some_and(full) {
            this.polls_while_full.fetch_add(1, SeqCst);
        }
        if let Some(Some(script)) = this.gaps.get(this.next) {
            let ledger = &this.ledger;
            let gate = this
                .gate
                .get_or_insert_with(|| Scripted::new(0, *script).keeping(ledger));
            if Pin::new(gate).poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.gate = None;
        }
        this.next += 1;
        Poll::Ready(this.children.next())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (low, high) = self.children.size_hint();
        let left = high.unwrap_or(low);
        match self.hint {
            Hint::True => (low, high),
            Hint::SaysEmpty => (0, Some(0)),
            Hint::TooLow => (0, Some(left / 2)),
            Hint::TooHigh => (left.saturating_mul(2).saturating_add(100), None),
        }
    }
}
