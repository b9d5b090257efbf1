//! `Forward`: every output sent into a `Sink`, the sink driven beside the
//! children.

use crate::end::budget::OUTPUTS_PER_POLL;
use crate::end::consume::Feeder;
use crate::end::feed::Feed;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures::sink::Sink;
use pin_project_lite::pin_project;

pin_project! {
    /// Future for the [`forward`](crate::Batch::forward) method.
    ///
    /// `E` is the end whose order the outputs go into the sink in (see
    /// [`ForEach`](super::ForEach)); `S` is the sink.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Forward<E, S>
    where
        E: Feed,
    {
        // `None` once the batch is done, or after the sink's error: the
        // children are dropped before it is handed out.
        feed: Option<Feeder<E>>,
        #[pin]
        sink: S,
    }
}

impl<E: Feed, S> Forward<E, S> {
    pub(crate) fn new(end: E, sink: S) -> Self {
        Forward {
            feed: Some(Feeder::new(end)),
            sink,
        }
    }
}

impl<E, S> Future for Forward<E, S>
where
    E: Feed,
    S: Sink<E::Item>,
{
    type Output = Result<(), S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(feed) = this.feed.as_mut() else {
            // Every output is in: the sink is closed, then the future ends.
            return this.sink.poll_close(cx);
        };
        feed.begin_poll();
        let mut sink_waits = false;
        for _ in 0..OUTPUTS_PER_POLL {
            // The sink first: outputs waiting go in as far as it takes them.
            while feed.has_waiting() && !sink_waits {
                match this.sink.as_mut().poll_ready(cx) {
                    Poll::Ready(Ok(())) => {
                        let Some(item) = feed.pop() else { break };
                        if let Err(error) = this.sink.as_mut().start_send(item) {
                            *this.feed = None;
                            return Poll::Ready(Err(error));
                        }
                    }
                    Poll::Ready(Err(error)) => {
                        *this.feed = None;
                        return Poll::Ready(Err(error));
                    }
                    Poll::Pending => sink_waits = true,
                }
            }
            // Then the children: an output each time, while they have one.
            match feed.poll_take(cx) {
                Poll::Ready(true) => continue,
                Poll::Ready(false) if !feed.has_waiting() => {
                    // The batch is done and every output is in the sink.
                    *this.feed = None;
                    return this.sink.poll_close(cx);
                }
                Poll::Ready(false) if sink_waits => break,
                Poll::Ready(false) => continue,
                Poll::Pending => {
                    // Nothing more for now: what the sink buffers goes out
                    // while the children wait.
                    if !sink_waits {
                        if let Poll::Ready(Err(error)) = this.sink.as_mut().poll_flush(cx) {
                            *this.feed = None;
                            return Poll::Ready(Err(error));
                        }
                    }
                    feed.end_pass();
                    return Poll::Pending;
                }
            }
        }
        if !sink_waits {
            // The budget ran out with work left: let others run, then go on.
            cx.waker().wake_by_ref();
        }
        feed.end_pass();
        Poll::Pending
    }
}

impl<E: Feed + fmt::Debug, S> fmt::Debug for Forward<E, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Forward")
            .field("feed", &self.feed)
            .finish_non_exhaustive()
    }
}
