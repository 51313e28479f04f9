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
