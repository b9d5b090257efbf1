//! An adaptive limit against a service whose capacity changes: calls from
//! an endless input for 12 s, each with a 1 s deadline, under
//! `AdaptiveLimit::new(10, 1..=100)`, while the service serves 40 calls at
//! once, then 10, then 40 again (see `adaptive_limit/service.rs`: 20 ms a
//! call, slower when shared, and refusals past twice its capacity).
//!
//! ```sh
//! cargo run --release --example adaptive_limit                  # 4 s phases, about 12 s
//! cargo run --release --example adaptive_limit -- --phase 1     # 1 s phases
//! cargo run --release --example adaptive_limit -- 10 40         # and bounded(10), bounded(40) beside it
//! ```
//!
//! It prints the successes per second and the overloaded errors in each
//! phase, where the limit stayed, and a plot of the limit, the calls in
//! flight and the capacity over time. The bench report's `--service`
//! section runs every fixed limit beside it and checks the goals.

#[path = "adaptive_limit/service.rs"]
mod service;

use service::{Bound, CAPACITIES, DEADLINE};
use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut phase = Duration::from_secs(4);
    let mut bounds = Vec::new();
    while let Some(arg) = args.next() {
        let parsed = if arg == "--phase" {
            args.next()
                .and_then(|secs| secs.parse().ok())
                .map(|secs| phase = Duration::from_secs_f64(secs))
        } else {
            arg.parse().ok().map(|n| bounds.push(Bound::Fixed(n)))
        };
        if parsed.is_none() {
            eprintln!("usage: adaptive_limit [--phase <seconds>] [<fixed limit>...]");
            std::process::exit(2);
        }
    }
    bounds.push(Bound::Adaptive);
    println!(
        "A service of capacity {:?} for {phase:?} each; calls for {:?}, each with a {DEADLINE:?} deadline",
        CAPACITIES,
        phase * 3
    );
    let runs: Vec<_> = bounds
        .into_iter()
        .map(|bound| {
            println!("running {} ...", bound.name());
            service::run(bound, phase)
        })
        .collect();
    println!("\nsuccesses per second, overloaded errors:\n");
    service::print_table(&runs);
    service::print_adaptive(runs.last().expect("the adaptive run"));
}
