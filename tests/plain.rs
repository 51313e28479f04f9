//! `orchat --plain`, the real binary: through a pipe (prompts, streamed
//! answers, slash commands, the cost line, no escape sequences) and in
//! tmux with TERM=dumb (chosen by itself, line by line).

mod common;

use std::io::Write;
use std::process::Stdio;

use common::tmux::{Tmux, orchat_cmd};

#[test]
fn through_a_pipe_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    // Its own directories, no key anywhere (the one-shot tests' command).
    let mut child = common::oneshot::orchat(&dir)
        .args(["--plain", "--demo"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"hello there\n/model google/gemini-2.0-flash-001\nand again\n/web on\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "no escape sequences: {text:?}");
    assert!(
        text.contains("> hello there\ngoogle/gemini-2.5-flash:\n## About hello there\n"),
        "{text}"
    );
    assert!(
        text.contains("That is all. 🙂\n— google/gemini-2.5-flash · 3 in · 63 out · $0.0001584 reported · complete\n"),
        "{text}"
    );
    assert!(
        text.contains("· model → google/gemini-2.0-flash-001"),
        "{text}"
    );
    assert!(text.contains("— google/gemini-2.0-flash-001 · "), "{text}");
    assert!(text.contains("· web search on"), "{text}");
}

#[test]
fn term_dumb_in_tmux_is_plain_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(&orchat_cmd(dir.path(), "TERM=dumb", "--demo"), 100, 30);
    t.wait_for("the plain greeting", |s| {
        s.contains("type a message and Enter")
    });
    t.text("hello");
    t.keys(&["Enter"]);
    let s = t.wait_for("the cost line", |s| s.contains("reported · complete"));
    assert!(s.contains("google/gemini-2.5-flash:"), "{s}");
    t.text("/quit");
    t.keys(&["Enter"]);
    t.wait_for("exit", |s| s.contains("[exited 0]"));
}
