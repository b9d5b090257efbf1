//! The adapters are `Send`, `Sync` and `Unpin` when their children allow
//! it, and print useful `Debug` output without requiring `Debug` children.

use fanout::prelude::*;
use fanout::{Bounded, Deadline, Elapsed, FromIter, FromStream, Gather};
use std::pin::Pin;
use std::time::Duration;

fn is_send<T: Send>() {}
fn is_sync<T: Sync>() {}
fn is_unpin<T: Unpin>() {}

type SendChild = Pin<Box<dyn Future<Output = u8> + Send + Sync>>;
type Source = FromIter<std::vec::IntoIter<SendChild>>;
/// A stream input: a channel of jobs, mapped to children.
type StreamSource =
    FromStream<futures::stream::Map<futures::channel::mpsc::Receiver<u8>, fn(u8) -> SendChild>>;
use std::future::Future;

#[test]
fn adapters_are_send_sync_and_unpin_when_their_children_are() {
    is_send::<Bounded<Source>>();
    is_sync::<Bounded<Source>>();
    is_unpin::<Bounded<Source>>();
    is_send::<Deadline<Source>>();
    is_sync::<Deadline<Source>>();
    is_unpin::<Deadline<Source>>();
    is_send::<Gather<Bounded<Source>, u8>>();
    is_send::<Gather<Deadline<Source>, Result<u8, Elapsed>>>();
    is_unpin::<Gather<Deadline<Source>, Result<u8, Elapsed>>>();
    is_send::<Elapsed>();
    is_sync::<Elapsed>();
    is_send::<fanout::Limiter>();
    is_sync::<fanout::Limiter>();
    is_send::<fanout::Panicked>();
    // So it converts into `Box<dyn Error + Send + Sync>` (anyhow and the like).
    is_sync::<fanout::Panicked>();
    is_send::<fanout::TryGather<Bounded<ResultSource>, u8, String>>();
    is_send::<fanout::AsCompleted<Deadline<Source>>>();
    is_send::<fanout::CatchPanics<Bounded<Source>>>();
    is_send::<fanout::Reporting<Deadline<ResultSource>, u8, String>>();
    is_send::<fanout::Report<u8, String>>();
    is_send::<fanout::InOrder<Deadline<Source>, Result<u8, Elapsed>>>();
    is_sync::<fanout::InOrder<Deadline<Source>, Result<u8, Elapsed>>>();
    is_unpin::<fanout::InOrder<Deadline<Source>, Result<u8, Elapsed>>>();
    type Stopped = fanout::Until<Source, futures::channel::oneshot::Receiver<()>>;
    is_send::<Bounded<Stopped>>();
    is_sync::<Bounded<Stopped>>();
    is_unpin::<Bounded<Stopped>>();
}

#[test]
fn batches_over_streams_are_send_sync_and_unpin_when_their_stream_is() {
    is_send::<Bounded<StreamSource>>();
    is_sync::<Bounded<StreamSource>>();
    is_unpin::<Bounded<StreamSource>>();
    is_send::<Gather<Deadline<StreamSource>, Result<u8, Elapsed>>>();
    is_send::<fanout::InOrder<Bounded<StreamSource>, u8>>();
}

type ResultSource =
    FromIter<std::vec::IntoIter<Pin<Box<dyn Future<Output = Result<u8, String>> + Send + Sync>>>>;

#[test]
fn debug_output_shows_the_batch_state() {
    struct NotDebug;
    let children = || (0..3).map(|_| std::future::ready(NotDebug));
    let bounded = children().bounded(2);
    assert_eq!(
        format!("{bounded:?}"),
        "Bounded { limit: Some(2), admitted: 0, in_flight: 0, .. }"
    );
    let deadline = children().bounded(2).with_deadline(Duration::from_secs(1));
    assert_eq!(
        format!("{deadline:?}"),
        "Deadline { deadline: Some(1s), within: None, limit: Some(2), admitted: 0, in_flight: 0, .. }"
    );
    let gather = children().gather();
    assert_eq!(
        format!("{gather:?}"),
        "Gather { batch: Bounded { limit: None, admitted: 0, in_flight: 0, .. }, collected: 0 }"
    );
}
