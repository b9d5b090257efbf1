//! 500 real queries through sqlx's SQLite driver, on a database the test
//! seeds in a temporary directory: the exact counts of rows, errors and
//! deadline misses, and `try_gather` stopping at the malformed query.
//!
//! Run on two executors rather than five: each run leaves its five heavy
//! queries burning CPU on SQLite's threads after their deadlines drop them
//! (the driver cannot interrupt a running statement), and five runs at once
//! would starve the rest of the suite.

// Miri cannot call into SQLite, a C library.
#![cfg(not(miri))]

#[path = "../examples/support/mod.rs"]
mod support;

use fanout::Elapsed;
use fanout::prelude::*;
use std::time::Duration;
use support::sqlite_job::{
    EXPECTED_OK, HEAVY, MALFORMED, QUERIES, QueryError, run_query, seeded_pool,
};

async fn every_query_ends_as_its_kind_says() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pool = seeded_pool(&dir.path().join("test.sqlite"))
        .await
        .expect("a seeded database");
    let report = (0..QUERIES)
        .map(|i| run_query(&pool, i))
        .bounded(8)
        .with_deadline(Duration::from_millis(500))
        .report()
        .await;
    assert_eq!(report.ok.len(), EXPECTED_OK, "{report}");
    assert_eq!(report.failed.len(), 1, "{report}");
    assert_eq!(report.failed[0].0, MALFORMED);
    let timed_out: Vec<usize> = report.timed_out.iter().map(|(index, _)| *index).collect();
    assert_eq!(timed_out, HEAVY);
    assert!(
        report
            .timed_out
            .iter()
            .all(|(_, why)| *why == Elapsed::Child)
    );
    // Rows come back in input order, each the one its query asked for.
    let (index, (name, _)) = &report.ok[0];
    assert_eq!((*index, name.as_str()), (0, "item-1"));

    // From input 100 on: the malformed query (123) is admitted before any
    // heavy one (150), so its error is the first failure in time however
    // slow the machine. From 0, heavy query 50 is admitted first, and on a
    // loaded machine its deadline could pass before 73 more queries ran.
    let result = (100..QUERIES)
        .map(|i| {
            let pool = &pool;
            async move { Ok::<_, QueryError>(run_query(pool, i).await?) }
        })
        .bounded(8)
        .with_deadline(Duration::from_millis(500))
        .try_gather()
        .await;
    assert!(matches!(result, Err(QueryError::Sql(_))), "{result:?}");
}

#[test]
fn on_async_std() {
    async_std::task::block_on(every_query_ends_as_its_kind_says());
}

#[test]
fn on_block_on() {
    futures::executor::block_on(every_query_ends_as_its_kind_says());
}
