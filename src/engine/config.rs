//! `Config`: everything a chain says about its batch, in one value.

use crate::engine::flatten::Flatten;
use crate::engine::limit::Limit;
use crate::engine::rate::Rate;
use crate::engine::slow_polls::SlowPolls;
use std::sync::Arc;
use std::time::Duration;

/// An `overloaded_when` classifier: whether a child's output says the
/// service is overloaded (see [`AdaptiveLimit`](crate::AdaptiveLimit)).
pub(crate) type Classifier<T> = Box<dyn Fn(&T) -> bool + Send + Sync>;

/// How a batch of children with output `T` is to run: the configuration
/// methods of the chain fill it in, in any order (a setting given twice
/// keeps the last), and the engine reads it from the first poll on.
///
/// A new setting is a field here, one method on [`Batch`](crate::Batch)
/// and its use in the engine: nothing else copies settings around.
pub(crate) struct Config<T> {
    /// How many children may run at once.
    pub(crate) limit: Limit,
    /// Each child's deadline, counted from its admission.
    pub(crate) deadline: Option<Duration>,
    /// The whole batch's deadline, counted from its first poll.
    pub(crate) within: Option<Duration>,
    /// How often children may start, if capped.
    pub(crate) rate: Option<Rate>,
    /// Which outputs an adaptive limit counts as overload.
    pub(crate) overloaded_when: Option<Classifier<T>>,
    /// The slow-poll report, if set: every home times its child's polls.
    pub(crate) slow_polls: Option<Arc<SlowPolls>>,
    /// Panics become outputs instead of unwinding out of the batch.
    pub(crate) catch_panics: bool,
    /// Missed deadlines and caught panics become the children's own errors.
    pub(crate) flatten: Flatten<T>,
}

impl<T> Default for Config<T> {
    fn default() -> Self {
        Config {
            limit: Limit::Unbounded,
            deadline: None,
            within: None,
            rate: None,
            overloaded_when: None,
            slow_polls: None,
            catch_panics: false,
            flatten: Flatten::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn the_default_runs_everything_at_once_with_no_deadline() {
        let config = Config::<u8>::default();
        assert_eq!(config.limit.capacity(), None);
        assert_eq!((config.deadline, config.within), (None, None));
        assert!(config.rate.is_none() && config.slow_polls.is_none());
        assert!(!config.catch_panics);
    }
}
