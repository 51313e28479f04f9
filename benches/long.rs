//! Long conversations (issue 25): 1,000 answers of about 1,000 tokens each
//! (the realistic doc answer: headings, lists, a table, code in three
//! languages), saved as orchat saves them, then
//!
//! - reopened: the store read, the tree rebuilt, the first frame drawn
//!   (what `--continue` does before the terminal shows it);
//! - scrolled: PageUp and the frame that shows it, 120x40, walking up
//!   through the answers (each entry rendered when it first comes into
//!   view, as a user scrolling back meets it), against the same steps in
//!   a conversation of one such answer.
//!
//!     cargo bench --bench long
//!
//! Instruction counts per scroll step (deterministic on a loaded machine):
//!
//!     ORCHAT_CALLGRIND=bounce:1000:100 valgrind --tool=callgrind \
//!         --toggle-collect='*measured*' target/release/deps/long-HASH

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orchat::app::{App, Msg, update};
use orchat::config::theme::Theme;
use orchat::term::screen::Painter;
use orchat::ui::View;

const W: u16 = 120;
const H: u16 = 40;
const TOKENS: u64 = 1_000;

/// A store holding `answers` answers, saved as orchat saves them; its path.
fn saved(dir: &std::path::Path, answers: usize) -> std::path::PathBuf {
    let mut app = support::long_conversation(answers, TOKENS);
    let path = dir.join(format!("sessions-{answers}.db"));
    support::save(&mut app, "long", &path);
    path
}

struct Scrolling {
    app: App,
    view: View,
    term: support::Term,
    painter: Painter,
    theme: Theme,
}

impl Scrolling {
    fn new(answers: usize) -> Scrolling {
        let app = support::long_conversation(answers, TOKENS);
        let mut s = Scrolling {
            app,
            view: View::new(),
            term: support::terminal(W, H),
            painter: Painter::default(),
            theme: Theme::dark(),
        };
        s.frame();
        s
    }

    fn frame(&mut self) {
        self.painter
            .draw(&mut self.term, &self.app, &mut self.view, &self.theme)
            .expect("draw");
        ratatui::backend::Backend::flush(self.term.backend_mut()).expect("flush");
    }

    /// A key and its frame.
    fn step(&mut self, code: KeyCode) {
        update(
            &mut self.app,
            Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        );
        self.frame();
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("long");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = saved(dir.path(), 1_000);
    let mut term = support::terminal(W, H);
    g.bench_function("reopen_1000_answers_of_1000_tokens", |b| {
        b.iter(|| black_box(support::reopen(&path, "long", &mut term)))
    });
    for answers in [1usize, 1_000] {
        let mut s = Scrolling::new(answers);
        g.bench_with_input(
            BenchmarkId::new("page_up_and_frame", answers),
            &answers,
            |b, _| b.iter(|| s.step(KeyCode::PageUp)),
        );
        let mut s = Scrolling::new(answers);
        let mut up = false;
        g.bench_with_input(
            BenchmarkId::new("page_up_or_down_and_frame", answers),
            &answers,
            |b, _| {
                b.iter(|| {
                    up = !up;
                    s.step(if up {
                        KeyCode::PageUp
                    } else {
                        KeyCode::PageDown
                    })
                })
            },
        );
    }
    g.finish();
}

/// The steps callgrind counts (`--toggle-collect='*measured*'`).
#[inline(never)]
fn measured_steps(s: &mut Scrolling, mode: &str, steps: usize) {
    for i in 0..steps {
        let code = match mode {
            "bounce" if i % 2 == 1 => KeyCode::PageDown,
            _ => KeyCode::PageUp,
        };
        s.step(code);
    }
}

/// `ORCHAT_CALLGRIND=MODE:ANSWERS[:STEPS]`: from the bottom of a
/// conversation of ANSWERS answers, STEPS keys each with its frame: MODE
/// `up` PageUp every time (walking up through the answers), `bounce`
/// PageUp and PageDown in turn (the same two screens).
fn callgrind(spec: &str) {
    let mut parts = spec.split(':');
    let mode = parts.next().unwrap_or("up").to_string();
    let answers: usize = parts.next().and_then(|p| p.parse().ok()).unwrap_or(1_000);
    let steps: usize = parts.next().and_then(|p| p.parse().ok()).unwrap_or(100);
    let mut s = Scrolling::new(answers);
    measured_steps(&mut s, &mode, steps);
    println!("long callgrind: {answers} answers, {steps} steps, mode {mode}");
}

criterion_group!(benches, bench);

fn main() {
    support::main(benches, callgrind);
}
