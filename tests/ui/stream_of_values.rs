// A stream of values, not of futures: map each item to a future first.
use fanout::prelude::*;

fn main() {
    let _ = futures::stream::iter([1, 2, 3]).bounded(2);
}
