//! What a batch pulls its children from: an iterator of futures or a
//! stream of them, behind one trait the engine pulls through.
//!
//! A chain starts from anything that is [`IntoInput`]; the batch's `I` is
//! then a [`FromIter`] or a [`FromStream`], wrapped in an [`Until`] by
//! [`until`](crate::FanoutExt::until), in a [`Hooked`] by
//! [`on_each`](crate::FanoutExt::on_each) and in a [`Watched`] by
//! [`on_slow_poll`](crate::FanoutExt::on_slow_poll). Name [`Input`] to
//! write code generic over any batch.

mod hook;
mod hooked;
mod iter;
mod source;
mod stream;
mod until;
mod watched;

pub use hook::{EachHook, NoHook, SlowPollReport};
pub use hooked::Hooked;
pub use iter::FromIter;
pub(crate) use source::ChildOutput;
pub use source::{Ended, Input, IntoInput, Iterated, Streamed};
pub use stream::FromStream;
pub use until::Until;
pub use watched::Watched;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inputs_show_what_they_wrap() {
        let children = || vec![core::future::ready(1)].into_iter();
        let from_iter = FromIter::new(children());
        assert_eq!(
            format!("{from_iter:?}"),
            "FromIter(IntoIter([Ready(Some(1))]))"
        );
        let from_stream = FromStream::new(futures::stream::iter(children()));
        assert_eq!(
            format!("{from_stream:?}"),
            "FromStream(Iter { iter: IntoIter([Ready(Some(1))]) })"
        );
    }
}
