// `try_gather` stops at the first failure and lets panics go on, so it
// does not follow `catch_panics`.
use fanout::prelude::*;

fn main() {
    let calls = (1..=3u8).map(|i| async move { Ok::<u8, String>(i) });
    let _ = calls.catch_panics().try_gather();
}
