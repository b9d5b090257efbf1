// `try_gather` after `flatten_errors`: it already fails with the children's
// own error.
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
    let _ = calls.with_deadline(Duration::from_secs(1)).flatten_errors().try_gather();
}
