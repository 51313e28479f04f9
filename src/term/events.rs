//! Terminal events as a stream that is only polled when it has something.
//!
//! crossterm's `EventStream` waits for input on a thread of its own that
//! holds crossterm's event-reader lock while it waits. Every poll of the
//! stream from the event loop tries that lock, and parking_lot spins on it
//! (`sched_yield`) before giving up. The loop polls the stream each time it
//! wakes for anything, so while an answer streams at 100 chunks a second that
//! spinning came to thousands of system calls a second. This wrapper polls
//! the inner stream only after it woke us (or returned an event, so the next
//! one may be queued already); otherwise it stays pending at no cost.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use crossterm::event::{Event, EventStream};
use futures_util::task::AtomicWaker;
use futures_util::{Stream, StreamExt};

pub struct TermEvents {
    inner: EventStream,
    signal: Arc<Signal>,
    /// The inner stream said pending and has not woken us since.
    waiting: bool,
}

#[derive(Default)]
struct Signal {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.task.wake();
    }
}

impl TermEvents {
    pub fn new() -> TermEvents {
        TermEvents {
            inner: EventStream::new(),
            signal: Arc::default(),
            waiting: false,
        }
    }
}

impl Default for TermEvents {
    fn default() -> Self {
        TermEvents::new()
    }
}

impl Stream for TermEvents {
    type Item = std::io::Result<Event>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // Registered before the flag is read, so a wake in between is not lost.
        self.signal.task.register(cx.waker());
        if self.waiting && !self.signal.woken.swap(false, Ordering::SeqCst) {
            return Poll::Pending;
        }
        let waker = Waker::from(Arc::clone(&self.signal));
        let polled = self.inner.poll_next_unpin(&mut Context::from_waker(&waker));
        self.waiting = polled.is_pending();
        polled
    }
}
