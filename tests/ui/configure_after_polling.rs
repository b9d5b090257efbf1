// A batch is a builder, not a stream: it cannot be polled, so it cannot be
// configured after it started. Its streams come from its ends.
use fanout::prelude::*;
use futures::StreamExt;

fn main() {
    futures::executor::block_on(async {
        let mut batch = (0..4).map(|i| async move { i }).bounded(2);
        let _first = batch.next().await;
        let _ = batch.bounded(3);
    });
}
