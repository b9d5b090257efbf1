// A chain method called without `use fanout::prelude::*;`.
use fanout::Limiter;

fn main() {
    let limiter = Limiter::new(2);
    let _ = (1..=3u8).map(|i| async move { i }).bounded_by(&limiter);
}
