//! Run many futures concurrently inside one task: at most N at once, each
//! with its own deadline, every outcome collected, on any executor.
//!
//! ```
//! use fanout::prelude::*;
//! use std::time::Duration;
//!
//! # futures::executor::block_on(async {
//! # async fn fetch(url: &str) -> Result<usize, String> { Ok(url.len()) }
//! let urls = ["https://a.example", "https://b.example", "https://c.example"];
//! let results = urls
//!     .iter()
//!     .map(|url| fetch(url))
//!     .bounded(5) // at most 5 in flight
//!     .with_deadline(Duration::from_secs(1)) // per child, from its admission
//!     .gather() // every outcome, in input order
//!     .await;
//! assert_eq!(results, [Ok(Ok(17)), Ok(Ok(17)), Ok(Ok(17))]);
//! # });
//! ```
//!
//! The chain is the recipe Python users know from `asyncio`:
//!
//! | asyncio | fanout |
//! | --- | --- |
//! | `await asyncio.gather(*coros)` | [`futs.gather().await`](FanoutExt::gather): every output, in input order |
//! | `gather(..., return_exceptions=True)` | outputs are values: a child's `Result` comes back as it is |
//! | `Semaphore(n)` taken in each task | [`.bounded(n)`](FanoutExt::bounded): at most n children exist and run at once |
//! | `asyncio.timeout(t)` in each task | [`.with_deadline(t)`](FanoutExt::with_deadline): per child, clock starts at admission |
//!
//! Every child is polled by the task that awaits the chain: first as it is
//! admitted, then, if it has to wait, through one `FuturesUnordered`;
//! nothing is spawned and no runtime is assumed. The
//! flip side is asyncio's cardinal rule: a child that blocks the thread
//! (a `std::thread::sleep`, a heavy loop) stalls every sibling. Spawn such
//! work on a thread pool, or spawn tasks instead when work must outlive the
//! caller.
//!
//! # The whole contract
//!
//! ```
//! use fanout::prelude::*;
//! use fanout::Elapsed;
//! use std::time::Duration;
//!
//! # futures::executor::block_on(async {
//! let futs = || (0..8u64).map(|i| async move { i });
//! let d = Duration::from_secs(5);
//!
//! let v: Vec<u64> = futs().gather().await; // all at once, input order
//! let w: Vec<u64> = futs().bounded(5).gather().await; // at most 5 in flight
//! let x: Vec<Result<u64, Elapsed>> = futs().with_deadline(d).gather().await;
//! let y: Vec<Result<u64, Elapsed>> = futs().bounded(5).with_deadline(d).gather().await;
//! let z = futs().with_deadline(d).bounded(5).gather().await; // same meaning as `y`
//!
//! assert_eq!(v, (0..8).collect::<Vec<_>>());
//! assert_eq!(v, w);
//! assert!(x.iter().zip(&v).all(|(x, v)| x == &Ok(*v)));
//! assert_eq!(x, y);
//! assert_eq!(y, z);
//! # });
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

mod alarm;
mod as_completed;
mod batch;
mod bounded;
mod catch_panics;
mod clock;
mod deadline;
mod deadline_queue;
mod done;
mod elapsed;
mod engine;
mod ext;
mod gather;
mod home;
mod input_order;
mod limit;
mod limiter;
mod panicked;
mod poison;
mod rate;
mod report;
mod slot;
mod slow_poll;
mod try_gather;

pub use as_completed::AsCompleted;
pub use batch::{Batch, Catchable, FailFast, Outcomes};
pub use bounded::Bounded;
pub use catch_panics::CatchPanics;
pub use deadline::Deadline;
pub use done::Done;
pub use elapsed::Elapsed;
pub use ext::FanoutExt;
pub use gather::Gather;
pub use limiter::Limiter;
pub use panicked::Panicked;
pub use report::{Outcome, Report, Reporting};
pub use slow_poll::{SlowPolled, TimedPolls};
pub use try_gather::TryGather;

/// Brings the chain methods into scope: `use fanout::prelude::*;`.
pub mod prelude {
    pub use crate::{Batch, FanoutExt};
}
