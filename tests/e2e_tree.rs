//! The conversation tree with the real binary in tmux against the local
//! server: ask, `/retry`, Alt+← brings back the first answer (‹1/2›), a
//! follow-up's request carries that answer and not the other; `/tree`
//! lists both branches with their costs; quit, `--continue`, the same tree.

mod common;

use common::oneshot::Local;
use common::tmux::{Tmux, orchat_cmd};
use orchat::server::ServerOptions;

const FLASH: &str = "google/gemini-2.5-flash";
const LITE: &str = "google/gemini-2.0-flash-lite-001";

/// The tree overlay's rows, as on screen.
fn tree_rows(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| l.contains("● ") || l.contains("○ "))
        .map(|l| l.trim().trim_matches('│').trim().to_string())
        .collect()
}

#[test]
fn retry_walk_back_follow_up_tree_quit_and_continue() {
    let dir = tempfile::tempdir().unwrap();
    let local = Local::start(ServerOptions::default());
    let args = format!("--base-url {} -m {FLASH}", local.url());
    let env = "OPENAI_API_KEY=sk-test-tree";
    let t = Tmux::start(&orchat_cmd(dir.path(), env, &args), 100, 30);
    t.wait_for("the app", |s| s.contains("Enter send"));
    t.text("what is a tree");
    t.keys(&["Enter"]);
    t.wait_for("the first answer", |s| {
        s.contains(&format!("▌ {FLASH} ·")) && s.contains("reported") && !s.contains("streaming…")
    });
    let first = local.server.received()[0].clone();
    t.text(&format!("/retry {LITE}"));
    t.keys(&["Enter"]);
    t.wait_for("the second answer beside it", |s| {
        s.contains(&format!("▌ {LITE} ‹2/2›"))
            && s.contains("reported")
            && !s.contains("streaming…")
    });
    // Alt+←: the first answer again.
    t.keys(&["M-Left"]);
    t.wait_for("the first answer back", |s| {
        s.contains(&format!("▌ {FLASH} ‹1/2›"))
    });
    t.text("and a forest");
    t.keys(&["Enter"]);
    t.wait_for("the follow-up's answer", |s| {
        s.split_once("and a forest")
            .is_some_and(|(_, after)| after.contains("reported"))
            && !s.contains("streaming…")
    });
    let got = local.server.received();
    assert_eq!(got.len(), 3);
    // What the server sent back first is what the follow-up carried.
    let follow = &got[2].body["messages"];
    assert_eq!(follow.as_array().unwrap().len(), 3, "{follow}");
    assert_eq!(follow[0]["content"], first.body["messages"][0]["content"]);
    let flash_answer = follow[1]["content"].as_str().unwrap().to_string();
    assert!(!flash_answer.is_empty());
    assert_eq!(got[1].body["model"], LITE);
    assert_eq!(got[2].body["model"], LITE, "the model chosen last asks on");
    // /tree: both branches, each with its cost.
    t.text("/tree");
    t.keys(&["Enter"]);
    let s = t.wait_for("the tree", |s| s.contains("the conversation's tree"));
    let rows = tree_rows(&s);
    assert_eq!(rows.len(), 5, "{s}");
    assert!(
        rows[1].contains("gemini-2.5-flash ‹1/2›") && rows[1].contains("branch $"),
        "{s}"
    );
    assert!(
        rows[4].contains("gemini-2.0-flash-lite-001 ‹2/2›") && rows[4].contains("branch $"),
        "{s}"
    );
    assert!(rows[4].starts_with("├─○"), "off the path: {s}");
    t.keys(&["Escape"]);
    t.wait_for("the tree closed", |s| {
        !s.contains("the conversation's tree")
    });
    t.keys(&["C-d"]);
    t.wait_for("the exit", |s| s.contains("[exited 0]"));
    drop(t);

    // --continue: the same path, the same tree.
    let args = format!("--base-url {} --continue", local.url());
    let t = Tmux::start(&orchat_cmd(dir.path(), env, &args), 100, 30);
    t.wait_for("the reopened path", |s| {
        s.split_once("and a forest")
            .is_some_and(|(_, after)| after.contains("reported"))
    });
    t.text("/tree");
    t.keys(&["Enter"]);
    let again = t.wait_for("the tree", |s| s.contains("the conversation's tree"));
    assert_eq!(tree_rows(&again), rows, "{again}");
    t.keys(&["Escape"]);
    t.wait_for("the tree closed", |s| {
        !s.contains("the conversation's tree")
    });
    t.keys(&["C-d"]);
    t.wait_for("the exit", |s| s.contains("[exited 0]"));
}
