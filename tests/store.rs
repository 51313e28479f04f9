//! The conversation store: what is saved comes back exactly, two writers do
//! not corrupt it, search and export work, and a file it cannot use is
//! reported and left alone.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use orchat::api::key::ApiKey;
use orchat::api::types::{CompletionTokensDetails, PromptTokensDetails, Usage, WireDecimal};
use orchat::chat::answer::{Answer, Status};
use orchat::chat::pricing::{Cost, CostKind};
use orchat::store::{
    self, ConversationMeta, Store, StoreError, StoreOptions, StoredMessage, StoredRole, export,
};
use rust_decimal::Decimal;

const SENTINEL: &str = "sk-or-v1-SENTINEL-0123456789abcdef";

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Saves a message and, for an answer with a cost, the charge it stands for
/// (the app records a charge per billed request; these tests write answers
/// directly).
fn put(store: &Store, m: StoredMessage) {
    let charge = m.charge();
    store.put_message(m);
    if let Some(c) = charge {
        store.put_charge(c);
    }
}

fn db(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("data").join("sessions.db")
}

/// A conversation that sets every field of every role, with costs whose
/// digits would not survive a float.
fn full_conversation(id: &str) -> Vec<StoredMessage> {
    let mut user = StoredMessage::user(
        id,
        0,
        "What is in this picture?\nAnd why is it blue?",
        vec![
            "https://example.com/cat.png".into(),
            "/home/me/photo one.jpg".into(),
        ],
        "google/gemini-2.5-flash",
        1_700_000_000_000,
    );
    user.finished_ms = Some(1_700_000_000_001);
    let answer = StoredMessage {
        conversation_id: id.into(),
        seq: 1,
        role: StoredRole::Assistant,
        text: "A **cat**, blue because of the light. 日本語 too.".into(),
        attachments: vec![],
        image_paths: vec!["/home/me/.local/share/orchat/images/a b.png".into()],
        reasoning: "The user asks about colour; consider Rayleigh scattering.".into(),
        reasoning_details: vec![
            serde_json::json!({"type": "reasoning.encrypted", "data": "sealed", "index": 1}),
        ],
        model_requested: Some("google/gemini-2.5-flash".into()),
        model_reported: Some("google/gemini-2.5-flash-preview-05-20".into()),
        provider: Some("Google AI Studio".into()),
        prompt_tokens: Some(1290),
        completion_tokens: Some(345),
        reasoning_tokens: Some(120),
        image_tokens: Some(1290),
        cost: Some(dec("0.0001234567890123456789")),
        cost_kind: Some(CostKind::Reported),
        generation_id: Some("gen-1700000000-abc".into()),
        status: Some(Status::Complete),
        finish_reason: Some("stop".into()),
        error: None,
        created_ms: 1_700_000_000_500,
        finished_ms: Some(1_700_000_004_000),
        ttft_ms: Some(120),
        round: None,
        prompt_estimate: Some(332),
        images_in: Some(2),
        parent: Some(0),
        ask: Some(1),
        sources: vec![orchat::chat::sources::Source {
            url: "https://www.rust-lang.org/".into(),
            title: "Rust".into(),
            content: "A language".into(),
            start: Some(3),
            end: Some(9),
        }],
        file_annotations: vec![serde_json::json!({"type": "file", "file": {"hash": "ab"}})],
        web: true,
        search_usd: Some(Decimal::from_str("0.007").unwrap()),
    };
    let stopped = StoredMessage {
        conversation_id: id.into(),
        seq: 3,
        role: StoredRole::Assistant,
        text: "Partial text before the user pressed Esc".into(),
        reasoning: String::new(),
        model_requested: Some("openai/gpt-4o-mini".into()),
        model_reported: None,
        cost: Some(dec("0.00000042")),
        cost_kind: Some(CostKind::Estimated),
        status: Some(Status::Stopped),
        error: Some("stopped by the user".into()),
        created_ms: 1_700_000_010_000,
        finished_ms: Some(1_700_000_011_000),
        ..StoredMessage::default()
    };
    let mut msgs = vec![
        user,
        answer,
        StoredMessage::user(
            id,
            2,
            "and now?",
            vec![],
            "openai/gpt-4o-mini",
            1_700_000_009_000,
        ),
        stopped,
        StoredMessage::new(
            id,
            4,
            StoredRole::Error,
            "429 rate limited · wait a minute",
            1_700_000_012_000,
        ),
        StoredMessage::new(
            id,
            5,
            StoredRole::Notice,
            "model: openai/gpt-4o-mini",
            1_700_000_013_000,
        ),
    ];
    // One path: each message follows the one before.
    for i in 1..msgs.len() {
        msgs[i].parent = Some(msgs[i - 1].seq);
    }
    msgs
}

/// Saves `msgs`, the last prompt or answer the end of the current path.
fn save(store: &Store, msgs: &[StoredMessage]) {
    for m in msgs {
        put(store, m.clone());
    }
    if let Some(last) = msgs
        .iter()
        .rev()
        .find(|m| matches!(m.role, StoredRole::User | StoredRole::Assistant))
    {
        store.set_current(&last.conversation_id, last.seq);
    }
    store.flush();
}

fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

fn integrity(path: &Path) -> String {
    raw(path)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// Whether this process can write where permissions say it may not (root,
/// or CAP_DAC_OVERRIDE), so chmod-based tests would prove nothing.
fn permissions_are_bypassed(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let probe = dir.join("probe");
    std::fs::create_dir(&probe).unwrap();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o555)).unwrap();
    let bypassed = std::fs::write(probe.join("x"), b"x").is_ok();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o755)).unwrap();
    bypassed
}

#[test]
fn every_field_round_trips_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let msgs = full_conversation("c0ffee000001");
    {
        let store = Store::open(&path).unwrap();
        store.create_conversation("c0ffee000001", "", 1_700_000_000_000);
        save(&store, &msgs);
        assert_eq!(store.health(), None);
    }
    // A new process (here: a new handle) reads back exactly what was written.
    let store = Store::open(&path).unwrap();
    let (meta, back) = store.load("c0ffee000001").unwrap().unwrap();
    assert_eq!(back, msgs);
    assert_eq!(meta.id, "c0ffee000001");
    // The title is the first line of the first prompt.
    assert_eq!(meta.title, "What is in this picture?");
    assert_eq!(meta.created_ms, 1_700_000_000_000);
    assert_eq!(meta.updated_ms, 1_700_000_013_000);
    assert_eq!(
        meta.models,
        vec![
            "google/gemini-2.5-flash-preview-05-20".to_string(),
            "openai/gpt-4o-mini".to_string()
        ]
    );
    // Prompts and answers count; the error and the notice do not.
    assert_eq!(meta.messages, 4);
    // Exact decimal sum, every digit kept.
    assert_eq!(meta.total_cost, dec("0.0001238767890123456789"));
    assert_eq!(
        back[1].cost.unwrap().to_string(),
        "0.0001234567890123456789"
    );
}

#[test]
fn an_answer_is_saved_from_the_answer_type_and_restored() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db(&dir)).unwrap();
    let mut a = Answer::new("google/gemini-2.5-flash", 10, 0);
    a.model_reported = Some("google/gemini-2.5-flash-001".into());
    a.provider = Some("Google".into());
    a.generation_id = Some("gen-1".into());
    a.text = "partial ans".into();
    a.reasoning = "thinking".into();
    a.images = vec![orchat::chat::images::Generated::Url(
        "data:image/png;base64,iVBORw0KGgo=".into(),
    )];
    a.image_paths = vec![Ok("/data/images/gen-1-0.png".into())];
    a.usage = Some(Usage {
        prompt_tokens: 11,
        completion_tokens: 30,
        total_tokens: 41,
        cost: Some(WireDecimal(dec("0.0000166"))),
        prompt_tokens_details: Some(PromptTokensDetails {
            cached_tokens: 0,
            ..Default::default()
        }),
        completion_tokens_details: Some(CompletionTokensDetails {
            reasoning_tokens: 7,
            image_tokens: 0,
        }),
        ..Default::default()
    });
    a.finish_reason = Some("error".into());
    a.status = Status::Failed;
    a.error = Some("503 upstream unavailable".into());
    let cost = Cost::new(dec("0.0000166"), CostKind::Reported);
    let m = StoredMessage::from_answer("conv", 1, &a, Some(cost), 5_000);
    put(&store, m.clone());
    store.flush();
    let (_, back) = store.load("conv").unwrap().unwrap();
    assert_eq!(back, vec![m.clone()]);
    // The encoded image is not stored, only the file it was saved to.
    assert_eq!(back[0].image_paths, ["/data/images/gen-1-0.png"]);
    assert_eq!(back[0].status, Some(Status::Failed));
    assert_eq!(back[0].cost_value(), Some(cost));
    let restored = back[0].to_answer();
    assert_eq!(restored.text, "partial ans");
    assert_eq!(restored.model(), "google/gemini-2.5-flash-001");
    assert_eq!(restored.status, Status::Failed);
    let u = restored.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens), (11, 30));
    assert_eq!(u.reasoning_tokens(), 7);
    assert_eq!(u.cost, Some(WireDecimal(dec("0.0000166"))));
}

#[test]
fn writing_a_seq_again_replaces_the_message() {
    // A prompt is written when sent, and /retry writes a new answer under
    // the same seq: the last write wins, with no duplicate.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db(&dir)).unwrap();
    let mut m = StoredMessage::new("c", 1, StoredRole::Assistant, "first try", 10);
    m.cost = Some(dec("0.5"));
    put(&store, m.clone());
    m.text = "second try".into();
    m.cost = Some(dec("0.25"));
    put(&store, m.clone());
    store.flush();
    let (meta, back) = store.load("c").unwrap().unwrap();
    assert_eq!(back, vec![m]);
    assert_eq!(meta.total_cost, dec("0.25"));
    assert!(store.search("first").unwrap().is_empty());
    assert_eq!(store.search("second").unwrap().len(), 1);
}

#[test]
fn rename_delete_list_and_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db(&dir)).unwrap();
    store.create_conversation("aaa111", "", 100);
    put(
        &store,
        StoredMessage::user("aaa111", 0, "older chat", vec![], "m", 100),
    );
    store.create_conversation("aab222", "Set up front", 200);
    put(
        &store,
        StoredMessage::user("aab222", 0, "newer chat", vec![], "m", 300),
    );
    store.flush();

    let list = store.list().unwrap();
    let ids: Vec<_> = list.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["aab222", "aaa111"], "most recent first");
    assert_eq!(list[0].title, "Set up front");
    assert_eq!(list[1].title, "older chat");
    assert_eq!(store.last_id().unwrap().as_deref(), Some("aab222"));

    store.rename("aaa111", "My  title");
    store.rename("aab222", "");
    store.flush();
    let (meta, _) = store.load("aaa111").unwrap().unwrap();
    assert_eq!(meta.title, "My  title");
    // An empty title goes back to the first prompt.
    let (meta, _) = store.load("aab222").unwrap().unwrap();
    assert_eq!(meta.title, "newer chat");

    assert_eq!(store.ids_with_prefix("aa").unwrap(), ["aaa111", "aab222"]);
    assert_eq!(store.ids_with_prefix("aab").unwrap(), ["aab222"]);
    // Wildcards are just characters.
    assert!(store.ids_with_prefix("a%").unwrap().is_empty());

    store.delete("aaa111");
    store.flush();
    assert!(store.load("aaa111").unwrap().is_none());
    assert_eq!(store.list().unwrap().len(), 1);
    assert!(
        store.search("older").unwrap().is_empty(),
        "index follows deletes"
    );
    let left: i64 = raw(store.path())
        .query_row(
            "SELECT count(*) FROM messages WHERE conversation_id = 'aaa111'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
}

/// Writes 200 messages as another process would: run by
/// `two_processes_write_at_once` with its environment set.
#[test]
#[ignore = "helper: run as a child process by two_processes_write_at_once"]
fn child_writes_messages() {
    let (Ok(path), Ok(conv)) = (
        std::env::var("ORCHAT_TEST_DB"),
        std::env::var("ORCHAT_TEST_CONV"),
    ) else {
        return;
    };
    let store = Store::open(&path).unwrap();
    // The key the parent put in this process's environment, handled the way
    // the app handles it.
    let key = ApiKey::new(std::env::var("OPENROUTER_API_KEY").unwrap()).unwrap();
    for i in 0..200u32 {
        let mut m = StoredMessage::new(&conv, i, StoredRole::Assistant, &format!("{conv} {i}"), 1);
        m.error = Some(format!("client {key:?}"));
        m.cost = Some(Decimal::new(i64::from(i), 7));
        put(&store, m);
        // Shared conversation, interleaved with the other process.
        put(
            &store,
            StoredMessage::user(
                "shared",
                i * 2 + u32::from(conv == "p2"),
                &format!("{conv} shared {i}"),
                vec![],
                "m",
                1,
            ),
        );
    }
    store.flush();
    assert_eq!(store.health(), None);
}

#[test]
fn two_processes_write_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = ["p1", "p2"]
        .iter()
        .map(|conv| {
            std::process::Command::new(&exe)
                .args([
                    "--ignored",
                    "--exact",
                    "child_writes_messages",
                    "--test-threads=1",
                ])
                .env("ORCHAT_TEST_DB", &path)
                .env("ORCHAT_TEST_CONV", conv)
                .env("OPENROUTER_API_KEY", SENTINEL)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed: {stdout}");
        // The child really ran the writer (not filtered out).
        assert!(stdout.contains("1 passed"), "{stdout}");
    }
    assert_eq!(integrity(&path), "ok");
    let store = Store::open(&path).unwrap();
    for conv in ["p1", "p2"] {
        let (meta, msgs) = store.load(conv).unwrap().unwrap();
        assert_eq!(msgs.len(), 200);
        for (i, m) in msgs.iter().enumerate() {
            assert_eq!(m.text, format!("{conv} {i}"));
        }
        // 0 + 1 + … + 199 ten-millionths.
        assert_eq!(meta.total_cost, Decimal::new(19_900, 7));
    }
    let (meta, shared) = store.load("shared").unwrap().unwrap();
    assert_eq!(shared.len(), 400);
    assert_eq!(meta.messages, 400);
    for (i, m) in shared.iter().enumerate() {
        let who = if i % 2 == 0 { "p1" } else { "p2" };
        assert_eq!(m.text, format!("{who} shared {}", i / 2));
    }
    drop(store);
    assert_no_sentinel(&path);
}

#[test]
fn two_handles_in_two_threads_write_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let a = Store::open(&path).unwrap();
    let b = Store::open(&path).unwrap();
    let threads: Vec<_> = [(a, "t1"), (b, "t2")]
        .into_iter()
        .map(|(store, conv)| {
            std::thread::spawn(move || {
                for i in 0..200u32 {
                    put(
                        &store,
                        StoredMessage::new(
                            conv,
                            i,
                            StoredRole::User,
                            &format!("{conv} message {i}"),
                            u64::from(i),
                        ),
                    );
                }
                store.flush();
                store.health()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), None);
    }
    assert_eq!(integrity(&path), "ok");
    let store = Store::open(&path).unwrap();
    for conv in ["t1", "t2"] {
        let (meta, msgs) = store.load(conv).unwrap().unwrap();
        assert_eq!(meta.messages, 200);
        let texts: Vec<_> = msgs.iter().map(|m| m.text.clone()).collect();
        let want: Vec<_> = (0..200).map(|i| format!("{conv} message {i}")).collect();
        assert_eq!(texts, want);
    }
}

#[test]
fn search_finds_old_answers_and_reasoning() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db(&dir)).unwrap();
    let mut answer = StoredMessage::new(
        "zoo",
        1,
        StoredRole::Assistant,
        "The quokka is a small marsupial from Rottnest Island.",
        1,
    );
    answer.reasoning = "Recall Australian fauna.".into();
    put(
        &store,
        StoredMessage::user("zoo", 0, "tell me an animal", vec![], "m", 1),
    );
    put(&store, answer);
    let mut thoughtful = StoredMessage::new("plants", 1, StoredRole::Assistant, "Orchids.", 2);
    thoughtful.reasoning = "Orchid flowers are zygomorphic, symmetric in one plane.".into();
    put(
        &store,
        StoredMessage::user("plants", 0, "a flower?", vec![], "m", 2),
    );
    put(&store, thoughtful);
    // Many other conversations, so the right one must be picked out.
    for i in 0..30 {
        put(
            &store,
            StoredMessage::user(
                &format!("other{i}"),
                0,
                "marsupial facts in general",
                vec![],
                "m",
                3,
            ),
        );
    }
    store.flush();

    let hits = store.search("quokka").unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].conversation_id.as_str(), hits[0].seq), ("zoo", 1));
    assert_eq!(hits[0].title, "tell me an animal");
    assert!(hits[0].snippet.contains("«quokka»"), "{}", hits[0].snippet);

    // A word that only occurs in reasoning, found by its prefix.
    let hits = store.search("zygomorph").unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].conversation_id, "plants");
    assert!(hits[0].snippet.contains("«zygomorphic»"));

    // Both words must occur: only the quokka answer has both.
    let hits = store.search("marsupial rottnest").unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].conversation_id, "zoo");
    assert_eq!(store.search("marsupial").unwrap().len(), 31);

    // Whatever the user types is text, never query syntax.
    for q in ["\"", "AND", "(quokka", "quokka OR", "NEAR(", "*", "col:x"] {
        assert!(store.search(q).is_ok(), "{q}");
    }
    assert_eq!(store.search("(quokka").unwrap().len(), 1);
}

#[test]
fn markdown_export_has_front_matter_details_and_images() {
    let msgs = full_conversation("c1");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db(&dir)).unwrap();
    save(&store, &msgs);
    let (meta, msgs) = store.load("c1").unwrap().unwrap();
    let md = export::markdown(&meta, &msgs);

    let front = md
        .strip_prefix("---\n")
        .and_then(|r| r.split_once("\n---\n"))
        .map(|(f, _)| f)
        .expect("front matter at the top");
    assert!(
        front.contains("title: \"What is in this picture?\""),
        "{front}"
    );
    assert!(front.contains("id: \"c1\""));
    assert!(front.contains("created: 2023-11-14T22:13:20Z"));
    assert!(front.contains("  - \"google/gemini-2.5-flash-preview-05-20\""));
    assert!(front.contains("  in: 1290\n  out: 345\n  reasoning: 120"));
    assert!(front.contains("total_cost_usd: \"0.0001238767890123456789\""));
    assert!(front.contains("cost_kinds: [reported, estimated]"));

    assert!(md.contains(
        "<details><summary>Reasoning</summary>\n\nThe user asks about colour; consider Rayleigh scattering.\n\n</details>"
    ));
    assert!(md.contains(
        "## google/gemini-2.5-flash-preview-05-20 · 1290 in · 345 out · 120 reasoning · $0.0001234567890123456789 reported"
    ));
    assert!(md.contains("![image](</home/me/.local/share/orchat/images/a b.png>)"));
    assert!(md.contains("- [https://example.com/cat.png](https://example.com/cat.png)"));
    assert!(md.contains("## openai/gpt-4o-mini · $0.00000042 estimated · stopped"));
    assert!(md.contains("> **stopped:** stopped by the user"));
    assert!(md.contains("## Error\n\n> 429 rate limited"));
    // The stopped answer's reasoning was empty: one <details> only.
    assert_eq!(md.matches("<details>").count(), 1);
}

#[test]
fn json_export_then_import_reproduces_the_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db(&dir)).unwrap();
    store.create_conversation("orig", "Renamed once", 1_699_999_999_000);
    save(&store, &full_conversation("orig"));
    let (meta, msgs) = store.load("orig").unwrap().unwrap();
    let json = export::json(&meta, &msgs);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["orchat_export"], 1);
    // Money is a string in JSON, never a float.
    assert_eq!(v["messages"][1]["cost"], "0.0001234567890123456789");
    assert_eq!(v["conversation"]["total_cost"], "0.0001238767890123456789");

    let doc = export::import_json(&json).unwrap();
    let (meta2, msgs2) = (doc.meta, doc.messages);
    assert_eq!((&meta2, &msgs2), (&meta, &msgs));

    // Into another store: same id, every field equal.
    let dir2 = tempfile::tempdir().unwrap();
    let other = Store::open(db(&dir2)).unwrap();
    assert_eq!(other.import(meta2.clone(), msgs2.clone()).unwrap(), "orig");
    assert_eq!(
        other.load("orig").unwrap().unwrap(),
        (meta.clone(), msgs.clone())
    );

    // Into the same store: the id is taken, so it gets a new one and the
    // original is untouched.
    let new_id = store.import(meta2, msgs2).unwrap();
    assert_ne!(new_id, "orig");
    let (meta3, msgs3) = store.load(&new_id).unwrap().unwrap();
    assert_eq!(
        meta3,
        ConversationMeta {
            id: new_id.clone(),
            ..meta.clone()
        }
    );
    assert!(msgs3.iter().all(|m| m.conversation_id == new_id));
    let renamed: Vec<_> = msgs
        .iter()
        .map(|m| StoredMessage {
            conversation_id: new_id.clone(),
            ..m.clone()
        })
        .collect();
    assert_eq!(msgs3, renamed);
    assert_eq!(store.load("orig").unwrap().unwrap(), (meta, msgs));
}

#[test]
fn import_refuses_what_is_not_an_export() {
    assert!(export::import_json("not json").is_err());
    assert!(
        export::import_json("{}")
            .unwrap_err()
            .contains("not an orchat export")
    );
    let future = r#"{"orchat_export": 2, "conversation": {}, "messages": []}"#;
    assert!(
        export::import_json(future)
            .unwrap_err()
            .contains("format 2")
    );
    let meta = ConversationMeta {
        id: "x".into(),
        ..ConversationMeta::default()
    };
    let m = StoredMessage::new("x", 1, StoredRole::User, "a", 1);
    let dup = export::json(&meta, &[m.clone(), m]);
    assert!(
        export::import_json(&dup)
            .unwrap_err()
            .contains("two messages numbered 1")
    );
}

#[test]
fn a_corrupt_file_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let e = Store::open(&path).unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "{} is not a valid orchat database; it was left untouched",
            path.display()
        )
    );
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
    assert!(!dir.path().join("sessions.db-wal").exists());
    assert!(Store::open_read_only(&path).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), garbage);

    // A real SQLite file of another program is not ours either.
    let other = dir.path().join("other.db");
    raw(&other)
        .execute_batch("CREATE TABLE notes(body); INSERT INTO notes VALUES ('keep me');")
        .unwrap();
    let before = std::fs::read(&other).unwrap();
    let e = Store::open(&other).unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    assert_eq!(std::fs::read(&other).unwrap(), before);

    // A valid header over damaged pages: still refused, still untouched.
    let good = dir.path().join("good.db");
    {
        let s = Store::open(&good).unwrap();
        save(&s, &full_conversation("c"));
    }
    let mut bytes = std::fs::read(&good).unwrap();
    for b in bytes.iter_mut().skip(100) {
        *b = 0xA5;
    }
    std::fs::write(&good, &bytes).unwrap();
    let e = Store::open(&good).unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    assert_eq!(std::fs::read(&good).unwrap(), bytes);
}

#[test]
fn a_read_only_location_gives_its_message() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();

    // A path under a regular file cannot be created, whoever runs this.
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let e = Store::open(file.join("sub").join("sessions.db")).unwrap_err();
    assert!(matches!(e, StoreError::CreateDir { .. }), "{e:?}");
    assert!(e.to_string().starts_with("cannot create "), "{e}");
    assert!(!e.to_string().contains('\n'));

    // An existing store opened read-only: readable, writes dropped and
    // reported, the file unchanged.
    let path = dir.path().join("ro").join("sessions.db");
    {
        let s = Store::open(&path).unwrap();
        save(&s, &full_conversation("kept"));
    }
    let before = std::fs::read(&path).unwrap();
    let ro = Store::open_read_only(&path).unwrap();
    assert!(ro.is_read_only());
    assert_eq!(ro.load("kept").unwrap().unwrap().1.len(), 6);
    ro.put_message(StoredMessage::new("kept", 9, StoredRole::User, "lost", 1));
    ro.delete("kept");
    ro.flush();
    assert!(ro.health().unwrap().contains("read-only"));
    assert!(ro.import(ConversationMeta::default(), vec![]).is_err());
    assert_eq!(ro.load("kept").unwrap().unwrap().1.len(), 6);
    drop(ro);
    assert_eq!(std::fs::read(&path).unwrap(), before);

    if permissions_are_bypassed(dir.path()) {
        // Running as root: chmod restricts nothing, so the checks above are
        // what this environment can prove.
        return;
    }
    let ro_dir = dir.path().join("locked-dir");
    std::fs::create_dir(&ro_dir).unwrap();
    std::fs::set_permissions(&ro_dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let e = Store::open(ro_dir.join("sessions.db")).unwrap_err();
    assert!(matches!(e, StoreError::ReadOnly { .. }), "{e:?}");
    assert!(e.to_string().contains("is read-only"), "{e}");

    // A read-only database file: refused for writing, still readable.
    let ro_dir2 = path.parent().unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(ro_dir2, std::fs::Permissions::from_mode(0o555)).unwrap();
    let e = Store::open(&path).unwrap_err();
    assert!(matches!(e, StoreError::ReadOnly { .. }), "{e:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    std::fs::set_permissions(ro_dir2, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&ro_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_database_held_exclusively_gives_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    drop(Store::open(&path).unwrap());
    let quick = StoreOptions {
        busy_timeout: Duration::from_millis(50),
        ..StoreOptions::default()
    };
    // A program holding the file exclusively: orchat cannot even read it.
    // (A lock held for an ordinary write is tests/store_faults.rs: writes
    // wait and land.)
    let other = raw(&path);
    other
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT; BEGIN EXCLUSIVE;")
        .unwrap();
    let e = Store::open_with(&path, &quick).unwrap_err();
    assert!(matches!(e, StoreError::Locked { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!("{} is locked by another program", path.display())
    );
}

#[test]
fn a_failed_write_is_reported_and_the_others_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let store = Store::open(&path).unwrap();
    store.flush();
    // Another connection makes one particular insert fail, as a full disk
    // or an I/O error would.
    raw(&path)
        .execute_batch(
            "CREATE TRIGGER boom BEFORE INSERT ON messages WHEN new.text = 'boom'
             BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;",
        )
        .unwrap();
    put(
        &store,
        StoredMessage::new("c", 0, StoredRole::User, "before", 1),
    );
    put(
        &store,
        StoredMessage::new("c", 1, StoredRole::User, "boom", 2),
    );
    put(
        &store,
        StoredMessage::new("c", 2, StoredRole::User, "after", 3),
    );
    store.flush();
    let h = store.health().expect("the failure is reported");
    assert!(h.contains("simulated failure"), "{h}");
    assert!(!h.contains('\n'));
    // Queued together, but the good writes survive the bad one.
    let texts: Vec<_> = store
        .load("c")
        .unwrap()
        .unwrap()
        .1
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts, ["before", "after"]);
}

#[test]
fn a_deleted_database_file_turns_saving_off() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let store = Store::open(&path).unwrap();
    put(
        &store,
        StoredMessage::new("c", 0, StoredRole::User, "hi", 1),
    );
    store.flush();
    assert_eq!(store.health(), None);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    put(
        &store,
        StoredMessage::new("c", 1, StoredRole::User, "lost", 2),
    );
    store.flush();
    let h = store.health().expect("saving is off");
    assert!(h.contains("deleted"), "{h}");
}

fn assert_no_sentinel(path: &Path) {
    let mut checked = 0;
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        if let Ok(bytes) = std::fs::read(&p) {
            checked += 1;
            assert!(
                !bytes
                    .windows(SENTINEL.len())
                    .any(|w| w == SENTINEL.as_bytes()),
                "the key is in {}",
                p.display()
            );
            assert!(!bytes.windows(8).any(|w| w == b"SENTINEL"));
        }
    }
    assert!(checked >= 1);
}

#[test]
fn api_keys_never_reach_the_database_or_exports() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let store = Store::open(&path).unwrap();
    let key = ApiKey::new(SENTINEL).unwrap();
    // Text that passed through the key's Debug and Display, as an error
    // line or a log would.
    let mut a = Answer::new("m", 1, 0);
    a.status = Status::Failed;
    a.error = Some(format!("401 unauthorized for {key:?} / {key}"));
    a.notes = vec![format!("retry with {key:?}")];
    let cost = Cost::new(dec("0.001"), CostKind::Estimated);
    put(&store, StoredMessage::user("k", 0, "hello", vec![], "m", 1));
    put(
        &store,
        StoredMessage::from_answer("k", 1, &a, Some(cost), 2),
    );
    store.flush();
    // While the store is open, the -wal and -shm files hold recent pages.
    assert!(PathBuf::from(format!("{}-wal", path.display())).exists());
    assert_no_sentinel(&path);
    let (meta, msgs) = store.load("k").unwrap().unwrap();
    assert!(msgs[1].error.as_deref().unwrap().contains("<redacted>"));
    for text in [export::markdown(&meta, &msgs), export::json(&meta, &msgs)] {
        assert!(!text.contains("SENTINEL"));
    }
    drop(store);
    assert_no_sentinel(&path);
}

#[test]
fn the_schema_version_is_set_and_reopening_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    {
        let s = Store::open(&path).unwrap();
        save(&s, &full_conversation("c"));
    }
    let schema = |p: &Path| -> (i64, i64, Vec<String>) {
        let c = raw(p);
        let v = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        let app = c
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        let mut st = c
            .prepare("SELECT coalesce(sql, name) FROM sqlite_master ORDER BY name")
            .unwrap();
        let sql = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        (v, app, sql)
    };
    let before = schema(&path);
    assert_eq!(before.0, i64::from(store::schema_version()));
    assert!(before.0 >= 1);
    assert_eq!(before.1, i64::from(store::APPLICATION_ID));

    let s = Store::open(&path).unwrap();
    assert_eq!(s.load("c").unwrap().unwrap().1, full_conversation("c"));
    drop(s);
    assert_eq!(schema(&path), before);

    // An empty file (as left by a crash before the first write) is a new
    // store, not an error.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let s = Store::open(&empty).unwrap();
    s.put_message(StoredMessage::new("c", 0, StoredRole::User, "hi", 1));
    s.flush();
    assert_eq!(s.list().unwrap().len(), 1);
}

#[test]
fn a_newer_schema_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    drop(Store::open(&path).unwrap());
    raw(&path)
        .pragma_update(None, "user_version", store::schema_version() + 5)
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let e = Store::open(&path).unwrap_err();
    assert!(matches!(e, StoreError::TooNew { .. }), "{e:?}");
    assert!(e.to_string().contains("newer orchat"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn the_store_and_images_live_in_the_data_dir() {
    let dirs = orchat::paths::Dirs::under(std::path::Path::new("/x"));
    let p = dirs.sessions_db().expect("a data directory");
    assert_eq!(p, std::path::Path::new("/x/data/sessions.db"));
    assert_eq!(
        dirs.images("c1").unwrap(),
        std::path::Path::new("/x/data/images/c1")
    );
    assert_eq!(orchat::paths::Dirs::default().sessions_db(), None);
}

#[test]
fn a_version_3_database_is_brought_forward_and_its_answers_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        // The layout as a release before the answer's input estimate wrote it.
        let c = raw(&path);
        for m in &store::MIGRATIONS[..3] {
            c.execute_batch(m).unwrap();
        }
        c.pragma_update(None, "application_id", store::APPLICATION_ID)
            .unwrap();
        c.pragma_update(None, "user_version", 3).unwrap();
        c.execute_batch(
            "INSERT INTO conversations (id, created_ms, updated_ms) VALUES ('old', 1, 2);
             INSERT INTO messages (conversation_id, seq, role, text, created_ms)
                 VALUES ('old', 0, 'user', 'hello from before', 1);
             INSERT INTO messages (conversation_id, seq, role, text, model_requested,
                                   prompt_tokens, completion_tokens, cost, cost_kind,
                                   status, created_ms, finished_ms)
                 VALUES ('old', 1, 'assistant', 'hi', 'google/gemini-2.5-flash',
                         12, 3, '0.0000123', 'reported', 'complete', 2, 3);",
        )
        .unwrap();
    }
    let s = Store::open(&path).unwrap();
    let (_, msgs) = s.load("old").unwrap().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].text, "hello from before");
    assert_eq!(msgs[1].text, "hi");
    assert_eq!(msgs[1].prompt_estimate, None, "unknown then, not zero");
    assert_eq!(msgs[1].images_in, None);
    drop(s);
    let v: i64 = raw(&path)
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, i64::from(store::schema_version()));
    // What is written now keeps its estimate.
    let s = Store::open(&path).unwrap();
    let mut m = msgs[1].clone();
    m.prompt_estimate = Some(332);
    put(&s, m);
    s.flush();
    assert_eq!(
        s.load("old").unwrap().unwrap().1[1].prompt_estimate,
        Some(332)
    );
}

#[test]
fn a_version_3_database_with_a_round_and_a_replaced_answer_becomes_a_tree() {
    use orchat::store::{StoredRound, tree::REPLACED};
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let answer = |seq: u32, model: &str, text: &str, cost: &str, at: u64| StoredMessage {
        model_requested: Some(model.into()),
        cost: Some(dec(cost)),
        cost_kind: Some(CostKind::Reported),
        status: Some(Status::Complete),
        finished_ms: Some(at + 1),
        ..StoredMessage::new("old", seq, StoredRole::Assistant, text, at)
    };
    let (flash, pro, lite) = (
        "google/gemini-2.5-flash",
        "google/gemini-2.5-pro",
        "google/gemini-2.5-flash-lite",
    );
    let round = [
        answer(1, flash, "red", "0.0001", 2_000),
        answer(1, pro, "blue", "0.002", 2_000),
        answer(1, lite, "green", "0.00001", 2_000),
    ];
    let mut kept_row = round[1].clone();
    kept_row.round = Some(StoredRound {
        kept: Some(1),
        answers: round.to_vec(),
    });
    let rows = vec![
        StoredMessage::user("old", 0, "name a colour", vec![], flash, 1_000),
        kept_row,
        StoredMessage::user("old", 2, "why that one", vec![], pro, 3_000),
        answer(3, flash, "because", "0.0003", 5_000),
    ];
    {
        // The layout as orchat wrote it before trees (V3), with its ledger:
        // the round's three answers, the last answer, and the answer /retry
        // replaced (its row gone, its charge kept).
        let c = raw(&path);
        for m in &store::MIGRATIONS[..3] {
            c.execute_batch(m).unwrap();
        }
        c.pragma_update(None, "application_id", store::APPLICATION_ID)
            .unwrap();
        c.pragma_update(None, "user_version", 3).unwrap();
        c.execute(
            "INSERT INTO conversations (id, created_ms, updated_ms) VALUES ('old', 1000, 5001)",
            [],
        )
        .unwrap();
        for m in &rows {
            c.execute(
                "INSERT INTO messages (conversation_id, seq, role, text, model_requested, cost,
                     cost_kind, status, created_ms, finished_ms, round)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                rusqlite::params![
                    m.conversation_id,
                    m.seq,
                    m.role.as_str(),
                    m.text,
                    m.model_requested,
                    m.cost.map(|c| c.to_string()),
                    m.cost_kind.map(|_| "reported"),
                    m.status.map(|_| "complete"),
                    m.created_ms as i64,
                    m.finished_ms.map(|f| f as i64),
                    m.round.as_ref().map(|r| serde_json::to_string(r).unwrap()),
                ],
            )
            .unwrap();
        }
        let charge = |id: &str, model: &str, cost: &str, at: i64| {
            c.execute(
                "INSERT INTO charges (id, conversation_id, model, cost, cost_kind, created_ms)
                 VALUES (?1, 'old', ?2, ?3, 'reported', ?4)",
                rusqlite::params![id, model, cost, at],
            )
            .unwrap();
        };
        charge("old/1/1", flash, "0.0001", 2_001);
        charge("old/1/2", pro, "0.002", 2_001);
        charge("old/1/3", lite, "0.00001", 2_001);
        charge("old/4/4", pro, "0.0025", 4_000);
        charge("old/5/5", flash, "0.0003", 5_001);
    }
    let s = Store::open(&path).unwrap();
    let (meta, msgs) = s.load("old").unwrap().unwrap();
    // Nothing billed is lost.
    assert_eq!(meta.total_cost, dec("0.00491"));
    let answers: Vec<&StoredMessage> = msgs
        .iter()
        .filter(|m| m.role == StoredRole::Assistant)
        .collect();
    assert_eq!(
        answers.len(),
        5,
        "three compared, the replaced one, the last"
    );
    let tree = store::tree::SavedTree::new(&msgs);
    assert_eq!(tree.children(Some(0)).len(), 3, "the round: siblings");
    let under_second = tree.children(Some(2));
    assert_eq!(under_second.len(), 2, "the replaced answer beside the last");
    let replaced = tree.get(under_second[1]).unwrap();
    assert_eq!(replaced.model(), Some(pro));
    assert_eq!(replaced.cost, Some(dec("0.0025")));
    assert_eq!(
        tree.get(tree.notes(Some(replaced.seq))[0]).unwrap().text,
        REPLACED
    );
    // The path that was current: the kept answer, then the last.
    assert_eq!(tree.path(meta.current), [0, 1, 2, 3]);
    assert_eq!(tree.get(1).unwrap().text, "blue");
    // Reopened, every branch costs what it was billed.
    let mut app = orchat::app::App::new(orchat::chat::catalog::Catalog::bundled(), "demo", flash);
    app.restore(&orchat::app::LoadedSession {
        id: "old".into(),
        messages: msgs.clone(),
        charges: s.charges("old").unwrap(),
        current: meta.current,
        media: Default::default(),
    });
    let c = &app.conversation;
    assert_eq!(c.path().len(), 4);
    assert_eq!(c.tree().place(c.path()[1]), (1, 3), "the kept answer first");
    let all: rust_decimal::Decimal = c
        .tree()
        .slots()
        .filter_map(|(_, s)| s.body.reply())
        .map(|r| r.cost.unwrap().usd)
        .sum();
    assert_eq!(all, app.wallet.ledger.total());
}
