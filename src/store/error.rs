//! Why the store cannot be used, as one line fit for the health line.

use std::path::{Path, PathBuf};

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
    pub(super) fn from_io(path: &Path, e: &std::io::Error) -> StoreError {
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

    pub(super) fn from_sqlite(path: &Path, e: rusqlite::Error) -> StoreError {
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
    pub(super) fn into_write(self) -> StoreError {
        match self {
            StoreError::CannotOpen { path, reason } => StoreError::Write { path, reason },
            other => other,
        }
    }
}

pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
