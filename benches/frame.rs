//! One stream delta applied and one frame drawn (120x40, into a sink through
//! ratatui's crossterm backend by the app's own `Painter`, so the diff and
//! escape sequences are included), for conversations of 10, 1,000 and 100,000 messages. The answer
//! streaming at the bottom holds about 2,000 tokens of a workload
//! (`support::Workload`: `doc`, the realistic answer one piece of about four
//! characters a delta, the default; `words`, the earlier answer 1–12 words a
//! delta). The cost must not grow with the history.
//!
//!     cargo bench --bench frame
//!
//! Instruction counts (deterministic on a loaded machine), per step:
//!
//!     ORCHAT_CALLGRIND=frame:100000 valgrind --tool=callgrind \
//!         --toggle-collect='*measured*' target/release/deps/frame-HASH
//!
//! (`benches/callgrind.sh` does this for every size and mode.)

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group};
use orchat::api::sse::StreamEvent;
use orchat::app::{App, Msg, update};
use orchat::config::theme::Theme;
use orchat::term::screen::Painter;
use orchat::ui::View;

const SIZES: [usize; 3] = [10, 1_000, 100_000];
const W: u16 = 120;
const H: u16 = 40;
/// The streaming answer is kept between these lengths: about 2,000 tokens.
const LIVE_TOKENS: u64 = 2_000;
const LIVE_SLACK: usize = 8 * 1024;

struct Setup {
    app: App,
    view: View,
    turn: u64,
    term: support::Term,
    painter: Painter,
    theme: Theme,
    base_len: usize,
    deltas: Vec<String>,
    next: usize,
}

impl Setup {
    fn new(messages: usize, workload: support::Workload) -> Setup {
        let (live, deltas) = workload.live_and_deltas(LIVE_TOKENS, 1_000);
        let (app, turn) = support::conversation(messages, &live);
        let mut s = Setup {
            app,
            view: View::new(),
            turn,
            term: support::terminal(W, H),
            painter: Painter::default(),
            theme: Theme::dark(),
            base_len: live.len(),
            deltas,
            next: 0,
        };
        // Fill the render caches the way a running app has them.
        for _ in 0..3 {
            s.frame();
        }
        s
    }

    fn delta(&mut self) {
        let d = self.deltas[self.next % self.deltas.len()].clone();
        self.next += 1;
        update(
            &mut self.app,
            Msg::Stream {
                turn: self.turn,
                event: StreamEvent::Content(d),
            },
        );
    }

    /// A frame as the app draws it (`term::screen::Painter`).
    fn frame(&mut self) {
        let (app, view, theme) = (&self.app, &mut self.view, &self.theme);
        self.painter
            .draw(&mut self.term, app, view, theme)
            .expect("draw");
        ratatui::backend::Backend::flush(self.term.backend_mut()).expect("flush");
    }

    /// Only the conversation pane (the status bar, input and hint left out).
    fn pane(&mut self) {
        let (app, view, theme) = (&self.app, &mut self.view, &self.theme);
        self.term
            .draw(|f| {
                let area = f.area();
                orchat::ui::conversation::draw(f, app, view, theme, area)
            })
            .expect("draw");
    }

    /// Untimed: keeps the streaming answer near its base length.
    fn trim(&mut self) {
        let text = support::live_text(&mut self.app, self.turn);
        if text.len() > self.base_len + LIVE_SLACK {
            text.truncate(self.base_len);
            self.frame();
        }
    }
}

fn timed(s: &mut Setup, iters: u64, mut f: impl FnMut(&mut Setup)) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        s.trim();
        let t = Instant::now();
        f(s);
        total += t.elapsed();
    }
    total
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (workload, n) in support::Workload::ALL
        .into_iter()
        .flat_map(|w| SIZES.map(|n| (w, n)))
    {
        let mut s = Setup::new(n, workload);
        let id = |what: &str| BenchmarkId::new(format!("{what}/{}", workload.name()), n);
        g.bench_with_input(id("delta"), &n, |b, _| {
            b.iter_custom(|iters| timed(&mut s, iters, |s| s.delta()))
        });
        g.bench_with_input(id("frame"), &n, |b, _| {
            b.iter_custom(|iters| timed(&mut s, iters, |s| s.frame()))
        });
        g.bench_with_input(id("pane_only"), &n, |b, _| {
            b.iter_custom(|iters| timed(&mut s, iters, |s| s.pane()))
        });
        g.bench_with_input(id("delta_and_frame"), &n, |b, _| {
            b.iter_custom(|iters| {
                timed(&mut s, iters, |s| {
                    s.delta();
                    s.frame();
                })
            })
        });
        black_box(&s.app);
    }
    g.finish();
}

/// The steps callgrind counts (`--toggle-collect='*measured*'`).
#[inline(never)]
fn measured_steps(s: &mut Setup, mode: &str, steps: usize) {
    for _ in 0..steps {
        match mode {
            "delta" => s.delta(),
            "frame" => s.frame(),
            "pane" => s.pane(),
            _ => {
                s.delta();
                s.frame();
            }
        }
    }
}

/// `ORCHAT_CALLGRIND=MODE:MESSAGES[:STEPS[:WORKLOAD]]`, MODE one of delta,
/// frame, pane (the conversation pane alone), both (delta and frame);
/// WORKLOAD `doc` (default) or `words`.
fn callgrind(spec: &str) {
    let mut parts = spec.split(':');
    let mode = parts.next().unwrap_or("both").to_string();
    let n: usize = parts.next().and_then(|p| p.parse().ok()).unwrap_or(1_000);
    let steps: usize = parts.next().and_then(|p| p.parse().ok()).unwrap_or(100);
    let workload = support::Workload::parse(parts.next().unwrap_or("doc"));
    let mut s = Setup::new(n, workload);
    measured_steps(&mut s, &mode, steps);
    println!(
        "frame callgrind: mode {mode}, {n} messages, {steps} steps, {} workload",
        workload.name()
    );
}

criterion_group!(benches, bench);

fn main() {
    support::main(benches, callgrind);
}
