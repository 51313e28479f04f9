//! The per-event path, one token an SSE event (as many providers send):
//! bytes off the network decoded into stream events, each event applied by
//! `update` as the runtime applies it (the answer grows, its estimate with
//! it), and the meter the status bar shows (the turn's live cost, formatted).
//! A 2,000- and a 20,000-token answer's events, per event, for each
//! workload (`support::Workload`: `doc`, the realistic answer in pieces of
//! about four characters, and `words`, the earlier one word a token). The meter
//! recounts the answer's tokens (the app does it once a frame; this bench
//! once an event), so the longer answer costs more per event.
//!
//!     cargo bench --bench event
//!
//! Instruction counts (what `benches/callgrind.sh` runs):
//!
//!     ORCHAT_CALLGRIND=2000 valgrind --tool=callgrind \
//!         --toggle-collect='*measured*' target/release/deps/event-HASH

mod support;

use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, criterion_group};
use futures_util::Stream;
use orchat::api::error::ApiError;
use orchat::api::sse::{StreamEvent, decode};
use orchat::app::{App, Msg, update};
use orchat::chat::pricing::format_usd_short;

/// An app waiting for the answer of `turn`, and the answer's bytes.
struct Setup {
    app: App,
    turn: u64,
    reads: Vec<Bytes>,
    events: usize,
}

impl Setup {
    fn new(tokens: u64, workload: support::Workload) -> Setup {
        let wire = support::sse_stream_pieces(&workload.tokens(tokens));
        let reads = support::network_reads(&wire, 5);
        let (mut app, turn) = support::conversation(10, "");
        let live = app.conversation.live().next();
        if let Some(r) = live.and_then(|id| app.conversation.reply_mut(id)) {
            r.answer.status = orchat::chat::answer::Status::Waiting;
        }
        let mut s = Setup {
            app,
            turn,
            reads,
            events: 0,
        };
        s.events = s.run();
        s
    }

    /// Every event: decoded, applied, metered. Returns how many there were.
    fn run(&mut self) -> usize {
        let input: Vec<Result<Bytes, ApiError>> = self.reads.iter().cloned().map(Ok).collect();
        let mut dec = decode(futures_util::stream::iter(input));
        let mut cx = Context::from_waker(Waker::noop());
        let mut n = 0;
        loop {
            match Pin::new(&mut dec).poll_next(&mut cx) {
                Poll::Ready(Some(Ok(event))) => {
                    let done = matches!(event, StreamEvent::Done);
                    update(
                        &mut self.app,
                        Msg::Stream {
                            turn: self.turn,
                            event,
                        },
                    );
                    // The meter: the turn's live cost as the status bar shows it.
                    if let Some(c) = self.app.turn_cost() {
                        black_box(format_usd_short(c.usd));
                    }
                    n += 1;
                    if done {
                        return n;
                    }
                }
                Poll::Ready(Some(Err(e))) => panic!("decode error: {e}"),
                Poll::Ready(None) => return n,
                Poll::Pending => panic!("a ready stream went pending"),
            }
        }
    }

    /// The same app again, its answer empty.
    fn fresh(&self) -> Setup {
        let (mut app, turn) = support::conversation(10, "");
        let live = app.conversation.live().next();
        if let Some(r) = live.and_then(|id| app.conversation.reply_mut(id)) {
            r.answer.status = orchat::chat::answer::Status::Waiting;
        }
        Setup {
            app,
            turn,
            reads: self.reads.clone(),
            events: self.events,
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("event");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (workload, tokens) in support::Workload::ALL
        .into_iter()
        .flat_map(|w| [(w, 2_000u64), (w, 20_000)])
    {
        let base = Setup::new(tokens, workload);
        let events = base.events;
        g.bench_with_input(
            BenchmarkId::new(
                format!("decode_update_meter_per_event/{}", workload.name()),
                tokens,
            ),
            &tokens,
            |b, _| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let mut s = base.fresh();
                        let t = Instant::now();
                        black_box(s.run());
                        total += t.elapsed();
                    }
                    // Per event.
                    total / events as u32
                })
            },
        );
    }
    g.finish();
}

#[inline(never)]
fn measured_events(s: &mut Setup) -> usize {
    s.run()
}

/// `ORCHAT_CALLGRIND=TOKENS[:WORKLOAD]`: one answer's events, counted once.
fn callgrind(spec: &str) {
    let mut parts = spec.split(':');
    let tokens: u64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(2_000);
    let workload = support::Workload::parse(parts.next().unwrap_or("doc"));
    let base = Setup::new(tokens, workload);
    let mut s = base.fresh();
    let n = measured_events(&mut s);
    println!(
        "event callgrind: {tokens} tokens, {} workload, {n} events",
        workload.name()
    );
}

criterion_group!(benches, bench);

fn main() {
    support::main(benches, callgrind);
}
