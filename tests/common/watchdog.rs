//! A watchdog per test: a test that hangs fails the run within a minute,
//! saying which test it was and how its body stood, instead of leaving the
//! whole run (or a mutation-testing job) waiting for ever.
//!
//! [`Watchdog::start`] starts a watcher thread for the test on the calling
//! thread; dropping the watchdog (the test ended, or panicked) stops the
//! watcher at once. If the test is still running when the limit passes,
//! the watcher writes the test's name and state to stderr and exits the
//! test process with status 101, as a failed test run does: the other
//! tests of the binary go with it, but nothing waits for ever.
//!
//! `on_every_executor!` watches every test it makes, body and all
//! ([`watched`]); plain `#[test]` fns start one themselves:
//!
//! ```ignore
//! #[test]
//! fn drives_a_batch() {
//!     let _watchdog = Watchdog::start();
//!     ...
//! }
//! ```
//!
//! The limit is [`DEFAULT_LIMIT`], or `FANOUT_TEST_WATCHDOG_SECS` seconds
//! when that is set (0 turns the watchdog off). Under Miri, which runs code
//! far slower, there is none unless the variable asks for one.

use pin_project_lite::pin_project;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a test may run unless `FANOUT_TEST_WATCHDOG_SECS` says
/// otherwise: far past what any test takes on a loaded 2-core machine, so
/// that reaching it means the test hangs, not that the machine is busy.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(60);

/// The environment variable that sets the limit, in whole seconds.
pub const LIMIT_VAR: &str = "FANOUT_TEST_WATCHDOG_SECS";

/// The status the process exits with when a test hangs: libtest's own for
/// a failed run.
pub const EXIT_STATUS: i32 = 101;

/// The limit for this run: `None` for no watchdog.
pub fn limit() -> Option<Duration> {
    match std::env::var(LIMIT_VAR) {
        Ok(secs) => match secs.trim().parse::<u64>() {
            Ok(0) => None,
            Ok(secs) => Some(Duration::from_secs(secs)),
            Err(_) => panic!("{LIMIT_VAR}={secs:?}: give a whole number of seconds"),
        },
        Err(_) if cfg!(miri) => None,
        Err(_) => Some(DEFAULT_LIMIT),
    }
}

/// How far a watched body got: what the message says when the limit
/// passes.
#[derive(Default)]
struct Progress {
    /// Whether a body is watched at all (plain tests have none).
    watched: bool,
    polls: u64,
    /// When the poll under way began, if one is.
    in_poll_since: Option<Instant>,
    /// When the last poll returned `Pending`, if the last one did.
    pending_since: Option<Instant>,
}

impl Progress {
    fn describe(&self) -> String {
        if !self.watched {
            return "a plain test, with no body future to report on".into();
        }
        match (self.polls, self.in_poll_since, self.pending_since) {
            (0, _, _) => "its body was never polled".into(),
            (polls, Some(since), _) => format!(
                "its body is inside poll {polls}, begun {:.1?} ago: something blocks the thread",
                since.elapsed()
            ),
            (polls, None, Some(since)) => format!(
                "its body was polled {}; the last poll returned Pending {:.1?} ago, and no wake-up has had it polled since",
                times(polls),
                since.elapsed()
            ),
            (polls, None, None) => format!(
                "its body was polled {} and is done; the test hangs after it",
                times(polls)
            ),
        }
    }
}

fn times(polls: u64) -> String {
    match polls {
        1 => "once".into(),
        polls => format!("{polls} times"),
    }
}

/// Watches the test on the thread that started it; see the module docs.
/// Dropping it stops the watcher at once.
pub struct Watchdog {
    progress: Arc<Mutex<Progress>>,
    /// Dropped to stop the watcher: its `recv_timeout` returns at once.
    stop: Option<mpsc::Sender<()>>,
    watcher: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Watches the current test, named as libtest names its thread, under
    /// this run's [`limit`].
    pub fn start() -> Self {
        let thread = std::thread::current();
        let name = format!(
            "{}::{}",
            env!("CARGO_CRATE_NAME"),
            thread.name().unwrap_or("<unnamed thread>")
        );
        Self::with_limit(name, limit())
    }

    /// Watches a test called `name`, which fails once it has run for
    /// `limit`; `None` watches nothing.
    pub fn with_limit(name: String, limit: Option<Duration>) -> Self {
        let progress = Arc::new(Mutex::new(Progress::default()));
        let Some(limit) = limit else {
            return Watchdog {
                progress,
                stop: None,
                watcher: None,
            };
        };
        let (stop, stopped) = mpsc::channel::<()>();
        let seen = progress.clone();
        let watcher = std::thread::Builder::new()
            .name(format!("watchdog for {name}"))
            .spawn(move || {
                // Nothing is ever sent: the watchdog's drop disconnects.
                if let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(limit) {
                    let state = lock(&seen).describe();
                    // Straight to the process's stderr: libtest captures
                    // what a test's threads print, and would never show it.
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "\nfanout test watchdog: `{name}` still running after {limit:?}; {state}.\n\
                         Exiting with status {EXIT_STATUS} ({LIMIT_VAR} sets the limit in seconds, 0 turns it off).\n"
                    );
                    std::process::exit(EXIT_STATUS);
                }
            })
            .expect("start a watchdog thread");
        Watchdog {
            progress,
            stop: Some(stop),
            watcher: Some(watcher),
        }
    }

    /// `body`, with its polls counted for the watchdog's message.
    pub fn watch<F: Future>(&self, body: F) -> Watched<F> {
        lock(&self.progress).watched = true;
        Watched {
            body,
            progress: self.progress.clone(),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(watcher) = self.watcher.take() {
            // Returns at once: the watcher wakes on the disconnect.
            let _ = watcher.join();
        }
    }
}

pin_project! {
    /// A test body, counting its polls for its [`Watchdog`].
    pub struct Watched<F> {
        #[pin]
        body: F,
        progress: Arc<Mutex<Progress>>,
    }
}

impl<F: Future> Future for Watched<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        {
            let mut progress = lock(this.progress);
            progress.polls += 1;
            progress.in_poll_since = Some(Instant::now());
        }
        let poll = this.body.poll(cx);
        let mut progress = lock(this.progress);
        progress.in_poll_since = None;
        progress.pending_since = poll.is_pending().then(Instant::now);
        poll
    }
}

/// Never poisoned: nothing that holds it can panic.
fn lock(progress: &Mutex<Progress>) -> MutexGuard<'_, Progress> {
    progress.lock().unwrap()
}

/// Runs the test body `body` on `executor` under a [`Watchdog`]: what
/// `on_every_executor!` makes of each test.
pub fn watched<F: Future>(executor: impl FnOnce(Watched<F>) -> F::Output, body: F) -> F::Output {
    let watchdog = Watchdog::start();
    executor(watchdog.watch(body))
}
