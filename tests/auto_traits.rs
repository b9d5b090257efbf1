//! The adapters are `Send`, `Sync` and `Unpin` when their children allow
//! it, and print useful `Debug` output without requiring `Debug` children.

use fanout::end::{AsCompleted, Gather, InOrder, Reporting, TryGather};
use fanout::input::{FromIter, FromStream, Hooked, Until, Watched};
use fanout::mode::{Caught, Timed, Untimed};
use fanout::prelude::*;
use fanout::{Batch, Elapsed};
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
    is_send::<Batch<Source>>();
    is_sync::<Batch<Source>>();
    is_unpin::<Batch<Source>>();
    is_send::<Batch<Source, Timed>>();
    is_sync::<Batch<Source, Timed>>();
    is_unpin::<Batch<Source, Timed>>();
    is_send::<Gather<Source>>();
    is_send::<Gather<Source, Timed>>();
    is_unpin::<Gather<Source, Timed>>();
    is_send::<Elapsed>();
    is_sync::<Elapsed>();
    is_send::<fanout::Limiter>();
    is_sync::<fanout::Limiter>();
    is_send::<fanout::Panicked>();
    // So it converts into `Box<dyn Error + Send + Sync>` (anyhow and the like).
    is_sync::<fanout::Panicked>();
    is_send::<TryGather<ResultSource>>();
    is_send::<AsCompleted<Source, Timed>>();
    is_send::<Batch<Source, Untimed, Caught>>();
    is_send::<Reporting<ResultSource, Timed>>();
    is_send::<fanout::Report<u8, String>>();
    is_send::<InOrder<Source, Timed>>();
    is_sync::<InOrder<Source, Timed>>();
    is_unpin::<InOrder<Source, Timed>>();
    type Stopped = Until<Source, futures::channel::oneshot::Receiver<()>>;
    is_send::<Batch<Stopped>>();
    is_sync::<Batch<Stopped>>();
    is_unpin::<Batch<Stopped>>();
}

/// A hook holding a counter by `&mut`: `Send`, so the batch is too.
type SendHook = fn(usize, fanout::Done<'_, u8>);
/// A hook holding an `Rc`: not `Send`.
type LocalHook = std::rc::Rc<dyn Fn(usize, fanout::Done<'_, u8>)>;

#[test]
fn a_batch_is_send_and_sync_when_its_on_each_hook_is_send() {
    is_send::<Batch<Hooked<Source, SendHook>>>();
    is_sync::<Batch<Hooked<Source, SendHook>>>();
    is_unpin::<Batch<Hooked<Source, SendHook>>>();
    is_send::<Gather<Hooked<Source, SendHook>, Timed>>();
    is_send::<AsCompleted<Hooked<Source, SendHook>>>();
    // The hook is held once, by the batch, never by its input: an input
    // whose hook is not `Send` is still `Send` itself (the batch is not).
    is_send::<Hooked<Source, LocalHook>>();
    is_sync::<Hooked<Source, LocalHook>>();
}

/// A slow-poll report holding an `Rc`: not `Send`.
type LocalReport = std::rc::Rc<dyn Fn(usize, Duration)>;

#[test]
fn a_batch_is_send_and_sync_when_its_slow_poll_report_is_send() {
    type SendReport = fn(usize, Duration);
    is_send::<Batch<Watched<Source, SendReport>>>();
    is_sync::<Batch<Watched<Source, SendReport>>>();
    is_unpin::<Batch<Watched<Source, SendReport>>>();
    is_send::<Gather<Watched<Hooked<Source, SendHook>, SendReport>, Timed>>();
    is_send::<Watched<Source, LocalReport>>();
}

#[test]
fn batches_over_streams_are_send_sync_and_unpin_when_their_stream_is() {
    is_send::<Batch<StreamSource>>();
    is_sync::<Batch<StreamSource>>();
    is_unpin::<Batch<StreamSource>>();
    is_send::<Gather<StreamSource, Timed>>();
    is_send::<InOrder<StreamSource>>();
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
