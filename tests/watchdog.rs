//! The per-test watchdog of `common::watchdog`: a test that hangs fails the
//! run in seconds, naming itself and saying how its body stood, and a test
//! that ends stops its watchdog at once.
//!
//! The hanging tests below hang only when `FANOUT_TEST_HANG_ON_PURPOSE` is
//! set; the test that checks the watchdog runs each of them in a process of
//! its own (this test binary, filtered to it), with a limit of one second.

mod common;
use common::watchdog::{EXIT_STATUS, LIMIT_VAR, Watchdog};
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Set for the processes that run the hanging tests.
const HANG_VAR: &str = "FANOUT_TEST_HANG_ON_PURPOSE";

fn hang_on_purpose() -> bool {
    std::env::var_os(HANG_VAR).is_some()
}

on_every_executor! {
    async fn a_body_that_is_never_woken() {
        if hang_on_purpose() {
            futures::future::pending::<()>().await;
        }
    }

    async fn a_body_that_blocks_its_thread() {
        if hang_on_purpose() {
            loop {
                std::thread::park();
            }
        }
    }
}

#[test]
fn a_plain_test_that_blocks() {
    let _watchdog = Watchdog::start();
    if hang_on_purpose() {
        loop {
            std::thread::park();
        }
    }
}

/// The test processes, killed if still running when this is dropped: when
/// an assertion fails, none is left behind, hanging.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for process in &mut self.0 {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

/// Waits for `process` to exit, for at most `limit`: its exit status and
/// what it wrote to stderr.
fn wait_at_most(process: &mut Child, limit: Duration) -> (ExitStatus, String) {
    let started = Instant::now();
    loop {
        if let Some(status) = process.try_wait().expect("wait for the test process") {
            let mut stderr = String::new();
            let mut pipe = process.stderr.take().expect("the process's stderr");
            pipe.read_to_string(&mut stderr).expect("read its stderr");
            return (status, stderr);
        }
        assert!(
            started.elapsed() < limit,
            "the hanging test was still running after {limit:?}: the watchdog did not end it"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
#[cfg_attr(miri, ignore)] // runs processes
fn a_hanging_test_fails_its_run_within_seconds_and_names_itself() {
    let _watchdog = Watchdog::start();
    let this_binary = std::env::current_exe().expect("the test binary's path");
    // Each hanging test, and what the watchdog should say of its state.
    let cases = [
        ("a_body_that_is_never_woken::block_on", "returned Pending"),
        (
            "a_body_that_is_never_woken::tokio_multi_thread",
            "returned Pending",
        ),
        ("a_body_that_blocks_its_thread::smol", "inside poll 1"),
        ("a_plain_test_that_blocks", "a plain test"),
    ];
    // All at once: each takes its one second, side by side.
    let mut processes = Processes(
        cases
            .iter()
            .map(|(test, _)| {
                Command::new(&this_binary)
                    .args([test, "--exact"])
                    .env(LIMIT_VAR, "1")
                    .env(HANG_VAR, "1")
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("run the test binary")
            })
            .collect(),
    );
    for (process, (test, state)) in processes.0.iter_mut().zip(cases) {
        // Generous for a loaded machine; a hang would be for ever.
        let (status, stderr) = wait_at_most(process, Duration::from_secs(20));
        assert_eq!(status.code(), Some(EXIT_STATUS), "{test}: {stderr}");
        let named = format!("`watchdog::{test}` still running after 1s");
        assert!(stderr.contains(&named), "{test}: {stderr}");
        assert!(stderr.contains(state), "{test}: {stderr}");
    }
}

#[test]
#[cfg_attr(miri, ignore)] // test machinery, none of fanout's code
fn a_test_that_ends_stops_its_watchdog_at_once() {
    // With a limit of an hour, a watchdog that waited out its limit (or
    // slept in steps) would hold the drop up for far longer than this.
    let started = Instant::now();
    drop(Watchdog::with_limit(
        "ends".into(),
        Some(Duration::from_secs(3_600)),
    ));
    let ended = std::panic::catch_unwind(|| {
        let _watchdog = Watchdog::with_limit("panics".into(), Some(Duration::from_secs(3_600)));
        panic!("the test failed");
    });
    assert!(ended.is_err());
    let took = started.elapsed();
    assert!(took < common::at_most_ms(10_000), "took {took:?}");
}
