//! Secrets in the configuration: a key from a command, a file others can
//! read, and which headers and values look like secrets (redacted on show).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

// ---------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------

/// How long `api_key_cmd` may take by default: long enough to type a
/// passphrase, short enough that a command that hangs is noticed.
pub const KEY_CMD_TIMEOUT: Duration = Duration::from_secs(60);

/// The most of `api_key_cmd`'s output read: a key is one short line.
const KEY_CMD_LIMIT: u64 = 16 << 10;

/// Runs `api_key_cmd` through `sh -c` and takes the first line of its
/// output as the key, checked like any key. Its stderr is discarded and
/// errors never echo what it printed (it may be the key); stdin is
/// inherited so a passphrase prompt (pass, gpg) still works. Bounded: after
/// a second it says on stderr that it waits for the command; after
/// `patience` the command is killed and the wait ends in an error; at most
/// 16 KiB of its output is read.
pub fn run_key_cmd(cmd: &str, patience: Duration) -> Result<ApiKey, String> {
    let program = cmd.split_whitespace().next().unwrap_or("");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("api_key_cmd: cannot run sh: {e}"))?;
    let stdout = child.stdout.take().expect("piped");
    // Read on a thread of its own: a command that never closes its output
    // must not hold orchat.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(crate::paths::read_at_most(stdout, KEY_CMD_LIMIT));
    });
    let start = Instant::now();
    let mut said = false;
    let output = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(out) => break out,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                break Ok(Vec::new());
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
        }
        if !said && start.elapsed() >= Duration::from_secs(1) {
            said = true;
            eprintln!(
                "orchat: waiting for api_key_cmd ({program} …) to print the key (up to {}s; Ctrl+C gives up)",
                patience.as_secs()
            );
        }
        if start.elapsed() >= patience {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "api_key_cmd ({program} …) printed no key within {}s; run it in a shell to see why (api_key_cmd_timeout sets the wait)",
                patience.as_secs()
            ));
        }
    };
    let output = match output {
        Ok(o) => o,
        Err(crate::paths::ReadError::TooLarge(_)) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "api_key_cmd ({program} …) printed more than {}: that is not a key",
                crate::paths::human_size(KEY_CMD_LIMIT)
            ));
        }
        Err(e) => {
            return Err(format!(
                "api_key_cmd ({program} …): cannot read its output: {e}"
            ));
        }
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() < patience => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "api_key_cmd ({program} …) did not finish within {}s",
                    patience.as_secs()
                ));
            }
        }
    };
    if !status.success() {
        let how = match status.code() {
            Some(c) => format!("exit status {c}"),
            None => "a signal".to_string(),
        };
        return Err(format!(
            "api_key_cmd ({program} …) failed with {how}; run it in a shell to see why"
        ));
    }
    let text = String::from_utf8(output)
        .map_err(|_| format!("api_key_cmd ({program} …) printed something that is not UTF-8"))?;
    ApiKey::parse(
        text.lines().next().unwrap_or(""),
        &format!("api_key_cmd ({program} …)"),
    )?
    .ok_or_else(|| format!("api_key_cmd ({program} …) printed an empty first line"))
}

/// A warning when the config file is readable or writable by group or
/// others (mode & 0o077). Only worth showing when the file holds secrets
/// (headers, api_key_cmd); [`Config::load`] checks that itself.
pub fn permission_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "{} is accessible to other users (mode {mode:03o}) and holds secrets; run: chmod 600 {}",
                path.display(),
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

pub(super) fn secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["key", "token", "secret", "auth", "password", "cookie"]
        .iter()
        .any(|w| n.contains(w))
}

/// Whether a value holds something key-shaped.
pub(super) fn looks_secret(value: &str) -> bool {
    value.to_ascii_lowercase().contains("bearer ")
        || value
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .any(|tok| {
                (tok.starts_with("sk-") && tok.len() > 3)
                    || (tok.starts_with("AIza") && tok.len() > 10)
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_values() {
        assert!(looks_secret("Bearer abc"));
        assert!(looks_secret("echo sk-or-v1-abc"));
        assert!(!looks_secret("Task-oriented ask-me"));
        assert!(secret_header("X-Api-Key") && secret_header("Authorization"));
        assert!(!secret_header("X-Title"));
    }
}
