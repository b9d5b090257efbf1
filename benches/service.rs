//! The simulated-service section of the bench report: fixed limits and an
//! adaptive one against a service whose capacity drops from 40 to 10 and
//! comes back (the service, and one run against it, are the
//! `adaptive_limit` example's: `examples/adaptive_limit/service.rs`).
//!
//! Each row calls the service for three phases (4 s each by default) from
//! an endless input stopped by a timer, each call with a 1 s deadline.
//! The adaptive row's goals: in each phase at least 90% of the best fixed
//! limit's successes per second; overloaded errors only within 1 s after
//! a change of capacity, and fewer in all than 1% of `bounded(40)`'s; from
//! 1 s after each change on, the limit within `C..=2C`.

#[path = "../examples/adaptive_limit/service.rs"]
mod simulation;

use simulation::{Bound, CAPACITIES, DEADLINE, Run, thousands};
use std::time::Duration;

/// The fixed limits measured beside the adaptive one.
const FIXED: [usize; 5] = [5, 10, 20, 40, 80];

fn pass(ok: bool) -> &'static str {
    if ok { "PASS" } else { "MISS" }
}

/// Runs every row with phases of `phase`, prints the tables, the adaptive
/// limit's changes and plot, and a line per goal; returns whether all
/// were met.
pub(crate) fn service_rows(phase: Duration) -> bool {
    println!(
        "A simulated service: capacity C = {CAPACITIES:?}, {phase:?} each; 20 ms a call at full speed, shared past C; refused (after 1 ms) past 2C"
    );
    println!(
        "An endless input of calls for {:?}, each with a {DEADLINE:?} deadline; successes per second and overloaded errors per phase\n",
        phase * 3
    );
    let bounds = FIXED.into_iter().map(Bound::Fixed).chain([Bound::Adaptive]);
    let runs: Vec<Run> = bounds.map(|bound| simulation::run(bound, phase)).collect();
    simulation::print_table(&runs);
    let (fixed, adaptive) = runs.split_at(FIXED.len());
    let adaptive = &adaptive[0];
    simulation::print_adaptive(adaptive);
    println!();

    let settled_after = adaptive.settled_after();
    let mut all_met = true;
    let mut goal = |what: String, ok: bool| {
        println!("{}: {what}", pass(ok));
        all_met &= ok;
    };
    for (index, capacity) in CAPACITIES.into_iter().enumerate() {
        let (best, best_rate) = fixed
            .iter()
            .map(|run| (run.bound, run.rates()[index]))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .expect("fixed rows");
        let rate = adaptive.rates()[index];
        let share = rate / best_rate;
        goal(
            format!(
                "phase {} (C = {capacity}): {}/s, {:.1}% of the best fixed limit's ({}, {}/s); goal at least 90%",
                index + 1,
                thousands(rate.round() as usize),
                share * 100.0,
                best.name(),
                thousands(best_rate.round() as usize)
            ),
            share >= 0.9,
        );
    }
    let early = adaptive.phases[0].overloaded;
    let late: Vec<String> = adaptive.phases[1..]
        .iter()
        .zip(&CAPACITIES[1..])
        .map(|(counts, capacity)| {
            format!(
                "{} after C -> {capacity} (the last {})",
                counts.overloaded_late,
                counts
                    .last_overloaded
                    .map_or("-".to_string(), |t| format!("{t:.3} s after it"))
            )
        })
        .collect();
    let late_count: usize = adaptive.phases[1..].iter().map(|c| c.overloaded_late).sum();
    goal(
        format!(
            "overloaded errors later than {settled_after} s after a change: {early} in the first phase, {}; goal none",
            late.join(", ")
        ),
        early + late_count == 0,
    );
    let total = |run: &Run| -> usize { run.phases.iter().map(|p| p.overloaded).sum() };
    let fixed_40 = fixed
        .iter()
        .find(|run| run.bound == Bound::Fixed(40))
        .expect("the bounded(40) row");
    let (mine, theirs) = (total(adaptive), total(fixed_40));
    goal(
        format!(
            "overloaded errors in all: {}, {:.2}% of bounded(40)'s {}; goal below 1%",
            thousands(mine),
            mine as f64 * 100.0 / theirs.max(1) as f64,
            thousands(theirs)
        ),
        (mine as f64) < 0.01 * theirs as f64,
    );
    for (index, capacity) in CAPACITIES.into_iter().enumerate().skip(1) {
        let limits: Vec<usize> = simulation::samples_of(adaptive, index, settled_after)
            .filter_map(|sample| sample.limit)
            .collect();
        let range = capacity..=2 * capacity;
        let outside = limits.iter().filter(|l| !range.contains(l)).count();
        let (low, high) = (
            limits.iter().min().copied().unwrap_or(0),
            limits.iter().max().copied().unwrap_or(0),
        );
        goal(
            format!(
                "after C -> {capacity}, from {settled_after} s on: the limit within {low}..={high}, {outside} of {} samples outside {range:?}; goal none outside",
                limits.len()
            ),
            outside == 0 && !limits.is_empty(),
        );
    }
    all_met
}
