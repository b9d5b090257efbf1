// `try_gather` under a deadline, with an error type that cannot hold a
// missed deadline.
use fanout::prelude::*;
use std::time::Duration;

fn main() {
    let calls = (1..=3u8).map(|i| async move { Ok::<u8, String>(i) });
    let _ = calls.with_deadline(Duration::from_secs(1)).try_gather();
}
