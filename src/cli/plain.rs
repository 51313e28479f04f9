//! `orchat --plain`: the app without a screen, line by line, for screen
//! readers, Emacs shells and logs. A line read is typed into the app's
//! input box and sent, so slash commands work as they do on screen; the
//! answer is appended as plain text while it streams, then one line says
//! the model, tokens, cost and how it ended. No cursor movement, no
//! redraws, no colour. Chosen with `--plain`, and by itself when stdout is
//! not a terminal in interactive use or TERM is `dumb`.

use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

use super::Cli;
use super::connect::Connection;
use super::fullscreen::{Prepared, prepare};
use crate::app::conversation::Shown;
use crate::app::{App, Mode, Msg};
use crate::runtime::Effects;

/// Reads lines until the input ends or `/quit`; returns the exit code.
pub async fn run(cli: &Cli, cfg: &crate::config::Config, conn: Connection) -> i32 {
    let Prepared {
        mut app,
        store,
        dirs,
        initial,
    } = match prepare(cli, cfg, &conn) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut fx = Effects::new(conn.client.clone(), tx)
        .with_dirs(dirs)
        .with_store(store.clone());
    let start = Instant::now();
    let mut out = Printer::default();
    for m in initial {
        crate::runtime::step(&mut app, &mut fx, start, m);
    }
    if let Some(why) = &conn.demo_reason {
        out.line(&format!(
            "orchat: demo mode ({why}): answers come from the built-in local server"
        ));
    }
    out.line(&format!(
        "orchat {} · {} · type a message and Enter; /help lists commands, /quit ends",
        app.chat.model, app.env.provider_label
    ));
    // What the conversation already shows (a reopened one) is not repeated.
    out.seen(&app);
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    loop {
        out.prompt(&app);
        let line = match lines.next_line().await {
            Ok(Some(l)) => l,
            _ => break,
        };
        // Read from a pipe, the line was not echoed: a log shows it.
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            out.line(&line);
        }
        let confirming = !matches!(app.screen.mode, Mode::Chat);
        if confirming {
            // A question on the screen: y or n.
            let c = line.trim().chars().next().unwrap_or('n');
            if crate::runtime::step(&mut app, &mut fx, start, key(c)).quit {
                break;
            }
        } else {
            if line.trim().is_empty() {
                continue;
            }
            app.composer.set(&line);
            let asked = crate::runtime::step(&mut app, &mut fx, start, enter());
            if asked.quit {
                break;
            }
            if asked.edit.is_some() {
                out.line("· the editor needs the full-screen app");
            }
        }
        // Until the app is idle again: the answer streams as it comes.
        loop {
            out.catch_up(&app);
            if !app.is_busy() && pending_done(&app) {
                break;
            }
            match tokio::time::timeout(std::time::Duration::from_millis(100), rx.recv()).await {
                Ok(Some(m)) => {
                    crate::runtime::step(&mut app, &mut fx, start, m);
                }
                Ok(None) => break,
                Err(_) => {
                    crate::runtime::step(&mut app, &mut fx, start, Msg::Tick(0));
                }
            }
        }
        // A little longer for what follows an answer (images saved, the
        // account): whatever is already queued.
        while let Ok(m) = rx.try_recv() {
            crate::runtime::step(&mut app, &mut fx, start, m);
        }
        out.catch_up(&app);
        if matches!(app.screen.mode, Mode::ConfirmQuit) {
            break;
        }
    }
    if let Some(s) = &store {
        s.flush();
    }
    0
}

/// Nothing the app waits on for the line just sent (an attachment
/// loading, a command running) is still out: its message has come.
fn pending_done(app: &App) -> bool {
    !app.screen
        .flash
        .as_deref()
        .is_some_and(|f| f.starts_with("running "))
}

fn enter() -> Msg {
    Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Enter,
        crossterm::event::KeyModifiers::NONE,
    ))
}

fn key(c: char) -> Msg {
    Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    ))
}

/// What has been printed: each answer's text so far, the notes and the
/// flash, so only what is new is written (appended, never redrawn).
#[derive(Default)]
struct Printer {
    answers: HashMap<u32, usize>,
    ended: std::collections::HashSet<u32>,
    notes: std::collections::HashSet<u32>,
    prompts: std::collections::HashSet<u32>,
    flash: Option<String>,
    mid_line: bool,
    mode: Option<String>,
}

impl Printer {
    fn line(&mut self, s: &str) {
        let mut o = std::io::stdout().lock();
        if self.mid_line {
            let _ = writeln!(o);
            self.mid_line = false;
        }
        let _ = writeln!(o, "{}", crate::text::sanitize(s));
        let _ = o.flush();
    }

    fn prompt(&mut self, app: &App) {
        let mut o = std::io::stdout().lock();
        if self.mid_line {
            let _ = writeln!(o);
            self.mid_line = false;
        }
        let _ = match &app.screen.mode {
            Mode::Chat => write!(o, "> "),
            _ => write!(o, "(y/n) "),
        };
        let _ = o.flush();
    }

    /// Marks everything already shown as printed (a reopened conversation).
    fn seen(&mut self, app: &App) {
        for s in app.conversation.shown() {
            match s {
                Shown::Prompt(id, _) => {
                    self.prompts.insert(id);
                }
                Shown::Reply(id, r) => {
                    self.answers.insert(id, r.answer.text.len());
                    self.ended.insert(id);
                }
                Shown::Note(id, _) => {
                    self.notes.insert(id);
                }
            }
        }
    }

    /// Writes what is new since the last call, in the order shown.
    fn catch_up(&mut self, app: &App) {
        for s in app.conversation.shown() {
            match s {
                Shown::Prompt(id, p) => {
                    if self.prompts.insert(id) {
                        for a in &p.images {
                            self.line(&format!("[attached {}]", a.label()));
                        }
                    }
                }
                Shown::Reply(id, r) => {
                    let text = &r.answer.text;
                    let done = self.answers.get(&id).copied().unwrap_or(0);
                    if done == 0 && !text.is_empty() {
                        self.line(&format!("{}:", crate::text::sanitize(r.answer.model())));
                    }
                    if text.len() > done && text.is_char_boundary(done) {
                        let mut o = std::io::stdout().lock();
                        let new = crate::text::sanitize(&text[done..]);
                        let _ = write!(o, "{new}");
                        let _ = o.flush();
                        self.mid_line = !text.ends_with('\n');
                        self.answers.insert(id, text.len());
                    }
                    if !r.is_live() && r.cost.is_some() && self.ended.insert(id) {
                        self.line(&summary(app, r));
                        for s in &r.answer.sources {
                            self.line(&format!("source: {} — {}", s.label(), s.url));
                        }
                    }
                }
                Shown::Note(id, n) => {
                    if self.notes.insert(id) {
                        let hint = n
                            .hint
                            .as_deref()
                            .map(|h| format!(" ({h})"))
                            .unwrap_or_default();
                        self.line(&format!("· {}{hint}", n.text));
                    }
                }
            }
        }
        if app.screen.flash != self.flash {
            self.flash.clone_from(&app.screen.flash);
            if let Some(f) = &app.screen.flash {
                self.line(&format!("· {f}"));
            }
        }
        let mode = match &app.screen.mode {
            Mode::ConfirmSend { reason } => Some(format!("{reason}: send anyway?")),
            Mode::ConfirmCommand { command } => {
                Some(format!("run `{command}` and attach its output?"))
            }
            Mode::ConfirmQuit => Some("quit?".to_string()),
            Mode::ConfirmContext { needed, window, .. } => Some(format!(
                "the conversation (≈{needed} tokens) no longer fits the window of {window}: leave out older turns?"
            )),
            Mode::Chat => None,
            _ => Some("this screen needs the full-screen app; n returns".to_string()),
        };
        if mode != self.mode {
            if let Some(m) = &mode {
                self.line(m);
            }
            self.mode = mode;
        }
    }
}

/// One line after an answer: the model, tokens, cost and how it ended.
fn summary(app: &App, r: &crate::app::conversation::Reply) -> String {
    let a = &r.answer;
    let tokens = match &a.usage {
        Some(u) => format!("{} in · {} out", u.prompt_tokens, u.completion_tokens),
        None => {
            let e = a.estimate();
            format!("≈{} in · ≈{} out", e.prompt, e.output + e.reasoning)
        }
    };
    let cost = r
        .cost
        .map(crate::ui::cost_label)
        .unwrap_or_else(|| crate::ui::cost_label(a.cost(&app.env.catalog)));
    format!("— {} · {tokens} · {cost} · {}", a.model(), a.status.label())
}
