//! Decoding realistic OpenRouter streams, in MB/s: a 2,000- and a 20,000-token
//! answer, and the 20,000-token answer with a 2 MB image line, fed to
//! `orchat::api::sse::decode` in network-sized reads.
//!
//!     cargo bench --bench decode

mod support;

use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::Stream;
use orchat::api::error::ApiError;
use orchat::api::sse::{StreamEvent, decode};

/// Runs the decoder over reads that are all ready (no runtime: a no-op
/// waker; a ready stream never returns Pending). Returns the events seen.
fn decode_all(reads: &[Bytes]) -> usize {
    let input: Vec<Result<Bytes, ApiError>> = reads.iter().cloned().map(Ok).collect();
    let mut dec = decode(futures_util::stream::iter(input));
    let mut cx = Context::from_waker(Waker::noop());
    let mut n = 0;
    loop {
        match Pin::new(&mut dec).poll_next(&mut cx) {
            Poll::Ready(Some(Ok(ev))) => {
                if matches!(ev, StreamEvent::Done) {
                    n += 1_000_000;
                }
                black_box(ev);
                n += 1;
            }
            Poll::Ready(Some(Err(e))) => panic!("decode error: {e}"),
            Poll::Ready(None) => return n,
            Poll::Pending => panic!("a ready stream went pending"),
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let cases = [
        ("2k_tokens", support::answer_markdown(2_000), None),
        ("20k_tokens", support::answer_markdown(20_000), None),
        (
            "20k_tokens_with_2MB_image",
            support::answer_markdown(20_000),
            Some(2 * 1024 * 1024),
        ),
    ];
    for (name, answer, image) in cases {
        let wire = support::sse_stream(&answer, image);
        let reads = support::network_reads(&wire, 3);
        // Sanity: the whole answer comes out, and [DONE].
        assert!(decode_all(&reads) > 1_000_000, "{name}: no [DONE]");
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_function(name, |b| b.iter(|| decode_all(black_box(&reads))));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
