//! The one thread that writes. It owns the write connection and applies
//! changes in the order they were queued. Whatever is queued when it wakes
//! is written in one transaction (one sync for a burst).
//!
//! Nothing queued is dropped because the disk misbehaves: when a write fails
//! for a reason that can pass (the database locked by another program, the
//! disk full, an I/O error, the file read-only for now) the changes stay
//! queued, in order, and are tried again with backoff; `SaveState::Paused`
//! says so, and `Saving` again once they are written. A file SQLite finds
//! damaged is never written again (`Damaged`); one deleted or replaced under
//! orchat is not written either (`Off`). What is still queued can be taken
//! back (`Store::take_unsaved`) to be kept elsewhere. Only a change that can
//! never be written (a constraint: a bug) is dropped, so the others go on.
//! Never panics.

use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use super::health::{self, SaveState, SharedHealth};
use super::{ConversationMeta, StoreError, StoredMessage, StoredRole, new_id, title_from_prompt};

/// One change to the saved conversations, as queued. Plain data: what is
/// still queued when orchat must quit can be written to a file as JSON and
/// applied later (`orchat sessions import`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Saves a message (replacing the one with the same conversation and seq).
    Put(Box<StoredMessage>),
    Create {
        id: String,
        title: String,
        now_ms: u64,
    },
    Rename {
        id: String,
        title: String,
    },
    Delete {
        id: String,
    },
    /// Drops messages from `from_seq` on (what /retry and /edit did before
    /// conversations were trees; still applied from an older file).
    Truncate {
        id: String,
        from_seq: u32,
    },
    /// The last message of a conversation's current path.
    SetCurrent {
        id: String,
        seq: u32,
    },
    /// Records a billed request, or replaces it (a settlement).
    Charge(Box<crate::chat::pricing::Charge>),
    /// Counts a request to a `:free` model on a UTC day.
    CountFree(String),
}

pub(super) enum Cmd {
    Change(Change),
    Import {
        meta: Box<ConversationMeta>,
        msgs: Vec<StoredMessage>,
        charges: Option<Vec<crate::chat::pricing::Charge>>,
        reply: Sender<Result<String, StoreError>>,
    },
    /// Tries to write what is queued; answers whether nothing is left.
    Flush(Sender<bool>),
    /// Hands back what could not be written (and forgets it).
    TakeUnsaved(Sender<Vec<Change>>),
    Shutdown,
}

/// Most changes written in one transaction.
const BATCH: usize = 256;

/// The first wait before a paused write is tried again; it doubles up to
/// `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(4);

pub(super) fn spawn(
    conn: Connection,
    path: PathBuf,
    rx: Receiver<Cmd>,
    health: SharedHealth,
) -> std::io::Result<JoinHandle<()>> {
    let identity = identity(&path);
    let w = Writer {
        conn,
        path,
        health,
        identity,
        queue: VecDeque::new(),
        stopped: false,
        retry_at: None,
        backoff: FIRST_BACKOFF,
        checked: false,
    };
    std::thread::Builder::new()
        .name("orchat-store".into())
        .spawn(move || w.run(rx))
}

/// Which file the path names, so a database deleted or replaced while
/// orchat runs is noticed (writes to an unlinked file would vanish).
#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|_| (0, 0))
}

struct Writer {
    conn: Connection,
    path: PathBuf,
    health: SharedHealth,
    identity: Option<(u64, u64)>,
    /// Changes not yet written, oldest first.
    queue: VecDeque<Change>,
    /// Damaged, deleted or replaced: nothing is written any more.
    stopped: bool,
    /// While paused: when to try again.
    retry_at: Option<Instant>,
    backoff: Duration,
    /// The file was checked for damage (`PRAGMA quick_check`) before the
    /// first write.
    checked: bool,
}

/// What a failed write means for the queue.
enum Failure {
    /// It may pass: keep everything queued and try again later.
    Passing(String),
    /// The file is damaged, gone or replaced: never write to it again.
    Final(SaveState),
    /// This change can never be written; the others can.
    ThisOne(String),
}

fn failure(e: StoreError) -> Failure {
    match e {
        StoreError::Locked { .. } => {
            Failure::Passing("the database is locked by another program".into())
        }
        StoreError::DiskFull { .. } => Failure::Passing("the disk is full".into()),
        StoreError::ReadOnly { reason, .. } => {
            Failure::Passing(format!("the database is read-only ({reason})"))
        }
        StoreError::Corrupt { path } => Failure::Final(SaveState::Damaged {
            reason: format!(
                "{} is damaged; nothing more is written to it",
                path.display()
            ),
        }),
        StoreError::Write { reason, .. } if reason.contains("deleted or replaced") => {
            Failure::Final(SaveState::Off { reason })
        }
        StoreError::CannotOpen { reason, .. } | StoreError::Write { reason, .. }
            if looks_passing(&reason) =>
        {
            Failure::Passing(format!("a write failed: {reason}"))
        }
        other => Failure::ThisOne(other.into_write().to_string()),
    }
}

/// I/O trouble that can clear up (SQLite's I/O errors, an interrupted or
/// busy system call), as opposed to a change SQLite refuses outright.
fn looks_passing(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    [
        "disk i/o",
        "i/o error",
        "unable to open",
        "interrupted",
        "busy",
        "protocol",
    ]
    .iter()
    .any(|w| r.contains(w))
}

impl Writer {
    fn run(mut self, rx: Receiver<Cmd>) {
        loop {
            let cmd = match self.wait() {
                // Nothing to try: sleep until a command comes.
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                // Queued changes to write now: gather what else is queued first.
                Some(d) if d.is_zero() => match rx.try_recv() {
                    Ok(c) => Ok(c),
                    Err(TryRecvError::Empty) => Err(RecvTimeoutError::Timeout),
                    Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
                },
                // Paused: wait for the next try, taking commands meanwhile.
                Some(d) => rx.recv_timeout(d),
            };
            match cmd {
                Ok(Cmd::Change(c)) => {
                    self.queue.push_back(c);
                    self.note_queue();
                    if self.queue.len() >= BATCH && self.retry_at.is_none() {
                        self.try_write();
                    }
                }
                Ok(Cmd::Flush(done)) => {
                    self.try_write_now();
                    let _ = done.send(self.queue.is_empty());
                }
                Ok(Cmd::Import {
                    meta,
                    msgs,
                    charges,
                    reply,
                }) => {
                    self.try_write_now();
                    let _ = reply.send(self.import(*meta, msgs, charges));
                }
                Ok(Cmd::TakeUnsaved(reply)) => {
                    self.try_write_now();
                    let _ = reply.send(self.queue.drain(..).collect());
                    self.note_queue();
                }
                Ok(Cmd::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                    self.try_write_now();
                    return;
                }
                Err(RecvTimeoutError::Timeout) => self.try_write(),
            }
        }
    }

    /// How long until the queue should be tried: `None` when there is
    /// nothing to try, zero when now.
    fn wait(&self) -> Option<Duration> {
        if self.queue.is_empty() || self.stopped {
            return None;
        }
        Some(self.retry_at.map_or(Duration::ZERO, |t| {
            t.saturating_duration_since(Instant::now())
        }))
    }

    /// Keeps the paused state's count of waiting changes current.
    fn note_queue(&self) {
        let paused = match self.health.lock() {
            Ok(h) => match h.state() {
                SaveState::Paused { reason, .. } => Some(reason.clone()),
                _ => None,
            },
            Err(_) => None,
        };
        if let Some(reason) = paused {
            health::set(
                &self.health,
                SaveState::Paused {
                    reason,
                    queued: self.queue.len(),
                },
            );
        }
    }

    /// One try now, backoff or not (a flush, a quit).
    fn try_write_now(&mut self) {
        self.retry_at = None;
        self.try_write();
    }

    /// Writes what is queued, a batch at a time, until it is all written or a
    /// write fails.
    fn try_write(&mut self) {
        if self.stopped {
            return;
        }
        if !self.checked {
            self.checked = true;
            if let Some(state) = self.damage() {
                return self.stop(state);
            }
        }
        while !self.queue.is_empty() {
            if let Err(e) = self.file_is_there() {
                return self.stop(SaveState::Off {
                    reason: e.to_string(),
                });
            }
            let n = self.queue.len().min(BATCH);
            let batch: Vec<Change> = self.queue.iter().take(n).cloned().collect();
            match self.write(&batch) {
                Ok(()) => {
                    self.queue.drain(..n);
                }
                Err(e) => match failure(e) {
                    Failure::Passing(reason) => return self.pause(reason),
                    Failure::Final(state) => return self.stop(state),
                    Failure::ThisOne(reason) if n == 1 => {
                        self.queue.pop_front();
                        health::dropped(&self.health, reason);
                    }
                    // One of the batch is refused: write them one by one.
                    Failure::ThisOne(_) => {
                        if !self.write_one_by_one(n) {
                            return;
                        }
                    }
                },
            }
        }
        self.retry_at = None;
        self.backoff = FIRST_BACKOFF;
        health::set(&self.health, SaveState::Saving);
    }

    /// Writes the first `n` queued changes singly, dropping only those that
    /// can never be written. False when the queue paused or stopped.
    fn write_one_by_one(&mut self, n: usize) -> bool {
        for _ in 0..n {
            let Some(c) = self.queue.front().cloned() else {
                break;
            };
            match self.write(std::slice::from_ref(&c)) {
                Ok(()) => {
                    self.queue.pop_front();
                }
                Err(e) => match failure(e) {
                    Failure::Passing(reason) => {
                        self.pause(reason);
                        return false;
                    }
                    Failure::Final(state) => {
                        self.stop(state);
                        return false;
                    }
                    Failure::ThisOne(reason) => {
                        self.queue.pop_front();
                        health::dropped(&self.health, reason);
                    }
                },
            }
        }
        true
    }

    fn pause(&mut self, reason: String) {
        self.retry_at = Some(Instant::now() + self.backoff);
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        health::set(
            &self.health,
            SaveState::Paused {
                reason,
                queued: self.queue.len(),
            },
        );
    }

    fn stop(&mut self, state: SaveState) {
        self.stopped = true;
        self.retry_at = None;
        health::set(&self.health, state);
    }

    /// `PRAGMA quick_check` before the first write: a file with a damaged
    /// page is never written to (new pages written into it would be damaged
    /// too). Runs on this thread, so opening orchat does not wait for it.
    fn damage(&self) -> Option<SaveState> {
        let damaged = SaveState::Damaged {
            reason: format!(
                "{} is damaged; nothing more is written to it",
                self.path.display()
            ),
        };
        match quick_check(&self.conn) {
            Ok(None) => None,
            Ok(Some(problem)) => {
                // SQLite's own words go to the log; the user reads what it means.
                tracing::warn!("quick_check of {}: {problem}", self.path.display());
                Some(damaged)
            }
            Err(e) => match StoreError::from_sqlite(&self.path, e) {
                StoreError::Corrupt { .. } => Some(damaged),
                _ => None,
            },
        }
    }

    /// Whether the database file is still the one opened.
    fn file_is_there(&self) -> Result<(), StoreError> {
        if identity(&self.path) == self.identity {
            Ok(())
        } else {
            Err(StoreError::Write {
                path: self.path.clone(),
                reason: "the file was deleted or replaced; later messages are not saved".into(),
            })
        }
    }

    fn write(&mut self, changes: &[Change]) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = begin(&mut self.conn).map_err(err)?;
        let mut touched = BTreeSet::new();
        for c in changes {
            match c {
                Change::Put(m) => {
                    tx.execute(
                        "INSERT OR IGNORE INTO conversations (id, created_ms, updated_ms)
                         VALUES (?1, ?2, ?2)",
                        params![m.conversation_id, m.created_ms as i64],
                    )
                    .map_err(err)?;
                    super::row::upsert(&tx, m).map_err(err)?;
                    touched.insert(m.conversation_id.clone());
                }
                Change::Create { id, title, now_ms } => {
                    tx.execute(
                        "INSERT OR IGNORE INTO conversations (id, title, created_ms, updated_ms)
                         VALUES (?1, NULLIF(?2, ''), ?3, ?3)",
                        params![id, title, *now_ms as i64],
                    )
                    .map_err(err)?;
                }
                Change::Rename { id, title } => {
                    tx.execute(
                        "UPDATE conversations SET title = NULLIF(?2, '') WHERE id = ?1",
                        params![id, title.trim()],
                    )
                    .map_err(err)?;
                }
                Change::Delete { id } => {
                    tx.execute("DELETE FROM messages WHERE conversation_id = ?1", [id])
                        .map_err(err)?;
                    tx.execute("DELETE FROM conversations WHERE id = ?1", [id])
                        .map_err(err)?;
                }
                Change::Truncate { id, from_seq } => {
                    tx.execute(
                        "DELETE FROM messages WHERE conversation_id = ?1 AND seq >= ?2",
                        params![id, *from_seq as i64],
                    )
                    .map_err(err)?;
                    touched.insert(id.clone());
                }
                Change::SetCurrent { id, seq } => {
                    tx.execute(
                        "UPDATE conversations SET current_seq = ?2 WHERE id = ?1",
                        params![id, *seq as i64],
                    )
                    .map_err(err)?;
                }
                Change::Charge(c) => {
                    // Its conversation exists (the prompt was saved first),
                    // unless it was deleted: then the charge still counts
                    // for the day, and nothing is recreated.
                    super::ledger::put(&tx, c).map_err(err)?;
                    touched.insert(c.conversation_id.clone());
                }
                Change::CountFree(day) => super::ledger::count_free(&tx, day).map_err(err)?,
            }
        }
        for id in &touched {
            refresh_summary(&tx, id).map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    fn import(
        &mut self,
        meta: ConversationMeta,
        msgs: Vec<StoredMessage>,
        charges: Option<Vec<crate::chat::pricing::Charge>>,
    ) -> Result<String, StoreError> {
        if self.stopped {
            return Err(StoreError::Write {
                path: self.path.clone(),
                reason: health_reason(&self.health),
            });
        }
        self.file_is_there()?;
        let path = self.path.clone();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = begin(&mut self.conn).map_err(err)?;
        let taken = |tx: &Transaction<'_>, id: &str| -> rusqlite::Result<bool> {
            tx.query_row(
                "SELECT 1 FROM conversations WHERE id = ?1",
                [id],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
        };
        // Never merge into (or overwrite) a conversation already saved.
        let mut id = meta.id.clone();
        while id.is_empty() || taken(&tx, &id).map_err(err)? {
            id = new_id();
        }
        // An export from before conversations were trees: a chain, its
        // rounds sibling answers.
        let mut msgs = msgs;
        let flat = msgs.len() > 1 && msgs.iter().all(|m| m.parent.is_none());
        let current = super::tree::normalize(&mut msgs, meta.current);
        // An export from before trees, with its ledger: the answers it had
        // replaced come back as siblings that say so.
        if flat && let Some(charges) = &charges {
            super::tree::replaced_answers(&mut msgs, charges);
        }
        tx.execute(
            "INSERT INTO conversations (id, title, created_ms, updated_ms, current_seq)
             VALUES (?1, NULLIF(?2, ''), ?3, ?4, ?5)",
            params![
                id,
                meta.title,
                meta.created_ms as i64,
                meta.updated_ms as i64,
                current.map(i64::from)
            ],
        )
        .map_err(err)?;
        for mut m in msgs {
            m.conversation_id.clone_from(&id);
            super::row::upsert(&tx, &m).map_err(err)?;
        }
        match charges {
            // The ledger as it was: replaced and stopped answers stay billed.
            Some(charges) => {
                for mut c in charges {
                    c.id = format!("{id}/{}", c.id);
                    c.conversation_id.clone_from(&id);
                    super::ledger::put(&tx, &c).map_err(err)?;
                }
            }
            None => super::ledger::charges_from_messages(&tx, &id).map_err(err)?,
        }
        refresh_summary(&tx, &id).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(id)
    }
}

/// The reason writes stopped, in words.
fn health_reason(h: &SharedHealth) -> String {
    h.lock()
        .ok()
        .and_then(|h| h.state().reason().map(str::to_string))
        .unwrap_or_else(|| "saving is off".into())
}

/// `PRAGMA quick_check`: `None` when it says ok, else its first complaint.
fn quick_check(conn: &Connection) -> rusqlite::Result<Option<String>> {
    let mut st = conn.prepare("PRAGMA quick_check(1)")?;
    let first: String = st.query_row([], |r| r.get(0))?;
    Ok((first != "ok").then(|| super::error::one_line(&first)))
}

/// Recomputes a conversation's summary columns from its messages and its
/// ledger, in the same transaction as the change, so the list never
/// disagrees with them.
/// `updated_ms` only moves forward.
pub(super) fn refresh_summary(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<()> {
    let first: Option<String> = tx
        .query_row(
            "SELECT text FROM messages WHERE conversation_id = ?1 AND role = 'user'
             ORDER BY seq LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    let mut st = tx.prepare(
        "SELECT role, model_requested, model_reported, created_ms, finished_ms, round
         FROM messages WHERE conversation_id = ?1 ORDER BY seq",
    )?;
    let mut rows = st.query([id])?;
    let mut models: Vec<String> = Vec::new();
    let mut count = 0i64;
    let mut last = 0i64;
    while let Some(r) = rows.next()? {
        let role = StoredRole::parse(&r.get::<_, String>(0)?);
        if matches!(role, Some(StoredRole::User | StoredRole::Assistant)) {
            count += 1;
        }
        if role == Some(StoredRole::Assistant) {
            let model: Option<String> = r.get::<_, Option<String>>(2)?.or(r.get(1)?);
            // A round's models all answered, kept or not.
            let round: Option<super::StoredRound> = r
                .get::<_, Option<String>>(5)?
                .and_then(|s| serde_json::from_str(&s).ok());
            let answered = round.map_or_else(
                || model.into_iter().collect::<Vec<_>>(),
                |r| {
                    r.answers
                        .iter()
                        .filter_map(|a| a.model().map(str::to_string))
                        .collect()
                },
            );
            for m in answered {
                if !models.contains(&m) {
                    models.push(m);
                }
            }
        }
        last = last
            .max(r.get::<_, i64>(3)?)
            .max(r.get::<_, Option<i64>>(4)?.unwrap_or(0));
    }
    drop(rows);
    drop(st);
    // The money is the ledger's: every billed request, shown or not.
    let (total, unknown) = super::ledger::totals(tx, id)?;
    tx.execute(
        "UPDATE conversations SET first_prompt = ?2, models = ?3, messages = ?4,
             total_cost = ?5, unknown_costs = ?7, updated_ms = max(updated_ms, ?6)
         WHERE id = ?1",
        params![
            id,
            first.as_deref().map(title_from_prompt).unwrap_or_default(),
            serde_json::to_string(&models).unwrap_or_else(|_| "[]".into()),
            count,
            total.to_string(),
            last,
            unknown,
        ],
    )?;
    Ok(())
}

/// A write transaction that takes the database's write lock at once, so a
/// second orchat waits at the start instead of failing halfway through.
fn begin(conn: &mut rusqlite::Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
}
