//! The simulated service both `first_hour` examples call, and the gauges
//! they check it with. No network: each call sleeps a few milliseconds on
//! `futures_timer` (which needs no runtime, so the same service runs under
//! `block_on` and under tokio); some calls fail and some hang.

use futures_timer::Delay;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a caller gives one call.
pub(crate) const DEADLINE: Duration = Duration::from_millis(200);

/// What a call returns.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) id: u32,
    pub(crate) body: String,
}

/// Why a call failed: the service said no, or the caller gave up on it.
#[derive(Debug, PartialEq)]
pub(crate) enum FetchError {
    Status { id: u32, code: u16 },
    TimedOut,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Status { id, code } => write!(f, "HTTP {code} from request {id}"),
            FetchError::TimedOut => f.write_str("timed out"),
        }
    }
}

impl std::error::Error for FetchError {}

/// Requests that fail: one in 25 (7, 32, 57, ...).
pub(crate) fn fails(id: u32) -> bool {
    id % 25 == 7
}

/// Requests that hang for 2 s, far past [`DEADLINE`]: one in 40 (13,
/// 53, 93, ...).
pub(crate) fn hangs(id: u32) -> bool {
    id % 40 == 13
}

/// One call: 1 ms to fail, 2 s to hang, 3 to 7 ms otherwise.
pub(crate) async fn fetch(id: u32) -> Result<Response, FetchError> {
    let _call = Call::start();
    if fails(id) {
        Delay::new(Duration::from_millis(1)).await;
        return Err(FetchError::Status { id, code: 500 });
    }
    let took = if hangs(id) {
        2_000
    } else {
        3 + u64::from(id % 5)
    };
    Delay::new(Duration::from_millis(took)).await;
    Ok(Response {
        id,
        body: format!("body of {id}"),
    })
}

/// Calls in flight now, the most ever in flight, and when each call
/// started: what the examples assert about caps and rates.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static MOST_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static STARTS: Mutex<Vec<Instant>> = Mutex::new(Vec::new());

/// One call in flight; dropping it (finished or cancelled) ends it.
struct Call;

impl Call {
    fn start() -> Self {
        STARTS.lock().unwrap().push(Instant::now());
        let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
        MOST_IN_FLIGHT.fetch_max(now, Ordering::SeqCst);
        Call
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Forgets what earlier programs did to the gauges.
pub(crate) fn reset_gauges() {
    assert_eq!(in_flight(), 0, "a call outlived its program");
    MOST_IN_FLIGHT.store(0, Ordering::SeqCst);
    STARTS.lock().unwrap().clear();
}

pub(crate) fn in_flight() -> usize {
    IN_FLIGHT.load(Ordering::SeqCst)
}

pub(crate) fn most_in_flight() -> usize {
    MOST_IN_FLIGHT.load(Ordering::SeqCst)
}

/// How many calls started since the last reset.
pub(crate) fn started() -> usize {
    STARTS.lock().unwrap().len()
}

/// The most calls that started within any window of `per`.
pub(crate) fn most_starts_within(per: Duration) -> usize {
    let mut starts = STARTS.lock().unwrap().clone();
    starts.sort();
    let mut most = 0;
    let mut first = 0;
    for (last, at) in starts.iter().enumerate() {
        while *at - starts[first] >= per {
            first += 1;
        }
        most = most.max(last - first + 1);
    }
    most
}

/// Where the pipeline writes its results: it keeps them, takes 1 ms a
/// write, and asks for a stop (as a Ctrl-C handler would) once it has
/// written `stop_after`.
pub(crate) struct Writer {
    pub(crate) written: Vec<Result<Response, FetchError>>,
    stop_after: usize,
    stop: Option<futures::channel::oneshot::Sender<()>>,
}

impl Writer {
    pub(crate) fn new(stop_after: usize, stop: futures::channel::oneshot::Sender<()>) -> Self {
        Writer {
            written: Vec::new(),
            stop_after,
            stop: Some(stop),
        }
    }

    /// Writes one result; the returned future is the write's I/O.
    pub(crate) fn write(&mut self, result: Result<Response, FetchError>) -> Delay {
        self.written.push(result);
        if self.written.len() == self.stop_after {
            if let Some(stop) = self.stop.take() {
                let _ = stop.send(());
            }
        }
        Delay::new(Duration::from_millis(1))
    }

    /// How many of the results written are failures, and how many of
    /// those timed out.
    pub(crate) fn failures(&self) -> (usize, usize) {
        let count = |wanted: fn(&FetchError) -> bool| {
            let written = self.written.iter();
            written
                .filter(|result| result.as_ref().is_err_and(wanted))
                .count()
        };
        (
            count(|error| matches!(error, FetchError::Status { .. })),
            count(|error| *error == FetchError::TimedOut),
        )
    }

    /// True when every result written stands in its input's place: the
    /// `n`th written is the answer to request `n`.
    pub(crate) fn in_input_order(&self) -> bool {
        self.written
            .iter()
            .enumerate()
            .all(|(n, result)| match result {
                Ok(response) => response.id as usize == n,
                Err(FetchError::Status { id, .. }) => *id as usize == n,
                Err(FetchError::TimedOut) => hangs(n as u32),
            })
    }
}

/// Feeds request ids 0, 1, 2, ... into a channel of 16 until the receiver
/// is dropped; up to `last` at most.
pub(crate) async fn produce(mut jobs: futures::channel::mpsc::Sender<u32>, last: u32) {
    use futures::SinkExt;
    for id in 0..=last {
        if jobs.send(id).await.is_err() {
            return; // the pipeline stopped and dropped its receiver
        }
    }
}
