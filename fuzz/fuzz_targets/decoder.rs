//! The stream decoder on arbitrary bytes, cut into pieces where the input
//! says: it must never panic, and must always end (Done, Truncated or an
//! error). The first byte picks up to 8 cut points; the rest is the stream.

#![no_main]

use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use libfuzzer_sys::fuzz_target;
use orchat::api::ApiError;
use orchat::api::sse::{StreamEvent, decode};

fuzz_target!(|data: &[u8]| {
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    // Cut points derived from the seed: deterministic per input, so a crash
    // replays exactly.
    let mut points = vec![0, body.len()];
    let mut x = u32::from(seed) | 1;
    for _ in 0..(seed % 8) {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        points.push(x as usize % (body.len() + 1));
    }
    points.sort_unstable();
    points.dedup();
    let pieces: Vec<Result<Bytes, ApiError>> = points
        .windows(2)
        .map(|w| Ok(Bytes::copy_from_slice(&body[w[0]..w[1]])))
        .collect();
    // The input is always ready, so the decoder completes without an executor.
    let items = decode(futures_util::stream::iter(pieces))
        .collect::<Vec<_>>()
        .now_or_never()
        .expect("a ready input decodes without waiting");
    assert!(matches!(
        items.last(),
        Some(Ok(StreamEvent::Done | StreamEvent::Truncated) | Err(_))
    ));
    // The non-streaming parser gets the same bytes.
    let _ = orchat::api::body::parse_response(body);
});
