//! The value a child gets in place of its output when it runs out of time.

use core::fmt;

/// A child did not finish in time and was dropped.
///
/// It takes the child's place in the output of a batch with a deadline
/// (see [`with_deadline`](crate::FanoutExt::with_deadline) and
/// [`within`](crate::FanoutExt::within)): a batch of `Future<Output = T>`
/// children gives one `Result<T, Elapsed>` per input, and the variant says
/// which deadline passed.
///
/// # Examples
///
/// ```
/// use fanout::prelude::*;
/// use fanout::Elapsed;
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let never = futures::future::pending::<u8>();
/// let out = [never].with_deadline(Duration::from_millis(10)).gather().await;
/// assert_eq!(out, [Err(Elapsed::Child)]);
/// assert_eq!(
///     Elapsed::Child.to_string(),
///     "the child did not finish before its deadline and was dropped"
/// );
/// # });
/// ```
///
/// # Two variants, for good
///
/// Not `#[non_exhaustive]`: a child has two deadlines and no more, its own
/// and its batch's, so a `match` names both and needs no `_` arm, and the
/// compiler checks that retry policies cover each. (An input that a batch
/// deadline stopped before it started is `Batch` in a batch's output; a
/// [`Report`](crate::Report) and an [`on_each`](crate::FanoutExt::on_each)
/// hook tell it apart.)
///
/// ```
/// use fanout::Elapsed;
///
/// fn retry(elapsed: Elapsed) -> bool {
///     match elapsed {
///         Elapsed::Child => true,  // this call was slow: try it again
///         Elapsed::Batch => false, // the whole batch ran out of time
///     }
/// }
/// assert!(retry(Elapsed::Child));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Elapsed {
    /// The child's own deadline passed: it ran for the whole
    /// [`with_deadline`](crate::FanoutExt::with_deadline) duration, counted
    /// from its admission, without finishing.
    Child,
    /// The whole batch's deadline passed (see
    /// [`within`](crate::FanoutExt::within)) before this child finished, or
    /// before it was even admitted.
    Batch,
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Elapsed::Child => {
                f.write_str("the child did not finish before its deadline and was dropped")
            }
            Elapsed::Batch => f.write_str("the batch's deadline passed before this child finished"),
        }
    }
}

impl std::error::Error for Elapsed {}
