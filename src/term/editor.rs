//! Composing a prompt in the user's editor ($VISUAL, then $EDITOR).
//!
//! Public API:
//! - [`editor_command`]`() -> Option<String>`: `$VISUAL`, else `$EDITOR`, else `None`.
//! - [`edit`]`(initial) -> Result<String, String>`: the edited text.
//! - [`edit_with`]`(editor, initial)`: the same with an explicit editor command.
//!
//! The caller suspends the TUI around [`edit`] (leave the alternate screen,
//! disable raw mode, then restore): the editor inherits the terminal.
//!
//! How: the text goes to a new file in the temp directory (unique name,
//! `.md` so editors highlight markdown, mode 0600 since prompts may be
//! private), the editor runs as `sh -c '<editor> "$1"' sh <file>` (the editor
//! string may carry arguments, `code --wait`; the path is passed as `$1` so no
//! quoting in it matters), and once it exits 0 the file is read back and
//! removed. One trailing newline (which most editors add) is dropped.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// `$VISUAL`, else `$EDITOR` (empty values skipped).
pub fn editor_command() -> Option<String> {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
}

/// Opens `initial` in the user's editor and returns what was saved.
pub fn edit(initial: &str) -> Result<String, String> {
    let editor = editor_command()
        .ok_or_else(|| "no editor: set $VISUAL or $EDITOR (e.g. export EDITOR=nano)".to_string())?;
    edit_with(&editor, initial)
}

/// Removes the file however `edit_with` returns.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Opens `initial` in `editor` (a shell command line) and returns what was
/// saved. A failing editor (non-zero exit) leaves the message unchanged: `Err`.
pub fn edit_with(editor: &str, initial: &str) -> Result<String, String> {
    let file = create_temp(initial)?;
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&file.0)
        .status()
        .map_err(|e| format!("cannot run the editor: {e}"))?;
    if !status.success() {
        let how = status.code().map_or("was killed".to_string(), |c| {
            format!("exited with status {c}")
        });
        return Err(format!("the editor {how}; the message is unchanged"));
    }
    let mut text = std::fs::read_to_string(&file.0)
        .map_err(|e| format!("cannot read back the edited message: {e}"))?;
    if text.ends_with("\r\n") {
        text.truncate(text.len() - 2);
    } else if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

fn create_temp(initial: &str) -> Result<TempFile, String> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir();
    // create_new fails on an existing name (no following a planted symlink);
    // the counter and time make a clash unlikely, and a few tries cover it.
    for _ in 0..16 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(
            "orchat-prompt-{}-{n}-{nanos}.md",
            std::process::id()
        ));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        match opts.open(&path) {
            Ok(mut f) => {
                let file = TempFile(path);
                f.write_all(initial.as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|e| format!("cannot write the temporary file: {e}"))?;
                return Ok(file);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(format!(
                    "cannot create a temporary file in {}: {e}",
                    dir.display()
                ));
            }
        }
    }
    Err("cannot create a temporary file: too many name clashes".into())
}
