//! Opening the database: checking that the file is orchat's, migrating it,
//! and starting the writer (or opening it read-only).

use std::path::Path;
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::error::one_line;
use super::{Inner, Store, StoreError, schema, writer};

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
