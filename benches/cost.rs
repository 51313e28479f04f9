//! The cost meter's arithmetic per delta: pricing an estimate, settling a
//! cost, formatting it, and what the app does for each delta of a streaming
//! answer (fold the delta in, re-estimate its tokens, price and format the
//! live cost) with 2,000 and 20,000 tokens already received.
//!
//!     cargo bench --bench cost
//!
//! Instruction counts per delta:
//!
//!     ORCHAT_CALLGRIND=20000 valgrind --tool=callgrind \
//!         --toggle-collect='*measured*' target/release/deps/cost-HASH

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group};
use orchat::api::sse::StreamEvent;
use orchat::chat::answer::Answer;
use orchat::chat::catalog::Catalog;
use orchat::chat::pricing::{Cost, TokenEstimate, format_usd};

struct Live {
    catalog: Catalog,
    answer: Answer,
    base_len: usize,
    deltas: Vec<StreamEvent>,
    next: usize,
}

impl Live {
    fn new(tokens: u64) -> Live {
        let text = support::answer_markdown(tokens);
        let mut answer = Answer::new(support::MODEL, 1_234, 0);
        answer.text = text.clone();
        answer.model_reported = Some(support::MODEL.into());
        Live {
            catalog: Catalog::bundled(),
            base_len: text.len(),
            answer,
            deltas: support::deltas(&text, 9)
                .into_iter()
                .map(StreamEvent::Content)
                .collect(),
            next: 0,
        }
    }

    /// One delta as the app handles it: folded into the answer, then the
    /// live cost the header and status bar show.
    fn step(&mut self) -> String {
        let ev = &self.deltas[self.next % self.deltas.len()];
        self.next += 1;
        self.answer.apply(ev);
        let cost = self.answer.cost(&self.catalog);
        format_usd(cost.usd)
    }

    fn trim(&mut self) {
        if self.answer.text.len() > self.base_len + 8 * 1024 {
            self.answer.text.truncate(self.base_len);
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("cost");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let catalog = Catalog::bundled();
    let pricing = catalog
        .get(support::MODEL)
        .expect("the model is in the bundled catalog")
        .pricing
        .clone()
        .expect("a priced model");
    let est = TokenEstimate {
        prompt: 12_345,
        output: 20_000,
        reasoning: 1_500,
        images_in: 1,
        images_out: 0,
    };
    g.bench_function("pricing_estimate", |b| {
        b.iter(|| black_box(&pricing).estimate(black_box(&est)))
    });
    g.bench_function("settle_and_format", |b| {
        b.iter(|| {
            let c = Cost::settle(None, Some(black_box(&pricing)), 1, black_box(&est));
            format_usd(c.usd)
        })
    });
    for tokens in [2_000u64, 20_000] {
        let mut live = Live::new(tokens);
        g.bench_with_input(
            BenchmarkId::new("delta_then_live_cost", tokens),
            &tokens,
            |b, _| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        live.trim();
                        let t = Instant::now();
                        black_box(live.step());
                        total += t.elapsed();
                    }
                    total
                })
            },
        );
    }
    g.finish();
}

#[inline(never)]
fn measured_deltas(live: &mut Live, steps: usize) -> usize {
    let mut n = 0;
    for _ in 0..steps {
        n += black_box(live.step()).len();
    }
    n
}

/// `ORCHAT_CALLGRIND=TOKENS[:STEPS]`.
fn callgrind(spec: &str) {
    let mut parts = spec.split(':');
    let tokens: u64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(20_000);
    let steps: usize = parts.next().and_then(|p| p.parse().ok()).unwrap_or(100);
    let mut live = Live::new(tokens);
    let n = measured_deltas(&mut live, steps);
    println!("cost callgrind: {tokens} tokens, {steps} deltas ({n})");
}

criterion_group!(benches, bench);

fn main() {
    support::main(benches, callgrind);
}
