//! Markdown of a 20,000-token answer (headings, prose, lists, code, tables),
//! rendered at 118 columns: from scratch (`markdown::render`, what a frame
//! cost before) against incrementally (`markdown::Incremental`, what the
//! conversation pane does for the streaming answer: settled blocks are kept,
//! only the open tail is rendered again).
//!
//! - `one_frame_*`: one delta arrives at the end of the 20,000-token answer
//!   and one frame's markdown is produced.
//! - `whole_stream_*`: the answer streams in (about 2,700 deltas) and the
//!   markdown is produced after every 25th delta (a frame every 25 deltas).
//! - `*_one_paragraph`: the local server's `[[fault:long:N]]` text, one
//!   paragraph of 20,000 words without a blank line: nothing settles until
//!   it ends, so incremental equals from scratch there.
//!
//!     cargo bench --bench markdown

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use orchat::markdown::{Incremental, MdStyles, render};

const WIDTH: u16 = 118;
const EVERY: usize = 25;

/// The text of the local server's long answer (one word a token).
fn one_paragraph(tokens: usize) -> String {
    let words = [
        "stream ", "token ", "orchat ", "gemini ", "cost ", "meter ", "flash ", "pro ",
    ];
    let mut s = String::new();
    for i in 0..tokens {
        s.push_str(words[i % words.len()]);
        if i % 16 == 15 {
            s.push('\n');
        }
    }
    s
}

/// Produces one frame's markdown after each delta, timing only that.
fn one_frame(
    text: &str,
    deltas: &[String],
    iters: u64,
    mut frame: impl FnMut(&str) -> usize,
) -> Duration {
    let mut cur = text.to_string();
    frame(&cur);
    let mut total = Duration::ZERO;
    for i in 0..iters as usize {
        if cur.len() > text.len() + 8 * 1024 {
            cur.truncate(text.len());
            frame(&cur);
        }
        cur.push_str(&deltas[i % deltas.len()]);
        let t = Instant::now();
        black_box(frame(&cur));
        total += t.elapsed();
    }
    total
}

/// Streams `deltas` in, producing the markdown after every `EVERY`th.
fn whole_stream(deltas: &[String], mut frame: impl FnMut(&str) -> usize) -> usize {
    let mut cur = String::new();
    let mut n = 0;
    for (i, d) in deltas.iter().enumerate() {
        cur.push_str(d);
        if i % EVERY == EVERY - 1 || i == deltas.len() - 1 {
            n += frame(&cur);
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let st = MdStyles::default();
    let answer = support::answer_markdown(20_000);
    let more = support::deltas(&support::answer_markdown(21_000)[answer.len()..], 3);
    let deltas = support::deltas(&answer, 3);
    let para = one_paragraph(20_000);
    let para_deltas = support::deltas(&one_paragraph(21_000)[para.len()..], 3);
    let scratch = |t: &str| render(t, WIDTH, &st).len();

    let mut g = c.benchmark_group("markdown");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g.bench_function("one_frame_from_scratch", |b| {
        b.iter_custom(|iters| one_frame(&answer, &more, iters, scratch))
    });
    g.bench_function("one_frame_incremental", |b| {
        let mut inc = Incremental::default();
        b.iter_custom(|iters| one_frame(&answer, &more, iters, |t| inc.update(t, WIDTH, &st).len()))
    });
    g.bench_function("whole_stream_from_scratch", |b| {
        b.iter(|| whole_stream(&deltas, scratch))
    });
    g.bench_function("whole_stream_incremental", |b| {
        b.iter(|| {
            let mut inc = Incremental::default();
            whole_stream(&deltas, |t| inc.update(t, WIDTH, &st).len())
        })
    });
    g.bench_function("one_frame_from_scratch_one_paragraph", |b| {
        b.iter_custom(|iters| one_frame(&para, &para_deltas, iters, scratch))
    });
    g.bench_function("one_frame_incremental_one_paragraph", |b| {
        let mut inc = Incremental::default();
        b.iter_custom(|iters| {
            one_frame(&para, &para_deltas, iters, |t| {
                inc.update(t, WIDTH, &st).len()
            })
        })
    });
    g.finish();
}

#[inline(never)]
fn measured_frames(
    text: &str,
    deltas: &[String],
    steps: usize,
    frame: &mut dyn FnMut(&str) -> usize,
) -> usize {
    let mut cur = text.to_string();
    let mut n = 0;
    for d in deltas.iter().cycle().take(steps) {
        cur.push_str(d);
        n += frame(&cur);
    }
    n
}

/// One code block rendered (a Rust block in a short answer), as the
/// first or the second of the session.
#[inline(never)]
fn measured_code_block(text: &str, st: &MdStyles) -> usize {
    render(text, WIDTH, st).len()
}

/// `ORCHAT_CALLGRIND=codeblock:first|second[:cold]`: the instructions of
/// the session's first code block, or of its second (a different block of
/// the same language, after the first), with the grammars warmed as the
/// app warms them after its first frame (`cold`: not warmed).
fn code_block(which: &str, cold: bool) {
    let st = MdStyles::default();
    if !cold {
        orchat::markdown::warm_highlighting();
    }
    let block = |n: usize| {
        format!(
            "Here:\n\n```rust\nfn apply_{n}(answer: &mut String, delta: &str) -> usize {{\n    answer.push_str(delta); // {n}\n    answer.len()\n}}\n```\n"
        )
    };
    // The answer's prose before its first block: markdown itself is warm
    // in both cases, so the difference is the code block's own.
    render(
        "# Title\n\nSome *prose* with `code` and a [link](x).\n\n- a\n- b\n",
        WIDTH,
        &st,
    );
    if which == "second" {
        render(&block(1), WIDTH, &st);
    }
    let n = measured_code_block(&block(2), &st);
    println!(
        "markdown callgrind: code block, {which}{} ({n} lines)",
        if cold { ", cold" } else { "" }
    );
}

/// `ORCHAT_CALLGRIND=scratch|incremental[:STEPS]`: instructions for STEPS
/// frames at the end of the 20,000-token answer (the warm-up frame is not
/// counted). `codeblock:...`: see `code_block`.
fn callgrind(spec: &str) {
    let mut parts = spec.split(':');
    let mode = parts.next().unwrap_or("incremental").to_string();
    if mode == "codeblock" {
        let which = parts.next().unwrap_or("first");
        return code_block(which, parts.next() == Some("cold"));
    }
    let steps: usize = parts.next().and_then(|p| p.parse().ok()).unwrap_or(20);
    let st = MdStyles::default();
    let answer = support::answer_markdown(20_000);
    let more = support::deltas(&support::answer_markdown(21_000)[answer.len()..], 3);
    let mut inc = Incremental::default();
    let mut frame: Box<dyn FnMut(&str) -> usize> = match mode.as_str() {
        "scratch" => Box::new(|t: &str| render(t, WIDTH, &st).len()),
        _ => Box::new(|t: &str| inc.update(t, WIDTH, &st).len()),
    };
    frame(&answer);
    let n = measured_frames(&answer, &more, steps, &mut *frame);
    println!("markdown callgrind: {mode}, {steps} frames ({n} lines)");
}

criterion_group!(benches, bench);

fn main() {
    support::main(benches, callgrind);
}
