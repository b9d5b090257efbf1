//! The ways to end a chain: futures and streams that drive a batch to the
//! end and hand its outputs over, each in its own shape, and the pieces
//! they share.

pub(crate) mod as_completed;
pub(crate) mod budget;
pub(crate) mod gather;
pub(crate) mod in_order;
pub(crate) mod input_order;
pub(crate) mod poison;
pub(crate) mod reorder;
pub(crate) mod report;
pub(crate) mod try_gather;
