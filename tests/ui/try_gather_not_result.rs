// `try_gather` on children whose output is not a `Result`, configured or
// not.
use fanout::prelude::*;

fn main() {
    let _ = (1..=3u8).map(|i| async move { i }).bounded(2).try_gather();
    let _ = [async { 1u8 }].try_gather();
}
