//! The terminal is given back on every way out: quit, a panic, SIGTERM and
//! SIGHUP. Checked under tmux: the alternate screen is left and the tty is
//! back in canonical (cooked) mode.

mod common;

use std::process::Command;

use common::tmux::Tmux;

fn start(dir: &std::path::Path, extra_env: &str) -> Tmux {
    let env = format!("RUST_BACKTRACE=0 {extra_env}");
    Tmux::start(&common::tmux::orchat_cmd(dir, &env, "--demo"), 100, 30)
}

fn orchat_pid(t: &Tmux) -> String {
    let out = Command::new("pgrep")
        .args(["-P", &t.pane_pid().to_string()])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!pid.is_empty());
    pid
}

/// Waits for orchat to end and checks what it left behind.
fn assert_restored(t: &Tmux) -> String {
    let s = t.wait_for("exit and the terminal mode", |s| {
        s.contains("[exited") && s.contains("TTY:")
    });
    assert_eq!(t.alternate_on(), "0", "alternate screen left:\n{s}");
    assert!(
        s.lines().any(|l| l.trim() == "TTY:icanon"),
        "raw mode undone:\n{s}"
    );
    s
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    for signal in ["-TERM", "-HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let t = start(dir.path(), "");
        t.wait_for("the app", |s| s.contains("Enter send"));
        t.text("a prompt that is saved [[fault:pace:2]] [[fault:long:200]]");
        t.keys(&["Enter"]);
        t.wait_for("streaming", |s| s.contains("streaming…"));
        assert!(
            Command::new("kill")
                .args([signal, &orchat_pid(&t)])
                .status()
                .unwrap()
                .success()
        );
        assert_restored(&t);
        // What was sent before the signal is saved.
        let out = Command::new(env!("CARGO_BIN_EXE_orchat"))
            .args(["sessions", "list"])
            .env("ORCHAT_DATA_DIR", dir.path().join("data"))
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("a prompt that is saved"),
            "{signal}"
        );
    }
}

#[test]
fn a_panic_restores_the_terminal_and_says_where_things_are() {
    let dir = tempfile::tempdir().unwrap();
    let t = start(dir.path(), "ORCHAT_TEST_PANIC=1");
    let s = assert_restored(&t);
    assert!(
        s.contains("ORCHAT_TEST_PANIC is set"),
        "the panic message is readable:\n{s}"
    );
    assert!(s.contains("the conversation so far is saved in"), "{s}");
    assert!(!s.contains("[exited 0]"), "a panic is not a success");
}

#[test]
fn ctrl_c_twice_quits_cleanly_and_a_huge_paste_does_not_freeze_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let t = start(dir.path(), "");
    t.wait_for("the app", |s| s.contains("Enter send"));
    // A 1 MB paste in one bracketed paste, then an ordinary key still works.
    let big = dir.path().join("big.txt");
    std::fs::write(&big, "word ".repeat(200_000)).unwrap();
    let buf = format!("orchat-paste-{}", std::process::id());
    assert!(
        Command::new("tmux")
            .args(["load-buffer", "-b", &buf, big.to_str().unwrap()])
            .status()
            .unwrap()
            .success()
    );
    let pane = t.session_name();
    assert!(
        Command::new("tmux")
            .args(["paste-buffer", "-p", "-b", &buf, "-t", &pane])
            .status()
            .unwrap()
            .success()
    );
    t.wait_for("the pasted text in the box", |s| {
        s.contains("word word word")
    });
    t.keys(&["C-c"]);
    t.wait_for("the quit question", |s| s.contains("Quit orchat?"));
    t.keys(&["y"]);
    let s = assert_restored(&t);
    assert!(s.contains("[exited 0]"), "{s}");
}

/// orchat on a pseudo-terminal that never answers a query: the terminal
/// side reads what orchat writes and types what the test says, nothing more.
struct SilentTerminal {
    master: std::fs::File,
    slave_fd: i32,
    child: std::process::Child,
    seen: Vec<u8>,
}

impl SilentTerminal {
    fn start(dir: &std::path::Path, rows: u16, cols: u16) -> SilentTerminal {
        use std::os::fd::FromRawFd;
        use std::os::unix::process::CommandExt;
        let (mut master, mut slave) = (0, 0);
        let ws = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty fills two descriptors; the size struct is read only.
        let r = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &ws,
            )
        };
        assert_eq!(r, 0, "openpty");
        let stdio = || unsafe { std::process::Stdio::from_raw_fd(libc::dup(slave)) };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_orchat"));
        cmd.arg("--demo")
            .env_remove("TMUX")
            .env_remove("OPENROUTER_API_KEY")
            // A terminal that says it draws images: orchat asks it.
            .env("TERM", "xterm-kitty")
            .env("ORCHAT_DATA_DIR", dir.join("data"))
            .env("ORCHAT_STATE_DIR", dir.join("state"))
            .env("ORCHAT_CACHE_DIR", dir.join("cache"))
            .stdin(stdio())
            .stdout(stdio())
            .stderr(stdio());
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                libc::setsid();
                libc::ioctl(0, libc::TIOCSCTTY, 0);
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        // SAFETY: the master descriptor is ours alone from here on.
        let master = unsafe { std::fs::File::from_raw_fd(master) };
        SilentTerminal {
            master,
            slave_fd: slave,
            child,
            seen: Vec::new(),
        }
    }

    /// Reads what orchat wrote until `pred` holds of all of it (or 30 s).
    fn until(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        use std::io::Read;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let text = String::from_utf8_lossy(&self.seen).into_owned();
            if pred(&text) {
                return text;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}; orchat wrote: {text:?}"
            );
            let mut pfd = libc::pollfd {
                fd: std::os::fd::AsRawFd::as_raw_fd(&self.master),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one pollfd for the call.
            if unsafe { libc::poll(&mut pfd, 1, 100) } > 0 {
                let mut buf = [0u8; 65536];
                match self.master.read(&mut buf) {
                    Ok(n) if n > 0 => self.seen.extend_from_slice(&buf[..n]),
                    _ => std::thread::sleep(std::time::Duration::from_millis(50)),
                }
            }
        }
    }

    fn type_in(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.master.write_all(bytes).unwrap();
    }

    /// The terminal's line discipline, as orchat left it: canonical and echo.
    fn cooked(&self) -> bool {
        // SAFETY: tcgetattr on our slave descriptor.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(self.slave_fd, &mut t) }, 0);
        t.c_lflag & libc::ICANON != 0 && t.c_lflag & libc::ECHO != 0
    }
}

#[test]
fn a_terminal_that_never_answers_costs_a_second_and_leaves_nothing_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = SilentTerminal::start(dir.path(), 24, 80);
    // It asked (kitty's graphics query, device attributes), got nothing,
    // and drew the app anyway.
    t.until("the app drawn", |s| {
        s.contains("\x1b[c") && s.contains("Enter send")
    });
    // Keys typed now reach the input box (no query left reading them).
    t.type_in(b"hello\r");
    t.until("the answer", |s| s.contains("reported"));
    t.type_in(b"\x04"); // Ctrl+D
    let status = t.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let s = t.until("the modes turned off", |s| s.contains("\x1b[?1049l"));
    for off in ["\x1b[?1000l", "\x1b[?1006l", "\x1b[?2004l", "\x1b[?1049l"] {
        assert!(s.contains(off), "{off:?} missing");
    }
    assert!(t.cooked(), "raw mode undone");
}

#[test]
fn a_terminal_that_cannot_be_used_is_given_back_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    // A size of 0 by 0: nothing can be drawn there.
    let mut t = SilentTerminal::start(dir.path(), 0, 0);
    let s = t.until("the message", |s| s.contains("orchat -p works without one"));
    let status = t.child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(
        s.contains("orchat: this terminal did not answer as a terminal should"),
        "{s:?}"
    );
    for off in ["\x1b[?1000l", "\x1b[?2004l", "\x1b[?1049l"] {
        assert!(s.contains(off), "{off:?} missing: {s:?}");
    }
    assert!(t.cooked(), "raw mode undone");
}
