//! Compare mode with the real binary in tmux against the built-in server:
//! three models side by side, one kept (the next prompt goes to it alone),
//! `/compare` asks the three again, quit, and `--continue` reopens the open
//! round; the one-shot `--compare` table with each model's exact cost.

mod common;

use std::path::Path;
use std::process::Command;

use common::tmux::Tmux;
use orchat::store::{Store, StoredRole};

fn orchat_cmd(dir: &Path, args: &str) -> String {
    common::tmux::orchat_cmd(dir, "", args)
}

#[test]
fn compare_keep_ask_again_quit_and_continue() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(&orchat_cmd(dir.path(), "--demo"), 120, 40);
    t.wait_for("the app", |s| s.contains("Enter send"));
    t.text("/compare 2.5-flash 2.5-pro flash-lite");
    t.keys(&["Enter"]);
    t.wait_for("compare mode", |s| s.contains("compare ×3"));
    t.text("name a colour");
    t.keys(&["Enter"]);
    let s = t.wait_for("three finished columns", |s| {
        s.contains("1 gemini-2.5-flash")
            && s.contains("2 gemini-2.5-pro")
            && s.contains("3 gemini-2.5-flash-lite")
            && s.matches("reported").count() >= 3
            && s.contains("round $")
    });
    assert!(s.contains("cheapest"), "{s}");
    // Keep the second: Tab to the columns, → once, Enter.
    t.keys(&["Tab"]);
    t.keys(&["Right"]);
    t.keys(&["Enter"]);
    let s = t.wait_for("the kept answer", |s| {
        s.contains("▌ google/gemini-2.5-pro ‹2/3›") && s.contains("2 other answers here")
    });
    assert!(!s.contains("compare ×3"), "compare mode ends: {s}");
    // Ask again: the kept model alone.
    t.text("and another");
    t.keys(&["Enter"]);
    t.wait_for("one answer", |s| {
        s.contains("and another")
            && s.contains("▌ google/gemini-2.5-pro · ")
            && s.contains("That is all.")
            && !s.contains("streaming…")
            && !s.contains("waiting")
    });
    // /compare: the three again, beside that answer.
    t.text("/compare");
    t.keys(&["Enter"]);
    t.wait_for("the second round", |s| {
        s.contains("▌ you · and another")
            && s.matches("reported").count() >= 3
            && s.contains("round $")
    });
    t.keys(&["C-d"]);
    t.wait_for("the exit", |s| s.contains("[exited 0]"));
    drop(t);

    let store = Store::open(dir.path().join("data/sessions.db")).unwrap();
    let id = store.last_id().unwrap().unwrap();
    let (meta, msgs) = store.load(&id).unwrap().unwrap();
    assert_eq!(meta.models.len(), 3, "{:?}", meta.models);
    let answers: Vec<_> = msgs
        .iter()
        .filter(|m| m.role == StoredRole::Assistant)
        .collect();
    assert_eq!(answers.len(), 7, "three, one, three: every one kept");
    let second_prompt = msgs
        .iter()
        .find(|m| m.role == StoredRole::User && m.text == "and another")
        .unwrap();
    assert_eq!(
        meta.current,
        Some(second_prompt.seq),
        "reopens at the open round"
    );
    drop(store);

    // --continue: the second round as columns again.
    let t = Tmux::start(&orchat_cmd(dir.path(), "--demo --continue"), 120, 40);
    let s = t.wait_for("the reopened round", |s| {
        s.contains("▌ you · and another") && s.contains("round $")
    });
    assert!(s.contains("2 gemini-2.5-pro"), "{s}");
    // Keep the first of the second round: four answers to that prompt now.
    t.text("/keep 1");
    t.keys(&["Enter"]);
    t.wait_for("the history", |s| {
        s.contains("▌ google/gemini-2.5-flash ‹2/4›") && s.contains("3 other answers here")
    });
    t.keys(&["C-d"]);
    t.wait_for("the exit", |s| s.contains("[exited 0]"));
}

#[test]
fn one_shot_compare_prints_each_answer_and_a_table_of_exact_costs() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_orchat"))
        .args([
            "--demo",
            "--compare",
            "2.5-flash,2.5-pro,flash-lite",
            "-p",
            "hello there",
        ])
        .env_remove("OPENROUTER_API_KEY")
        .env("ORCHAT_DATA_DIR", dir.path().join("data"))
        .env("ORCHAT_CACHE_DIR", dir.path().join("cache"))
        .env("ORCHAT_STATE_DIR", dir.path().join("state"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for (n, m) in [
        (1, "google/gemini-2.5-flash"),
        (2, "google/gemini-2.5-pro"),
        (3, "google/gemini-2.5-flash-lite"),
    ] {
        assert!(text.contains(&format!("── {n} · {m} ──")), "{text}");
    }
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("MODEL"))
        .collect();
    assert_eq!(table.len(), 5, "{text}");
    assert!(table[4].starts_with("all"), "a total row: {}", table[4]);
    assert!(table[0].contains("TTFT") && table[0].contains("COST"));
    // The demo server reports what the catalog's prices make of its usage:
    // the same figures, every digit, as the one-shot answer for one model.
    let mut sum = rust_decimal::Decimal::ZERO;
    for (row, model) in table[1..4].iter().zip([
        "google/gemini-2.5-flash",
        "google/gemini-2.5-pro",
        "google/gemini-2.5-flash-lite",
    ]) {
        let single = Command::new(env!("CARGO_BIN_EXE_orchat"))
            .args(["--demo", "-m", model, "--json", "-p", "hello there"])
            .env_remove("OPENROUTER_API_KEY")
            .env("ORCHAT_DATA_DIR", dir.path().join("data"))
            .env("ORCHAT_CACHE_DIR", dir.path().join("cache"))
            .env("ORCHAT_STATE_DIR", dir.path().join("state"))
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&single.stdout).unwrap();
        let usd = v["cost"]["usd"].as_str().unwrap();
        assert!(row.starts_with(model), "{row}");
        assert!(
            row.contains("complete") && row.contains("reported"),
            "{row}"
        );
        assert!(row.contains(&format!("${usd}")), "{row} should cost ${usd}");
        sum += usd.parse::<rust_decimal::Decimal>().unwrap();
    }
    assert!(
        table[4].contains(&orchat::chat::pricing::format_usd(sum)),
        "{} should add up to {sum}",
        table[4]
    );
    // --json: one object per model.
    let out = Command::new(env!("CARGO_BIN_EXE_orchat"))
        .args([
            "--demo",
            "--compare",
            "2.5-flash,flash-lite",
            "--json",
            "-p",
            "hi",
        ])
        .env_remove("OPENROUTER_API_KEY")
        .env("ORCHAT_DATA_DIR", dir.path().join("data"))
        .env("ORCHAT_CACHE_DIR", dir.path().join("cache"))
        .env("ORCHAT_STATE_DIR", dir.path().join("state"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = v.as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["status"], "complete");
    assert!(all[1]["ttft_ms"].is_u64());
    // One failing with a scripted fault: incomplete (3); all failing: 1.
    let code = |prompt: &str| {
        Command::new(env!("CARGO_BIN_EXE_orchat"))
            .args(["--demo", "--compare", "2.5-flash,flash-lite", "-p", prompt])
            .env_remove("OPENROUTER_API_KEY")
            .env("ORCHAT_DATA_DIR", dir.path().join("data"))
            .env("ORCHAT_CACHE_DIR", dir.path().join("cache"))
            .env("ORCHAT_STATE_DIR", dir.path().join("state"))
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code("[[fault:500]] hi"), Some(1));
    assert_eq!(code("[[fault:length]] hi"), Some(3));
}
