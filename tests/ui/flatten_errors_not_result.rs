// `flatten_errors` over children that do not return a `Result`.
use fanout::prelude::*;
use std::time::Duration;

fn main() {
    let calls = (1..=3u8).map(|i| async move { i });
    let _ = calls.with_deadline(Duration::from_secs(1)).flatten_errors();
}
