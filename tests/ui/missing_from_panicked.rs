// `flatten_errors` on a batch that catches panics, with an error type that
// cannot hold one.
use fanout::prelude::*;

fn main() {
    let calls = (1..=3u8).map(|i| async move { Ok::<u8, String>(i) });
    let _ = calls.catch_panics().flatten_errors();
}
