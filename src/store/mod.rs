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

mod error;
pub mod export;
mod ledger;
mod open;
mod query;
mod row;
mod schema;
mod types;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::Connection;

pub use error::StoreError;
pub use ledger::utc_day;
pub use open::StoreOptions;
pub use schema::{APPLICATION_ID, latest as schema_version};
pub use types::{
    ConversationMeta, MATCH_END, MATCH_START, SearchHit, StoredMessage, StoredRole, StoredRound,
};
use writer::Cmd;

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

impl Store {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_first_line() {
        assert_eq!(title_from_prompt("\n  hello there \nmore"), "hello there");
        let long = "x".repeat(100);
        assert_eq!(title_from_prompt(&long).chars().count(), 81);
    }
}
