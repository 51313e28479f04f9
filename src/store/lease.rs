//! Which orchat has a conversation open. Two processes writing the same
//! conversation would overwrite each other's messages (a message's place is
//! its key), so each running orchat holds a lease on the conversation it
//! shows: an advisory lock (`flock`) on `locks/<id>.lock` beside the database. The
//! kernel drops it when the process ends, however it ends (`kill -9`
//! included), so a lease is never left stale.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// A conversation this process holds; dropping it lets it go.
#[derive(Debug)]
pub struct Lease {
    id: String,
    /// Kept open: closing it releases the lock.
    _file: std::fs::File,
}

/// Another orchat holds the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldElsewhere {
    /// That process's id, as it wrote it into the lock file.
    pub pid: Option<u32>,
}

impl Lease {
    /// The conversation held.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Takes the lease on conversation `id` in `dir` (the database's folder).
    /// `Ok(None)` when no lock can be made there (a read-only folder: nothing
    /// will be written by this process either); `Err` when another orchat
    /// holds it.
    pub fn acquire(dir: &Path, id: &str) -> Result<Option<Lease>, HeldElsewhere> {
        let dir = dir.join("locks");
        if crate::paths::create_private_dir(&dir).is_err() {
            return Ok(None);
        }
        let path = lock_path(&dir, id);
        let Ok(mut file) = crate::paths::private_file_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
        else {
            return Ok(None);
        };
        if !try_lock(&file) {
            let mut text = String::new();
            let _ = (&mut file).take(32).read_to_string(&mut text);
            return Err(HeldElsewhere {
                pid: text.trim().parse().ok(),
            });
        }
        // Who holds it, for the other one's message.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        Ok(Some(Lease {
            id: id.to_string(),
            _file: file,
        }))
    }
}

/// A file name for any id (ids are hex, but an imported one may be anything).
fn lock_path(dir: &Path, id: &str) -> PathBuf {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    dir.join(format!("{safe}.lock"))
}

#[cfg(unix)]
fn try_lock(file: &std::fs::File) -> bool {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a descriptor this function borrows; no memory is shared.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[cfg(not(unix))]
fn try_lock(_file: &std::fs::File) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lease_on_the_same_conversation_is_refused_until_the_first_goes() {
        let dir = tempfile::tempdir().unwrap();
        let first = Lease::acquire(dir.path(), "abc").unwrap().unwrap();
        assert_eq!(first.id(), "abc");
        // flock locks belong to the open file: a second open in this very
        // process is refused as another process's would be.
        let held = Lease::acquire(dir.path(), "abc").unwrap_err();
        assert_eq!(held.pid, Some(std::process::id()));
        assert!(Lease::acquire(dir.path(), "other").unwrap().is_some());
        drop(first);
        assert!(Lease::acquire(dir.path(), "abc").unwrap().is_some());
    }
}
