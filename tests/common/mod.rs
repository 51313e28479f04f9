//! Shared helpers for the app tests: key events, a headless driver that runs
//! the app's effects against the local server, and screen rendering.

#![allow(dead_code)]

pub mod media;
pub mod oneshot;
pub mod tmux;

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orchat::api::{ChatClient, ClientConfig, Provider, RetryPolicy};
use orchat::app::{App, Msg, update};
use orchat::chat::catalog::Catalog;
use orchat::config::theme::Theme;
use orchat::runtime::Effects;
use orchat::server::{ServerHandle, ServerOptions};
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
    screen_in(app, &mut orchat::ui::View::new(), w, h)
}

/// A buffer as text, a line a row, trailing blanks trimmed.
pub fn buffer_text(buf: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in buf.area.top()..buf.area.bottom() {
        let mut line = String::new();
        let mut skip = 0;
        for x in buf.area.left()..buf.area.right() {
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

/// The screen as `screen` draws it, with a view kept from frame to frame
/// (scrolling, as the runtime keeps it).
pub fn screen_in(app: &App, view: &mut orchat::ui::View, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| orchat::ui::draw(f, app, view, &Theme::dark()))
        .unwrap();
    buffer_text(t.backend().buffer())
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
            fx: Effects::new(client, tx).with_dirs(orchat::paths::Dirs::platform()),
            rx,
            server,
            start: Instant::now(),
        }
    }

    /// Applies `msg` and runs its effects; returns what they ask of the loop.
    pub fn send(&mut self, msg: Msg) -> orchat::runtime::LoopRequest {
        orchat::runtime::step(&mut self.app, &mut self.fx, self.start, msg)
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
                Ok(Some(m)) => {
                    self.send(m);
                }
                _ => panic!(
                    "timed out waiting; messages: {}",
                    self.app.conversation.tree().len()
                ),
            }
        }
    }

    pub async fn until_idle(&mut self) {
        self.until(|a| !a.is_busy()).await;
    }
}

// ------------------------------------------------------------------ added for
// the fault matrix and hostile-output tests (tests/fault_matrix.rs,
// tests/hostile.rs, tests/never_panic.rs).

/// The client settings `Driver::new` uses, at `base_url`: fast retries so a
/// test sees every retry without waiting long, a 5 s idle timeout.
pub fn driver_config(base_url: &str) -> ClientConfig {
    let mut p = Provider::openrouter();
    p.base_url = base_url.to_string();
    let mut cfg = ClientConfig::new(p, None);
    cfg.retry = RetryPolicy {
        max_retries: 3,
        base: Duration::from_millis(10),
        max_wait: Duration::from_secs(3),
    };
    cfg.idle_timeout = Duration::from_secs(5);
    cfg
}

impl Driver {
    /// A driver whose client settings `tune` adjusts (a shorter idle timeout,
    /// no retries…); everything else as `Driver::new`.
    pub async fn with_config(opts: ServerOptions, tune: impl FnOnce(&mut ClientConfig)) -> Driver {
        let server = orchat::server::start(opts).await.unwrap();
        let mut cfg = driver_config(&server.base_url());
        tune(&mut cfg);
        let (tx, rx) = mpsc::unbounded_channel();
        Driver {
            app: new_app(),
            fx: Effects::new(ChatClient::new(cfg).unwrap(), tx)
                .with_dirs(orchat::paths::Dirs::platform()),
            rx,
            server,
            start: Instant::now(),
        }
    }

    /// A driver on a server already started (with a catalog of its own, say).
    pub fn on(server: ServerHandle) -> Driver {
        let cfg = driver_config(&server.base_url());
        let (tx, rx) = mpsc::unbounded_channel();
        Driver {
            app: new_app(),
            fx: Effects::new(ChatClient::new(cfg).unwrap(), tx)
                .with_dirs(orchat::paths::Dirs::platform()),
            rx,
            server,
            start: Instant::now(),
        }
    }

    /// The client the driver's effects use.
    pub fn client(&self) -> ChatClient {
        ChatClient::new(driver_config(&self.server.base_url())).unwrap()
    }

    /// A driver whose client talks to `base_url` (a dead port, a name that
    /// does not resolve) while its local server stands by for `use_server`.
    pub async fn pointed_at(opts: ServerOptions, base_url: &str) -> Driver {
        let base_url = base_url.to_string();
        Driver::with_config(opts, move |cfg| cfg.provider.base_url = base_url).await
    }

    /// Points the client back at the driver's own server ("the network came
    /// back"); the app, its conversation and its ledger are untouched.
    pub fn use_server(&mut self) {
        let cfg = driver_config(&self.server.base_url());
        let (tx, rx) = mpsc::unbounded_channel();
        self.fx = Effects::new(ChatClient::new(cfg).unwrap(), tx)
            .with_dirs(orchat::paths::Dirs::platform());
        self.rx = rx;
    }

    /// Like `until`, but returns every message fed to the app on the way, so
    /// a test can count retries even when no server saw the requests.
    pub async fn until_logged(&mut self, done: impl Fn(&App) -> bool) -> Vec<Msg> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut log = Vec::new();
        while !done(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(m)) => {
                    log.push(m.clone());
                    self.send(m);
                }
                _ => panic!(
                    "timed out waiting; messages: {}",
                    self.app.conversation.tree().len()
                ),
            }
        }
        log
    }
}

/// The answers of the current path, oldest first, with their costs; a
/// request refused before any answer (shown as its error alone) is left out.
/// An open round's are in `round_answers`.
pub fn replies(app: &App) -> Vec<&orchat::app::conversation::Reply> {
    app.conversation
        .shown()
        .into_iter()
        .filter_map(|e| match e {
            orchat::app::Shown::Reply(_, r) if !r.nothing_came() => Some(r),
            _ => None,
        })
        .collect()
}

/// The answers of `replies`.
pub fn answers(app: &App) -> Vec<&orchat::chat::answer::Answer> {
    replies(app).into_iter().map(|r| &r.answer).collect()
}

/// The answers of the open round (the compare columns), in order.
pub fn round_answers(app: &App) -> Vec<&orchat::app::conversation::Reply> {
    let c = &app.conversation;
    c.open_ask()
        .map(|o| o.answers.iter().filter_map(|&i| c.reply(i)).collect())
        .unwrap_or_default()
}

/// The text and hint of every error shown, oldest first: the notes on the
/// current path, then those under an open round's columns.
pub fn errors(app: &App) -> Vec<(String, Option<String>)> {
    let c = &app.conversation;
    let error = |n: &orchat::app::Note| {
        (n.kind == orchat::app::NoteKind::Error).then(|| (n.text.clone(), n.hint.clone()))
    };
    let mut out: Vec<(String, Option<String>)> = c
        .shown()
        .into_iter()
        .filter_map(|e| match e {
            orchat::app::Shown::Note(_, n) => error(n),
            _ => None,
        })
        .collect();
    if let Some(open) = c.open_ask() {
        for &a in &open.answers {
            for &n in &c.tree().get(a).map(|s| s.notes.clone()).unwrap_or_default() {
                out.extend(c.note(n).and_then(error));
            }
        }
    }
    out
}

/// The notices shown on the current path, oldest first.
pub fn notices(app: &App) -> Vec<String> {
    app.conversation
        .shown()
        .into_iter()
        .filter_map(|e| match e {
            orchat::app::Shown::Note(_, n) if n.kind == orchat::app::NoteKind::Notice => {
                Some(n.text.clone())
            }
            _ => None,
        })
        .collect()
}

/// The prompts of the current path, oldest first.
pub fn prompts(app: &App) -> Vec<String> {
    app.conversation
        .shown()
        .into_iter()
        .filter_map(|e| match e {
            orchat::app::Shown::Prompt(_, p) => Some(p.text.clone()),
            _ => None,
        })
        .collect()
}

/// The answer waiting or streaming, if any (the first of a round's).
pub fn live(app: &App) -> Option<&orchat::app::conversation::Reply> {
    let c = &app.conversation;
    c.live().next().and_then(|i| c.reply(i))
}

/// An answer is waiting out a retry (a rate limit's countdown).
pub fn retrying(app: &App) -> bool {
    live(app).is_some_and(|r| r.timing.retry_at_ms.is_some())
}

/// The last answer on the current path, with its cost.
pub fn last_reply(app: &App) -> &orchat::app::conversation::Reply {
    let c = &app.conversation;
    c.reply(c.last_reply().expect("an answer")).unwrap()
}

/// A `Write` into memory that the test keeps a handle on (ratatui's backend
/// owns its writer and exposes it only behind an unstable feature).
#[derive(Clone, Default)]
pub struct SharedBuf(pub std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything a real terminal would receive for one frame of the app at
/// `w`×`h`: ratatui's crossterm backend writing into memory (a fixed
/// viewport, so nothing asks a tty for its size), wrapped in the synchronized
/// update the runtime uses.
pub fn frame_bytes(app: &App, w: u16, h: u16) -> Vec<u8> {
    use ratatui::backend::CrosstermBackend;
    use ratatui::layout::Rect;
    use ratatui::{TerminalOptions, Viewport};
    let out = SharedBuf::default();
    let mut t = Terminal::with_options(
        CrosstermBackend::new(out.clone()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, w, h)),
        },
    )
    .unwrap();
    crossterm::queue!(
        t.backend_mut(),
        crossterm::terminal::BeginSynchronizedUpdate
    )
    .unwrap();
    t.draw(|f| orchat::ui::draw(f, app, &mut orchat::ui::View::new(), &Theme::dark()))
        .unwrap();
    crossterm::execute!(t.backend_mut(), crossterm::terminal::EndSynchronizedUpdate).unwrap();
    drop(t);
    out.0.take()
}

impl Driver {
    /// Like `until`, with a deadline of `limit` instead of 20 s (a million-token
    /// answer in a debug build on a loaded machine can take longer).
    pub async fn until_for(&mut self, limit: Duration, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + limit;
        while !done(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(m)) => {
                    self.send(m);
                }
                _ => panic!(
                    "timed out waiting; messages: {}",
                    self.app.conversation.tree().len()
                ),
            }
        }
    }
}

impl Driver {
    /// Saves to a store under `dir` (`dir/data/sessions.db`), with files,
    /// images and rescued conversations under `dir` too; returns the store.
    pub fn saving_in(
        &mut self,
        dir: &std::path::Path,
        opts: &orchat::store::StoreOptions,
    ) -> orchat::store::Store {
        let dirs = orchat::paths::Dirs::under(dir);
        let store = orchat::store::Store::open_with(dirs.sessions_db().unwrap(), opts).unwrap();
        self.fx.set_dirs(dirs);
        self.fx.set_store(Some(store.clone()));
        store
    }

    /// Feeds messages until `done` holds or `limit` passes; false on timeout.
    pub async fn try_until(&mut self, limit: Duration, done: impl Fn(&App) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        while !done(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(m)) => {
                    self.send(m);
                }
                _ => return false,
            }
        }
        true
    }
}
