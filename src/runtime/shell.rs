//! What the input box reaches outside the app: `!command` run with the
//! shell, bounded in time and output, and the paths `@partial` could be.
//! Both run on tokio's blocking pool (`runtime::effects`).

use std::time::Duration;

/// How long `!command` may run, and how much of its output is kept.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
pub const COMMAND_OUTPUT_MAX: usize = 256 * 1024;

/// Runs `command` with the shell, stdin closed, stdout and stderr together,
/// at most `limit` long and `max` bytes of output: what it printed, then a
/// line with its exit status (or why it was stopped).
pub fn run_command(command: &str, limit: Duration, max: usize) -> String {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    // Its own process group: stopping it stops whatever it started too.
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1; {command}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return format!("[could not run it: {e}]"),
    };
    let mut out = child.stdout.take().expect("piped");
    // Read up to the cap; then the pipe closes and a command still writing
    // ends (SIGPIPE) instead of filling memory.
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut out).take(max as u64 + 1).read_to_end(&mut buf);
        buf
    });
    let group = child.id() as i32;
    let start = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() >= limit => {
                // SAFETY: a signal to the process group orchat started.
                unsafe { libc::kill(-group, libc::SIGKILL) };
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    // Whatever it started and left running goes with it.
    // SAFETY: a signal to the process group orchat started.
    unsafe { libc::kill(-group, libc::SIGKILL) };
    let mut bytes = reader.join().unwrap_or_default();
    let cut = bytes.len() > max;
    bytes.truncate(max);
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if cut {
        text.push_str(&format!("[output cut at {} KB]\n", max / 1024));
    }
    text.push_str(&match status {
        Some(s) => match s.code() {
            Some(c) => format!("[exit status {c}]"),
            None => "[ended by a signal]".to_string(),
        },
        None => format!("[stopped after {} s]", limit.as_secs()),
    });
    text
}

/// What `@partial` could be: the entries of its folder starting with its
/// last part (`~/` read as the home folder), folders ending in `/`, hidden
/// ones only when asked for with a dot; at most `max`, sorted.
pub fn complete_path(partial: &str, max: usize) -> Vec<String> {
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    let (dir_shown, stem) = match partial.rfind('/') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    let dir = match (dir_shown.strip_prefix("~/"), &home) {
        (Some(rest), Some(h)) => h.join(rest),
        _ if dir_shown.is_empty() => std::path::PathBuf::from("."),
        _ => std::path::PathBuf::from(dir_shown),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(stem) || (name.starts_with('.') && !stem.starts_with('.')) {
                return None;
            }
            let slash = if e.path().is_dir() { "/" } else { "" };
            Some(format!("{dir_shown}{name}{slash}"))
        })
        .take(max)
        .collect();
    found.sort();
    found
}
