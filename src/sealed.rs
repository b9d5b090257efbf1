//! What keeps fanout's public traits closed.
//!
//! [`Input`](crate::input::Input), [`IntoInput`](crate::input::IntoInput)
//! and the mode traits are public so that users can name them in their own
//! signatures (a helper generic over any batch), but only this crate may
//! implement them, and their methods are the engine's alone: each takes a
//! [`Token`] that no one outside can make. The module is private, so
//! neither name can be written outside the crate.

// Public in a private module: nameable nowhere else, yet allowed in the
// public traits' supertraits and signatures.
#![allow(unreachable_pub)]

/// Implemented by every type that may implement one of the public traits.
pub trait Sealed {}

/// [`Sealed`] for a trait with a marker parameter: blanket impls for two
/// markers (iterators, streams) must not overlap.
pub trait SealedFor<Marker> {}

/// Proof that a call comes from inside the crate.
#[derive(Debug, Clone, Copy)]
pub struct Token(());

/// The one way to make a [`Token`].
pub(crate) const TOKEN: Token = Token(());
