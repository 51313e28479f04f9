//! Shared helpers for the app tests: key events, a headless driver that runs
//! the app's effects against the local server, and screen rendering.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orchat::api::{ChatClient, ClientConfig, Provider, RetryPolicy};
use orchat::app::{App, Msg, update};
use orchat::catalog::Catalog;
use orchat::runtime::Effects;
use orchat::server::{ServerHandle, ServerOptions};
use orchat::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        update(app, key(KeyCode::Char(c)));
    }
}

pub fn new_app() -> App {
    App::new(Catalog::bundled(), "demo", "google/gemini-2.5-flash")
}

/// The screen as text, drawn at a fixed size with the plain theme (no colour
/// codes in snapshots; the layout is what is reviewed).
pub fn screen(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| orchat::ui::draw(f, app, &Theme::dark()))
        .unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..w {
            // The cell after a wide character is its continuation: skip it.
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
            line.push_str(sym);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Runs the app headless against a local server.
pub struct Driver {
    pub app: App,
    pub fx: Effects,
    pub rx: mpsc::UnboundedReceiver<Msg>,
    pub server: ServerHandle,
    start: Instant,
}

impl Driver {
    pub async fn new(opts: ServerOptions) -> Driver {
        let server = orchat::server::start(opts).await.unwrap();
        let mut p = Provider::openrouter();
        p.base_url = server.base_url();
        let mut cfg = ClientConfig::new(p, None);
        cfg.retry = RetryPolicy {
            max_retries: 3,
            base: Duration::from_millis(10),
            max_wait: Duration::from_secs(3),
        };
        cfg.idle_timeout = Duration::from_secs(5);
        let client = ChatClient::new(cfg).unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        Driver {
            app: new_app(),
            fx: Effects::new(client, tx),
            rx,
            server,
            start: Instant::now(),
        }
    }

    pub fn send(&mut self, msg: Msg) {
        orchat::runtime::step(&mut self.app, &mut self.fx, self.start, msg);
    }

    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(key(KeyCode::Char(c)));
        }
    }

    pub fn submit(&mut self, text: &str) {
        self.type_text(text);
        self.send(key(KeyCode::Enter));
    }

    /// Feeds messages from running requests until `done` holds (or 20 s pass).
    pub async fn until(&mut self, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(m)) => self.send(m),
                _ => panic!("timed out waiting; entries: {:#?}", self.app.entries.len()),
            }
        }
    }

    pub async fn until_idle(&mut self) {
        self.until(|a| !a.is_busy()).await;
    }
}
