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
