//! The conversation as a tree, measured: a conversation of 10,000 messages
//! in 100 branches reopened (the store read, the tree rebuilt, the first
//! frame drawn: what `--continue` does), one frame of a streaming answer at
//! the end of it against one at the end of 10 messages, and a walk to a
//! sibling branch with the frame that shows it.
//!
//!     cargo bench --bench tree
//!
//! Instruction counts (deterministic on a loaded machine):
//!
//!     ORCHAT_CALLGRIND=frame:tree:100 valgrind --tool=callgrind \
//!         --toggle-collect='*measured*' target/release/deps/tree-HASH
//!
//! (`benches/callgrind.sh` does this for each shape and step.)

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orchat::api::sse::StreamEvent;
use orchat::app::{App, Msg, update};
use orchat::config::theme::Theme;
use orchat::term::screen::Painter;
use orchat::ui::View;

const W: u16 = 120;
const H: u16 = 40;
/// Messages and branches of the big tree.
const NODES: usize = 10_000;
const BRANCHES: usize = 100;

/// A conversation of `shape` ("tree": 10,000 messages in 100 branches;
/// "linear": 10 messages) with an answer streaming at its end.
fn conversation(shape: &str) -> (App, u64) {
    let live = support::answer_markdown(2_000);
    match shape {
        "tree" => support::branched(NODES, BRANCHES, &live),
        _ => support::conversation(10, &live),
    }
}

struct Setup {
    app: App,
    view: View,
    turn: u64,
    term: support::Term,
    painter: Painter,
    theme: Theme,
    deltas: Vec<String>,
    next: usize,
    /// The message walked from and back (a trunk answer with a sibling).
    walk_at: Option<orchat::app::NodeId>,
    left: bool,
}

impl Setup {
    fn new(shape: &str) -> Setup {
        let (app, turn) = conversation(shape);
        let mut s = Setup {
            app,
            view: View::new(),
            turn,
            term: support::terminal(W, H),
            painter: Painter::default(),
            theme: Theme::dark(),
            deltas: support::deltas(&support::answer_markdown(2_200), 5),
            next: 0,
            walk_at: None,
            left: true,
        };
        for _ in 0..3 {
            s.frame();
        }
        s
    }

    /// The same tree with its answer ended and the pane's keyboard on the
    /// first trunk answer that has a sibling: walking there swaps the rest
    /// of the path.
    fn walking(shape: &str) -> Setup {
        let mut s = Setup::new(shape);
        update(&mut s.app, Msg::Ended { turn: s.turn });
        let with_sibling = |app: &App| {
            let c = &app.conversation;
            c.path()
                .iter()
                .copied()
                .find(|&i| c.reply(i).is_some() && c.tree().place(i).1 > 1)
        };
        if with_sibling(&s.app).is_none() {
            // A linear conversation: a second answer to its first prompt.
            let c = &mut s.app.conversation;
            let (p, first) = (c.path()[0], c.path()[1]);
            let mut a = orchat::chat::answer::Answer::new(support::MODEL, 10, 0);
            a.text = support::answer_markdown(200);
            a.status = orchat::chat::answer::Status::Complete;
            let [(_, id)] = c.ask(p, vec![a], 0, 0)[..] else {
                unreachable!()
            };
            c.reply_mut(id).expect("asked").timing.finished_ms = Some(1);
            c.ended(id);
            c.go_to(first);
        }
        let at = with_sibling(&s.app).expect("a branch on the path");
        s.walk_at = Some(at);
        update(
            &mut s.app,
            Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)),
        );
        s.app.screen.selected = Some(at);
        s.frame();
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

    fn frame(&mut self) {
        let (app, view, theme) = (&self.app, &mut self.view, &self.theme);
        self.painter
            .draw(&mut self.term, app, view, theme)
            .expect("draw");
        ratatui::backend::Backend::flush(self.term.backend_mut()).expect("flush");
    }

    /// ← then → in the pane, alternately: the path through one sibling,
    /// then the other; and the frame that shows it.
    fn walk(&mut self) {
        let code = if self.left {
            KeyCode::Left
        } else {
            KeyCode::Right
        };
        self.left = !self.left;
        update(
            &mut self.app,
            Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        );
        self.frame();
    }

    /// Untimed: keeps the streaming answer near its length.
    fn trim(&mut self) {
        let text = support::live_text(&mut self.app, self.turn);
        if text.len() > 20_000 {
            text.truncate(8_000);
            self.frame();
        }
    }
}

/// A store holding the big tree, saved as orchat saves it; its path.
fn saved_tree(dir: &std::path::Path) -> std::path::PathBuf {
    let (mut app, turn) = conversation("tree");
    update(&mut app, Msg::Ended { turn });
    let path = dir.join("sessions.db");
    support::save(&mut app, "big", &path);
    path
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("tree");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for shape in ["linear", "tree"] {
        let mut s = Setup::new(shape);
        g.bench_with_input(
            BenchmarkId::new("delta_and_frame", shape),
            &shape,
            |b, _| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        s.trim();
                        let t = Instant::now();
                        s.delta();
                        s.frame();
                        total += t.elapsed();
                    }
                    total
                })
            },
        );
        let mut w = Setup::walking(shape);
        g.bench_with_input(BenchmarkId::new("walk_and_frame", shape), &shape, |b, _| {
            b.iter(|| w.walk())
        });
        black_box(&s.app);
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = saved_tree(dir.path());
    let mut term = support::terminal(W, H);
    g.bench_function("reopen_10000_in_100_branches", |b| {
        b.iter(|| black_box(support::reopen(&path, "big", &mut term)))
    });
    g.finish();
}

/// The steps callgrind counts (`--toggle-collect='*measured*'`).
#[inline(never)]
fn measured_steps(s: &mut Setup, mode: &str, steps: usize) {
    for _ in 0..steps {
        match mode {
            "walk" => s.walk(),
            _ => {
                s.delta();
                s.frame();
            }
        }
    }
}

/// `ORCHAT_CALLGRIND=MODE:SHAPE[:STEPS]`: MODE frame (a delta and its
/// frame) or walk (a walk and its frame); SHAPE tree or linear.
fn callgrind(spec: &str) {
    let mut parts = spec.split(':');
    let mode = parts.next().unwrap_or("frame").to_string();
    let shape = parts.next().unwrap_or("tree").to_string();
    let steps: usize = parts.next().and_then(|p| p.parse().ok()).unwrap_or(100);
    let mut s = if mode == "walk" {
        Setup::walking(&shape)
    } else {
        Setup::new(&shape)
    };
    measured_steps(&mut s, &mode, steps);
    println!("tree callgrind: mode {mode}, shape {shape}, {steps} steps");
}

criterion_group!(benches, bench);

fn main() {
    support::main(benches, callgrind);
}
