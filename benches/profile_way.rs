//! Runs one way of the benchmark job once, for a profiler to look at:
//!
//! ```sh
//! CARGO_PROFILE_RELEASE_DEBUG=true cargo build --release --example profile_way
//! valgrind --tool=callgrind target/release/examples/profile_way "bounded(n).gather" ready 100000
//! callgrind_annotate callgrind.out.<pid>
//! ```
//!
//! The first argument picks the way by a piece of its name as the bench
//! report prints it; then the child kind (`ready`, `pending`, `thread` or
//! `timer`, see `Kind` in `scenarios.rs`) and the number of children; then,
//! optionally, the bound (100 if not given).

mod scenarios;

use scenarios::{Kind, Way};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        "usage: profile_way <part of a way's name> <ready|pending|thread|timer> <children> [bound]";
    let (name, kind, n, bound) = match args.as_slice() {
        [name, kind, n] => (name, kind, n, "100"),
        [name, kind, n, bound] => (name, kind, n, bound.as_str()),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let Ok(bound) = bound.parse::<usize>() else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let Some(way) = Way::ALL
        .into_iter()
        .find(|way| way.name().contains(name.as_str()))
    else {
        let names: Vec<&str> = Way::ALL.iter().map(|way| way.name()).collect();
        eprintln!("no way's name contains {name:?}; the ways: {names:#?}");
        std::process::exit(2);
    };
    let Some(kind) = Kind::from_arg(kind) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let Ok(n) = n.parse::<u32>() else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let checksum = way.run(n, bound, kind);
    println!(
        "{}: {n} children {}, bound {bound}, checksum {checksum}",
        way.name(),
        kind.name()
    );
}
