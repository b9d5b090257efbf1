//! The ways to end a chain: the futures and streams that run a batch and
//! hand its outputs over, each in its own shape.
//!
//! You get them from a [`Batch`](crate::Batch)'s ends (or
//! [`FanoutExt`](crate::FanoutExt)'s): [`gather`](crate::Batch::gather)
//! makes a [`Gather`], [`try_gather`](crate::Batch::try_gather) a
//! [`TryGather`], [`report`](crate::Batch::report) a [`Reporting`] (which
//! resolves to a [`Report`](crate::Report) of [`Outcome`]s),
//! [`as_completed`](crate::Batch::as_completed) an [`AsCompleted`] and
//! [`in_order`](crate::Batch::in_order) an [`InOrder`]. Each takes the
//! `I, D, P` of the batch it ends.
//!
//! The ends that run the consumer's own async body beside the children
//! ([`for_each`](crate::Batch::for_each) makes a [`ForEach`],
//! [`try_for_each`](crate::Batch::try_for_each) a [`TryForEach`],
//! [`fold`](crate::Batch::fold) a [`Fold`], [`forward`](crate::Batch::forward)
//! a [`Forward`]) take instead the [`Feed`] whose order the body gets the
//! outputs in: [`AsCompleted`] or [`InOrder`].

pub(crate) mod as_completed;
pub(crate) mod body_wake;
pub(crate) mod budget;
pub(crate) mod consume;
pub(crate) mod drive;
pub(crate) mod feed;
pub(crate) mod for_each;
pub(crate) mod forward;
pub(crate) mod gather;
pub(crate) mod in_order;
pub(crate) mod input_order;
pub(crate) mod poison;
pub(crate) mod reorder;
pub(crate) mod report;
pub(crate) mod try_gather;

pub use crate::outcome::Outcome;
pub use as_completed::AsCompleted;
pub use feed::Feed;
pub use for_each::{Fold, ForEach, TryForEach};
pub use forward::Forward;
pub use gather::Gather;
pub use in_order::InOrder;
pub use report::Reporting;
pub use try_gather::TryGather;
