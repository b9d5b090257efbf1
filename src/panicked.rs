//! The value a child gets in place of its output when it panics, with
//! [`catch_panics`](crate::FanoutExt::catch_panics).

use core::any::Any;
use core::fmt;
use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};

/// A child panicked; with [`catch_panics`](crate::FanoutExt::catch_panics)
/// this takes its place in the output and its siblings run on.
///
/// # Examples
///
/// ```
/// use fanout::prelude::*;
///
/// # futures::executor::block_on(async {
/// let children = (0..3).map(|i| async move {
///     if i == 1 {
///         panic!("child {i} gave up");
///     }
///     i
/// });
/// let out = children.catch_panics().gather().await;
/// assert_eq!(out[0].as_ref().ok(), Some(&0));
/// assert_eq!(out[1].as_ref().unwrap_err().message(), Some("child 1 gave up"));
/// assert_eq!(out[2].as_ref().ok(), Some(&2));
/// # });
/// ```
///
/// `Panicked` is `Send` and `Sync` (so it converts into
/// `Box<dyn Error + Send + Sync>`), although a panic's payload is only
/// `Send`: the payload is kept behind a lock that is never taken, and its
/// message is copied out when the panic is caught.
pub struct Panicked {
    /// Boxed so that a `Panicked` is one pointer wide: every child's outcome
    /// is a `Result` with it (or with a type holding it) on the error side,
    /// and a wide error would make every output that the engine moves
    /// wider, whether or not anything panicked.
    caught: Box<Caught>,
}

/// What [`Panicked`] keeps of a panic.
struct Caught {
    message: Option<Cow<'static, str>>,
    /// Reached only by value ([`into_payload`](Panicked::into_payload)), so
    /// never locked; the `Mutex` is there to make `Panicked` `Sync`.
    payload: Mutex<Payload>,
}

/// What a panic unwinds with.
pub(crate) type Payload = Box<dyn Any + Send + 'static>;

impl Panicked {
    pub(crate) fn new(payload: Payload) -> Self {
        let message = match payload.downcast_ref::<&'static str>() {
            Some(message) => Some(Cow::Borrowed(*message)),
            None => payload
                .downcast_ref::<String>()
                .map(|message| Cow::Owned(message.clone())),
        };
        Panicked {
            caught: Box::new(Caught {
                message,
                payload: Mutex::new(payload),
            }),
        }
    }

    /// The panic's message, when its payload is a string (as it is for
    /// `panic!("...")`, `assert!`, `unwrap` and `expect`).
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// use fanout::prelude::*;
    /// let out = [async { None::<u8>.expect("no value") }].catch_panics().gather().await;
    /// assert_eq!(out[0].as_ref().unwrap_err().message(), Some("no value"));
    /// # });
    /// ```
    #[must_use]
    pub fn message(&self) -> Option<&str> {
        self.caught.message.as_deref()
    }

    /// The payload the child panicked with, for example to continue the
    /// panic with [`std::panic::resume_unwind`].
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// use fanout::prelude::*;
    /// let mut out = [async { panic!("{}", 42) }].catch_panics().gather().await;
    /// let payload = out.pop().unwrap().unwrap_err().into_payload();
    /// assert_eq!(payload.downcast_ref::<String>().map(String::as_str), Some("42"));
    /// # });
    /// ```
    pub fn into_payload(self) -> Box<dyn Any + Send + 'static> {
        self.caught
            .payload
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Panicked")
            .field("message", &self.message())
            .finish()
    }
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message() {
            Some(message) => write!(f, "the child panicked: {message}"),
            None => f.write_str("the child panicked with a payload that is not a string"),
        }
    }
}

impl std::error::Error for Panicked {}
