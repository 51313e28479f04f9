//! Logs go through `tracing` to `orchat.log` in the state directory, and
//! never to the screen: stdout and stderr belong to the TUI and to one-shot
//! answers.
//!
//! Public API:
//! - [`init`]`(level: Option<&str>) -> Result<Option<PathBuf>, String>`: the
//!   level is the argument (`--log-level`), else `ORCHAT_LOG`, else `warn`;
//!   the file is `paths::state_dir()/orchat.log`. `Ok(None)`: there is no state
//!   directory, so nothing is logged.
//! - [`init_in`]`(level, dir) -> Result<PathBuf, String>`: the same in a given
//!   directory (e.g. `Config::state_dir()`).
//! - [`LOG_FILE`].
//!
//! A level is anything `tracing_subscriber::EnvFilter` accepts: `error`,
//! `warn`, `info`, `debug`, `trace`, `off`, or directives such as
//! `orchat=debug,reqwest=warn`. The file is appended to and created with mode
//! 0600. Only one subscriber can be installed per process; a second call is
//! an error.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

pub const LOG_FILE: &str = "orchat.log";
pub const ENV_LOG: &str = "ORCHAT_LOG";
pub const DEFAULT_LEVEL: &str = "warn";

/// Starts logging to the state directory's `orchat.log`.
pub fn init(level: Option<&str>) -> Result<Option<PathBuf>, String> {
    match crate::paths::state_dir() {
        Some(dir) => init_in(level, &dir).map(Some),
        None => Ok(None),
    }
}

/// Starts logging to `dir/orchat.log` (creating `dir`); returns the file's path.
pub fn init_in(level: Option<&str>, dir: &Path) -> Result<PathBuf, String> {
    let env_level = std::env::var(ENV_LOG).ok();
    let level = level
        .map(str::to_string)
        .or(env_level)
        .filter(|l| !l.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_LEVEL.to_string());
    let filter = EnvFilter::try_new(&level).map_err(|e| {
        format!("bad log level '{level}': {e} (use error, warn, info, debug, trace or off)")
    })?;
    crate::paths::create_private_dir(dir)
        .map_err(|e| format!("cannot create the log directory {}: {e}", dir.display()))?;
    let path = dir.join(LOG_FILE);
    let mut opts = OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts
        .open(&path)
        .map_err(|e| format!("cannot open the log file {}: {e}", path.display()))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_target(true)
        .try_init()
        .map_err(|e| format!("logging is already set up: {e}"))?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "orchat started");
    Ok(path)
}
