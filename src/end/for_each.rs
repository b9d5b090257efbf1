//! `ForEach`, `TryForEach` and `Fold`: the consumer's async body run
//! beside the children, one output at a time, in the order of the end
//! that feeds it.

use crate::end::consume::{Feeder, poll_consumer};
use crate::end::feed::Feed;
use core::fmt;
use core::future::Future;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use pin_project_lite::pin_project;

pin_project! {
    /// Future for the [`for_each`](crate::Batch::for_each) method.
    ///
    /// `E` is the end whose order the body takes the outputs in
    /// ([`AsCompleted`](super::AsCompleted) for a batch's own, or
    /// [`InOrder`](super::InOrder)); `F` is the body, `Fut` the future it
    /// returns for each output.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ForEach<E, F, Fut>
    where
        E: Feed,
    {
        feed: Feeder<E>,
        body: F,
        #[pin]
        running: Option<Fut>,
    }
}

impl<E: Feed, F, Fut> ForEach<E, F, Fut> {
    pub(crate) fn new(end: E, body: F) -> Self {
        ForEach {
            feed: Feeder::new(end),
            body,
            running: None,
        }
    }
}

impl<E, F, Fut> Future for ForEach<E, F, Fut>
where
    E: Feed,
    F: FnMut(E::Item) -> Fut,
    Fut: Future<Output = ()>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let ended = ready!(poll_consumer(
            this.feed,
            this.running,
            cx,
            this.body,
            |body, item| body(item),
            |_, ()| ControlFlow::<()>::Continue(()),
        ));
        debug_assert!(ended.is_continue());
        Poll::Ready(())
    }
}

pin_project! {
    /// Future for the [`try_for_each`](crate::Batch::try_for_each) method.
    ///
    /// `E` is the end whose order the body takes the outputs in (see
    /// [`ForEach`]); `F` is the body, `Fut` the future it returns for each
    /// output.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TryForEach<E, F, Fut>
    where
        E: Feed,
    {
        // `None` after the first error: every running child is dropped,
        // and its permit returned, before the error is handed out.
        feed: Option<Feeder<E>>,
        body: F,
        #[pin]
        running: Option<Fut>,
    }
}

impl<E: Feed, F, Fut> TryForEach<E, F, Fut> {
    pub(crate) fn new(end: E, body: F) -> Self {
        TryForEach {
            feed: Some(Feeder::new(end)),
            body,
            running: None,
        }
    }
}

impl<E, F, Fut, Error> Future for TryForEach<E, F, Fut>
where
    E: Feed,
    F: FnMut(E::Item) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let mut this = self.project();
        let feed = this
            .feed
            .as_mut()
            .expect("`TryForEach` polled after it completed");
        let ended = ready!(poll_consumer(
            feed,
            this.running.as_mut(),
            cx,
            this.body,
            |body, item| body(item),
            |_, done| match done {
                Ok(()) => ControlFlow::Continue(()),
                Err(error) => ControlFlow::Break(error),
            },
        ));
        *this.feed = None;
        Poll::Ready(match ended {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(error) => Err(error),
        })
    }
}

pin_project! {
    /// Future for the [`fold`](crate::Batch::fold) method.
    ///
    /// `E` is the end whose order the body takes the outputs in (see
    /// [`ForEach`]); `F` is the body, `Fut` the future it returns for each
    /// output, `T` the accumulator.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Fold<E, F, Fut, T>
    where
        E: Feed,
    {
        feed: Feeder<E>,
        body: F,
        // `None` while a body holds it.
        accumulator: Option<T>,
        #[pin]
        running: Option<Fut>,
    }
}

impl<E: Feed, F, Fut, T> Fold<E, F, Fut, T> {
    pub(crate) fn new(end: E, init: T, body: F) -> Self {
        Fold {
            feed: Feeder::new(end),
            body,
            accumulator: Some(init),
            running: None,
        }
    }
}

impl<E, F, Fut, T> Future for Fold<E, F, Fut, T>
where
    E: Feed,
    F: FnMut(T, E::Item) -> Fut,
    Fut: Future<Output = T>,
{
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.project();
        let mut state = (this.body, this.accumulator);
        let ended = ready!(poll_consumer(
            this.feed,
            this.running,
            cx,
            &mut state,
            |(body, accumulator), item| {
                let so_far = accumulator
                    .take()
                    .expect("`Fold` polled after it completed");
                body(so_far, item)
            },
            |(_, accumulator), next| {
                **accumulator = Some(next);
                ControlFlow::<()>::Continue(())
            },
        ));
        debug_assert!(ended.is_continue());
        let (_, accumulator) = state;
        Poll::Ready(
            accumulator
                .take()
                .expect("`Fold` polled after it completed"),
        )
    }
}

impl<E: Feed + fmt::Debug, F, Fut> fmt::Debug for ForEach<E, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForEach")
            .field("feed", &self.feed)
            .finish_non_exhaustive()
    }
}

impl<E: Feed + fmt::Debug, F, Fut> fmt::Debug for TryForEach<E, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryForEach")
            .field("feed", &self.feed)
            .finish_non_exhaustive()
    }
}

impl<E: Feed + fmt::Debug, F, Fut, T> fmt::Debug for Fold<E, F, Fut, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fold")
            .field("feed", &self.feed)
            .finish_non_exhaustive()
    }
}
