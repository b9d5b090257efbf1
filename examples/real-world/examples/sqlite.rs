//! 500 real queries through an async SQLite driver (sqlx, on async-std: no
//! tokio): at most 8 at once, 300 ms for each. A malformed query comes back
//! as an error value, deliberately heavy ones as deadline misses, the rest
//! as rows; then the same batch under `try_gather` stops at the first error.
//!
//! Run it with `cargo run --example sqlite`. The database is a temporary
//! file, seeded by the example and deleted at the end.
//!
//! async-std is discontinued upstream (RUSTSEC-2025-0052) and smol is its
//! successor: start a new program on smol (`http_smol` runs the same kind of
//! chain there). This example stays on async-std because sqlx runs its
//! drivers on async-std or tokio only, and fanout keeps working for the
//! programs that have not moved yet.

mod support;

use fanout::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::sqlite_job::{QUERIES, QueryError, ROWS, run_query, seeded_pool};

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let pool = seeded_pool(&dir.path().join("fanout-example.sqlite")).await?;
    println!("seeded {ROWS} rows; running {QUERIES} queries, bounded(8), 300 ms each");

    let started = Instant::now();
    let report = (0..QUERIES)
        .map(|i| run_query(&pool, i))
        .bounded(8)
        .with_deadline(Duration::from_millis(300))
        .report()
        .await;
    println!(
        "report: {report} in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    for (index, error) in &report.failed {
        println!("  failed    #{index}: {error}");
    }
    let slow: Vec<usize> = report.timed_out.iter().map(|(index, _)| *index).collect();
    println!("  timed out {slow:?}");
    if let Some((index, (name, price))) = report.ok.first() {
        println!("  e.g. #{index}: {name}, price {price}");
    }

    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let first_error = (0..QUERIES)
        .map(|i| {
            counter.fetch_add(1, Ordering::Relaxed);
            let pool = &pool;
            async move { Ok::<_, QueryError>(run_query(pool, i).await?) }
        })
        .bounded(8)
        .with_deadline(Duration::from_millis(300))
        .try_gather()
        .await;
    match first_error {
        Ok(rows) => println!("try_gather: all {} rows", rows.len()),
        Err(error) => println!(
            "try_gather: stopped at the first error after pulling {} of {QUERIES} queries: {error}",
            pulled.load(Ordering::Relaxed)
        ),
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    async_std::task::block_on(run())
}
