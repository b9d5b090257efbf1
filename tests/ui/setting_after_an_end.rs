// A setting after the end of the chain: the end comes last.
use fanout::prelude::*;

fn main() {
    let calls = (1..=3u8).map(|i| async move { i });
    let _ = calls.gather().bounded(2);
}
