//! A crawl of a real site on loopback, through a batch whose input is a
//! channel fed with the links it finds: every page fetched exactly once,
//! every outcome met, the bound kept, and the batch ended once nothing was
//! left to fetch, on every executor.

// Miri cannot open sockets.
#![cfg(not(miri))]

// The executor set-ups of the main suite, so each test runs on each of them.
#[path = "../../../tests/common/mod.rs"]
mod common;
#[path = "../examples/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::time::Duration;
use support::crawl::{BOUND, Crawl, crawl};
use support::http_server::{self, PAGES};
use support::smol_fetch::FetchError;

/// 1 s: twice the example's deadline, for loaded machines, and still half
/// the slow path's 2 s.
const DEADLINE: Duration = Duration::from_secs(1);

/// The paths the site's links lead to besides its 40 pages (see
/// `http_server::page_links`).
const FAILED: [&str; 5] = ["/fail/5", "/fail/15", "/fail/25", "/fail/35", "/drop/27"];
const TIMED_OUT: &str = "/slow/12";

/// Runs `crawl`, failing the test rather than hanging it if the crawl
/// never ends.
async fn crawl_to_the_end(start: &str) -> Crawl {
    let addr = http_server::start();
    let crawl = Box::pin(crawl(addr, start, DEADLINE));
    let hang = futures_timer::Delay::new(Duration::from_secs(30));
    match futures::future::select(crawl, hang).await {
        futures::future::Either::Left((crawl, _)) => crawl,
        futures::future::Either::Right(_) => panic!("the crawl from {start} never ended"),
    }
}

fn sorted<'a>(paths: impl IntoIterator<Item = &'a String>) -> BTreeSet<&'a str> {
    paths.into_iter().map(String::as_str).collect()
}

on_every_executor! {
    async fn the_crawl_meets_every_path_once_and_ends_when_none_is_left() {
        let crawl = crawl_to_the_end("/page/0").await;
        assert_eq!(crawl.discovered.len(), PAGES + FAILED.len() + 1, "{crawl:?}");
        assert_eq!(crawl.fetched.len(), PAGES, "{crawl:?}");
        assert_eq!(crawl.failed.len(), FAILED.len(), "{crawl:?}");
        assert_eq!(crawl.timed_out, [TIMED_OUT], "{crawl:?}");

        let pages: Vec<String> = (0..PAGES).map(|i| format!("/page/{i}")).collect();
        assert_eq!(sorted(&crawl.fetched), sorted(&pages));
        let failed = sorted(crawl.failed.iter().map(|(path, _)| path));
        assert_eq!(failed, BTreeSet::from(FAILED));
        for (path, error) in &crawl.failed {
            match error {
                FetchError::Status(500) => assert!(path.starts_with("/fail/"), "{path}"),
                FetchError::Http(_) => assert_eq!(path, "/drop/27"),
                other => panic!("{path}: unexpected {other}"),
            }
        }

        // Each path found was sent into the batch once, and fetched once.
        assert_eq!(sorted(&crawl.discovered).len(), crawl.discovered.len());
        assert_eq!(crawl.requested.len(), crawl.discovered.len());
        assert_eq!(sorted(&crawl.requested), sorted(&crawl.discovered));
        assert_eq!(crawl.discovered[0], "/page/0");
    }

    async fn never_more_than_eight_fetches_are_in_flight() {
        let crawl = crawl_to_the_end("/page/0").await;
        // The home page links to ten pages: once it is fetched, the batch
        // admits eight of them in one go, and each waits for its connection
        // on its first poll. So the peak is the bound, and no more.
        assert_eq!(crawl.peak_in_flight, BOUND);
        assert_eq!(BOUND, 8);
    }

    async fn a_crawl_from_a_path_without_links_ends_after_it_whatever_its_outcome() {
        let crawl = crawl_to_the_end("/ok/1").await;
        assert_eq!((crawl.fetched.len(), crawl.discovered.len()), (1, 1), "{crawl:?}");
        let crawl = crawl_to_the_end("/fail/1").await;
        assert_eq!((crawl.failed.len(), crawl.discovered.len()), (1, 1), "{crawl:?}");
        let crawl = crawl_to_the_end("/slow/1").await;
        assert_eq!(crawl.timed_out, ["/slow/1"], "{crawl:?}");
        assert_eq!(crawl.discovered.len(), 1, "{crawl:?}");
    }
}
