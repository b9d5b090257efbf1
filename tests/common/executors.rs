//! The executor set-ups every test runs on. The future is driven from the
//! test's own thread in each case; only the runtime around it changes.

use std::future::Future;

pub fn block_on<F: Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

pub fn smol<F: Future>(future: F) -> F::Output {
    smol::block_on(future)
}

pub fn async_std<F: Future>(future: F) -> F::Output {
    async_std::task::block_on(future)
}

pub fn tokio_current_thread<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a current-thread tokio runtime")
        .block_on(future)
}

pub fn tokio_multi_thread<F: Future>(future: F) -> F::Output {
    tokio_multi_thread_runtime(2).block_on(future)
}

/// A tokio runtime with `workers` worker threads and its timers, for tests
/// that spawn batches on it as well as drive one.
pub fn tokio_multi_thread_runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("build a multi-thread tokio runtime")
}
