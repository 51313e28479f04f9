//! Driving the real binary in tmux: send-keys in, capture-pane out.

#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// The shell command that runs the real binary with `args` and its data,
/// cache and state under `dir`, without the user's key, plus `env`
/// (`NAME=value` or `-u NAME` words for `env`).
pub fn orchat_cmd(dir: &std::path::Path, env: &str, args: &str) -> String {
    let d = dir.display();
    format!(
        "env -u OPENROUTER_API_KEY {env} ORCHAT_KEYRING=off ORCHAT_DATA_DIR={d}/data ORCHAT_CACHE_DIR={d}/cache ORCHAT_STATE_DIR={d}/state {} {args}",
        env!("CARGO_BIN_EXE_orchat")
    )
}

pub struct Tmux {
    session: String,
}

impl Tmux {
    pub fn start(cmd: &str, cols: u16, rows: u16) -> Tmux {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let session = format!("orchat-e2e-{}-{n}", std::process::id());
        // After orchat exits, print the terminal's mode so the test can check
        // it was restored, then keep the pane open for capture.
        let script = format!(
            "{cmd}; echo \"[exited $?]\"; stty -a | tr ' ' '\\n' | grep -x -- '-\\?icanon' | sed 's/^/TTY:/'; sleep 60"
        );
        // A tmux server still shutting down (another test's sessions
        // ending) can refuse a new session for a moment: try again.
        let mut tries = 0;
        let ok = loop {
            let ok = Command::new("tmux")
                .args([
                    "new-session",
                    "-d",
                    "-s",
                    &session,
                    "-x",
                    &cols.to_string(),
                    "-y",
                    &rows.to_string(),
                    &script,
                ])
                .status()
                .expect("tmux runs (CI installs it)")
                .success();
            tries += 1;
            if ok || tries == 5 {
                break ok;
            }
            std::thread::sleep(std::time::Duration::from_millis(300));
        };
        assert!(ok, "tmux new-session failed {tries} times");
        Tmux { session }
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session.as_str()];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }

    pub fn text(&self, text: &str) {
        assert!(
            Command::new("tmux")
                .args(["send-keys", "-t", &self.session, "-l", "--", text])
                .status()
                .unwrap()
                .success()
        );
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn alternate_on(&self) -> String {
        let out = Command::new("tmux")
            .args(["display", "-p", "-t", &self.session, "#{alternate_on}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until `pred` holds for the screen; panics with the screen if not.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    /// Resizes the window, as a user dragging the terminal's corner would.
    pub fn resize(&self, cols: u16, rows: u16) {
        assert!(
            Command::new("tmux")
                .args([
                    "resize-window",
                    "-t",
                    &self.session,
                    "-x",
                    &cols.to_string(),
                    "-y",
                    &rows.to_string(),
                ])
                .status()
                .unwrap()
                .success()
        );
    }

    /// The tmux session's name, for tmux commands a test runs itself.
    pub fn session_name(&self) -> String {
        self.session.clone()
    }

    /// The pid of the program running in the pane (the shell's child).
    pub fn pane_pid(&self) -> u32 {
        let out = Command::new("tmux")
            .args(["display", "-p", "-t", &self.session, "#{pane_pid}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}
