//! The cardinal rule: every child of a batch shares one task, so a child
//! that blocks freezes all its siblings. `on_slow_poll` shows which child
//! did it; offloading the blocking call (here with `blocking::unblock`)
//! fixes it.
//!
//! Run it with `cargo run --example blocking_child`.

use fanout::Elapsed;
use fanout::prelude::*;
use futures_timer::Delay;
use std::time::{Duration, Instant};

/// Input 3 awaits 10 ms of I/O, then makes a synchronous call (a blocking
/// driver, a file read, a `std::thread::sleep`) of 200 ms; every other
/// input awaits two steps of 25 ms of I/O. The call comes after an await,
/// as it does in real code: the siblings are in their first step when it
/// blocks, and cannot start the second until it returns.
async fn job(input: usize, offload: bool) -> usize {
    if input == 3 {
        Delay::new(Duration::from_millis(10)).await;
        let call = || std::thread::sleep(Duration::from_millis(200));
        if offload {
            blocking::unblock(call).await;
        } else {
            call();
        }
    } else {
        Delay::new(Duration::from_millis(25)).await;
        Delay::new(Duration::from_millis(25)).await;
    }
    input
}

fn run(offload: bool) {
    let mut slow_polls = Vec::new();
    let started = Instant::now();
    let out = futures::executor::block_on(
        (0..6)
            .map(|input| job(input, offload))
            .with_deadline(Duration::from_millis(150))
            .on_slow_poll(Duration::from_millis(20), |input, took| {
                slow_polls.push((input, took));
            })
            .gather(),
    );
    let took = started.elapsed();
    let timed_out: Vec<usize> = (0..out.len())
        .filter(|&i| out[i] == Err(Elapsed::Child))
        .collect();
    println!(
        "  {} ok, timed out: {timed_out:?}, batch took {:.2} s",
        out.len() - timed_out.len(),
        took.as_secs_f64()
    );
    for (input, took) in &slow_polls {
        println!(
            "  slow poll: input {input} held the task for {} ms",
            took.as_millis()
        );
    }
}

fn main() {
    println!("6 jobs, 150 ms deadline each; input 3 makes a 200 ms blocking call after 10 ms");
    println!("blocking in the task:");
    run(false);
    println!("offloaded with blocking::unblock:");
    run(true);
}
