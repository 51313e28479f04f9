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
}
