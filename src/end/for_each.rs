//! `ForEach`, `TryForEach` and `Fold`: the consumer's async body run
//! beside the children, one output at a time, in completion order.

use crate::end::consume::{Feed, poll_consumer};
use crate::end::drive::{Drive, Item};
use crate::input::Input;
use crate::mode::{Deadlines, Panics};
use core::fmt;
use core::future::Future;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use pin_project_lite::pin_project;

pin_project! {
    /// Future for the [`for_each`](crate::Batch::for_each) method.
    ///
    /// `I`, `D` and `P` are those of the [`Batch`](crate::Batch) it ends;
    /// `F` is the body, `Fut` the future it returns for each output.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ForEach<I, D, P, F, Fut>
    where
        I: Input,
        D: Deadlines,
        P: Panics,
    {
        feed: Feed<I, D, P>,
        body: F,
        #[pin]
        running: Option<Fut>,
    }
}

impl<I: Input, D: Deadlines, P: Panics, F, Fut> ForEach<I, D, P, F, Fut> {
    pub(crate) fn new(batch: Drive<I, D, P>, body: F) -> Self {
        ForEach {
            feed: Feed::new(batch),
            body,
            running: None,
        }
    }
}

impl<I, D, P, F, Fut> Future for ForEach<I, D, P, F, Fut>
where
    I: Input,
    D: Deadlines,
    P: Panics,
    F: FnMut(Item<I, D, P>) -> Fut,
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
    /// `I`, `D` and `P` are those of the [`Batch`](crate::Batch) it ends;
    /// `F` is the body, `Fut` the future it returns for each output.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TryForEach<I, D, P, F, Fut>
    where
        I: Input,
        D: Deadlines,
        P: Panics,
    {
        // `None` after the first error: every running child is dropped,
        // and its permit returned, before the error is handed out.
        feed: Option<Feed<I, D, P>>,
        body: F,
        #[pin]
        running: Option<Fut>,
    }
}

impl<I: Input, D: Deadlines, P: Panics, F, Fut> TryForEach<I, D, P, F, Fut> {
    pub(crate) fn new(batch: Drive<I, D, P>, body: F) -> Self {
        TryForEach {
            feed: Some(Feed::new(batch)),
            body,
            running: None,
        }
    }
}

impl<I, D, P, F, Fut, E> Future for TryForEach<I, D, P, F, Fut>
where
    I: Input,
    D: Deadlines,
    P: Panics,
    F: FnMut(Item<I, D, P>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    type Output = Result<(), E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), E>> {
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
    /// `I`, `D` and `P` are those of the [`Batch`](crate::Batch) it ends;
    /// `F` is the body, `Fut` the future it returns for each output, `T`
    /// the accumulator.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Fold<I, D, P, F, Fut, T>
    where
        I: Input,
        D: Deadlines,
        P: Panics,
    {
        feed: Feed<I, D, P>,
        body: F,
        // `None` while a body holds it.
        accumulator: Option<T>,
        #[pin]
        running: Option<Fut>,
    }
}

impl<I: Input, D: Deadlines, P: Panics, F, Fut, T> Fold<I, D, P, F, Fut, T> {
    pub(crate) fn new(batch: Drive<I, D, P>, init: T, body: F) -> Self {
        Fold {
            feed: Feed::new(batch),
            body,
            accumulator: Some(init),
            running: None,
        }
    }
}

impl<I, D, P, F, Fut, T> Future for Fold<I, D, P, F, Fut, T>
where
    I: Input,
    D: Deadlines,
    P: Panics,
    F: FnMut(T, Item<I, D, P>) -> Fut,
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

impl<I: Input, D: Deadlines, P: Panics, F, Fut> fmt::Debug for ForEach<I, D, P, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForEach")
            .field("batch", self.feed.batch())
            .field("peak_waiting", &self.feed.peak_waiting())
            .finish_non_exhaustive()
    }
}

impl<I: Input, D: Deadlines, P: Panics, F, Fut> fmt::Debug for TryForEach<I, D, P, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("TryForEach");
        if let Some(feed) = &self.feed {
            debug
                .field("batch", feed.batch())
                .field("peak_waiting", &feed.peak_waiting());
        }
        debug.finish_non_exhaustive()
    }
}

impl<I: Input, D: Deadlines, P: Panics, F, Fut, T> fmt::Debug for Fold<I, D, P, F, Fut, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fold")
            .field("batch", self.feed.batch())
            .field("peak_waiting", &self.feed.peak_waiting())
            .finish_non_exhaustive()
    }
}
