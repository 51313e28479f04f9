//! Where orchat keeps its files. The platform's directories (XDG on Linux),
//! each overridable by an environment variable so tests and users can point
//! orchat elsewhere: ORCHAT_DATA_DIR, ORCHAT_CACHE_DIR, ORCHAT_STATE_DIR.

use std::path::PathBuf;

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "orchat")
}

fn dir(var: &str, pick: fn(&directories::ProjectDirs) -> PathBuf) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
        _ => project().map(|p| pick(&p)),
    }
}

pub fn data_dir() -> Option<PathBuf> {
    dir("ORCHAT_DATA_DIR", |p| p.data_dir().to_path_buf())
}

pub fn cache_dir() -> Option<PathBuf> {
    dir("ORCHAT_CACHE_DIR", |p| p.cache_dir().to_path_buf())
}

pub fn state_dir() -> Option<PathBuf> {
    dir("ORCHAT_STATE_DIR", |p| {
        p.state_dir()
            .unwrap_or_else(|| p.data_local_dir())
            .to_path_buf()
    })
}

/// The three directories a run uses, decided once (by the config: its
/// environment variables, `[paths]`, then the platform's) and passed to
/// whatever writes files. `None`: there is no such directory, so that
/// saving is off.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dirs {
    /// Conversations (`sessions.db`) and generated images (`images/`).
    pub data: Option<PathBuf>,
    /// The model lists of each provider.
    pub cache: Option<PathBuf>,
    /// The log.
    pub state: Option<PathBuf>,
}

impl Dirs {
    /// The platform's directories, each overridden by its environment variable.
    pub fn platform() -> Dirs {
        Dirs {
            data: data_dir(),
            cache: cache_dir(),
            state: state_dir(),
        }
    }

    /// All three under one directory (tests, and `--data-dir`-like setups).
    pub fn under(root: &std::path::Path) -> Dirs {
        Dirs {
            data: Some(root.join("data")),
            cache: Some(root.join("cache")),
            state: Some(root.join("state")),
        }
    }

    /// The session store's file.
    pub fn sessions_db(&self) -> Option<PathBuf> {
        self.data.as_ref().map(|d| d.join("sessions.db"))
    }

    /// Where a conversation's generated images go (`images/<folder>/`).
    pub fn images(&self, folder: &str) -> Option<PathBuf> {
        self.data.as_ref().map(|d| d.join("images").join(folder))
    }

    /// Attached files, each under the SHA-256 of its bytes, beside
    /// `sessions.db`.
    pub fn attachments(&self) -> Option<PathBuf> {
        self.data.as_ref().map(|d| d.join("attachments"))
    }
}

/// Creates `dir` and any missing parents, each new one readable by the
/// user alone (0700); folders that already exist are left as they are.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Options that create a file readable and writable by the user alone (0600).
pub fn private_file_options() -> std::fs::OpenOptions {
    #[allow(unused_mut)]
    let mut o = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o
}

/// Writes `bytes` to a new (or replaced) file private to the user (0600).
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = private_file_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    f.write_all(bytes)?;
    make_private(path);
    Ok(())
}

/// Takes group and other access away from a file of the user's (one made
/// by an older orchat, say); a file that is missing or someone else's is
/// left alone.
pub fn make_private(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        // SAFETY: getuid has no preconditions and cannot fail.
        let me = unsafe { libc::getuid() };
        let mode = meta.permissions().mode();
        if meta.uid() == me && mode & 0o077 != 0 {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Why a bounded read stopped.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// More than the limit (bytes) was there: nothing of it is returned.
    TooLarge(u64),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::TooLarge(limit) => write!(f, "it is larger than {}", human_size(*limit)),
        }
    }
}

/// "64 MiB", "4 KiB", "100 bytes".
pub fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads at most `limit` bytes from `reader`: more than that is an error
/// (`/dev/zero`, a runaway pipe), never a buffer that grows without end.
pub fn read_at_most(reader: impl std::io::Read, limit: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let mut buf = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(buf)
}

/// `read_at_most` of a file.
pub fn read_file_at_most(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let f = std::fs::File::open(path).map_err(ReadError::Io)?;
    read_at_most(f, limit)
}
