#[path = "../benches/scenarios.rs"]
mod scenarios;
use scenarios::{Kind, Way};
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let way = Way::ALL
        .into_iter()
        .find(|w| w.name().contains(args[0].as_str()))
        .unwrap();
    let kind = if args[1] == "ready" {
        Kind::Ready
    } else {
        Kind::PendingOnce
    };
    let n: u32 = args[2].parse().unwrap();
    let s = way.run(n, 100, kind);
    println!("{} {}", way.name(), s);
}
