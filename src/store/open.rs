//! Opening the database: checking that the file is orchat's, migrating it,
//! and starting the writer (or opening it read-only).

use std::path::Path;
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::error::one_line;
use super::health::{Health, SaveState};
use super::{Inner, Store, StoreError, schema, writer};

/// How to open the store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How long a write waits for another process's write to finish before
    /// it gives up with "locked" (and waits in the queue, to be tried again).
    pub busy_timeout: Duration,
    /// The most pages the file may grow to (`PRAGMA max_page_count`): past
    /// it a write fails as on a full disk. `None`: no limit but the disk's.
    pub max_page_count: Option<u32>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        // Short: past it a write does not fail, it waits in the queue and is
        // tried again (saying "saving paused"), so the user hears of a lock
        // held by another program within a second or two.
        StoreOptions {
            busy_timeout: Duration::from_secs(1),
            max_page_count: None,
        }
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
            crate::paths::create_private_dir(dir).map_err(|e| StoreError::CreateDir {
                dir: dir.to_path_buf(),
                reason: one_line(&e.to_string()),
            })?;
        }
        until_settled(|| schema::check_header(&path))?;
        // Create the file (or prove it writable) with plain file I/O first:
        // its error says exactly why (permission, read-only file system,
        // disk full), where SQLite only says "unable to open". Private to the
        // user: SQLite gives the WAL and shared-memory files the same mode.
        crate::paths::private_file_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::from_io(&path, &e))?;
        for suffix in ["", "-wal", "-shm"] {
            crate::paths::make_private(Path::new(&format!("{}{suffix}", path.display())));
        }

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
        if let Some(pages) = opts.max_page_count {
            conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
                .map_err(err)?;
        }

        let read = open_reader(&path, opts)?;
        let health = Health::starting(SaveState::Saving);
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

    /// Opens the database for writing, or, when it cannot be written (a
    /// read-only mount, another user's file), for reading: saving is then
    /// off and `state()` says why.
    pub fn open_or_read_only(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref();
        match Store::open(path) {
            Err(StoreError::ReadOnly { reason, .. }) => {
                let store = Store::open_read_only(path)?;
                if let Ok(mut h) = store.inner.health.lock() {
                    *h = Health::with_state(SaveState::Off {
                        reason: format!("the database is read-only ({reason})"),
                    });
                }
                Ok(store)
            }
            other => other,
        }
    }

    /// Opens an existing database for reading only (a read-only file or
    /// directory, a backup): list, load, search and export work; writes are
    /// dropped and `state()` says why. A database in WAL mode on a read-only
    /// mount (where SQLite cannot make its shared-memory file) is read as
    /// immutable.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        if !schema::check_header(&path)? {
            return Err(StoreError::CannotOpen {
                path,
                reason: "no such file".into(),
            });
        }
        let checked = |read: Connection| -> Result<Connection, StoreError> {
            match schema::check_ours(&read, &path)? {
                v if v == schema::latest() => Ok(read),
                _ => Err(StoreError::NeedsUpgrade { path: path.clone() }),
            }
        };
        let read = match open_reader(&path, &StoreOptions::default()).and_then(checked) {
            Err(StoreError::CannotOpen { .. } | StoreError::ReadOnly { .. }) => {
                open_immutable(&path).and_then(checked)?
            }
            other => other?,
        };
        let state = SaveState::Off {
            reason: format!("{} is open read-only", path.display()),
        };
        Ok(Store {
            inner: std::sync::Arc::new(Inner {
                path,
                tx: None,
                thread: Mutex::new(None),
                read: Mutex::new(read),
                health: Health::starting(state),
            }),
        })
    }
}

/// Reads a database that nobody may change while it is read (SQLite then
/// needs no lock or shared-memory file): the last way to read a database on
/// a read-only mount.
fn open_immutable(path: &Path) -> Result<Connection, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let uri = format!(
        "file:{}?immutable=1",
        path.display()
            .to_string()
            .replace('%', "%25")
            .replace('?', "%3f")
            .replace('#', "%23")
    );
    Connection::open_with_flags(uri, READ_FLAGS).map_err(err)
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

/// What `orchat doctor` finds of the database: whether it can be read and
/// written, and whether SQLite's quick check finds it sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checkup {
    /// Nothing saved yet; it is made at the first conversation.
    Missing,
    /// Sound and writable: how many conversations it holds.
    Sound { conversations: u64 },
    /// Sound, readable, not writable: conversations can be read, not saved.
    ReadOnly { conversations: u64, reason: String },
    /// SQLite found it damaged: orchat will not write to it.
    Damaged { detail: String },
    /// It cannot be used at all (not orchat's, too new, cannot be opened).
    Unusable { reason: String },
}

/// Checks the database at `path` without changing it (`PRAGMA quick_check`
/// on a read-only connection).
pub fn checkup(path: &Path) -> Checkup {
    let store = match Store::open_read_only(path) {
        Ok(s) => s,
        Err(StoreError::CannotOpen { reason, .. }) if reason == "no such file" => {
            return Checkup::Missing;
        }
        Err(StoreError::NeedsUpgrade { .. }) => {
            return Checkup::Unusable {
                reason: "it has an older layout; running orchat once upgrades it".into(),
            };
        }
        Err(StoreError::Corrupt { .. }) => {
            return Checkup::Damaged {
                detail: "SQLite cannot read it".into(),
            };
        }
        Err(e) => {
            return Checkup::Unusable {
                reason: e.to_string(),
            };
        }
    };
    let checked = store.read(|c| {
        let first: String = c.query_row("PRAGMA quick_check(1)", [], |r| r.get(0))?;
        let n: i64 = c.query_row("SELECT count(*) FROM conversations", [], |r| r.get(0))?;
        Ok((first, n.max(0) as u64))
    });
    match checked {
        Ok((first, conversations)) if first == "ok" => {
            match crate::paths::private_file_options().write(true).open(path) {
                Ok(_) => Checkup::Sound { conversations },
                Err(e) => Checkup::ReadOnly {
                    conversations,
                    reason: one_line(&e.to_string()),
                },
            }
        }
        Ok((first, _)) => Checkup::Damaged {
            detail: one_line(&first),
        },
        Err(StoreError::Corrupt { .. }) => Checkup::Damaged {
            detail: "SQLite cannot read it".into(),
        },
        Err(e) => Checkup::Unusable {
            reason: e.to_string(),
        },
    }
}
