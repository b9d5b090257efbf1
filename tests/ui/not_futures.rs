use fanout::prelude::*;

fn main() {
    // Numbers, not futures: each item must become a future first.
    let _ = (1..=3u8).bounded(2);
}
