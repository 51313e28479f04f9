//! `orchat config path|show|check`, and the config line of `orchat doctor`.

use std::io::Write;
use std::path::Path;

use super::load::*;
use super::*;

// ---------------------------------------------------------------------------
// `orchat config path|show|check`
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Subcommand)]
pub enum ConfigCommand {
    /// Print where the config file is (or would be).
    Path,
    /// Print the merged configuration (file and environment), secrets redacted.
    Show,
    /// Validate the config file.
    Check,
}

/// Runs `orchat config …`, writing to `out`. Returns the exit code: 0, or 2
/// when the configuration is invalid or there is no config directory.
pub fn config_command(cmd: ConfigCommand, explicit: Option<&Path>, out: &mut dyn Write) -> i32 {
    config_command_with(cmd, explicit, &process_env, out)
}

/// [`config_command`] with the environment given as a function.
pub fn config_command_with(
    cmd: ConfigCommand,
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
) -> i32 {
    match cmd {
        ConfigCommand::Path => match config_path(explicit, env).0 {
            Some(p) => {
                let _ = writeln!(out, "{}", p.display());
                0
            }
            None => {
                let _ = writeln!(
                    out,
                    "orchat: no config directory; use --config PATH or ORCHAT_CONFIG"
                );
                2
            }
        },
        ConfigCommand::Show => match Config::load_with(explicit, env) {
            Ok(l) => {
                let _ = writeln!(out, "# {}", l.summary());
                for w in &l.warnings {
                    let _ = writeln!(out, "# warning: {w}");
                }
                let _ = write!(out, "{}", l.config.redacted_toml());
                0
            }
            Err(e) => {
                let _ = writeln!(out, "orchat: {e}");
                2
            }
        },
        ConfigCommand::Check => match Config::load_with(explicit, env) {
            Ok(l) => {
                let _ = writeln!(out, "ok {}", l.summary());
                for w in &l.warnings {
                    let _ = writeln!(out, "warn {w}");
                }
                0
            }
            Err(e) => {
                let _ = writeln!(out, "fail {e}");
                2
            }
        },
    }
}

/// The config line of `orchat doctor`: `Ok(summary)` or `Err(the error)`.
pub fn doctor_report(explicit: Option<&Path>) -> Result<String, String> {
    match Config::load(explicit) {
        Ok(l) => {
            let mut s = l.summary();
            for w in &l.warnings {
                s.push_str(&format!(" (warning: {w})"));
            }
            Ok(s)
        }
        Err(e) => Err(e.to_string()),
    }
}
