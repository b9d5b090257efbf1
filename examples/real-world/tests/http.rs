//! 200 real HTTP requests to a real server on loopback, through a real HTTP
//! client (hyper over smol's TCP, which runs under any executor): the exact
//! counts of ok, failed and timed out, on every executor.

// Miri cannot open sockets.
#![cfg(not(miri))]

// The executor set-ups of the main suite, so this test runs on each of them.
#[path = "../../../tests/common/mod.rs"]
mod common;
#[path = "../examples/support/mod.rs"]
mod support;

use fanout::Elapsed;
use fanout::prelude::*;
use std::time::Duration;
use support::http_server::{self, EXPECTED_FAILED, EXPECTED_OK, EXPECTED_TIMED_OUT};
use support::smol_fetch::{FetchError, fetch};

on_every_executor! {
    async fn two_hundred_requests_end_exactly_as_the_server_decides() {
        let addr = http_server::start();
        let paths = http_server::paths();
        // 1 s: twice the example's deadline, for loaded machines, and still
        // half the slow path's 2 s.
        let report = paths
            .iter()
            .map(|path| fetch(addr, path))
            .bounded(10)
            .with_deadline(Duration::from_secs(1))
            .report()
            .await;
        assert_eq!(report.ok.len(), EXPECTED_OK, "{report}");
        assert_eq!(report.failed.len(), EXPECTED_FAILED, "{report}");
        assert_eq!(report.timed_out.len(), EXPECTED_TIMED_OUT, "{report}");
        for (index, body) in &report.ok {
            assert_eq!(*body, format!("item {index}"));
        }
        for (index, error) in &report.failed {
            match error {
                FetchError::Status(500) => assert!(paths[*index].starts_with("/fail/")),
                FetchError::Http(_) => assert_eq!(paths[*index], "/drop/150"),
                other => panic!("input {index}: unexpected {other}"),
            }
        }
        assert_eq!(report.timed_out, [(100, Elapsed::Child)]);
    }

    async fn fail_fast_stops_at_a_server_error_and_pulls_nothing_after() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let addr = http_server::start();
        let paths = http_server::paths();
        let pulled = Arc::new(AtomicUsize::new(0));
        let pulled_at_failure = Arc::new(AtomicUsize::new(usize::MAX));
        let (counter, seen) = (pulled.clone(), pulled.clone());
        let at_failure = pulled_at_failure.clone();
        let result = paths
            .iter()
            .map(|path| {
                counter.fetch_add(1, SeqCst);
                fetch(addr, path)
            })
            .bounded(4)
            .on_each(move |_, done| {
                if let fanout::Done::Output(Err(_)) = done {
                    at_failure.store(seen.load(SeqCst), SeqCst);
                }
            })
            .try_gather()
            .await;
        assert!(matches!(result, Err(FetchError::Status(500))), "{result:?}");
        // Which inputs ran before the first failure depends on the server's
        // timing; that none was pulled after it does not.
        let pulled = pulled.load(SeqCst);
        assert_eq!(pulled, pulled_at_failure.load(SeqCst), "pulled after the failure");
        assert!(pulled < paths.len(), "pulled all {pulled}");
    }
}
