//! `Poison`: remembers that a panic went through a future's `poll`.

/// Set while a `poll` runs, and left set if it unwinds.
///
/// The futures that collect a whole batch ([`Gather`](crate::Gather),
/// [`TryGather`](crate::TryGather), [`Reporting`](crate::Reporting)) end
/// with their batch when a panic goes through them: the batch drops every
/// child and yields nothing more. Polled again (after a `catch_unwind`),
/// such a future would otherwise resolve to a result with outputs missing;
/// it panics with a message instead.
#[derive(Debug, Default)]
pub(crate) struct Poison {
    polling: bool,
}

impl Poison {
    /// Runs one `poll` of the future named `what`.
    ///
    /// # Panics
    ///
    /// If an earlier `poll` of the same future panicked.
    pub(crate) fn guard<R>(&mut self, what: &str, poll: impl FnOnce() -> R) -> R {
        assert!(
            !self.polling,
            "fanout: `{what}` polled again after a panic went through it; its batch has ended"
        );
        self.polling = true;
        let polled = poll();
        self.polling = false;
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::Poison;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    #[test]
    fn a_poll_that_returns_leaves_it_clean() {
        let mut poison = Poison::default();
        assert_eq!(poison.guard("Gather", || 1), 1);
        assert_eq!(poison.guard("Gather", || 2), 2);
    }

    #[test]
    fn a_poll_that_panics_poisons_the_next() {
        let mut poison = Poison::default();
        let first = catch_unwind(AssertUnwindSafe(|| {
            poison.guard("Gather", || panic!("child"))
        }));
        assert!(first.is_err());
        let second = catch_unwind(AssertUnwindSafe(|| poison.guard("Gather", || 3)));
        let payload = second.expect_err("the second poll is refused");
        let message = payload
            .downcast_ref::<String>()
            .expect("a formatted message");
        assert!(
            message.contains("`Gather` polled again after a panic"),
            "{message}"
        );
    }
}
