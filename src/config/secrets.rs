//! Secrets in the configuration: a key from a command, a file others can
//! read, and which headers and values look like secrets (redacted on show).

use std::path::Path;
use std::process::{Command, Stdio};

use super::*;

// ---------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------

/// Runs `api_key_cmd` through `sh -c` and takes the first line of its
/// output as the key. Its stderr is discarded and errors never echo what it
/// printed (it may be the key); stdin is inherited so a passphrase prompt
/// (pass, gpg) still works.
pub fn run_key_cmd(cmd: &str) -> Result<ApiKey, String> {
    let program = cmd.split_whitespace().next().unwrap_or("");
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("api_key_cmd: cannot run sh: {e}"))?;
    if !out.status.success() {
        let how = match out.status.code() {
            Some(c) => format!("exit status {c}"),
            None => "a signal".to_string(),
        };
        return Err(format!(
            "api_key_cmd ({program} …) failed with {how}; run it in a shell to see why"
        ));
    }
    let text = String::from_utf8(out.stdout)
        .map_err(|_| format!("api_key_cmd ({program} …) printed something that is not UTF-8"))?;
    ApiKey::new(text.lines().next().unwrap_or(""))
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
