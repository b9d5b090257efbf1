//! A tour of fanout, cell by cell, in the order of Python's asyncio notebook
//! "Run async tasks concurrently": gather, failures as values, a cap on
//! concurrency, and a per-task timeout.
//!
//! Run it with `cargo run --example tour`. It needs no runtime: the whole
//! tour runs on `futures::executor::block_on`.

use fanout::prelude::*;
use futures_timer::Delay;
use std::time::{Duration, Instant};

/// Stands in for a network call: waits, then answers.
async fn fetch(item: usize, took: Duration) -> String {
    Delay::new(took).await;
    format!("data-{item}")
}

/// A call that fails for item 3.
async fn flaky_call(item: usize) -> Result<String, String> {
    Delay::new(Duration::from_millis(100)).await;
    if item == 3 {
        Err("service unavailable".to_string())
    } else {
        Ok(format!("ok-{item}"))
    }
}

fn seconds(since: Instant) -> String {
    format!("{:.2} s", since.elapsed().as_secs_f64())
}

async fn tour() {
    println!("1. gather: 10 fetches of 0.5 s each, all at once");
    let started = Instant::now();
    let results = (0..10)
        .map(|i| fetch(i, Duration::from_millis(500)))
        .gather()
        .await;
    println!(
        "   {} results in {}: {:?} ...",
        results.len(),
        seconds(started),
        &results[..3]
    );

    println!("\n2. failures are values: six calls, item 3 fails, nothing is lost");
    let outcomes = (0..6).map(flaky_call).gather().await;
    let (ok, failed): (Vec<_>, Vec<_>) = outcomes
        .into_iter()
        .enumerate()
        .partition(|(_, r)| r.is_ok());
    println!(
        "   succeeded: {:?}",
        ok.iter().map(|(i, _)| i).collect::<Vec<_>>()
    );
    for (i, outcome) in &failed {
        println!("   failed:    item {i}: {}", outcome.as_ref().unwrap_err());
    }

    println!("\n3. bounded(5): 20 fetches of 0.5 s, at most 5 at a time");
    let started = Instant::now();
    let results = (0..20)
        .map(|i| fetch(i, Duration::from_millis(500)))
        .bounded(5)
        .gather()
        .await;
    println!(
        "   {} results in {} (four waves of five)",
        results.len(),
        seconds(started)
    );

    println!("\n4. with_deadline(1 s): six calls, at most 5 at a time, item 4 takes 2 s");
    let started = Instant::now();
    let calls = (0..6).map(|i| {
        let took = if i == 4 {
            Duration::from_secs(2)
        } else {
            Duration::from_millis(300)
        };
        fetch(i, took)
    });
    let results = calls
        .bounded(5)
        .with_deadline(Duration::from_secs(1))
        .gather()
        .await;
    for (i, result) in results.iter().enumerate() {
        match result {
            Ok(data) => println!("   item {i}: {data}"),
            Err(elapsed) => println!("   item {i}: cancelled: {elapsed}"),
        }
    }
    println!("   done in {}", seconds(started));
}

fn main() {
    futures::executor::block_on(tour());
}
