//! Limits that several batches share: a cap on children in flight
//! ([`Limiter`]), one that adapts to the service ([`AdaptiveLimit`]), and a
//! cap on how often children start ([`SharedRate`]).
//!
//! A batch's own limits (`bounded(n)`, `rate(max, per)`) are settings of
//! the batch; these are values made once and given to every batch that
//! should share them:
//!
//! ```
//! use fanout::prelude::*;
//! use fanout::{AdaptiveLimit, SharedRate};
//! use std::time::Duration;
//!
//! # futures::executor::block_on(async {
//! // One API: its rate, and a cap on calls in flight that follows how it
//! // copes, shared by both batches.
//! let api_rate = SharedRate::new(100, Duration::from_secs(1));
//! let api_limit = AdaptiveLimit::new(10, 1..=50);
//! let users = (0..20).map(|i| async move { Ok::<_, ()>(i) });
//! let orders = (0..20).map(|i| async move { Ok::<_, ()>(i * 10) });
//! let (users, orders) = futures::join!(
//!     users.bounded_by(&api_limit).rate_by(&api_rate).gather(),
//!     orders.bounded_by(&api_limit).rate_by(&api_rate).gather(),
//! );
//! assert_eq!(users.len() + orders.len(), 40);
//! # });
//! ```
//!
//! # The seam
//!
//! The engine knows two things here, and nothing of the kinds behind them:
//! a concurrency limit is a [`Limiter`] (an adaptive limit is a limiter
//! whose capacity a controller moves, fed by the engine's verdict on each
//! finished child), and a shared rate is a place in a [`SharedRate`]'s
//! line. A further kind of shared limit (a limit per host, say) is a file
//! here that builds on one of the two, and an implementation of
//! [`SharedLimit`] if it caps children in flight.

mod adaptive;
pub(crate) mod controller;
mod limiter;
pub(crate) mod shared_rate;
pub(crate) mod start_log;

pub use adaptive::AdaptiveLimit;
pub use controller::{ChangeReason, LimitChange};
pub use limiter::Limiter;
pub(crate) use limiter::{Permit, Ticket};
pub use shared_rate::SharedRate;

use crate::sealed::Token;

/// A cap on children in flight that several batches can share:
/// [`Limiter`] and [`AdaptiveLimit`], given to
/// [`bounded_by`](crate::FanoutExt::bounded_by).
///
/// Sealed: the engine admits children through the limiter it returns.
///
/// ```
/// use fanout::limits::SharedLimit;
/// use fanout::{AdaptiveLimit, Limiter};
///
/// fn describe(limit: &impl SharedLimit) -> usize {
///     limit.current()
/// }
/// assert_eq!(describe(&Limiter::new(3)), 3);
/// assert_eq!(describe(&AdaptiveLimit::new(5, 1..=10)), 5);
/// ```
pub trait SharedLimit: crate::sealed::Sealed {
    /// How many children may be in flight now, across every batch sharing
    /// the limit.
    fn current(&self) -> usize;

    /// The limiter the engine admits through.
    #[doc(hidden)]
    fn limiter(&self, token: Token) -> Limiter;
}

impl crate::sealed::Sealed for Limiter {}

impl SharedLimit for Limiter {
    fn current(&self) -> usize {
        self.capacity()
    }

    fn limiter(&self, _: Token) -> Limiter {
        self.clone()
    }
}
