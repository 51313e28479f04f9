//! The one event loop. Terminal events, stream events and a frame deadline
//! become `Msg`s; `update` turns them into state and effects; this is the
//! only place effects (requests, cancels) are carried out. Frames are drawn
//! only when something changed: within 16 ms of a key or of the end of an
//! answer, at most 25 times a second while an answer streams (stream events
//! wait in their channel for the next frame instead of waking the loop one by
//! one); with nothing moving, the loop sleeps without timers.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyEventKind, MouseEventKind};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::api::ChatClient;
use crate::app::{App, Effect, Msg, SessionItem, StoreOp, update};
use crate::config::theme::Theme;
use crate::store::Store;

const FRAME: Duration = Duration::from_millis(16);
/// The shortest gap between frames that only show more of a stream: 25 a
/// second still reads as smooth, and at 100 chunks a second each frame takes
/// four or so (see BENCHMARKS.md for what 30 a second cost).
const STREAM_FRAME: Duration = Duration::from_millis(40);
/// While waiting or streaming, the spinner and elapsed time move this often.
const ANIMATION: Duration = Duration::from_millis(100);

/// Carries out effects: spawns a task per request that sends its events
/// back as messages tagged with the turn, and aborts it on cancel.
pub struct Effects {
    client: ChatClient,
    tx: mpsc::UnboundedSender<Msg>,
    tasks: HashMap<u64, tokio::task::AbortHandle>,
    /// The session store; `None` when saving is off.
    store: Option<Store>,
    /// The current conversation, as the app last said (for store effects).
    conversation: String,
    saving_reported: bool,
    /// A draft to edit in $EDITOR: the loop suspends the terminal for it.
    pub edit_request: Option<String>,
    /// Signalled when a request's stream ends, so the loop draws the end of
    /// an answer at once instead of at the next stream frame.
    ended: std::sync::Arc<tokio::sync::Notify>,
    /// The waits between asks for a settlement (`/generation`).
    pub settle_waits: Vec<Duration>,
}

impl Effects {
    pub fn new(client: ChatClient, tx: mpsc::UnboundedSender<Msg>) -> Effects {
        Effects {
            client,
            tx,
            tasks: HashMap::new(),
            store: None,
            conversation: String::new(),
            saving_reported: false,
            edit_request: None,
            ended: Default::default(),
            settle_waits: crate::api::account::SETTLE_WAITS.to_vec(),
        }
    }

    /// Saves through `store` from now on.
    pub fn with_store(mut self, store: Option<Store>) -> Effects {
        self.store = store;
        self
    }

    pub fn set_store(&mut self, store: Option<Store>) {
        self.store = store;
    }

    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    /// Tells the app once when saving stops working.
    fn check_store_health(&mut self) {
        if self.saving_reported {
            return;
        }
        if let Some(why) = self.store.as_ref().and_then(Store::health) {
            self.saving_reported = true;
            let _ = self.tx.send(Msg::SavingOff(why));
        }
    }

    /// The conversation that store effects apply to.
    pub fn set_conversation(&mut self, id: &str) {
        self.conversation = id.to_string();
    }

    /// Runs the effects; returns true when one asks to quit.
    pub fn run(&mut self, effects: Vec<Effect>) -> bool {
        let mut quit = false;
        for e in effects {
            match e {
                Effect::Start { turn, request } => {
                    let mut stream = self.client.send(*request);
                    let tx = self.tx.clone();
                    let ended = self.ended.clone();
                    let task = tokio::spawn(async move {
                        while let Some(ev) = stream.next().await {
                            let msg = match ev {
                                Ok(event) => Msg::Stream { turn, event },
                                Err(error) => Msg::Failed { turn, error },
                            };
                            if tx.send(msg).is_err() {
                                return;
                            }
                        }
                        let _ = tx.send(Msg::Ended { turn });
                        ended.notify_one();
                    });
                    self.tasks.retain(|_, t| !t.is_finished());
                    self.tasks.insert(turn, task.abort_handle());
                }
                Effect::Cancel { turn } => {
                    // Aborting drops the stream, which closes the connection.
                    if let Some(t) = self.tasks.remove(&turn) {
                        t.abort();
                    }
                }
                Effect::LoadAttachment(arg) => {
                    // File IO off the UI thread: a big file must not freeze the screen.
                    let tx = self.tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let _ = tx.send(Msg::Attached(crate::chat::attach::load(&arg)));
                    });
                }
                Effect::SaveImages {
                    turn,
                    folder,
                    stem,
                    images,
                } => {
                    let tx = self.tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let paths = save_images(&folder, &stem, &images);
                        let _ = tx.send(Msg::ImagesSaved { turn, paths });
                    });
                }
                Effect::Open(path) => open_with_system_viewer(&path),
                Effect::Store(op) => {
                    if let Some(store) = &self.store {
                        match op {
                            StoreOp::Put(m) => store.put_message(*m),
                            StoreOp::Charge(c) => store.put_charge(*c),
                            StoreOp::CountFree(day) => store.count_free_request(&day),
                            StoreOp::Truncate(from) => store.truncate(&self.conversation, from),
                            StoreOp::Rename { id, title } => store.rename(&id, &title),
                            StoreOp::Delete(id) => store.delete(&id),
                        }
                    }
                    self.check_store_health();
                }
                Effect::Settle {
                    charge_id,
                    generation_id,
                } => {
                    let (client, tx) = (self.client.clone(), self.tx.clone());
                    let waits = self.settle_waits.clone();
                    tokio::spawn(async move {
                        if let Some(usd) = client.settle(&generation_id, &waits).await {
                            let _ = tx.send(Msg::Settled { charge_id, usd });
                        }
                    });
                }
                Effect::FetchAccount => {
                    let (client, tx) = (self.client.clone(), self.tx.clone());
                    tokio::spawn(async move {
                        match client.account().await {
                            Ok(a) => {
                                let _ = tx.send(Msg::Account(Box::new(a)));
                            }
                            Err(e) => tracing::info!(error = %e, "cannot read the account"),
                        }
                    });
                }
                Effect::ListSessions(query) => {
                    let (store, tx) = (self.store.clone(), self.tx.clone());
                    tokio::task::spawn_blocking(move || {
                        let _ = tx.send(Msg::Sessions(list_sessions(store.as_ref(), &query)));
                    });
                }
                Effect::LoadSession(id) => {
                    let (store, tx) = (self.store.clone(), self.tx.clone());
                    tokio::task::spawn_blocking(move || {
                        let result = match &store {
                            None => Err("saving is off".to_string()),
                            Some(s) => {
                                s.flush();
                                load_session(s, &id)
                            }
                        };
                        let _ = tx.send(Msg::SessionLoaded(result));
                    });
                }
                Effect::Export { path, json } => {
                    let (store, tx, id) = (
                        self.store.clone(),
                        self.tx.clone(),
                        self.conversation.clone(),
                    );
                    tokio::task::spawn_blocking(move || {
                        let text = match export(store.as_ref(), &id, path, json) {
                            Ok(p) => format!("exported to {p}"),
                            Err(e) => format!("export failed: {e}"),
                        };
                        let _ = tx.send(Msg::Flash(text));
                    });
                }
                Effect::Copy { text, what } => {
                    let mut out = std::io::stdout();
                    let msg = match crate::term::clipboard::copy(&text, &mut out) {
                        Ok(how) => how.status(&what),
                        Err(e) => format!("could not copy: {e}"),
                    };
                    let _ = std::io::Write::flush(&mut out);
                    let _ = self.tx.send(Msg::Flash(msg));
                }
                Effect::Edit(draft) => self.edit_request = Some(draft),
                Effect::Quit => quit = true,
            }
        }
        quit
    }

    pub fn cancel_all(&mut self) {
        for (_, t) in self.tasks.drain() {
            t.abort();
        }
    }
}

/// Saved conversations, all or those matching a full-text query.
fn list_sessions(store: Option<&Store>, query: &str) -> Result<Vec<SessionItem>, String> {
    let store = store.ok_or("saving is off: no saved conversations")?;
    store.flush();
    let metas = store.list().map_err(|e| e.to_string())?;
    if query.trim().is_empty() {
        return Ok(metas
            .into_iter()
            .map(|meta| SessionItem {
                meta,
                snippet: None,
            })
            .collect());
    }
    let hits = store.search(query).map_err(|e| e.to_string())?;
    let mut items: Vec<SessionItem> = Vec::new();
    for h in hits {
        if items.iter().any(|i| i.meta.id == h.conversation_id) {
            continue; // One row per conversation: its best match.
        }
        if let Some(meta) = metas.iter().find(|m| m.id == h.conversation_id) {
            items.push(SessionItem {
                meta: meta.clone(),
                snippet: Some(h.snippet),
            });
        }
    }
    Ok(items)
}

/// Writes conversation `id` to `path` (default: `orchat-<id>.md` or `.json`
/// in the current directory). Returns the path written.
fn export(
    store: Option<&Store>,
    id: &str,
    path: Option<String>,
    json: bool,
) -> Result<String, String> {
    let store = store.ok_or("saving is off, so there is nothing saved to export")?;
    store.flush();
    let (meta, msgs) = store
        .load(id)
        .map_err(|e| e.to_string())?
        .ok_or("this conversation has no saved messages yet")?;
    let text = if json {
        crate::store::export::json(&meta, &msgs)
    } else {
        crate::store::export::markdown(&meta, &msgs)
    };
    let path = path.unwrap_or_else(|| format!("orchat-{id}.{}", if json { "json" } else { "md" }));
    std::fs::write(&path, text).map_err(|e| format!("cannot write {path}: {e}"))?;
    Ok(path)
}

/// Saves each generated image under `data_dir/images/<folder>/`.
pub fn save_images(folder: &str, stem: &str, images: &[String]) -> Vec<Result<String, String>> {
    let Some(dir) = crate::paths::data_dir().map(|d| d.join("images").join(folder)) else {
        return vec![Err("no data directory".into()); images.len()];
    };
    images
        .iter()
        .enumerate()
        .map(|(n, url)| {
            crate::chat::images::save_data_url(url, &dir, &format!("{stem}-{}", n + 1))
                .map(|p| p.display().to_string())
        })
        .collect()
}

/// Hands a file to the desktop's viewer (xdg-open, or open on macOS),
/// detached, with its output discarded so it cannot draw over the app.
fn open_with_system_viewer(path: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let result = std::process::Command::new(opener)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = result {
        tracing::info!(error = %e, "cannot start {opener}");
    }
}

/// A saved conversation with its ledger, for the app.
pub fn load_session(store: &Store, id: &str) -> Result<crate::app::LoadedSession, String> {
    let (_, messages) = store
        .load(id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no conversation {id}"))?;
    let charges = store.charges(id).map_err(|e| e.to_string())?;
    Ok(crate::app::LoadedSession {
        id: id.to_string(),
        messages,
        charges,
    })
}

/// Applies one message at the current time and runs its effects.
pub fn step(app: &mut App, fx: &mut Effects, start: Instant, msg: Msg) -> bool {
    update(app, Msg::Tick(start.elapsed().as_millis() as u64));
    let effects = update(app, msg);
    fx.set_conversation(&app.conversation_id);
    fx.run(effects)
}

fn to_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
        Event::Paste(s) => Some(Msg::Paste(s)),
        Event::Resize(..) => Some(Msg::Resize),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => Some(Msg::Scroll(-1)),
            MouseEventKind::ScrollDown => Some(Msg::Scroll(1)),
            _ => None,
        },
        _ => None,
    }
}

/// Runs the full-screen app until the user quits or a signal arrives.
/// How the full-screen app runs.
pub struct RunOptions {
    pub theme: Theme,
    /// Capture the mouse (wheel scrolling); off leaves native selection.
    pub mouse: bool,
    /// Fetch the live model list in the background.
    pub refresh_catalog: bool,
    /// Where conversations are saved; `None` when saving is off.
    pub store: Option<Store>,
}

/// The store a panic flushes before the process dies.
static PANIC_STORE: std::sync::OnceLock<Store> = std::sync::OnceLock::new();

pub async fn run(mut app: App, client: ChatClient, opts: RunOptions) -> std::io::Result<()> {
    let RunOptions {
        theme,
        mouse,
        refresh_catalog,
        store,
    } = opts;
    if let Some(picker) = crate::ui::images::detect_picker() {
        app.images.get_mut().set_picker(picker);
    }
    let guard = crate::term::guard::init(mouse)?;
    if let Some(s) = &store {
        let _ = PANIC_STORE.set(s.clone());
        // After the terminal is restored (the guard's hook runs first):
        // whatever was queued for saving is written before the process ends.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            previous(info);
            if let Some(s) = PANIC_STORE.get() {
                s.flush();
                eprintln!(
                    "orchat: the conversation so far is saved in {}",
                    s.path().display()
                );
            }
            if let Some(log) = crate::paths::state_dir() {
                eprintln!("orchat: details may be in the log under {}", log.display());
            }
        }));
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    if refresh_catalog {
        // In the background: the bundled or cached catalog is in use meanwhile.
        let (client, tx) = (client.clone(), tx.clone());
        tokio::spawn(async move {
            let cache = crate::chat::catalog::cache_for(&client.config().provider);
            if let Some(c) = crate::chat::catalog::refresh(&client, cache.as_deref()).await {
                let _ = tx.send(Msg::Catalog(Box::new(c)));
            }
        });
    }
    let mut fx = Effects::new(client, tx).with_store(store);
    let ended = fx.ended.clone();
    let mut guard = guard;
    fx.set_conversation(&app.conversation_id);
    if app.clock_base_ms == 0 {
        app.clock_base_ms = crate::store::now_ms();
    }
    // A test hook for the terminal-restore tests: panic once the app is up.
    let panic_for_test = std::env::var_os("ORCHAT_TEST_PANIC").is_some();
    let mut events = crate::term::events::TermEvents::new();
    let start = Instant::now();
    let mut term = signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hup = signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut dirty = true;
    // How long after the last frame the next may come: FRAME after input or
    // the end of an answer, STREAM_FRAME when only stream events (or the
    // clock) changed things.
    let mut interval = FRAME;
    let mut last_draw = Instant::now() - FRAME;
    loop {
        if dirty && last_draw.elapsed() >= interval {
            // Stream events that arrived while the frame waited go in first.
            let mut quit = false;
            while let Ok(m) = rx.try_recv() {
                quit |= step(&mut app, &mut fx, start, m);
            }
            if quit || app.quit {
                break;
            }
            update(&mut app, Msg::Tick(start.elapsed().as_millis() as u64));
            let drawing = Instant::now();
            draw(&mut guard, &app, &theme)?;
            dirty = false;
            last_draw = Instant::now();
            // A frame that took long (a huge answer still open) spaces out
            // the stream frames after it, so drawing never takes more than
            // about a tenth of a core however big the answer grows.
            interval = STREAM_FRAME.max((last_draw - drawing) * 10);
            if panic_for_test {
                panic!("ORCHAT_TEST_PANIC is set");
            }
        }
        let deadline = if dirty {
            Some(last_draw + interval)
        } else if app.is_busy() {
            Some(Instant::now() + ANIMATION)
        } else {
            None // Idle: no timer at all.
        };
        let mut quit = false;
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    if matches!(ev, Event::Resize(..)) {
                        guard.resized();
                    }
                    if let Some(msg) = to_msg(ev) {
                        quit = step(&mut app, &mut fx, start, msg);
                    }
                    dirty = true;
                    interval = FRAME;
                }
                Some(Err(_)) | None => quit = true,
            },
            // While a frame is pending, messages wait for it in the channel:
            // no wakeup per stream chunk.
            Some(msg) = rx.recv(), if !dirty => {
                quit = step(&mut app, &mut fx, start, msg);
                // Drain what else is queued, then draw once.
                while let Ok(m) = rx.try_recv() {
                    quit |= step(&mut app, &mut fx, start, m);
                }
                dirty = true;
            },
            _ = sleep_until(deadline), if deadline.is_some() => {
                dirty = true;
            },
            // An answer ended: its last frame comes at the input pace (its
            // events are taken from the channel when that frame is drawn).
            _ = ended.notified() => {
                dirty = true;
                interval = FRAME;
            },
            _ = term.recv() => quit = true,
            _ = hup.recv() => quit = true,
        }
        if quit || app.quit {
            break;
        }
        if let Some(draft) = fx.edit_request.take() {
            // The editor needs the terminal: give it back, then take it again.
            drop(guard);
            // The editor runs off the loop's thread, so an answer that is
            // streaming keeps arriving (into the channel) meanwhile.
            let result = tokio::task::spawn_blocking(move || crate::term::editor::edit(&draft))
                .await
                .unwrap_or_else(|e| Err(format!("the editor failed: {e}")));
            guard = crate::term::guard::init(mouse)?;
            quit = step(&mut app, &mut fx, start, Msg::Edited(result));
            if quit {
                break;
            }
            dirty = true;
            interval = FRAME;
        }
    }
    fx.cancel_all();
    if let Some(s) = fx.store() {
        s.flush();
    }
    drop(guard);
    Ok(())
}

fn signal(kind: tokio::signal::unix::SignalKind) -> std::io::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(kind)
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(d) = deadline {
        tokio::time::sleep_until(d.into()).await;
    }
}

fn draw(guard: &mut crate::term::guard::Guard, app: &App, theme: &Theme) -> std::io::Result<()> {
    use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
    // Synchronized update: the terminal shows whole frames, never half of one.
    guard.fit()?;
    crossterm::queue!(guard.terminal.backend_mut(), BeginSynchronizedUpdate)?;
    guard.terminal.draw(|f| crate::ui::draw(f, app, theme))?;
    crossterm::execute!(guard.terminal.backend_mut(), EndSynchronizedUpdate)?;
    Ok(())
}
