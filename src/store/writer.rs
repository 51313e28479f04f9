//! The one thread that writes. It owns the write connection and applies
//! commands in the order they were queued. Whatever is queued when it wakes
//! is written in one transaction (one sync for a burst); if that fails, each
//! command is retried on its own so one bad write does not sink the others.
//! A failure is recorded for `Store::health` and never panics.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::row::enum_name;
use super::{ConversationMeta, StoreError, StoredMessage, StoredRole, new_id, title_from_prompt};

pub(super) enum Cmd {
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
    /// Drops messages from `from_seq` on (after /retry or /edit).
    Truncate {
        id: String,
        from_seq: u32,
    },
    /// Records a billed request, or replaces it (a settlement).
    Charge(Box<crate::chat::pricing::Charge>),
    /// Counts a request to a `:free` model on a UTC day.
    CountFree(String),
    Import {
        meta: Box<ConversationMeta>,
        msgs: Vec<StoredMessage>,
        reply: Sender<Result<String, StoreError>>,
    },
    Flush(Sender<()>),
    Shutdown,
}

/// Most commands written in one transaction.
const BATCH: usize = 256;

/// Tries of a write that found the database locked (each after the busy
/// timeout has already waited).
const LOCKED_TRIES: usize = 3;

pub(super) fn spawn(
    conn: Connection,
    path: PathBuf,
    rx: Receiver<Cmd>,
    health: Arc<Mutex<Option<String>>>,
) -> std::io::Result<JoinHandle<()>> {
    let identity = identity(&path);
    let w = Writer {
        conn,
        path,
        health,
        identity,
    };
    std::thread::Builder::new()
        .name("orchat-store".into())
        .spawn(move || w.run(rx))
}

/// Records a failed write for `Store::health` (the latest reason wins).
pub(super) fn record(health: &Mutex<Option<String>>, reason: String) {
    tracing::warn!("saving conversations: {reason}");
    if let Ok(mut h) = health.lock() {
        *h = Some(reason);
    }
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
    health: Arc<Mutex<Option<String>>>,
    identity: Option<(u64, u64)>,
}

impl Writer {
    fn run(mut self, rx: Receiver<Cmd>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(c) => batch.push(c),
                    Err(_) => break,
                }
            }
            let mut writes = Vec::new();
            for cmd in batch {
                match cmd {
                    Cmd::Flush(done) => {
                        self.apply(&mut writes);
                        let _ = done.send(());
                    }
                    Cmd::Import { meta, msgs, reply } => {
                        self.apply(&mut writes);
                        let _ = reply.send(self.import(*meta, msgs));
                    }
                    Cmd::Shutdown => {
                        self.apply(&mut writes);
                        return;
                    }
                    w => writes.push(w),
                }
            }
            self.apply(&mut writes);
        }
    }

    fn fail(&self, e: StoreError) {
        record(&self.health, e.into_write().to_string());
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

    fn apply(&mut self, writes: &mut Vec<Cmd>) {
        if writes.is_empty() {
            return;
        }
        if let Err(e) = self.file_is_there() {
            writes.clear();
            return self.fail(e);
        }
        if let Err(e) = self.write_retrying(writes) {
            if writes.len() == 1 {
                self.fail(e);
            } else {
                for w in writes.iter() {
                    if let Err(e) = self.write_retrying(std::slice::from_ref(w)) {
                        self.fail(e);
                    }
                }
            }
        }
        writes.clear();
    }

    fn write_retrying(&mut self, cmds: &[Cmd]) -> Result<(), StoreError> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.write(cmds) {
                Err(StoreError::Locked { .. }) if tries < LOCKED_TRIES => continue,
                r => return r,
            }
        }
    }

    fn write(&mut self, cmds: &[Cmd]) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = begin(&mut self.conn).map_err(err)?;
        let mut touched = BTreeSet::new();
        for c in cmds {
            match c {
                Cmd::Put(m) => {
                    tx.execute(
                        "INSERT OR IGNORE INTO conversations (id, created_ms, updated_ms)
                         VALUES (?1, ?2, ?2)",
                        params![m.conversation_id, m.created_ms as i64],
                    )
                    .map_err(err)?;
                    upsert(&tx, m).map_err(err)?;
                    touched.insert(m.conversation_id.clone());
                }
                Cmd::Create { id, title, now_ms } => {
                    tx.execute(
                        "INSERT OR IGNORE INTO conversations (id, title, created_ms, updated_ms)
                         VALUES (?1, NULLIF(?2, ''), ?3, ?3)",
                        params![id, title, *now_ms as i64],
                    )
                    .map_err(err)?;
                }
                Cmd::Rename { id, title } => {
                    tx.execute(
                        "UPDATE conversations SET title = NULLIF(?2, '') WHERE id = ?1",
                        params![id, title.trim()],
                    )
                    .map_err(err)?;
                }
                Cmd::Delete { id } => {
                    tx.execute("DELETE FROM messages WHERE conversation_id = ?1", [id])
                        .map_err(err)?;
                    tx.execute("DELETE FROM conversations WHERE id = ?1", [id])
                        .map_err(err)?;
                }
                Cmd::Truncate { id, from_seq } => {
                    tx.execute(
                        "DELETE FROM messages WHERE conversation_id = ?1 AND seq >= ?2",
                        params![id, *from_seq as i64],
                    )
                    .map_err(err)?;
                    touched.insert(id.clone());
                }
                Cmd::Charge(c) => {
                    // Its conversation exists (the prompt was saved first),
                    // unless it was deleted: then the charge still counts
                    // for the day, and nothing is recreated.
                    super::ledger::put(&tx, c).map_err(err)?;
                    touched.insert(c.conversation_id.clone());
                }
                Cmd::CountFree(day) => super::ledger::count_free(&tx, day).map_err(err)?,
                // Handled by `run`; never batched.
                Cmd::Import { .. } | Cmd::Flush(_) | Cmd::Shutdown => {}
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
    ) -> Result<String, StoreError> {
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
        tx.execute(
            "INSERT INTO conversations (id, title, created_ms, updated_ms)
             VALUES (?1, NULLIF(?2, ''), ?3, ?4)",
            params![
                id,
                meta.title,
                meta.created_ms as i64,
                meta.updated_ms as i64
            ],
        )
        .map_err(err)?;
        for mut m in msgs {
            m.conversation_id.clone_from(&id);
            upsert(&tx, &m).map_err(err)?;
        }
        super::ledger::charges_from_messages(&tx, &id).map_err(err)?;
        refresh_summary(&tx, &id).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(id)
    }
}

fn opt_i64(v: Option<u64>) -> Option<i64> {
    v.map(|v| v.min(i64::MAX as u64) as i64)
}

fn upsert(tx: &Transaction<'_>, m: &StoredMessage) -> rusqlite::Result<()> {
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "INSERT INTO messages (conversation_id, seq, role, text, attachments, image_paths,
             reasoning, model_requested, model_reported, provider,
             prompt_tokens, completion_tokens, reasoning_tokens, image_tokens,
             cost, cost_kind, generation_id, status, finish_reason, error,
             created_ms, finished_ms, reasoning_details, round)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                 ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)
         ON CONFLICT (conversation_id, seq) DO UPDATE SET
             role = excluded.role, text = excluded.text,
             attachments = excluded.attachments, image_paths = excluded.image_paths,
             reasoning = excluded.reasoning, model_requested = excluded.model_requested,
             model_reported = excluded.model_reported, provider = excluded.provider,
             prompt_tokens = excluded.prompt_tokens,
             completion_tokens = excluded.completion_tokens,
             reasoning_tokens = excluded.reasoning_tokens,
             image_tokens = excluded.image_tokens, cost = excluded.cost,
             cost_kind = excluded.cost_kind, generation_id = excluded.generation_id,
             status = excluded.status, finish_reason = excluded.finish_reason,
             error = excluded.error, created_ms = excluded.created_ms,
             finished_ms = excluded.finished_ms,
             reasoning_details = excluded.reasoning_details, round = excluded.round",
        params![
            m.conversation_id,
            m.seq as i64,
            m.role.as_str(),
            m.text,
            json(&m.attachments),
            json(&m.image_paths),
            m.reasoning,
            m.model_requested,
            m.model_reported,
            m.provider,
            opt_i64(m.prompt_tokens),
            opt_i64(m.completion_tokens),
            opt_i64(m.reasoning_tokens),
            opt_i64(m.image_tokens),
            m.cost.map(|c| c.to_string()),
            enum_name(&m.cost_kind),
            m.generation_id,
            enum_name(&m.status),
            m.finish_reason,
            m.error,
            opt_i64(Some(m.created_ms)),
            opt_i64(m.finished_ms),
            serde_json::to_string(&m.reasoning_details).unwrap_or_else(|_| "[]".into()),
            m.round.as_ref().and_then(|r| serde_json::to_string(r).ok()),
        ],
    )?;
    Ok(())
}

/// Recomputes a conversation's summary columns from its messages and its
/// ledger, in the same transaction as the change, so the list never
/// disagrees with them.
/// `updated_ms` only moves forward.
fn refresh_summary(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<()> {
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
