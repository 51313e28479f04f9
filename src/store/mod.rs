//! Saved conversations: every prompt when sent and every answer when it
//! ends (complete, stopped or failed, with its partial text), in a SQLite
//! database in the user's data directory.
//!
//! One writer thread owns the write connection and applies commands in the
//! order they were queued, so the UI never waits on the disk: `put_message`
//! and friends only queue. Reads use a separate connection. The database is
//! in WAL mode with a busy timeout, so two orchat processes can share it.
//! What goes in is only what the user and the model said and what it cost;
//! API keys and request headers never reach this module.

pub mod export;
mod ledger;
mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::chat::answer::{Answer, Status};
use crate::chat::pricing::{Cost, CostKind};

pub use ledger::utc_day;
pub use schema::{APPLICATION_ID, latest as schema_version};
use writer::Cmd;

/// Who a saved message is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StoredRole {
    #[default]
    User,
    Assistant,
    /// A failure shown in the conversation (not sent back to the model).
    Error,
    /// Something orchat said (model switched…).
    Notice,
}

impl StoredRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StoredRole::User => "user",
            StoredRole::Assistant => "assistant",
            StoredRole::Error => "error",
            StoredRole::Notice => "notice",
        }
    }

    pub fn parse(s: &str) -> Option<StoredRole> {
        Some(match s {
            "user" => StoredRole::User,
            "assistant" => StoredRole::Assistant,
            "error" => StoredRole::Error,
            "notice" => StoredRole::Notice,
            _ => return None,
        })
    }
}

/// One message of a conversation as saved. `(conversation_id, seq)` is its
/// key: writing the same key again replaces it (an answer is written when it
/// ends; writing it again after a retry updates it).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StoredMessage {
    pub conversation_id: String,
    pub seq: u32,
    pub role: StoredRole,
    pub text: String,
    /// What the user attached, as given: a URL or a file path (never the
    /// encoded bytes).
    #[serde(default)]
    pub attachments: Vec<String>,
    /// Files the generated images were saved to.
    #[serde(default)]
    pub image_paths: Vec<String>,
    #[serde(default)]
    pub reasoning: String,
    /// The answer's `reasoning_details`, to send back on later turns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasoning_details: Vec<serde_json::Value>,
    #[serde(default)]
    pub model_requested: Option<String>,
    #[serde(default)]
    pub model_reported: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub prompt_tokens: Option<u64>,
    #[serde(default)]
    pub completion_tokens: Option<u64>,
    #[serde(default)]
    pub reasoning_tokens: Option<u64>,
    #[serde(default)]
    pub image_tokens: Option<u64>,
    /// USD, exact (a decimal string in JSON and in the database).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub cost: Option<Decimal>,
    #[serde(default)]
    pub cost_kind: Option<CostKind>,
    #[serde(default)]
    pub generation_id: Option<String>,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    pub created_ms: u64,
    #[serde(default)]
    pub finished_ms: Option<u64>,
}

impl StoredMessage {
    /// A message with only the essentials set.
    pub fn new(
        conversation_id: &str,
        seq: u32,
        role: StoredRole,
        text: &str,
        created_ms: u64,
    ) -> StoredMessage {
        StoredMessage {
            conversation_id: conversation_id.to_string(),
            seq,
            role,
            text: text.to_string(),
            created_ms,
            ..StoredMessage::default()
        }
    }

    /// A prompt as sent: its text and what was attached (URLs or paths).
    pub fn user(
        conversation_id: &str,
        seq: u32,
        text: &str,
        attachments: Vec<String>,
        model: &str,
        now_ms: u64,
    ) -> StoredMessage {
        StoredMessage {
            attachments,
            model_requested: Some(model.to_string()),
            ..StoredMessage::new(conversation_id, seq, StoredRole::User, text, now_ms)
        }
    }

    /// An answer as it ended. Generated images are kept as the files they
    /// were saved to (`Answer::image_paths`); their data URLs are never
    /// stored (an image that is already a path or an http(s) URL is kept as
    /// is). `created_ms` and `finished_ms` are `now_ms`; set `created_ms` to
    /// when the request started if that is known.
    pub fn from_answer(
        conversation_id: &str,
        seq: u32,
        answer: &Answer,
        cost: Option<Cost>,
        now_ms: u64,
    ) -> StoredMessage {
        let usage = answer.usage.as_ref();
        StoredMessage {
            conversation_id: conversation_id.to_string(),
            seq,
            role: StoredRole::Assistant,
            text: answer.text.clone(),
            attachments: Vec::new(),
            image_paths: answer
                .image_paths
                .iter()
                .filter_map(|p| p.as_ref().ok())
                .chain(answer.images.iter().filter(|u| !u.starts_with("data:")))
                .cloned()
                .collect(),
            reasoning: answer.reasoning.clone(),
            reasoning_details: answer.reasoning_details.clone(),
            model_requested: Some(answer.model_requested.clone()),
            model_reported: answer.model_reported.clone(),
            provider: answer.provider.clone(),
            prompt_tokens: usage.map(|u| u.prompt_tokens),
            completion_tokens: usage.map(|u| u.completion_tokens),
            reasoning_tokens: usage.map(|u| u.reasoning_tokens()),
            image_tokens: usage.map(|u| u.image_tokens()),
            cost: cost.map(|c| c.usd),
            cost_kind: cost.map(|c| c.kind),
            generation_id: answer.generation_id.clone(),
            status: Some(answer.status),
            finish_reason: answer.finish_reason.clone(),
            error: answer.error.clone(),
            created_ms: now_ms,
            finished_ms: answer.status.is_final().then_some(now_ms),
        }
    }

    /// The charge an answer with a cost stands for, under the id `conv/seq`
    /// (as existing answers became the ledger's first rows, and as an
    /// imported conversation's answers do). The app records its own charges,
    /// one per billed request.
    pub fn charge(&self) -> Option<crate::chat::pricing::Charge> {
        if self.role != StoredRole::Assistant {
            return None;
        }
        Some(crate::chat::pricing::Charge {
            id: format!("{}/{}", self.conversation_id, self.seq),
            conversation_id: self.conversation_id.clone(),
            model: self.model().unwrap_or_default().to_string(),
            cost: self
                .cost_value()
                .or_else(|| self.cost.map(|c| Cost::new(c, CostKind::Estimated)))?,
            prompt_tokens: self.prompt_tokens.unwrap_or(0),
            completion_tokens: self.completion_tokens.unwrap_or(0),
            reasoning_tokens: self.reasoning_tokens.unwrap_or(0),
            image_tokens: self.image_tokens.unwrap_or(0),
            generation_id: self.generation_id.clone(),
            created_ms: self.finished_ms.unwrap_or(self.created_ms),
            ..Default::default()
        })
    }

    /// The saved cost with its kind, when both are known.
    pub fn cost_value(&self) -> Option<Cost> {
        Some(Cost::new(self.cost?, self.cost_kind?))
    }

    /// The model to label the message with: the one that answered, else the
    /// one asked for.
    pub fn model(&self) -> Option<&str> {
        self.model_reported
            .as_deref()
            .or(self.model_requested.as_deref())
    }

    /// Rebuilds an `Answer` for a resumed conversation: text, reasoning, who
    /// answered, usage, saved image files and how it ended.
    pub fn to_answer(&self) -> Answer {
        use crate::api::types::{CompletionTokensDetails, Usage, WireDecimal};
        let has_usage = self.prompt_tokens.is_some() || self.completion_tokens.is_some();
        let usage = has_usage.then(|| {
            let prompt = self.prompt_tokens.unwrap_or(0);
            let completion = self.completion_tokens.unwrap_or(0);
            Usage {
                prompt_tokens: prompt,
                completion_tokens: completion,
                total_tokens: prompt + completion,
                cost: match (self.cost, self.cost_kind) {
                    (Some(c), Some(CostKind::Reported)) => Some(WireDecimal(c)),
                    _ => None,
                },
                prompt_tokens_details: None,
                completion_tokens_details: Some(CompletionTokensDetails {
                    reasoning_tokens: self.reasoning_tokens.unwrap_or(0),
                    image_tokens: self.image_tokens.unwrap_or(0),
                }),
            }
        });
        Answer {
            model_requested: self.model_requested.clone().unwrap_or_default(),
            model_reported: self.model_reported.clone(),
            provider: self.provider.clone(),
            generation_id: self.generation_id.clone(),
            text: self.text.clone(),
            reasoning: self.reasoning.clone(),
            reasoning_details: self.reasoning_details.clone(),
            image_paths: self.image_paths.iter().cloned().map(Ok).collect(),
            usage,
            finish_reason: self.finish_reason.clone(),
            status: self.status.unwrap_or(Status::Complete),
            error: self.error.clone(),
            ..Answer::default()
        }
    }
}

/// A conversation as listed: its title (set with /rename, else the first
/// prompt), when it began and last changed, the models that answered (in
/// order of first use), how many prompts and answers it has, and their
/// total cost (exact).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConversationMeta {
    pub id: String,
    pub title: String,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub models: Vec<String>,
    /// Prompts and answers (errors and notices are not counted).
    pub messages: u32,
    /// Everything billed in the conversation (its ledger), exact.
    #[serde(with = "rust_decimal::serde::str")]
    pub total_cost: Decimal,
    /// Billed requests whose cost is unknown (not in `total_cost`).
    #[serde(default)]
    pub unknown_costs: u32,
}

/// One message that matched a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub conversation_id: String,
    pub title: String,
    pub seq: u32,
    /// A few words around the match, each match wrapped in
    /// [`MATCH_START`] and [`MATCH_END`].
    pub snippet: String,
}

/// Marks around a matched word in [`SearchHit::snippet`].
pub const MATCH_START: &str = "«";
pub const MATCH_END: &str = "»";

/// Why the store cannot be used. Each message is one line, fit to follow
/// "saving off: ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("no data directory to save conversations in (set ORCHAT_DATA_DIR)")]
    NoDataDir,
    #[error("cannot create {}: {reason}", dir.display())]
    CreateDir { dir: PathBuf, reason: String },
    #[error("{} is locked by another program", path.display())]
    Locked { path: PathBuf },
    #[error("{} is not a valid orchat database; it was left untouched", path.display())]
    Corrupt { path: PathBuf },
    #[error(
        "{} was written by a newer orchat (schema {version}); it was left untouched",
        path.display()
    )]
    TooNew { path: PathBuf, version: u32 },
    #[error(
        "{} has an older layout and is open read-only; run orchat with write access once to upgrade it",
        path.display()
    )]
    NeedsUpgrade { path: PathBuf },
    #[error("{} is read-only ({reason})", path.display())]
    ReadOnly { path: PathBuf, reason: String },
    #[error("the disk holding {} is full", path.display())]
    DiskFull { path: PathBuf },
    #[error("cannot open {}: {reason}", path.display())]
    CannotOpen { path: PathBuf, reason: String },
    #[error("cannot write {}: {reason}", path.display())]
    Write { path: PathBuf, reason: String },
}

impl StoreError {
    fn from_io(path: &Path, e: &std::io::Error) -> StoreError {
        use std::io::ErrorKind as K;
        let path = path.to_path_buf();
        match e.kind() {
            K::PermissionDenied | K::ReadOnlyFilesystem => StoreError::ReadOnly {
                path,
                reason: one_line(&e.to_string()),
            },
            K::StorageFull | K::QuotaExceeded => StoreError::DiskFull { path },
            _ => StoreError::CannotOpen {
                path,
                reason: one_line(&e.to_string()),
            },
        }
    }

    fn from_sqlite(path: &Path, e: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode as C;
        let path = path.to_path_buf();
        match e.sqlite_error_code() {
            Some(C::DatabaseBusy | C::DatabaseLocked) => StoreError::Locked { path },
            Some(C::NotADatabase | C::DatabaseCorrupt) => StoreError::Corrupt { path },
            Some(C::ReadOnly) => StoreError::ReadOnly {
                path,
                reason: one_line(&e.to_string()),
            },
            Some(C::DiskFull) => StoreError::DiskFull { path },
            _ => StoreError::CannotOpen {
                path,
                reason: one_line(&e.to_string()),
            },
        }
    }

    /// The same error, described as a failed write (for the health line).
    fn into_write(self) -> StoreError {
        match self {
            StoreError::CannotOpen { path, reason } => StoreError::Write { path, reason },
            other => other,
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How to open the store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How long a write waits for another process's write to finish before
    /// it gives up with "locked".
    pub busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// A fresh conversation id: 12 lowercase hex digits, random, so a short
/// prefix is usually enough to name one.
pub fn new_id() -> String {
    format!("{:012x}", fastrand::u64(..1 << 48))
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

pub use crate::time::format_utc;

/// The title a conversation gets from its first prompt: the first non-empty
/// line, at most 80 characters.
pub fn title_from_prompt(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut t: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        t.push('…');
    }
    t
}

/// Turns what the user typed into an FTS5 query that cannot be a syntax
/// error: each word is quoted (so `AND`, `-` or `"` are just text) and
/// matches as a prefix; all words must occur.
fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

struct Inner {
    path: PathBuf,
    /// None when opened read-only: writes are dropped.
    tx: Option<Sender<Cmd>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    read: Mutex<Connection>,
    health: Arc<Mutex<Option<String>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Let the writer finish what is queued, so dropping the last handle
        // (at quit) loses nothing.
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Cmd::Shutdown);
        }
        if let Some(h) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = h.join();
        }
    }
}

/// The saved conversations. Cheap to clone; all clones share one writer.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .field("read_only", &self.is_read_only())
            .finish()
    }
}

const READ_FLAGS: OpenFlags = OpenFlags::SQLITE_OPEN_READ_ONLY
    .union(OpenFlags::SQLITE_OPEN_NO_MUTEX)
    .union(OpenFlags::SQLITE_OPEN_URI);

/// Runs a check of the file's identity again for a moment while it says
/// "not ours": another orchat creating the same new file writes its first
/// page in a moment that a raw read can catch half done. A file that really
/// is foreign or damaged still says so, a second later.
fn until_settled<T>(mut check: impl FnMut() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        match check() {
            Err(StoreError::Corrupt { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => return r,
        }
    }
}

impl Store {
    /// Opens the database at `path`, creating it (and its directory) when
    /// missing, and starts the writer. A file that is not an orchat database,
    /// or is damaged, is refused and left byte for byte as it was.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        Store::open_with(path, &StoreOptions::default())
    }

    pub fn open_with(path: impl AsRef<Path>, opts: &StoreOptions) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::CreateDir {
                dir: dir.to_path_buf(),
                reason: one_line(&e.to_string()),
            })?;
        }
        until_settled(|| schema::check_header(&path))?;
        // Create the file (or prove it writable) with plain file I/O first:
        // its error says exactly why (permission, read-only file system,
        // disk full), where SQLite only says "unable to open".
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::from_io(&path, &e))?;

        let err = |e| StoreError::from_sqlite(&path, e);
        let mut conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err)?;
        conn.busy_timeout(opts.busy_timeout).map_err(err)?;
        if conn
            .is_readonly(rusqlite::MAIN_DB)
            .map_err(|e| StoreError::from_sqlite(&path, e))?
        {
            return Err(StoreError::ReadOnly {
                path,
                reason: "opened read-only".into(),
            });
        }
        // Only reads until the file is known to be ours.
        until_settled(|| schema::check_ours(&conn, &path))?;
        enable_wal(&conn, &path, opts.busy_timeout)?;
        // FULL: each saved message survives a power cut, not only a crash.
        // Messages are few and small, so the extra sync costs nothing felt.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(err)?;
        schema::migrate(&mut conn, &path)?;

        let read = open_reader(&path, opts)?;
        let health = Arc::new(Mutex::new(None));
        let (tx, rx) = channel();
        let thread = writer::spawn(conn, path.clone(), rx, health.clone())
            .map_err(|e| StoreError::from_io(&path, &e))?;
        Ok(Store {
            inner: Arc::new(Inner {
                path,
                tx: Some(tx),
                thread: Mutex::new(Some(thread)),
                read: Mutex::new(read),
                health,
            }),
        })
    }

    /// Opens an existing database for reading only (a read-only file or
    /// directory, a backup): list, load, search and export work; writes are
    /// dropped and `health()` says why.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        if !schema::check_header(&path)? {
            return Err(StoreError::CannotOpen {
                path,
                reason: "no such file".into(),
            });
        }
        let read = open_reader(&path, &StoreOptions::default())?;
        match schema::check_ours(&read, &path)? {
            v if v == schema::latest() => {}
            _ => return Err(StoreError::NeedsUpgrade { path }),
        }
        let health = Some(format!("{} is open read-only", path.display()));
        Ok(Store {
            inner: Arc::new(Inner {
                path,
                tx: None,
                thread: Mutex::new(None),
                read: Mutex::new(read),
                health: Arc::new(Mutex::new(health)),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Whether writes are dropped (opened with `open_read_only`).
    pub fn is_read_only(&self) -> bool {
        self.inner.tx.is_none()
    }

    /// `Some(reason)` once a write has failed (so at least one message was
    /// not saved), or when the store is read-only. One line.
    pub fn health(&self) -> Option<String> {
        self.inner.health.lock().ok().and_then(|h| h.clone())
    }

    fn send(&self, cmd: Cmd) {
        let Some(tx) = &self.inner.tx else { return };
        if tx.send(cmd).is_err() {
            writer::record(&self.inner.health, "the saving thread stopped".into());
        }
    }

    /// Saves a message (replacing the one with the same conversation and
    /// seq). Creates the conversation if it does not exist yet. Never waits.
    pub fn put_message(&self, msg: StoredMessage) {
        self.send(Cmd::Put(Box::new(msg)));
    }

    /// Starts a conversation. An empty title means: the first prompt.
    /// Does nothing if the id exists.
    pub fn create_conversation(&self, id: &str, title: &str, now_ms: u64) {
        self.send(Cmd::Create {
            id: id.into(),
            title: title.into(),
            now_ms,
        });
    }

    /// Sets the title; an empty one goes back to the first prompt.
    pub fn rename(&self, id: &str, title: &str) {
        self.send(Cmd::Rename {
            id: id.into(),
            title: title.into(),
        });
    }

    /// Drops the messages of `id` from `from_seq` on: a prompt edited or an
    /// answer regenerated replaces what followed it.
    pub fn truncate(&self, id: &str, from_seq: u32) {
        self.send(Cmd::Truncate {
            id: id.into(),
            from_seq,
        });
    }

    /// Deletes a conversation and all its messages.
    pub fn delete(&self, id: &str) {
        self.send(Cmd::Delete { id: id.into() });
    }

    /// Waits until everything queued so far is written (or has failed; see
    /// `health`).
    pub fn flush(&self) {
        let Some(tx) = &self.inner.tx else { return };
        let (done, wait) = channel();
        if tx.send(Cmd::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }

    /// Writes an imported conversation back, under its own id unless that
    /// id is taken (then under a new one). Waits for the write; returns the
    /// id used.
    pub fn import(
        &self,
        meta: ConversationMeta,
        msgs: Vec<StoredMessage>,
    ) -> Result<String, StoreError> {
        let Some(tx) = &self.inner.tx else {
            return Err(StoreError::ReadOnly {
                path: self.inner.path.clone(),
                reason: "opened read-only".into(),
            });
        };
        let (reply, wait) = channel();
        let stopped = || StoreError::Write {
            path: self.inner.path.clone(),
            reason: "the saving thread stopped".into(),
        };
        tx.send(Cmd::Import {
            meta: Box::new(meta),
            msgs,
            reply,
        })
        .map_err(|_| stopped())?;
        wait.recv().map_err(|_| stopped())?
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let conn = self.inner.read.lock().unwrap_or_else(|p| p.into_inner());
        f(&conn).map_err(|e| StoreError::from_sqlite(&self.inner.path, e))
    }

    /// Every conversation, most recently changed first.
    pub fn list(&self) -> Result<Vec<ConversationMeta>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "{META_SELECT} ORDER BY updated_ms DESC, created_ms DESC, id"
            ))?;
            st.query_map([], meta_from_row)?.collect()
        })
    }

    /// A conversation and its messages in order, if it exists.
    pub fn load(
        &self,
        id: &str,
    ) -> Result<Option<(ConversationMeta, Vec<StoredMessage>)>, StoreError> {
        self.read(|c| {
            let meta = c
                .query_row(&format!("{META_SELECT} WHERE id = ?1"), [id], meta_from_row)
                .optional()?;
            let Some(meta) = meta else { return Ok(None) };
            let mut st = c.prepare(&format!(
                "{MESSAGE_SELECT} WHERE conversation_id = ?1 ORDER BY seq"
            ))?;
            let msgs = st
                .query_map([id], message_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some((meta, msgs)))
        })
    }

    /// The most recently changed conversation (to continue where the user
    /// left off).
    pub fn last_id(&self) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT id FROM conversations ORDER BY updated_ms DESC, created_ms DESC, id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// Ids that start with `prefix`; an exact match alone when there is one.
    pub fn ids_with_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let exact: Option<String> = c
                .query_row(
                    "SELECT id FROM conversations WHERE id = ?1",
                    [prefix],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = exact {
                return Ok(vec![id]);
            }
            // substr, not LIKE: ids are compared as typed, with no wildcards.
            let mut st = c.prepare(
                "SELECT id FROM conversations WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id",
            )?;
            st.query_map([prefix], |r| r.get(0))?.collect()
        })
    }

    /// Full-text search over every message's text and reasoning, best
    /// matches first (at most 100). Every word must occur; each matches as a
    /// prefix (`borrow` finds "borrowing").
    pub fn search(&self, query: &str) -> Result<Vec<SearchHit>, StoreError> {
        let Some(q) = fts_query(query) else {
            return Ok(Vec::new());
        };
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT m.conversation_id, m.seq,
                        snippet(messages_fts, -1, ?2, ?3, '…', 12),
                        c.title, c.first_prompt
                 FROM messages_fts
                 JOIN messages m ON m.rowid = messages_fts.rowid
                 JOIN conversations c ON c.id = m.conversation_id
                 WHERE messages_fts MATCH ?1
                 ORDER BY rank, m.conversation_id, m.seq
                 LIMIT 100",
            )?;
            st.query_map(params![q, MATCH_START, MATCH_END], |r| {
                let title: Option<String> = r.get(3)?;
                let first: String = r.get(4)?;
                Ok(SearchHit {
                    conversation_id: r.get(0)?,
                    seq: r.get::<_, i64>(1)? as u32,
                    snippet: one_line(&r.get::<_, String>(2)?),
                    title: title.filter(|t| !t.is_empty()).unwrap_or(first),
                })
            })?
            .collect()
        })
    }
}

/// Puts the file in WAL mode. Switching the journal mode needs an exclusive
/// lock, and SQLite returns "database is locked" at once instead of waiting
/// through the busy handler: two orchat processes opening a new file at the
/// same moment hit it (one in two runs of `two_processes_write_at_once` on
/// a busy machine). So wait here, as the busy timeout would elsewhere.
fn enable_wal(conn: &Connection, path: &Path, patience: Duration) -> Result<(), StoreError> {
    let start = std::time::Instant::now();
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => return Ok(()),
            Err(e) => match StoreError::from_sqlite(path, e) {
                StoreError::Locked { .. } if start.elapsed() < patience => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                e => return Err(e),
            },
        }
    }
}

fn open_reader(path: &Path, opts: &StoreOptions) -> Result<Connection, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let conn = Connection::open_with_flags(path, READ_FLAGS).map_err(err)?;
    conn.busy_timeout(opts.busy_timeout).map_err(err)?;
    Ok(conn)
}

const META_SELECT: &str = "SELECT id, title, first_prompt, created_ms, updated_ms, models, messages, total_cost, unknown_costs FROM conversations";

fn meta_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConversationMeta> {
    let title: Option<String> = r.get(1)?;
    let first: String = r.get(2)?;
    let models: String = r.get(5)?;
    let cost: String = r.get(7)?;
    Ok(ConversationMeta {
        id: r.get(0)?,
        title: title.filter(|t| !t.is_empty()).unwrap_or(first),
        created_ms: get_u64(r, 3)?,
        updated_ms: get_u64(r, 4)?,
        models: serde_json::from_str(&models).unwrap_or_default(),
        messages: r.get::<_, i64>(6)?.clamp(0, u32::MAX as i64) as u32,
        total_cost: cost.parse().unwrap_or_default(),
        unknown_costs: r.get::<_, i64>(8)?.clamp(0, u32::MAX as i64) as u32,
    })
}

const MESSAGE_SELECT: &str =
    "SELECT conversation_id, seq, role, text, attachments, image_paths, reasoning,
        model_requested, model_reported, provider,
        prompt_tokens, completion_tokens, reasoning_tokens, image_tokens,
        cost, cost_kind, generation_id, status, finish_reason, error, created_ms, finished_ms,
        reasoning_details
 FROM messages";

fn get_u64(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(r.get::<_, i64>(i)?.max(0) as u64)
}

fn get_opt_u64(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<u64>> {
    Ok(r.get::<_, Option<i64>>(i)?.map(|v| v.max(0) as u64))
}

/// Reads a lowercase enum name as serde spells it; an unknown one (written
/// by a newer orchat) reads as absent rather than failing the whole load.
fn parse_enum<T: serde::de::DeserializeOwned>(s: Option<String>) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s?)).ok()
}

fn enum_name<T: Serialize>(v: &Option<T>) -> Option<String> {
    match serde_json::to_value(v.as_ref()?) {
        Ok(serde_json::Value::String(s)) => Some(s),
        _ => None,
    }
}

fn message_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredMessage> {
    let list = |i: usize| -> rusqlite::Result<Vec<String>> {
        Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or_default())
    };
    Ok(StoredMessage {
        conversation_id: r.get(0)?,
        seq: r.get::<_, i64>(1)?.clamp(0, u32::MAX as i64) as u32,
        role: StoredRole::parse(&r.get::<_, String>(2)?).unwrap_or(StoredRole::Notice),
        text: r.get(3)?,
        attachments: list(4)?,
        image_paths: list(5)?,
        reasoning: r.get(6)?,
        model_requested: r.get(7)?,
        model_reported: r.get(8)?,
        provider: r.get(9)?,
        prompt_tokens: get_opt_u64(r, 10)?,
        completion_tokens: get_opt_u64(r, 11)?,
        reasoning_tokens: get_opt_u64(r, 12)?,
        image_tokens: get_opt_u64(r, 13)?,
        cost: r.get::<_, Option<String>>(14)?.and_then(|s| s.parse().ok()),
        cost_kind: parse_enum(r.get(15)?),
        generation_id: r.get(16)?,
        status: parse_enum(r.get(17)?),
        finish_reason: r.get(18)?,
        error: r.get(19)?,
        created_ms: get_u64(r, 20)?,
        finished_ms: get_opt_u64(r, 21)?,
        reasoning_details: serde_json::from_str(&r.get::<_, String>(22)?).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_input_never_becomes_fts_syntax() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("- ( *"), None);
        assert_eq!(
            fts_query(r#"borrow AND "x"#).as_deref(),
            Some(r#""borrow"* "AND"* """x"*"#)
        );
    }

    #[test]
    fn titles_come_from_the_first_line() {
        assert_eq!(title_from_prompt("\n  hello there \nmore"), "hello there");
        let long = "x".repeat(100);
        assert_eq!(title_from_prompt(&long).chars().count(), 81);
    }

    #[test]
    fn sqlite_errors_map_to_one_line_reasons() {
        let p = Path::new("/x/sessions.db");
        let e = |code| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        assert_eq!(
            StoreError::from_sqlite(p, e(rusqlite::ffi::SQLITE_FULL)).to_string(),
            "the disk holding /x/sessions.db is full"
        );
        assert_eq!(
            StoreError::from_sqlite(p, e(rusqlite::ffi::SQLITE_BUSY)).to_string(),
            "/x/sessions.db is locked by another program"
        );
        assert_eq!(
            StoreError::from_sqlite(p, e(rusqlite::ffi::SQLITE_NOTADB)).to_string(),
            "/x/sessions.db is not a valid orchat database; it was left untouched"
        );
        assert!(matches!(
            StoreError::from_sqlite(p, e(rusqlite::ffi::SQLITE_READONLY)),
            StoreError::ReadOnly { .. }
        ));
    }

    #[test]
    fn from_answer_keeps_paths_but_not_image_data() {
        let mut a = Answer::new("m", 0, 0);
        a.images = vec!["data:image/png;base64,AAAA".into(), "/tmp/b.png".into()];
        a.image_paths = vec![Ok("/tmp/a.png".into()), Err("disk full".into())];
        a.status = Status::Stopped;
        let m = StoredMessage::from_answer("c", 2, &a, None, 7);
        assert_eq!(m.image_paths, ["/tmp/a.png", "/tmp/b.png"]);
        assert_eq!(
            m.to_answer().image_paths,
            [Ok("/tmp/a.png".to_string()), Ok("/tmp/b.png".to_string())]
        );
        assert_eq!(m.finished_ms, Some(7));
        assert_eq!(m.status, Some(Status::Stopped));
        assert_eq!(m.prompt_tokens, None);
    }
}
