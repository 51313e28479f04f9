//! End to end: the real binary in tmux against `--demo`, driven with
//! send-keys and read with capture-pane, as a user would.

mod common;

use common::tmux::{Tmux, orchat_cmd};

#[test]
fn chat_switch_model_and_quit_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let cmd = orchat_cmd(dir.path(), "", "--demo");
    let t = Tmux::start(&cmd, 110, 34);
    t.wait_for("the app", |s| {
        s.contains("demo mode") && s.contains("Enter send")
    });
    assert_eq!(t.alternate_on(), "1", "full screen on the alternate screen");

    t.text("hello from tmux");
    t.keys(&["Enter"]);
    t.wait_for("the first answer with its cost", |s| {
        s.contains("hello from tmux") && s.contains("reported") && !s.contains("streaming…")
    });

    t.keys(&["C-p"]);
    t.wait_for("the picker", |s| s.contains("Space marks to compare"));
    t.text("2.0-flash-001");
    t.wait_for("the filtered picker", |s| {
        s.contains("filter: 2.0-flash-001")
    });
    t.keys(&["Enter"]);
    t.wait_for("the switch notice", |s| {
        s.contains("model → google/gemini-2.0-flash-001")
    });

    t.text("and again");
    t.keys(&["Enter"]);
    let s = t.wait_for("the second answer, billed to the new model", |s| {
        s.contains("▌ google/gemini-2.0-flash-001 ·")
            && s.matches("reported").count() >= 1
            && !s.contains("streaming…")
    });
    assert!(s.contains("total $"), "{s}");

    // The cost panel lists both models.
    t.keys(&["C-o"]);
    t.wait_for("the cost panel", |s| {
        s.contains("cost per model")
            && s.contains("google/gemini-2.5-flash")
            && s.contains("google/gemini-2.0-flash-001")
    });
    t.keys(&["Escape"]);
    // Terminals cannot tell Esc-then-key from Alt+key when they come close
    // together: wait for the panel to close before the next key.
    t.wait_for("the panel to close", |s| !s.contains("cost per model"));

    t.keys(&["C-d"]);
    let s = t.wait_for("exit and the terminal mode", |s| {
        s.contains("[exited") && s.contains("TTY:")
    });
    assert!(s.contains("[exited 0]"), "{s}");
    assert_eq!(t.alternate_on(), "0", "alternate screen left");
    assert!(
        s.lines().any(|l| l.trim() == "TTY:icanon"),
        "raw mode undone (icanon back on):\n{s}"
    );
}

/// The screen is drawn at a fixed size that changes only on a resize event
/// (asking the terminal its size every frame costs system calls): shrinking
/// and growing the terminal must redraw at the new size at once, keeping the
/// conversation.
#[test]
fn resizing_the_terminal_redraws_at_the_new_size() {
    let dir = tempfile::tempdir().unwrap();
    let cmd = orchat_cmd(dir.path(), "", "--demo");
    let t = Tmux::start(&cmd, 100, 30);
    t.wait_for("the app", |s| s.contains("Enter send"));
    t.text("remember this line");
    t.keys(&["Enter"]);
    t.wait_for("the answer", |s| {
        s.contains("remember this line") && s.contains("reported")
    });
    // The input box's bottom border is the line above the key hints, which
    // are on the last row; both must sit at the bottom of the new size.
    let laid_out_for = |s: &str, cols: usize, rows: usize| {
        let lines: Vec<&str> = s.lines().collect();
        lines.len() >= rows
            && lines[rows - 1].contains("Enter send")
            && lines[rows - 2].starts_with('└')
            && lines[rows - 2].trim_end().chars().count() == cols
            && lines[rows..].iter().all(|l| l.trim().is_empty())
    };
    t.resize(60, 16);
    t.wait_for("the app redrawn at 60x16", |s| laid_out_for(s, 60, 16));
    t.resize(120, 36);
    t.wait_for("the app redrawn at 120x36", |s| {
        laid_out_for(s, 120, 36) && s.contains("remember this line")
    });
    t.keys(&["C-d"]);
    let s = t.wait_for("exit", |s| s.contains("[exited"));
    assert!(s.contains("[exited 0]"), "{s}");
}
