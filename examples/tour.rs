//! A tour of fanout, cell by cell, in the order of Python's asyncio notebook
//! "Run async tasks concurrently": gather, failures as values, a cap on
//! concurrency, a per-task timeout, a task group that fails fast, a
//! graceful stop, and a consumer that awaits between results.
//!
//! Run it with `cargo run --example tour`. It needs no runtime: the whole
//! tour runs on `futures::executor::block_on`.

use fanout::prelude::*;
use futures::channel::oneshot;
use futures_timer::Delay;
use std::sync::{Arc, Mutex};
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
    println!("   in input order: {outcomes:?}");
    // Or let fanout sort them: successes and failures, with their indices.
    let report = (0..6).map(flaky_call).report().await;
    println!("   report: {report}");
    let succeeded: Vec<usize> = report.ok.iter().map(|(i, _)| *i).collect();
    println!("   succeeded: {succeeded:?}");
    for (i, error) in &report.failed {
        println!("   failed:    item {i}: {error}");
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

    println!(
        "\n5. try_gather, like a TaskGroup: 8 calls of 1 s, at most 4 at a time; item 2 fails at 0.15 s"
    );
    let started = Instant::now();
    let progress = Arc::new(Mutex::new(vec![Progress::NotStarted; 8]));
    let calls = (0..8).map(|i| {
        let progress = progress.clone();
        async move {
            let mark = Mark::new(i, progress);
            Delay::new(Duration::from_millis(if i == 2 { 150 } else { 1_000 })).await;
            mark.finished();
            if i == 2 {
                Err(format!("item {i}: connection reset"))
            } else {
                Ok(i)
            }
        }
    });
    let outcome = calls.bounded(4).try_gather().await;
    println!("   {:?} after {}", outcome, seconds(started));
    let progress = progress.lock().unwrap().clone();
    let listed = |wanted: Progress| {
        let items: Vec<usize> = (0..8).filter(|&i| progress[i] == wanted).collect();
        format!("{items:?}")
    };
    println!(
        "   cancelled while running: {}",
        listed(Progress::Cancelled)
    );
    println!("   finished: {}", listed(Progress::Finished));
    println!("   never started: {}", listed(Progress::NotStarted));

    println!(
        "\n6. until, a graceful stop: 100 fetches of 0.1 s, at most 4 at a time; Ctrl-C at 0.25 s"
    );
    let started = Instant::now();
    // A Ctrl-C handler would send on this channel; here a timer does.
    let (ctrl_c, stop) = oneshot::channel::<()>();
    let press_ctrl_c = async {
        Delay::new(Duration::from_millis(250)).await;
        let _ = ctrl_c.send(());
    };
    let fetches = (0..100).map(|i| fetch(i, Duration::from_millis(100)));
    let (done, ()) = futures::join!(fetches.bounded(4).until(stop).gather(), press_ctrl_c);
    let prefix = done
        .iter()
        .enumerate()
        .all(|(i, data)| *data == format!("data-{i}"));
    println!(
        "   {} done in {}, {}: those running at the stop finished, none started after it",
        done.len(),
        seconds(started),
        if prefix {
            "a prefix of the input"
        } else {
            "not a prefix of the input"
        }
    );

    println!(
        "\n7. a consumer that awaits: 12 jobs of five 20 ms steps, at most 4 at a time, 300 ms each; writing a result takes 150 ms"
    );
    let job = |i: usize| async move {
        for _ in 0..5 {
            Delay::new(Duration::from_millis(20)).await;
        }
        i
    };
    let write = || Delay::new(Duration::from_millis(150));
    let deadline = Duration::from_millis(300);
    // The trap: the loop awaits `write`, and no child runs meanwhile.
    let started = Instant::now();
    let mut results = (0..12)
        .map(job)
        .bounded(4)
        .with_deadline(deadline)
        .as_completed();
    let mut in_time = 0;
    while let Some((_, result)) = futures::StreamExt::next(&mut results).await {
        write().await;
        in_time += usize::from(result.is_ok());
    }
    println!(
        "   as_completed loop: {in_time} ok, {} timed out, in {}",
        12 - in_time,
        seconds(started)
    );
    // The cure: the body runs beside the children, which keep running.
    let started = Instant::now();
    let in_time = Mutex::new(0);
    (0..12)
        .map(job)
        .bounded(4)
        .with_deadline(deadline)
        .for_each(|(_, result)| {
            let in_time = &in_time;
            async move {
                write().await;
                *in_time.lock().unwrap() += usize::from(result.is_ok());
            }
        })
        .await;
    let in_time = in_time.into_inner().unwrap();
    println!(
        "   for_each:          {in_time} ok, {} timed out, in {}",
        12 - in_time,
        seconds(started)
    );
    // The same cure in input order: `in_order()` has its own `for_each`.
    let started = Instant::now();
    let mut written = Vec::new();
    (0..12)
        .map(job)
        .bounded(4)
        .with_deadline(deadline)
        .in_order()
        .for_each(|result| {
            written.push(result);
            write()
        })
        .await;
    let in_time = written.iter().filter(|result| result.is_ok()).count();
    let in_input_order = written
        .iter()
        .enumerate()
        .all(|(i, result)| *result == Ok(i));
    println!(
        "   in_order for_each: {in_time} ok, {} timed out, in {}, {}",
        12 - in_time,
        seconds(started),
        if in_input_order {
            "written in input order"
        } else {
            "not in input order"
        }
    );
}

/// What became of one call of cell 5.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Progress {
    NotStarted,
    Running,
    Finished,
    Cancelled,
}

/// Records a call's progress; a call dropped while running was cancelled.
struct Mark {
    item: usize,
    progress: Arc<Mutex<Vec<Progress>>>,
}

impl Mark {
    fn new(item: usize, progress: Arc<Mutex<Vec<Progress>>>) -> Self {
        progress.lock().unwrap()[item] = Progress::Running;
        Mark { item, progress }
    }

    fn finished(&self) {
        self.progress.lock().unwrap()[self.item] = Progress::Finished;
    }
}

impl Drop for Mark {
    fn drop(&mut self) {
        let mut progress = self.progress.lock().unwrap();
        if progress[self.item] == Progress::Running {
            progress[self.item] = Progress::Cancelled;
        }
    }
}

fn main() {
    futures::executor::block_on(tour());
}
