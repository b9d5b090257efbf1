// `catch_panics` after `flatten_errors`: its panics would be wrapped again.
use fanout::prelude::*;

#[derive(Debug)]
struct Failed;
impl From<fanout::Panicked> for Failed {
    fn from(_: fanout::Panicked) -> Self {
        Failed
    }
}

fn main() {
    let calls = (1..=3u8).map(|i| async move { Ok::<u8, Failed>(i) });
    let _ = calls.bounded(2).flatten_errors().catch_panics();
}
