//! Mouse selection with the real binary in tmux: the terminal's own SGR
//! mouse reports (press, drag, release) select a piece of an answer, drawn
//! in reverse video, and copy it.

mod common;

use std::process::Command;

use common::tmux::{Tmux, orchat_cmd};

#[test]
fn a_drag_in_a_real_terminal_selects_and_copies() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(&orchat_cmd(dir.path(), "", "--demo"), 100, 30);
    t.wait_for("the app", |s| s.contains("Enter send"));
    t.text("hello");
    t.keys(&["Enter"]);
    let s = t.wait_for("the answer", |s| {
        s.contains("reported") && s.contains("local demo server")
    });
    // SGR reports are 1-based: the row of the line, columns 3 to 15.
    let row = s
        .lines()
        .position(|l| l.contains("local demo server"))
        .unwrap()
        + 1;
    t.text(&format!("\x1b[<0;3;{row}M"));
    t.text(&format!("\x1b[<32;15;{row}M"));
    t.text(&format!("\x1b[<0;15;{row}m"));
    t.wait_for("the copy", |s| s.contains("copied the selection"));
    let out = Command::new("tmux")
        .args(["capture-pane", "-p", "-e", "-t", &t.session_name()])
        .output()
        .unwrap();
    let styled = String::from_utf8_lossy(&out.stdout);
    let line = styled.lines().nth(row - 1).unwrap();
    assert!(
        line.contains("\x1b[7mHere is a sho"),
        "drawn in reverse video: {line:?}"
    );
    t.keys(&["C-d"]);
    t.wait_for("exit", |s| s.contains("[exited 0]"));
}
