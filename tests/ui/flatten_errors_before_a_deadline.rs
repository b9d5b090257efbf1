// A deadline set after `flatten_errors`: its misses would be wrapped again.
use fanout::prelude::*;
use std::time::Duration;

#[derive(Debug)]
struct Failed;
impl From<fanout::Elapsed> for Failed {
    fn from(_: fanout::Elapsed) -> Self {
        Failed
    }
}

fn main() {
    let calls = (1..=3u8).map(|i| async move { Ok::<u8, Failed>(i) });
    let _ = calls.bounded(2).flatten_errors().with_deadline(Duration::from_secs(1));
}
