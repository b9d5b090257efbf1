// A setting after `as_completed`, an end that is a stream: the end comes last.
use fanout::prelude::*;

fn main() {
    let calls = (1..=3u8).map(|i| async move { i });
    let _ = calls.as_completed().bounded(2);
}
