//! Effect handlers: what `update` asks for, carried out. Requests and
//! settlements are tasks on the runtime; files, the store and the clipboard
//! go to the blocking pool; everything comes back as a `Msg` on the channel.
//! Quitting and editing a draft need the loop (and the terminal), so they
//! are handed back to it.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::api::ChatClient;
use crate::app::{Effect, Msg, SessionItem, StoreOp};
use crate::paths::Dirs;
use crate::store::Store;

/// What the effects of one message ask of the loop itself.
#[derive(Debug, Default, PartialEq)]
pub struct LoopRequest {
    pub quit: bool,
    /// A draft to edit in $VISUAL / $EDITOR: the loop lends it the terminal.
    pub edit: Option<String>,
}

impl LoopRequest {
    /// Both requests, the later edit winning.
    pub fn merge(&mut self, other: LoopRequest) {
        self.quit |= other.quit;
        if other.edit.is_some() {
            self.edit = other.edit;
        }
    }
}

/// Carries out effects: spawns a task per request that sends its events
/// back as messages tagged with the turn, and aborts it on cancel.
pub struct Effects {
    client: ChatClient,
    tx: mpsc::UnboundedSender<Msg>,
    tasks: HashMap<u64, tokio::task::AbortHandle>,
    /// The session store; `None` when saving is off.
    store: Option<Store>,
    /// Where generated images are saved (`None`: they are not).
    dirs: Dirs,
    /// The conversation this process has open, held so that another orchat
    /// opening it goes on in a copy instead of overwriting it.
    lease: Option<crate::store::Lease>,
    /// Signalled when a request's stream ends, so the loop draws the end of
    /// an answer at once instead of at the next stream frame.
    pub(super) ended: std::sync::Arc<tokio::sync::Notify>,
    /// The waits between asks for a settlement (`/generation`).
    pub settle_waits: Vec<Duration>,
    /// What Ctrl+V reads: the system clipboard, or a test's.
    pub clipboard: std::sync::Arc<dyn crate::term::clipboard::ClipboardSource>,
}

impl Effects {
    pub fn new(client: ChatClient, tx: mpsc::UnboundedSender<Msg>) -> Effects {
        Effects {
            client,
            tx,
            tasks: HashMap::new(),
            store: None,
            dirs: Dirs::default(),
            lease: None,
            ended: Default::default(),
            settle_waits: crate::api::account::SETTLE_WAITS.to_vec(),
            clipboard: std::sync::Arc::new(crate::term::clipboard::SystemClipboard),
        }
    }

    /// Saves through `store` from now on.
    pub fn with_store(mut self, store: Option<Store>) -> Effects {
        self.set_store(store);
        self
    }

    /// Saves through `store` from now on; the app hears of every change in
    /// whether saving works (paused, caught up, off, damaged) as it happens,
    /// starting with how it is now.
    pub fn set_store(&mut self, store: Option<Store>) {
        if let Some(s) = &store {
            let tx = self.tx.clone();
            s.on_change(Box::new(move |state| {
                let _ = tx.send(Msg::Saving(state.clone()));
            }));
            let now = s.state();
            if now != crate::store::SaveState::Saving {
                let _ = self.tx.send(Msg::Saving(now));
            }
        }
        self.lease = None;
        self.store = store;
    }

    /// Saves generated images under `dirs.data` from now on.
    pub fn with_dirs(mut self, dirs: Dirs) -> Effects {
        self.dirs = dirs;
        self
    }

    pub fn set_dirs(&mut self, dirs: Dirs) {
        self.dirs = dirs;
    }

    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    /// Holds conversation `id` for this process (letting go of the one held
    /// before). When another orchat holds it, the app hears so and goes on in
    /// a copy. Only while saving: a process that writes nothing overwrites
    /// nothing.
    pub fn hold(&mut self, id: &str) {
        if self.lease.as_ref().is_some_and(|l| l.id() == id) {
            return;
        }
        let Some(store) = &self.store else {
            return;
        };
        if store.is_read_only() {
            return;
        }
        // Beside the database: a lease is about who writes it.
        let Some(dir) = store.path().parent() else {
            return;
        };
        self.lease = None;
        match crate::store::Lease::acquire(dir, id) {
            Ok(lease) => self.lease = lease,
            Err(held) => {
                let _ = self.tx.send(Msg::HeldElsewhere {
                    id: id.to_string(),
                    pid: held.pid,
                });
            }
        }
    }

    /// Runs the effects, except the two that need the loop: what they ask
    /// (quit, edit a draft) is returned.
    pub fn run(&mut self, effects: Vec<Effect>) -> LoopRequest {
        let mut asked = LoopRequest::default();
        for e in effects {
            match e {
                Effect::Start {
                    turn,
                    mut request,
                    edit,
                } => {
                    let client = self.client.clone();
                    let tx = self.tx.clone();
                    let ended = self.ended.clone();
                    let task = tokio::spawn(async move {
                        if let Some(image) = edit {
                            // A saved image is read from its file (at most
                            // 20 MiB) off the loop.
                            let read = tokio::task::spawn_blocking(move || image.data_url())
                                .await
                                .unwrap_or_else(|_| Err("reading it failed".into()));
                            match read {
                                Ok(url) => {
                                    crate::chat::request::add_image_to_last_prompt(
                                        &mut request.messages,
                                        url,
                                    );
                                }
                                Err(why) => {
                                    let _ = tx.send(Msg::Flash(format!(
                                        "the image to edit could not be read back ({why}): asked without it"
                                    )));
                                }
                            }
                        }
                        // Events go straight from the network task to the
                        // loop's channel: one wakeup each, not two.
                        let mut sink = |ev| {
                            let msg = match ev {
                                Ok(event) => Msg::Stream { turn, event },
                                Err(error) => Msg::Failed { turn, error },
                            };
                            tx.send(msg).is_ok()
                        };
                        client.stream_to(*request, &mut sink).await;
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
                Effect::PasteClipboard => {
                    let (tx, dir, clipboard) = (
                        self.tx.clone(),
                        self.dirs.attachments(),
                        self.clipboard.clone(),
                    );
                    tokio::task::spawn_blocking(move || {
                        use crate::term::clipboard::Pasted;
                        match clipboard.read() {
                            Ok(Pasted::Image(png)) => {
                                let name = format!("pasted-{}.png", crate::time::file_stamp());
                                let loaded = crate::chat::attach::from_bytes(&name, &png, "png");
                                if let (Ok(a), Some(dir)) = (&loaded, dir.as_deref()) {
                                    let _ = crate::chat::attach::keep(dir, a);
                                }
                                let _ = tx.send(Msg::Attached(loaded));
                            }
                            Ok(Pasted::Text(t)) => {
                                let _ = tx.send(Msg::Paste(t));
                            }
                            Ok(Pasted::Nothing) => {
                                let _ = tx.send(Msg::Flash(
                                    "the clipboard holds no image (nor text) to paste".into(),
                                ));
                            }
                            Err(e) => {
                                let _ = tx.send(Msg::Flash(e));
                            }
                        }
                    });
                }
                Effect::RunCommand(command) => {
                    let (tx, dir) = (self.tx.clone(), self.dirs.attachments());
                    tokio::task::spawn_blocking(move || {
                        let a = crate::chat::attach::command_output(
                            &command,
                            &super::shell::run_command(
                                &command,
                                super::shell::COMMAND_TIMEOUT,
                                super::shell::COMMAND_OUTPUT_MAX,
                            ),
                        );
                        if let Some(dir) = dir.as_deref() {
                            let _ = crate::chat::attach::keep(dir, &a);
                        }
                        let _ = tx.send(Msg::Attached(Ok(a)));
                    });
                }
                Effect::CompletePath(partial) => {
                    let tx = self.tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let found = super::shell::complete_path(&partial, 200);
                        let _ = tx.send(Msg::PathsFound(partial, found));
                    });
                }
                Effect::CheckPastedPath(text) => {
                    let tx = self.tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let path = text.strip_prefix("file://").unwrap_or(&text);
                        let expanded = match path.strip_prefix("~/") {
                            Some(rest) => directories::BaseDirs::new()
                                .map(|b| b.home_dir().join(rest))
                                .unwrap_or_else(|| path.into()),
                            None => path.into(),
                        };
                        if expanded.is_file() {
                            let _ = tx.send(Msg::PathPasted(path.to_string()));
                        }
                    });
                }
                Effect::LoadAttachment(arg) => {
                    // File IO off the UI thread: a big file must not freeze the screen.
                    let (tx, dir) = (self.tx.clone(), self.dirs.attachments());
                    tokio::task::spawn_blocking(move || {
                        let loaded = crate::chat::attach::load(&arg);
                        // Kept with the conversation now, so a reopened
                        // conversation sends the same bytes; a copy that
                        // cannot be kept is said, the attachment still goes.
                        let kept = match (&loaded, dir.as_deref()) {
                            (Ok(a), Some(dir)) => crate::chat::attach::keep(dir, a)
                                .err()
                                .map(|e| (a.name.clone(), e)),
                            _ => None,
                        };
                        let _ = tx.send(Msg::Attached(loaded));
                        if let Some((name, e)) = kept {
                            let _ = tx.send(Msg::Flash(format!(
                                "{name}: not kept with the conversation ({e}); it is sent, but a reopened conversation will miss it"
                            )));
                        }
                    });
                }
                Effect::SaveImages {
                    turn,
                    folder,
                    stem,
                    images,
                } => {
                    let (tx, dir) = (self.tx.clone(), self.dirs.images(&folder));
                    tokio::task::spawn_blocking(move || {
                        let paths = save_images(dir.as_deref(), &stem, &images);
                        let _ = tx.send(Msg::ImagesSaved { turn, paths });
                    });
                }
                Effect::Open(path) => {
                    let tx = self.tx.clone();
                    tokio::task::spawn_blocking(move || {
                        if let Some(why) = open_with_system_viewer(&path) {
                            let _ = tx.send(Msg::Flash(why));
                        }
                    });
                }
                Effect::Store(op) => {
                    if let Some(store) = &self.store {
                        match op {
                            StoreOp::Put(m) => store.put_message(*m),
                            StoreOp::Charge(c) => store.put_charge(*c),
                            StoreOp::CountFree(day) => store.count_free_request(&day),
                            StoreOp::Current { conversation, seq } => {
                                store.set_current(&conversation, seq)
                            }
                            StoreOp::Rename { id, title } => store.rename(&id, &title),
                            StoreOp::Delete(id) => store.delete(&id),
                        }
                    }
                }
                Effect::Settle { charge } => {
                    let (client, tx) = (self.client.clone(), self.tx.clone());
                    let waits = self.settle_waits.clone();
                    tokio::spawn(async move {
                        let Some(generation_id) = charge.generation_id.clone() else {
                            return;
                        };
                        if let Some(usd) = client.settle(&generation_id, &waits).await {
                            let _ = tx.send(Msg::Settled { charge, usd });
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
                Effect::Export {
                    conversation,
                    path,
                    json,
                    snapshot,
                } => {
                    let (store, tx) = (self.store.clone(), self.tx.clone());
                    let state_dir = self.dirs.state.clone();
                    tokio::task::spawn_blocking(move || {
                        let text = match snapshot {
                            // From memory: the saved copy cannot be trusted.
                            Some(snap) => {
                                let path = path.map(std::path::PathBuf::from).or_else(|| {
                                    rescue_path(state_dir.as_deref(), &conversation, json)
                                });
                                match write_snapshot(&snap, path, json) {
                                    Ok(p) if json => format!(
                                        "saved to {p}; orchat sessions import {p} brings it back"
                                    ),
                                    Ok(p) => format!("exported to {p}"),
                                    Err(e) => format!("export failed: {e}"),
                                }
                            }
                            None => match export(store.as_ref(), &conversation, path, json) {
                                Ok(p) => format!("exported to {p}"),
                                Err(e) => format!("export failed: {e}"),
                            },
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
                Effect::Title {
                    conversation,
                    request,
                } => {
                    let (client, tx) = (self.client.clone(), self.tx.clone());
                    tokio::spawn(async move {
                        // The events folded into an answer, as one-shot does.
                        let model = request.model.clone();
                        let mut answer = crate::chat::answer::Answer::new(&model, 0, 0);
                        let mut sink = |ev| {
                            match ev {
                                Ok(event) => {
                                    answer.apply(&event);
                                }
                                Err(error) => answer.fail(&error),
                            }
                            true
                        };
                        client.stream_to(*request, &mut sink).await;
                        if !answer.status.is_final() {
                            answer.conclude(false);
                        }
                        let _ = tx.send(Msg::Titled {
                            conversation,
                            answer: Box::new(answer),
                        });
                    });
                }
                Effect::Edit(draft) => asked.edit = Some(draft),
                Effect::Quit => asked.quit = true,
            }
        }
        asked
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

/// Where a conversation saved from memory goes by default: the state
/// directory (`rescued-<id>-<epoch ms>.json`), else the current one.
fn rescue_path(
    state: Option<&std::path::Path>,
    id: &str,
    json: bool,
) -> Option<std::path::PathBuf> {
    let name = format!(
        "rescued-{id}-{}.{}",
        crate::store::now_ms(),
        if json { "json" } else { "md" }
    );
    Some(match state {
        Some(dir) => dir.join(name),
        None => std::path::PathBuf::from(name),
    })
}

/// Writes a conversation held in memory as an export (JSON with its
/// ledger, importable; or Markdown). Returns the path written.
fn write_snapshot(
    snap: &crate::app::Snapshot,
    path: Option<std::path::PathBuf>,
    json: bool,
) -> Result<String, String> {
    let path = path.ok_or("no place to write it")?;
    let text = if json {
        crate::store::export::json_with_charges(&snap.meta, &snap.messages, &snap.charges)
    } else {
        crate::store::export::markdown(&snap.meta, &snap.messages)
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::paths::create_private_dir(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    crate::paths::write_private(&path, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path.display().to_string())
}

/// Saves each generated image in `dir` (a conversation's image folder).
pub fn save_images(
    dir: Option<&std::path::Path>,
    stem: &str,
    images: &[String],
) -> Vec<Result<String, String>> {
    let Some(dir) = dir else {
        return vec![Err("no data directory".into()); images.len()];
    };
    images
        .iter()
        .enumerate()
        .map(|(n, url)| {
            crate::chat::images::save_data_url(url, dir, &format!("{stem}-{}", n + 1))
                .map(|p| p.display().to_string())
        })
        .collect()
}

/// Hands a file to the desktop's viewer (xdg-open, or open on macOS),
/// with its output discarded so it cannot draw over the app. When there is
/// none (no desktop, no opener, or the opener finds no viewer), says so and
/// where the file is; `None` when the viewer took it.
fn open_with_system_viewer(path: &str) -> Option<String> {
    let none = || Some(format!("no image viewer found; the image is at {path}"));
    let desktop = cfg!(target_os = "macos")
        || ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    if !desktop {
        return none();
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let mut child = match std::process::Command::new(opener)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::info!(error = %e, "cannot start {opener}");
            return none();
        }
    };
    // An opener that finds no viewer says so by failing, at once; one still
    // running after a few seconds has handed the file over.
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while std::time::Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return None,
            Ok(Some(_)) | Err(_) => return none(),
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    None
}

/// A saved conversation with its ledger, for the app.
pub fn load_session(store: &Store, id: &str) -> Result<crate::app::LoadedSession, String> {
    let (meta, messages) = store
        .load(id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no conversation {id}"))?;
    let charges = store.charges(id).map_err(|e| e.to_string())?;
    let media = load_media(store.path().parent(), &messages);
    Ok(crate::app::LoadedSession {
        id: id.to_string(),
        messages,
        charges,
        current: meta.current,
        media,
    })
}

/// A conversation's attachments read back from `attachments/` beside the
/// database (`data`), each checked against its digest, so a reopened
/// conversation sends the same bytes. (Generated images are read from
/// their files when drawn or sent for an edit, not here.)
pub fn load_media(
    data: Option<&std::path::Path>,
    messages: &[crate::store::StoredMessage],
) -> crate::app::conversation::Media {
    let mut media = crate::app::conversation::Media::default();
    let dir = data.map(|d| d.join("attachments"));
    for m in messages {
        for r in &m.attachments {
            if !media.attachments.contains_key(r) {
                let a = crate::chat::attach::restore(dir.as_deref(), r);
                media.attachments.insert(r.clone(), a);
            }
        }
    }
    media
}
