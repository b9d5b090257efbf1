//! Children that follow a script: pending a given number of times, each time
//! woken in a given way, then finishing with a given end.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::sync::mpsc::{Sender, channel};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Who wakes a scripted child after it returns `Pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The child wakes itself before returning `Pending`.
    AtOnce,
    /// Another thread wakes it a little later.
    OtherThread,
    /// A `futures_timer::Delay` wakes it.
    Timer,
}

/// How a scripted child ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Ok,
    Err,
    /// Pending forever, with no wake-up arranged.
    Never,
}

#[derive(Debug, Clone, Copy)]
pub struct Script {
    pub pendings: u8,
    pub wake: Wake,
    pub end: End,
}

/// What a scripted child for input `index` returns when it ends.
pub fn expected(index: usize, end: End) -> Option<Result<usize, usize>> {
    match end {
        End::Ok => Some(Ok(index * 3)),
        End::Err => Some(Err(index)),
        End::Never => None,
    }
}

pub struct Scripted {
    index: usize,
    script: Script,
    delay: Option<futures_timer::Delay>,
    /// Runs just before the child returns its `Err`.
    on_error: Option<Box<dyn FnOnce() + Send>>,
}

impl Scripted {
    pub fn new(index: usize, script: Script) -> Self {
        Scripted {
            index,
            script,
            delay: None,
            on_error: None,
        }
    }

    pub fn on_error(mut self, hook: impl FnOnce() + Send + 'static) -> Self {
        self.on_error = Some(Box::new(hook));
        self
    }
}

impl Future for Scripted {
    type Output = Result<usize, usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.script.pendings > 0 {
            match self.script.wake {
                Wake::AtOnce => cx.waker().wake_by_ref(),
                Wake::OtherThread => wake_from_another_thread(cx.waker().clone()),
                Wake::Timer => {
                    let delay = self
                        .delay
                        .get_or_insert_with(|| futures_timer::Delay::new(Duration::ZERO));
                    if Pin::new(delay).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.delay = None;
                    cx.waker().wake_by_ref();
                }
            }
            self.script.pendings -= 1;
            return Poll::Pending;
        }
        match self.script.end {
            End::Ok => Poll::Ready(Ok(self.index * 3)),
            End::Err => {
                if let Some(hook) = self.on_error.take() {
                    hook();
                }
                Poll::Ready(Err(self.index))
            }
            End::Never => Poll::Pending,
        }
    }
}

/// Hands `waker` to a helper thread that wakes it after a short pause.
pub fn wake_from_another_thread(waker: Waker) {
    static HELPER: OnceLock<std::sync::Mutex<Sender<Waker>>> = OnceLock::new();
    let sender = HELPER.get_or_init(|| {
        let (sender, receiver) = channel::<Waker>();
        std::thread::spawn(move || {
            for waker in receiver {
                std::thread::sleep(Duration::from_micros(20));
                waker.wake();
            }
        });
        std::sync::Mutex::new(sender)
    });
    sender
        .lock()
        .unwrap()
        .send(waker)
        .expect("the waking thread runs for the whole test");
}
