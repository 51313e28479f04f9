//! `orchat sessions …` against a temporary store: what it prints, what it
//! changes, and its exit codes.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::Parser;
use orchat::chat::pricing::CostKind;
use orchat::cli::sessions::{Format, SessionsCommand, run_with};
use orchat::store::{Store, StoredMessage, StoredRole, export};
use rust_decimal::Decimal;

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn run(path: &Path, cmd: SessionsCommand, answer: Option<&str>) -> Run {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut input = answer.map(|a| Cursor::new(a.as_bytes().to_vec()));
    let code = run_with(
        path,
        cmd,
        &jiff::tz::TimeZone::UTC,
        &mut out,
        &mut err,
        input.as_mut().map(|c| c as &mut dyn std::io::BufRead),
    );
    Run {
        code,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    }
}

/// Parses arguments as the main CLI will, through a `Sessions` subcommand.
#[derive(Parser)]
struct Wrapper {
    #[command(subcommand)]
    cmd: SessionsCommand,
}

fn parse(args: &[&str]) -> Result<SessionsCommand, clap::Error> {
    Wrapper::try_parse_from(std::iter::once("sessions").chain(args.iter().copied())).map(|w| w.cmd)
}

fn cmd(args: &[&str]) -> SessionsCommand {
    parse(args).unwrap()
}

/// Two conversations whose ids share the prefix "ab".
fn fixture(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("sessions.db");
    let store = Store::open(&path).unwrap();
    store.put_message(StoredMessage::user(
        "abc111",
        0,
        "How do lifetimes work?",
        vec![],
        "google/gemini-2.5-flash",
        1_700_000_000_000,
    ));
    let mut a = StoredMessage::new(
        "abc111",
        1,
        StoredRole::Assistant,
        "Lifetimes name how long a borrow lives.",
        1_700_000_001_000,
    );
    a.model_requested = Some("google/gemini-2.5-flash".into());
    a.reasoning = "Explain the borrow checker simply.".into();
    a.cost = Some(Decimal::from_str("0.0001238767").unwrap());
    a.cost_kind = Some(CostKind::Reported);
    // The answer to the prompt, the end of the current path.
    a.parent = Some(0);
    let charge = a.charge().unwrap();
    store.put_message(a);
    store.put_charge(charge);
    store.set_current("abc111", 1);
    store.put_message(StoredMessage::user(
        "abd222",
        0,
        "Name a penguin",
        vec![],
        "m",
        1_700_000_100_000,
    ));
    store.flush();
    assert_eq!(store.health(), None);
    path
}

#[test]
fn arguments_parse_as_documented() {
    assert_eq!(
        cmd(&["export", "abc", "--format", "json", "-o", "x.json"]),
        SessionsCommand::Export {
            id: "abc".into(),
            format: Format::Json,
            output: Some("x.json".into()),
        }
    );
    assert_eq!(
        cmd(&["export", "abc", "--format", "markdown"]),
        SessionsCommand::Export {
            id: "abc".into(),
            format: Format::Md,
            output: None,
        }
    );
    assert_eq!(
        cmd(&["search", "borrow", "checker"]),
        SessionsCommand::Search {
            query: vec!["borrow".into(), "checker".into()]
        }
    );
    assert_eq!(
        cmd(&["delete", "abc", "--yes"]),
        SessionsCommand::Delete {
            id: "abc".into(),
            yes: true
        }
    );
    assert!(parse(&["search"]).is_err());
    assert!(parse(&["export", "abc", "--format", "pdf"]).is_err());
    assert!(parse(&["show"]).is_err());
}

#[test]
fn listing_nothing_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    let r = run(&path, SessionsCommand::List, None);
    assert_eq!(r.code, 0);
    assert_eq!(r.out, "");
    assert!(r.err.contains("no saved conversations yet"));
    assert!(!path.exists());
    let r = run(&path, cmd(&["show", "abc"]), None);
    assert_eq!(r.code, 1);
    assert!(r.err.contains("no saved conversation matches abc"));
}

#[test]
fn list_shows_a_table_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(&dir);
    let r = run(&path, SessionsCommand::List, None);
    assert_eq!(r.code, 0, "{}", r.err);
    let lines: Vec<_> = r.out.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.out);
    assert!(lines[0].starts_with("ID "));
    assert!(lines[0].contains("TITLE") && lines[0].contains("COST"));
    // The columns line up whatever the ids' lengths.
    assert!(
        lines[1].starts_with("abd222  2023-11-14 22:15  Name a penguin"),
        "{}",
        r.out
    );
    assert!(lines[2].starts_with("abc111  2023-11-14 22:13  How do lifetimes work?"));
    let at = |l: &str, w: &str| l.find(w).unwrap();
    assert_eq!(at(lines[0], "UPDATED"), at(lines[1], "2023"));
    assert_eq!(at(lines[0], "TITLE"), at(lines[2], "How do"));
    assert!(lines[2].contains("google/gemini-2.5-flash"));
    assert!(
        lines[2].trim_end().ends_with("2  $0.0001238767"),
        "{}",
        lines[2]
    );
}

#[test]
fn show_names_conversations_by_unique_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(&dir);
    let r = run(&path, cmd(&["show", "abc"]), None);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.starts_with("How do lifetimes work?\nabc111 · "));
    assert!(r.out.contains("▌ you\n  How do lifetimes work?"));
    assert!(
        r.out
            .contains("▌ google/gemini-2.5-flash · $0.0001238767 reported")
    );
    assert!(r.out.contains("  ┆ Explain the borrow checker simply."));

    let r = run(&path, cmd(&["show", "ab"]), None);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.err,
        "orchat: ab matches 2 conversations (abc111, abd222); type more of the ID\n"
    );
    let r = run(&path, cmd(&["show", "zzz"]), None);
    assert_eq!(r.code, 1);
    assert_eq!(r.err.lines().count(), 1);
}

#[test]
fn export_writes_markdown_or_json_and_json_imports_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(&dir);
    let r = run(&path, cmd(&["export", "abc"]), None);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out
            .starts_with("---\ntitle: \"How do lifetimes work?\"\n")
    );
    assert!(r.out.contains("<details><summary>Reasoning</summary>"));

    let file = dir.path().join("out.json");
    let r = run(
        &path,
        cmd(&[
            "export",
            "abc1",
            "--format",
            "json",
            "-o",
            file.to_str().unwrap(),
        ]),
        None,
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(r.out, "", "the export went to the file, not stdout");
    let text = std::fs::read_to_string(&file).unwrap();
    let original = Store::open(&path).unwrap().load("abc111").unwrap().unwrap();
    let doc = export::import_json(&text).unwrap();
    assert_eq!((doc.meta, doc.messages), original);

    // Importing into a store that has it: a new id, the same conversation.
    let r = run(&path, cmd(&["import", file.to_str().unwrap()]), None);
    assert_eq!(r.code, 0, "{}", r.err);
    let new_id = r.out.trim();
    assert_ne!(new_id, "abc111");
    let (meta, msgs) = Store::open(&path).unwrap().load(new_id).unwrap().unwrap();
    assert_eq!(meta.title, original.0.title);
    assert_eq!(meta.total_cost, original.0.total_cost);
    assert_eq!(msgs.len(), original.1.len());
    assert_eq!(msgs[1].reasoning, original.1[1].reasoning);

    // Into an empty store: the id is kept.
    let dir2 = tempfile::tempdir().unwrap();
    let path2 = dir2.path().join("s.db");
    let r = run(&path2, cmd(&["import", file.to_str().unwrap()]), None);
    assert_eq!((r.code, r.out.as_str()), (0, "abc111\n"), "{}", r.err);
    assert_eq!(
        Store::open(&path2)
            .unwrap()
            .load("abc111")
            .unwrap()
            .unwrap(),
        original
    );

    // A file that is not an export fails with one line.
    std::fs::write(dir.path().join("bad.json"), "{\"hello\": 1}").unwrap();
    let r = run(
        &path,
        cmd(&["import", dir.path().join("bad.json").to_str().unwrap()]),
        None,
    );
    assert_eq!(r.code, 1);
    assert!(r.err.contains("not an orchat export"));
    assert_eq!(r.err.lines().count(), 1);
}

#[test]
fn delete_asks_or_needs_yes() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(&dir);
    let exists = |id: &str| Store::open(&path).unwrap().load(id).unwrap().is_some();

    // Nobody to ask: refused.
    let r = run(&path, cmd(&["delete", "abc"]), None);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("without --yes"));
    assert!(exists("abc111"));

    // Asked, and the answer is no.
    let r = run(&path, cmd(&["delete", "abc"]), Some("n\n"));
    assert_eq!(r.code, 1);
    assert!(
        r.err
            .contains("delete \"How do lifetimes work?\" (2 messages)? [y/N]")
    );
    assert!(exists("abc111"));

    // Asked, and yes.
    let r = run(&path, cmd(&["delete", "abc"]), Some("y\n"));
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(!exists("abc111"));

    let r = run(&path, cmd(&["delete", "abd", "--yes"]), None);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(!exists("abd222"));
    let r = run(&path, SessionsCommand::List, None);
    assert!(r.err.contains("no saved conversations yet"));
}

#[test]
fn search_prints_matches_across_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(&dir);
    let r = run(&path, cmd(&["search", "borrow"]), None);
    assert_eq!(r.code, 0, "{}", r.err);
    // The answer's text and its reasoning both mention it.
    let lines: Vec<_> = r.out.lines().collect();
    assert_eq!(lines.len(), 1, "{}", r.out);
    assert!(lines[0].starts_with("abc111  #1"));
    assert!(lines[0].contains("«borrow»"));

    let r = run(&path, cmd(&["search", "penguin"]), None);
    assert!(r.out.starts_with("abd222  #0"));

    let r = run(&path, cmd(&["search", "walrus"]), None);
    assert_eq!((r.code, r.out.as_str()), (0, ""));
    assert!(r.err.contains("nothing matches walrus"));
}

#[test]
fn a_corrupt_store_fails_with_one_line_and_is_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    std::fs::write(&path, b"this is not sqlite at all, just text").unwrap();
    for c in [
        SessionsCommand::List,
        cmd(&["show", "a"]),
        cmd(&["delete", "a", "--yes"]),
        cmd(&["search", "x"]),
    ] {
        let r = run(&path, c, None);
        assert_eq!(r.code, 1);
        assert_eq!(r.err.lines().count(), 1);
        assert!(
            r.err
                .contains("is not a valid orchat database; it was left untouched")
        );
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"this is not sqlite at all, just text"
    );
}

#[test]
fn the_list_lines_up_with_ids_of_any_length_and_keeps_every_digit() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(&dir);
    let store = Store::open(&path).unwrap();
    let long = "imported-conversation-with-a-long-id";
    store.put_message(StoredMessage::user(
        long,
        0,
        "Hello",
        vec![],
        "m",
        1_700_000_200_000,
    ));
    let mut a = StoredMessage::new(long, 1, StoredRole::Assistant, "Hi", 1_700_000_201_000);
    a.cost = Some(Decimal::from_str("0.00029485").unwrap());
    a.cost_kind = Some(CostKind::Computed);
    store.put_charge(a.charge().unwrap());
    store.put_message(a);
    store.flush();
    drop(store);
    let r = run(&path, SessionsCommand::List, None);
    let lines: Vec<_> = r.out.lines().collect();
    assert_eq!(lines.len(), 4, "{}", r.out);
    let col = |l: &str, w: &str| l.find(w).unwrap_or_else(|| panic!("{w} in {l}"));
    assert_eq!(col(lines[0], "UPDATED"), col(lines[1], "2023"));
    assert_eq!(col(lines[0], "UPDATED"), col(lines[3], "2023"));
    assert_eq!(col(lines[0], "TITLE"), col(lines[1], "Hello"));
    assert!(lines[1].ends_with("$0.00029485"), "{}", lines[1]);
    let ends: Vec<usize> = lines.iter().map(|l| l.chars().count()).collect();
    assert!(
        ends.windows(2).all(|w| w[0] == w[1]),
        "costs right-aligned:\n{}",
        r.out
    );
}

/// A conversation with a branch: the answer on the path and a retried one
/// beside it (off the path), each billed.
fn branched(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("tree.db");
    let store = Store::open(&path).unwrap();
    store.put_message(StoredMessage::user(
        "tree01",
        0,
        "Name a seabird",
        vec![],
        "google/gemini-2.5-flash",
        1_700_000_000_000,
    ));
    for (seq, text, cost) in [
        (1, "The puffin nests in burrows.", "0.0000412"),
        (2, "The albatross glides for days.", "0.0000377"),
    ] {
        let mut a = StoredMessage::new(
            "tree01",
            seq,
            StoredRole::Assistant,
            text,
            1_700_000_001_000,
        );
        a.model_requested = Some("google/gemini-2.5-flash".into());
        a.cost = Some(Decimal::from_str(cost).unwrap());
        a.cost_kind = Some(CostKind::Reported);
        a.parent = Some(0);
        let charge = a.charge().unwrap();
        store.put_message(a);
        store.put_charge(charge);
    }
    // The first answer is the current path; the albatross is its sibling.
    store.set_current("tree01", 1);
    store.flush();
    path
}

#[test]
fn a_tree_is_searched_in_every_branch_and_exported_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = branched(&dir);

    // A word only in the branch off the path is found.
    let r = run(&path, cmd(&["search", "albatross"]), None);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.starts_with("tree01  #2"), "{}", r.out);

    // Markdown: the path, and the other branch folded.
    let r = run(&path, cmd(&["export", "tree01"]), None);
    assert_eq!(r.code, 0, "{}", r.err);
    let puffin = r.out.find("puffin").expect("the path's answer");
    let details = r.out.find("<details>").expect("other branches folded");
    let albatross = r.out.find("albatross").expect("the sibling");
    assert!(puffin < details && details < albatross, "{}", r.out);

    // JSON: every message with its parent, the current path, every charge.
    let r = run(&path, cmd(&["export", "tree01", "--format", "json"]), None);
    assert_eq!(r.code, 0, "{}", r.err);
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[1]["parent"], 0);
    assert_eq!(msgs[2]["parent"], 0);
    assert_eq!(v["conversation"]["current"], 1);
    assert_eq!(v["conversation"]["total_cost"], "0.0000789");
    let doc = export::import_json(&r.out).unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let path2 = dir2.path().join("s.db");
    let file = dir.path().join("tree.json");
    std::fs::write(&file, &r.out).unwrap();
    let r = run(&path2, cmd(&["import", file.to_str().unwrap()]), None);
    assert_eq!(r.code, 0, "{}", r.err);
    let (meta, back) = Store::open(&path2)
        .unwrap()
        .load("tree01")
        .unwrap()
        .unwrap();
    assert_eq!(back, doc.messages, "the tree comes back as it was");
    assert_eq!(meta.current, Some(1));
}
