//! `on_each`: a hook told about every child as it finishes, whatever ends
//! the chain, before the output is handed on.

mod common;
use common::*;
use fanout::prelude::*;
use fanout::{Done, Elapsed};
use futures::StreamExt;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the hook heard: `(index, label)` in the order it heard it.
type Heard = Arc<Mutex<Vec<(usize, &'static str)>>>;

fn label<T, E>(done: Done<'_, Result<T, E>>) -> &'static str {
    match done {
        Done::Output(Ok(_)) => "ok",
        Done::Output(Err(_)) => "failed",
        Done::TimedOut(Elapsed::Child) => "timed out",
        Done::TimedOut(Elapsed::Batch) => "cut",
        Done::NotStarted => "not started",
        Done::Panicked(_) => "panicked",
        _ => "new to fanout",
    }
}

// The return type is the hook's signature, spelled once here.
#[allow(clippy::type_complexity)]
fn listener<T, E>() -> (
    Heard,
    impl FnMut(usize, Done<'_, Result<T, E>>) + Send + 'static,
) {
    let heard = Heard::default();
    let log = heard.clone();
    (heard, move |index, done| {
        log.lock().unwrap().push((index, label(done)))
    })
}

/// Input 1 fails at 10 ms, input 3 never finishes, the rest succeed after
/// `10 * (4 - i)` ms: the completion order is not the input order.
fn calls() -> impl Iterator<Item = impl Future<Output = Result<usize, usize>>> {
    (0..4).map(|i| async move {
        match i {
            1 => {
                sleep_ms(10).await;
                Err(i)
            }
            3 => futures::future::pending().await,
            _ => {
                sleep_ms(10 * (4 - i as u64)).await;
                Ok(i)
            }
        }
    })
}

/// An iterator that says when it is dropped.
struct DropFlag<I>(I, Arc<AtomicBool>);

impl<I: Iterator> Iterator for DropFlag<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        self.0.next()
    }
}

impl<I> Drop for DropFlag<I> {
    fn drop(&mut self) {
        self.1.store(true, SeqCst);
    }
}

/// Six calls that all finish, the odd inputs failing, out of input order.
fn finishing_calls() -> impl Iterator<Item = impl Future<Output = Result<usize, usize>>> {
    (0..6).map(|i| async move {
        sleep_ms(3 * (i % 3) as u64).await;
        if i % 2 == 0 { Ok(i) } else { Err(i) }
    })
}

on_every_executor! {
    // The hook lives in the batch, so it may borrow from the caller's
    // stack as a child may: no `Arc`, no `move`, and the count is read
    // back once the batch is done.
    async fn a_hook_borrows_a_counter_from_the_stack() {
        let mut finished = 0;
        let mut failed_indices = Vec::new();
        let out = finishing_calls()
            .bounded(2)
            .on_each(|index, done| {
                finished += 1;
                if let Done::Output(Err(_)) = done {
                    failed_indices.push(index);
                }
            })
            .gather()
            .await;
        assert_eq!(out.len(), 6);
        assert_eq!(finished, 6);
        failed_indices.sort_unstable();
        let expected: Vec<usize> = out
            .iter()
            .enumerate()
            .filter_map(|(index, output)| output.is_err().then_some(index))
            .collect();
        assert_eq!(failed_indices, expected);
    }

    // `on_each` wraps the input that `until` wrapped: the signal still
    // stops it, and the hook hears only the children that started.
    async fn a_stop_signal_given_before_on_each_still_stops_the_input() {
        let mut heard = 0;
        let out = finishing_calls()
            .bounded(2)
            .until(async {})
            .on_each(|_, _| heard += 1)
            .gather()
            .await;
        assert!(out.is_empty(), "the signal had fired: nothing is admitted");
        assert_eq!(heard, 0);
    }

    async fn a_second_on_each_replaces_the_first() {
        let mut first = 0;
        let mut second = 0;
        let out = finishing_calls()
            .on_each(|_, _| first += 1)
            .bounded(3)
            .on_each(|_, _| second += 1)
            .gather()
            .await;
        assert_eq!(out.len(), 6);
        assert_eq!((first, second), (0, 6));
    }

    // The hook hears the children still running after the input ended
    // and was dropped: it is kept by the batch, not by the input.
    async fn the_hook_outlives_the_input_it_was_given_with() {
        let input_dropped = Arc::new(AtomicBool::new(false));
        let children = (0..4usize).map(|i| async move {
            sleep_ms(5 * (i as u64 + 1)).await;
            i
        });
        let mut heard = Vec::new();
        // Room for all four and a pull that finds the end: the input is
        // dropped in the first poll, before any child finishes.
        let out = DropFlag(children, Arc::clone(&input_dropped))
            .bounded(5)
            .on_each(|index, _| heard.push((index, input_dropped.load(SeqCst))))
            .gather()
            .await;
        assert_eq!(out, [0, 1, 2, 3]);
        assert_eq!(heard, [(0, true), (1, true), (2, true), (3, true)]);
    }

    async fn the_hook_hears_every_child_in_completion_order_under_gather() {
        let (heard, hook) = listener();
        let out = calls().with_deadline(Duration::from_millis(300)).on_each(hook).gather().await;
        assert_eq!(out, [Ok(Ok(0)), Ok(Err(1)), Ok(Ok(2)), Err(Elapsed::Child)]);
        let mut heard = heard.lock().unwrap().clone();
        if cfg!(miri) {
            // Miri runs so slowly that 10 ms apart is no order at all.
            heard.sort();
            assert_eq!(heard, [(0, "ok"), (1, "failed"), (2, "ok"), (3, "timed out")]);
        } else {
            assert_eq!(heard, [(1, "failed"), (2, "ok"), (0, "ok"), (3, "timed out")]);
        }
    }

    async fn the_hook_hears_each_item_before_as_completed_yields_it() {
        let (heard, hook) = listener();
        let mut stream = calls().bounded(4).with_deadline(Duration::from_millis(300)).on_each(hook).as_completed();
        let mut yielded = 0;
        while let Some((index, _)) = stream.next().await {
            yielded += 1;
            let heard = heard.lock().unwrap();
            assert_eq!(heard.len(), yielded, "heard before it was yielded");
            assert_eq!(heard.last().unwrap().0, index);
        }
        assert_eq!(yielded, 4);
    }

    async fn under_try_gather_the_hook_hears_the_failure_and_nothing_after() {
        let (heard, hook) = listener();
        let result = calls().bounded(4).on_each(hook).try_gather().await;
        assert_eq!(result, Err(1));
        let heard = heard.lock().unwrap().clone();
        if cfg!(miri) {
            // Miri runs so slowly that 10 ms apart is no order at all:
            // children that succeed may finish before the failure. Still
            // the failure is the last the hook hears.
            let (last, before) = heard.split_last().expect("the hook heard the failure");
            assert_eq!(*last, (1, "failed"));
            assert!(before.iter().all(|&(i, label)| (i == 0 || i == 2) && label == "ok"), "{heard:?}");
        } else {
            assert_eq!(heard, [(1, "failed")]);
        }
    }

    async fn the_hook_hears_inputs_a_batch_deadline_stopped_and_caught_panics() {
        let (heard, hook) = listener::<usize, usize>();
        let children = (0..5).map(|i| async move {
            match i {
                0 => Ok(i),
                1 => panic!("input 1 gave up"),
                _ => futures::future::pending().await,
            }
        });
        let out = children
            .bounded(3)
            // Long enough, even under Miri and with the panic hook printing
            // a backtrace, for the first pass to finish (inputs 2 to 4
            // running when the deadline passes, not stopped before their
            // start).
            .within(Duration::from_millis(if cfg!(miri) { 3_000 } else { 300 }))
            .on_each(hook)
            .catch_panics()
            .gather()
            .await;
        assert_eq!(out.len(), 5);
        let mut heard = heard.lock().unwrap().clone();
        heard.sort();
        assert_eq!(heard, [(0, "ok"), (1, "panicked"), (2, "cut"), (3, "cut"), (4, "cut")]);
    }

    async fn the_hook_tells_inputs_never_started_from_children_cut_off() {
        let (heard, hook) = listener::<usize, usize>();
        let children = (0..5).map(|i| async move {
            if i == 1 {
                futures::future::pending::<()>().await;
            }
            Ok(i)
        });
        let out = children
            .bounded(1)
            .within(Duration::from_millis(50))
            .on_each(hook)
            .gather()
            .await;
        assert_eq!(out, [Ok(Ok(0)), Err(Elapsed::Batch), Err(Elapsed::Batch), Err(Elapsed::Batch), Err(Elapsed::Batch)]);
        let heard = heard.lock().unwrap().clone();
        assert_eq!(heard, [(0, "ok"), (1, "cut"), (2, "not started"), (3, "not started"), (4, "not started")]);
    }

    async fn the_hook_agrees_with_the_report() {
        let (heard, hook) = listener();
        let report = calls().bounded(2).with_deadline(Duration::from_millis(200)).on_each(hook).report().await;
        let heard = heard.lock().unwrap();
        let count = |what| heard.iter().filter(|(_, label)| *label == what).count();
        assert_eq!(report.to_string(), "2 ok, 1 failed, 1 timed out");
        assert_eq!((count("ok"), count("failed"), count("timed out")), (2, 1, 1));
    }

    async fn the_hook_survives_on_slow_poll_in_either_order() {
        let (first, hook) = listener();
        let one = calls()
            .on_each(hook)
            .on_slow_poll(Duration::from_secs(5), |_, _| {})
            .with_deadline(Duration::from_millis(200))
            .gather()
            .await;
        let (last, hook) = listener();
        let two = calls()
            .on_slow_poll(Duration::from_secs(5), |_, _| {})
            .with_deadline(Duration::from_millis(200))
            .on_each(hook)
            .gather()
            .await;
        assert_eq!(one, two);
        assert_eq!(first.lock().unwrap().len(), 4);
        assert_eq!(last.lock().unwrap().len(), 4);
    }
}

on_every_executor! {
    /// Regression: the slot freed by an output is refilled before that
    /// output is handed on, and a child that finishes on its first poll
    /// there is held for the next item. A consumer that took one item and
    /// dropped the stream dropped that held output, and the hook never
    /// heard of a child that had run to its end (`bounded(1)`, one item
    /// taken: two children ran, the hook heard one). Now it hears of every
    /// child that finished, when it finishes.
    async fn the_hook_hears_of_a_child_that_finished_while_its_output_was_held() {
        for in_order in [false, true] {
            let heard = Arc::new(Mutex::new(Vec::new()));
            let tracker = Tracker::new();
            let log = heard.clone();
            let batch = (0..5)
                .map(|i| tracker.track(i, async move { i }))
                .bounded(1)
                .on_each(move |index, _| log.lock().unwrap().push(index));
            let first = if in_order {
                batch.in_order().next().await
            } else {
                batch.as_completed().next().await.map(|(_, output)| output)
            };
            assert_eq!(first, Some(0));
            assert_eq!(tracker.finished(), 2, "the refill ran input 1 to its end");
            assert_eq!(*heard.lock().unwrap(), [0, 1], "in_order: {in_order}");
        }
    }
}

/// A hook that is not `Send` (it holds an `Rc`, or borrows a `Cell`) is
/// fine wherever the batch need not move between threads.
#[test]
fn a_hook_that_is_not_send_runs_on_a_single_thread_executor() {
    let heard = std::cell::Cell::new(0);
    let shared = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let log = std::rc::Rc::clone(&shared);
    let out = futures::executor::block_on(
        finishing_calls()
            .bounded(2)
            .on_each(|index, _| {
                heard.set(heard.get() + 1);
                log.borrow_mut().push(index);
            })
            .gather(),
    );
    assert_eq!(out.len(), 6);
    assert_eq!(heard.get(), 6);
    let mut indices = shared.borrow().clone();
    indices.sort_unstable();
    assert_eq!(indices, [0, 1, 2, 3, 4, 5]);
}
