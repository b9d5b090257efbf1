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
//! | Python asyncio | fanout |
//! | --- | --- |
//! | `await asyncio.gather(*coros)` | [`futs.gather().await`](FanoutExt::gather): every output, in input order |
//! | `gather(..., return_exceptions=True)` | outputs are values already: a child returning `Result` comes back as its `Result` |
//! | `Semaphore(n)` + `async with sem` in each task | [`.bounded(n)`](FanoutExt::bounded): at most n children exist and run at once |
//! | `async with asyncio.timeout(t)` inside the semaphore | [`.with_deadline(t)`](FanoutExt::with_deadline): per child, clock starts when the child is admitted |
//! | one `Semaphore` shared by several batches | [`.bounded_by(&limiter)`](FanoutExt::bounded_by): a [`Limiter`] caps several batches together, fairly |
//! | `async with asyncio.timeout(t)` around `gather` | [`.within(t)`](FanoutExt::within): a deadline for the whole batch |
//! | `asyncio.TaskGroup` | [`.try_gather()`](FanoutExt::try_gather): the first failure drops the siblings and is returned |
//! | `asyncio.as_completed` | [`.as_completed()`](FanoutExt::as_completed): a `Stream` of `(index, output)` in completion order |
//! | `async for r in as_completed(..)` with an `await` in the body | [`.for_each(..)`](Batch::for_each) (or `try_for_each`, `fold`, `forward`; on [`in_order()`](end::InOrder::for_each) for input order): the body runs beside the children, which keep running while it awaits |
//! | sorting results from exceptions by hand | [`.report()`](FanoutExt::report): successes, failures, deadline misses and panics with their indices; `20 ok, 1 failed, 1 timed out` |
//! | `return_exceptions=True`, for a panic | [`.catch_panics()`](FanoutExt::catch_panics): a panicking child's slot holds `Err(Panicked)` |
//! | aiometer's `max_per_second`, an API's rate limit | [`.rate(n, per)`](FanoutExt::rate): at most n starts in any window of `per` (bursts of up to n) |
//! | debug mode's `slow_callback_duration` warnings | [`.on_slow_poll(t, report)`](FanoutExt::on_slow_poll): every child poll that held the task longer than `t`, with its index |
//! | `async for job in queue` feeding workers (an async iterable of work) | `rx.map(run).bounded(n)`: any `Stream` of futures is an input, pulled only when a slot is free; feed the channel to add work while the batch runs |
//! | results in order as they come (p-map's `pMapIterable`) | [`.in_order()`](FanoutExt::in_order): a `Stream` of outputs in input order, each as soon as every earlier one is out; n keep running behind a slow one, in a window of 2n |
//! | a shutdown `Event` the workers check before taking the next job | [`.until(signal)`](FanoutExt::until): admits nothing after the signal; running children finish, and the chain ends with what was done |
//!
//! `futs` is anything iterable whose items are futures (a `Vec`, an array,
//! or a lazy `.map(..)` that builds each future only when it is admitted),
//! or any `Stream` whose items are futures (a channel's receiver mapped to
//! futures, a paginated listing): the same chain, the same methods (see
//! [`FanoutExt`]'s "Stream inputs").
//!
//! Every child is polled by the task that awaits the chain: first as it is
//! admitted, then, if it has to wait, through one `FuturesUnordered`;
//! nothing is spawned and no runtime is assumed. The
//! flip side is asyncio's cardinal rule: a child that blocks the thread
//! (a `std::thread::sleep`, a heavy loop) stalls every sibling. Spawn such
//! work on a thread pool, or spawn tasks instead when work must outlive the
//! caller.
//!
//! # Semantics
//!
//! Configure a batch in any order ([`bounded`](FanoutExt::bounded) or
//! [`bounded_by`](FanoutExt::bounded_by), [`with_deadline`](FanoutExt::with_deadline),
//! [`within`](FanoutExt::within), [`rate`](FanoutExt::rate),
//! [`on_slow_poll`](FanoutExt::on_slow_poll), [`on_each`](FanoutExt::on_each),
//! [`until`](FanoutExt::until), [`catch_panics`](FanoutExt::catch_panics); a
//! setting given twice keeps the last), then end it with one of these:
//!
//! | ends the chain | resolves to | order | a child's deadline passes | the batch deadline passes | a child fails | a child panics | dropped early |
//! | --- | --- | --- | --- | --- | --- | --- | --- |
//! | [`.gather()`](FanoutExt::gather) | `Vec<T>` | input | slot holds `Err(Elapsed::Child)` | unfinished slots hold `Err(Elapsed::Batch)` | its `Err` is a value | siblings dropped, then the panic continues | live children dropped, permits returned, unpulled inputs never created |
//! | [`.try_gather()`](FanoutExt::try_gather) | `Result<Vec<T>, E>` | input | fails the batch via `E: From<Elapsed>` | same | siblings dropped, no more input pulled, `Err` returned | same | same |
//! | [`.as_completed()`](FanoutExt::as_completed) | `Stream` of `(index, T)` | completion | item `(i, Err(Elapsed::Child))` | items `(i, Err(Elapsed::Batch))` | its `Err` is a value | same | same |
//! | [`.in_order()`](FanoutExt::in_order) | `Stream` of `T` | input, each as soon as every earlier one is out | item `Err(Elapsed::Child)` in its place | items `Err(Elapsed::Batch)` in their places | its `Err` is a value | same | same, and the outputs held for an earlier one are dropped |
//! | [`.report()`](FanoutExt::report) | [`Report<T, E>`](Report) | sorted by index | in `timed_out` | in `timed_out`, or in `not_started` if never admitted | in `failed` | same, or in `panicked` with `catch_panics` | same |
//!
//! With `.catch_panics()` every output is wrapped once more, as
//! `Result<_, Panicked>`, and siblings run on undisturbed. See [`Elapsed`]
//! for the two deadlines and [`Panicked`] for a caught panic. Children
//! that return `Result<T, E>` can have one `Result<T, E>` each instead:
//! [`.flatten_errors()`](Batch::flatten_errors), after the deadline
//! settings and `catch_panics`, turns a missed deadline into
//! `E::from(Elapsed)` and a caught panic into `E::from(Panicked)`.
//!
//! - **One task, nothing spawned.** Children are polled by the task awaiting
//!   the chain: each gets its first poll the moment it is admitted, and those
//!   still pending wait in one `FuturesUnordered`, polled again only when
//!   woken. `block_on`, smol, async-std, tokio or any other executor.
//! - **Lazy admission.** With `.bounded(n)` the input is pulled only when a
//!   slot is free: at most n children exist at once, whatever the input's
//!   length.
//! - **Input order** for admission and for `gather`'s output.
//! - **The deadline clock starts at admission** (it is read right after the
//!   first polls of the pass that admitted the child, so a child never gets
//!   less than its deadline from its admission, and more only by the time
//!   the rest of that pass took), not when the batch is built;
//!   `.bounded(n).with_deadline(d)` and `.with_deadline(d).bounded(n)` are
//!   the same thing. A late child is dropped at once and its slot goes to
//!   the next input. If a child's output and its deadline are ready at the
//!   same poll, the output wins.
//! - **Refill at once.** A finished child's slot is refilled before its
//!   output is handed on.
//! - **Drop cancels.** Dropping the chain drops every live child and returns
//!   every permit.
//! - **Panics propagate** out of the chain's `poll` after every sibling has
//!   been dropped, unless you opt into `.catch_panics()`. A panic ends the
//!   batch: it never hangs afterwards and never loses an output it had
//!   chosen. A panic met while refilling a slot after an output was chosen
//!   (a child's first poll, the input iterator) goes on at the next poll, or
//!   when the stream is dropped; a stream then yields `None`, and `gather`,
//!   `try_gather` or `report` polled again panics with a message.
//! - **No lost wake-ups.** Every `Pending` a batch returns has a wake-up
//!   arranged on the waker of that very poll: children that wake themselves
//!   on their first poll (`yield_now`, tokio's coop budget), wake-ups from
//!   other threads, a waker that changes between polls, and consumers that
//!   await between items all keep the batch moving.
//! - **Fail fast is first in time.** `try_gather` returns the first failure
//!   to happen, not the first in input order, and pulls no input after it.
//! - **Shared caps hold, and are fair.** Under
//!   [`bounded_by`](FanoutExt::bounded_by) an input is created only once its
//!   permit is held, so k batches under a cap of n hold n children between
//!   them, never n + k. Batches take turns: while another batch waits, a
//!   freed permit goes to it, never back to the one that freed it (two
//!   batches under `Limiter::new(1)` start `a b a b ...`).
//! - **Consumer awaits? Use `for_each`.** `as_completed` and `in_order`
//!   run children only while you poll them: if a loop body awaits
//!   something else, the children wait too while their deadlines keep
//!   running. [`Batch::for_each`] (completion order) and
//!   [`InOrder::for_each`](end::InOrder::for_each) (input order), with
//!   their `try_for_each`, `fold` and `forward`, poll the body beside the
//!   children; `gather` has no such trap either.
//! - **Streams in.** A `Stream` input is polled only when the batch could
//!   admit what it yields; while it is pending the running children go on,
//!   and its wake-up admits the item at once. No item is pulled before its
//!   permit: a batch whose stream is pending hands a shared permit straight
//!   on. Over an endless stream, `as_completed` and `in_order` run in
//!   memory bounded by the limit.
//! - **In order, without the stall.** [`in_order`](FanoutExt::in_order)
//!   keeps n children running behind a slow one, and admits no input 2n
//!   places past the first not yet handed out (see [`InOrder`](end::InOrder)).
//! - **A graceful stop.** Once [`until`](FanoutExt::until)'s signal
//!   resolves, nothing more is admitted and the input is dropped unpolled;
//!   running children finish, and `gather` returns a prefix of the input.
//! - **Bad input is loud.** `bounded(0)` panics at the call. A zero deadline
//!   gives each child one poll; a zero batch deadline also admits nothing
//!   after the first pass (at most n inputs created under `.bounded(n)`,
//!   even from an endless input). Empty input resolves at once to an empty
//!   `Vec`. Size hints are trusted for an allocation only when exact, and
//!   then for at most 64 KiB of outputs (`gather` over a `Vec` allocates
//!   its result once): `gather` over `0..` with `.within(t)` ends at the
//!   cut, and an input that claims more items than it has costs no more.
//! - **Cheap deadlines.** One timer serves a whole batch: deadlines fall due
//!   in admission order, so the batch keeps them in a queue in that order
//!   and a single timer armed for the earliest; an expiry looks only at the
//!   children that are due.
//! - **Rates are exact.** `.rate(max, per)` stamps a start as the child's
//!   first poll returns (never earlier than it began); no window of `per`
//!   ever holds more than `max` starts, and the batch remembers only the last `per` of starts (merged
//!   to at most about 1,024 entries), whatever `max` is.
//! - **Fair to the executor.** `gather` yields after 256 outputs in one poll,
//!   and one poll of a chain starts at most 1,024 children, whatever its end
//!   and however many outputs it takes: an unbounded batch over an endless
//!   input lets other futures run, and its `within` cuts it (the batch
//!   deadline is looked at before every pull, so an input slow to pull is
//!   not pulled past it).
//!   Children that wake themselves (`yield_now`, tokio's coop budget) make
//!   the batch yield as soon as two do so with no child finishing between;
//!   while they keep finishing, the batch goes on (as `FuturesUnordered`
//!   does). They and the children woken by others take turns: neither
//!   kind can keep the other waiting, nor past its deadline.
//! - **Strict children work.** A waiting child is polled again only after a
//!   wake-up of its own, and always with the waker it was first given, as
//!   every peer does: a hand-written future that registers its waker once,
//!   on its first poll, never hangs its batch.
//! - **Memory follows the load.** A batch keeps spare room for at most 32
//!   children beyond those running now: after a burst of 50,000 children
//!   of 1 KiB an idle batch holds about 40 KB, not the burst's 60 MB.
//!
//! A child must never wait on a [`Limiter`] that its own batch is bounded
//! by: it would hold a permit while waiting for another, and once every
//! permit is held that way nothing moves (see
//! [`bounded_by`](FanoutExt::bounded_by)).
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
//!
//! # Features
//!
//! - `wasm` (off by default): builds for `wasm32-unknown-unknown`, in a
//!   browser or another JavaScript host. It runs `futures-timer`'s timers on
//!   the host's `setTimeout` and reads the host's clock, since
//!   `std::time::Instant::now` panics there. Without it, batches with no
//!   deadline, rate or slow-poll report still work on that target; those
//!   three need it. On every other target it only adds the `web-time`
//!   crate, which is `std`'s `Instant` there.
//!
//!   ```toml
//!   fanout = { version = "0.1", features = ["wasm"] }
//!   ```

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

// The public surface, one type (or one family of types) a file; the
// machinery under it in `engine/`. At the root: what users name. In
// modules: the ends' types (`end`), the inputs (`input`) and the type
// parameters (`mode`), which signatures mention and few users write.
mod batch;
mod clock;
mod deadline;
mod done;
mod elapsed;
pub mod end;
mod engine;
mod ext;
pub mod input;
pub mod limits;
pub mod mode;
mod outcome;
mod panicked;
mod sealed;
mod sync;

pub use batch::Batch;
pub use deadline::{Deadline, deadline};
pub use done::Done;
pub use elapsed::Elapsed;
pub use end::report::Report;
pub use ext::FanoutExt;
pub use limits::{AdaptiveLimit, Limiter, SharedRate};
pub use panicked::Panicked;

/// Brings the chain methods into scope: `use fanout::prelude::*;`.
///
/// Only [`FanoutExt`], the one trait whose methods start a chain; a
/// [`Batch`]'s own methods need nothing in scope.
pub mod prelude {
    pub use crate::FanoutExt;
}
