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
mod health;
mod lease;
mod ledger;
mod open;
mod query;
mod row;
mod schema;
pub mod tree;
mod types;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

pub use error::StoreError;
pub use health::{Listener, SaveState};
pub use lease::{HeldElsewhere, Lease};
pub use ledger::utc_day;
pub use open::{Checkup, StoreOptions, checkup};
pub use schema::{APPLICATION_ID, MIGRATIONS, latest as schema_version};
pub use types::{
    ConversationMeta, MATCH_END, MATCH_START, SearchHit, StoredMessage, StoredRole, StoredRound,
};
pub use writer::Change;
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
    health: health::SharedHealth,
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

    /// Whether saving works now: saving, paused (changes wait and are
    /// retried), off or damaged, with the reason.
    pub fn state(&self) -> SaveState {
        self.inner
            .health
            .lock()
            .map(|h| h.state().clone())
            .unwrap_or_default()
    }

    /// `Some(one line)` when saving does not simply work: paused, off,
    /// damaged, or a change that could never be written was dropped.
    pub fn health(&self) -> Option<String> {
        let h = self.inner.health.lock().ok()?;
        match h.state() {
            SaveState::Saving => h
                .dropped()
                .map(|d| format!("a change could not be saved: {d}")),
            other => Some(other.line()),
        }
    }

    /// Calls `listener` (on the writer's thread) each time the state changes.
    pub fn on_change(&self, listener: Listener) {
        if let Ok(mut h) = self.inner.health.lock() {
            h.set_listener(Some(listener));
        }
    }

    fn send(&self, cmd: Cmd) {
        let Some(tx) = &self.inner.tx else { return };
        if tx.send(cmd).is_err() {
            health::set(
                &self.inner.health,
                SaveState::Off {
                    reason: "the saving thread stopped".into(),
                },
            );
        }
    }

    fn change(&self, c: Change) {
        self.send(Cmd::Change(c));
    }

    /// Saves a message (replacing the one with the same conversation and
    /// seq). Creates the conversation if it does not exist yet. Never waits.
    pub fn put_message(&self, msg: StoredMessage) {
        self.change(Change::Put(Box::new(msg)));
    }

    /// Starts a conversation. An empty title means: the first prompt.
    /// Does nothing if the id exists.
    pub fn create_conversation(&self, id: &str, title: &str, now_ms: u64) {
        self.change(Change::Create {
            id: id.into(),
            title: title.into(),
            now_ms,
        });
    }

    /// Sets the title; an empty one goes back to the first prompt.
    pub fn rename(&self, id: &str, title: &str) {
        self.change(Change::Rename {
            id: id.into(),
            title: title.into(),
        });
    }

    /// Remembers `seq` as the last message of conversation `id`'s current
    /// path: where it reopens.
    pub fn set_current(&self, id: &str, seq: u32) {
        self.change(Change::SetCurrent { id: id.into(), seq });
    }

    /// Drops the messages of `id` from `from_seq` on. (orchat keeps every
    /// branch now; this is for a file of unsaved changes from before.)
    pub fn truncate(&self, id: &str, from_seq: u32) {
        self.change(Change::Truncate {
            id: id.into(),
            from_seq,
        });
    }

    /// Deletes a conversation and all its messages.
    pub fn delete(&self, id: &str) {
        self.change(Change::Delete { id: id.into() });
    }

    /// Tries to write everything queued so far and waits for that try.
    /// True when nothing is left queued; false when saving is paused, off
    /// or damaged (see `state`), or the store is read-only.
    pub fn flush(&self) -> bool {
        let Some(tx) = &self.inner.tx else {
            return true;
        };
        let (done, wait) = channel();
        if tx.send(Cmd::Flush(done)).is_err() {
            return false;
        }
        wait.recv().unwrap_or(false)
    }

    /// Flushes, and while saving is paused keeps trying for at most
    /// `patience`. True when everything queued was written.
    pub fn flush_within(&self, patience: Duration) -> bool {
        let deadline = Instant::now() + patience;
        loop {
            if self.flush() {
                return true;
            }
            if !self.state().writes_possible() || Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100).min(deadline - Instant::now()));
        }
    }

    /// The changes still queued (after one more try to write them), taken
    /// out of the queue: to be kept elsewhere when orchat must quit.
    pub fn take_unsaved(&self) -> Vec<Change> {
        let Some(tx) = &self.inner.tx else {
            return Vec::new();
        };
        let (reply, wait) = channel();
        if tx.send(Cmd::TakeUnsaved(reply)).is_err() {
            return Vec::new();
        }
        wait.recv().unwrap_or_default()
    }

    /// Applies changes taken from another run (`take_unsaved`, written to a
    /// file): queued like any other, in order.
    pub fn apply(&self, changes: Vec<Change>) {
        for c in changes {
            self.change(c);
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
        self.import_with(meta, msgs, None)
    }

    /// `import`, with the conversation's ledger when the export has one
    /// (charge ids are prefixed with the new conversation's id).
    pub fn import_with(
        &self,
        meta: ConversationMeta,
        msgs: Vec<StoredMessage>,
        charges: Option<Vec<crate::chat::pricing::Charge>>,
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
            charges,
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
