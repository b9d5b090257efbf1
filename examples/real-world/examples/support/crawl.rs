//! The crawler the `crawl` example and its test share: a batch whose input
//! is a channel, fed by the loop that reads the batch's own outputs.
//!
//! Each fetched page's links go back into the channel when they are new;
//! the loop keeps the only sender and drops it once every path it found has
//! finished (fetched, failed or timed out), which ends the batch.

use super::smol_fetch::{FetchError, fetch};
use fanout::prelude::*;
use futures::StreamExt;
use futures::channel::mpsc;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How many fetches the crawler runs at once, at most.
pub(crate) const BOUND: usize = 8;

/// What a crawl met, each path under the way it ended.
#[derive(Debug, Default)]
pub(crate) struct Crawl {
    /// Every path found, the start first, in the order it was sent into the
    /// batch: a child's index in the batch is its place here.
    pub(crate) discovered: Vec<String>,
    /// The pages fetched, in the order they finished.
    pub(crate) fetched: Vec<String>,
    pub(crate) failed: Vec<(String, FetchError)>,
    pub(crate) timed_out: Vec<String>,
    /// Every fetch started, in the order it started.
    pub(crate) requested: Vec<String>,
    /// The most fetches in flight at once.
    pub(crate) peak_in_flight: usize,
}

impl Crawl {
    fn finished(&self) -> usize {
        self.fetched.len() + self.failed.len() + self.timed_out.len()
    }
}

/// Crawls the site at `addr` from `start`, `BOUND` fetches at a time, each
/// given `deadline` from its admission.
pub(crate) async fn crawl(addr: SocketAddr, start: &str, deadline: Duration) -> Crawl {
    let mut crawl = Crawl::default();
    let flight = Flight::default();
    let (to_fetch, paths) = mpsc::unbounded::<String>();
    let mut seen = HashSet::from([start.to_string()]);
    crawl.discovered.push(start.to_string());
    to_fetch
        .unbounded_send(start.to_string())
        .expect("the receiver is alive");
    // The only sender. While it lives the batch waits for more paths; once
    // dropped, the batch ends after its last running fetch.
    let mut to_fetch = Some(to_fetch);
    let mut pages = paths
        .map(|path| flight.fetch(addr, path))
        .bounded(BOUND)
        .with_deadline(deadline)
        .as_completed();
    while let Some((index, outcome)) = pages.next().await {
        let path = crawl.discovered[index].clone();
        match outcome {
            Ok(Ok(html)) => {
                let sender = to_fetch
                    .as_ref()
                    .expect("the sender lives while a path is outstanding");
                for link in links(&html) {
                    if seen.insert(link.to_string()) {
                        crawl.discovered.push(link.to_string());
                        sender
                            .unbounded_send(link.to_string())
                            .expect("the batch holds the receiver");
                    }
                }
                crawl.fetched.push(path);
            }
            Ok(Err(error)) => crawl.failed.push((path, error)),
            Err(_elapsed) => crawl.timed_out.push(path),
        }
        // Every path found has finished: none is running or waiting in the
        // channel, and no page is left to find links on. Dropping the sender
        // ends the channel, and with it the batch.
        let outstanding = crawl.discovered.len() - crawl.finished();
        if outstanding == 0 {
            to_fetch = None;
        }
    }
    drop(pages);
    crawl.requested = flight.requested.into_inner().expect("no fetch panicked");
    crawl.peak_in_flight = flight.peak.into_inner();
    crawl
}

/// The same-site links of an HTML page: the `href`s that start with `/`.
fn links(html: &str) -> impl Iterator<Item = &str> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|link| link.starts_with('/'))
}

/// Counts the fetches in flight and records each one's path.
#[derive(Default)]
struct Flight {
    now: AtomicUsize,
    peak: AtomicUsize,
    requested: Mutex<Vec<String>>,
}

impl Flight {
    /// `fetch(addr, path)`, counted from its first poll until it is dropped
    /// (finished, or cut by its deadline).
    async fn fetch(&self, addr: SocketAddr, path: String) -> Result<String, FetchError> {
        let _in_flight = InFlight::enter(self, &path);
        fetch(addr, &path).await
    }
}

/// One fetch in flight, until dropped.
struct InFlight<'a>(&'a Flight);

impl<'a> InFlight<'a> {
    fn enter(flight: &'a Flight, path: &str) -> Self {
        let now = flight.now.fetch_add(1, Ordering::SeqCst) + 1;
        flight.peak.fetch_max(now, Ordering::SeqCst);
        flight
            .requested
            .lock()
            .expect("no fetch panicked")
            .push(path.to_string());
        InFlight(flight)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}
