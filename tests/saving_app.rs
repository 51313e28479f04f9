//! Saving through the app, as a user meets it: an answer saved while it
//! streams (so a kill loses at most a second of it), SIGTERM ending as a
//! quit does, a paused store said at once and caught up, a damaged one
//! offering to save the conversation elsewhere, and two orchats on one
//! conversation never overwriting each other.

mod common;

use std::time::Duration;

use common::{Driver, answers, screen};
use crossterm::event::KeyCode;
use orchat::app::{App, Effect, Mode, Msg, StoreOp, update};
use orchat::chat::answer::Status;
use orchat::chat::pricing::CostKind;
use orchat::server::ServerOptions;
use orchat::store::{SaveState, Store, StoreOptions, StoredRole};

fn quick() -> StoreOptions {
    StoreOptions {
        busy_timeout: Duration::from_millis(50),
        ..StoreOptions::default()
    }
}

/// The app's answers saved at `seq` by these effects.
fn puts_at(fx: &[Effect], seq: u32) -> usize {
    fx.iter()
        .filter(|e| matches!(e, Effect::Store(StoreOp::Put(m)) if m.seq == seq))
        .count()
}

#[test]
fn a_streaming_answer_is_saved_at_most_once_a_second_with_its_cost() {
    let mut app = common::new_app();
    app.conversation.id = "c".into();
    common::type_text(&mut app, "hello");
    let fx = update(&mut app, common::key(KeyCode::Enter));
    let turn = fx
        .iter()
        .find_map(|e| match e {
            Effect::Start { turn, .. } => Some(*turn),
            _ => None,
        })
        .expect("the prompt is sent");
    // 3.5 s of a token every 10 ms, the clock ticking between them.
    let (mut puts, mut charges) = (0, Vec::new());
    for ms in (10..=3500).step_by(10) {
        let mut fx = update(&mut app, Msg::Tick(ms));
        fx.extend(update(
            &mut app,
            Msg::Stream {
                turn,
                event: orchat::api::StreamEvent::Content("word ".into()),
            },
        ));
        puts += puts_at(&fx, 1);
        charges.extend(fx.into_iter().filter_map(|e| match e {
            Effect::Store(StoreOp::Charge(c)) => Some(*c),
            _ => None,
        }));
    }
    assert_eq!(puts, 3, "at 1, 2 and 3 seconds");
    assert_eq!(charges.len(), 3);
    assert!(charges.iter().all(|c| c.cost.kind == CostKind::Estimated));
    assert!(
        charges.windows(2).all(|w| w[0].id == w[1].id),
        "one charge, replaced as it grows: {charges:?}"
    );
    assert!(charges[2].cost.usd > charges[0].cost.usd);
    // The clock alone saves what came since (the last half second), once;
    // then nothing more. The end saves the answer and bills it under the
    // same id.
    assert_eq!(puts_at(&update(&mut app, Msg::Tick(4000)), 1), 1);
    assert_eq!(puts_at(&update(&mut app, Msg::Tick(5000)), 1), 0);
    let fx = update(&mut app, Msg::Ended { turn });
    assert_eq!(puts_at(&fx, 1), 1);
    let last = fx
        .iter()
        .find_map(|e| match e {
            Effect::Store(StoreOp::Charge(c)) => Some(c),
            _ => None,
        })
        .expect("billed at the end");
    assert_eq!(last.id, charges[0].id);
}

#[tokio::test]
async fn an_answer_cut_off_by_a_kill_comes_back_interrupted_and_billed() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::new(ServerOptions::default()).await;
    let store = d.saving_in(dir.path(), &quick());
    d.app.conversation.id = "conv-live".into();
    d.submit("tell me more [[fault:pace:30]] [[fault:long:400]]");
    // Streaming, and saved at least once while it streams.
    d.until(|a| {
        a.conversation.checkpoint.saved_ms > 0
            && answers(a).last().is_some_and(|x| !x.text.is_empty())
    })
    .await;
    let shown = answers(&d.app)[0].text.clone();
    assert!(store.flush());
    // The process dies here: nothing more of it is saved. What the store has:
    let (_, msgs) = store.load("conv-live").unwrap().unwrap();
    assert_eq!(msgs.len(), 2, "the prompt and its answer so far");
    let saved = &msgs[1];
    assert_eq!(saved.role, StoredRole::Assistant);
    assert!(!saved.text.is_empty() && shown.starts_with(&saved.text));
    assert_eq!(saved.cost_kind, Some(CostKind::Estimated));
    let billed = store.charges("conv-live").unwrap();
    assert_eq!(billed.len(), 1);
    assert_eq!(billed[0].cost.usd, saved.cost.unwrap());

    // Reopened (`--continue`): the answer says it was interrupted and what
    // it is estimated to have cost; the ledger has it.
    let mut again = common::new_app();
    again.restore(&orchat::runtime::load_session(&store, "conv-live").unwrap());
    let a = answers(&again)[0];
    assert_eq!(a.status, Status::Interrupted);
    assert_eq!(a.text, saved.text);
    assert_eq!(again.wallet.ledger.total(), billed[0].cost.usd);
    let s = screen(&again, 80, 24);
    assert!(s.contains("interrupted"), "{s}");
    assert!(s.contains("≈$"), "the estimated cost shows: {s}");
}

#[tokio::test]
async fn sigterm_ends_like_ctrl_c_the_partial_answer_stopped_saved_and_billed() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::new(ServerOptions::default()).await;
    let store = d.saving_in(dir.path(), &quick());
    d.app.conversation.id = "conv-term".into();
    d.submit("go on [[fault:pace:30]] [[fault:long:400]]");
    d.until(|a| answers(a).last().is_some_and(|x| !x.text.is_empty()))
        .await;
    let asked = d.send(Msg::Terminate);
    assert!(asked.quit, "the loop is asked to quit");
    let a = answers(&d.app)[0];
    assert_eq!(a.status, Status::Stopped);
    assert!(store.flush());
    let (_, msgs) = store.load("conv-term").unwrap().unwrap();
    assert_eq!(msgs[1].status, Some(Status::Stopped));
    assert_eq!(msgs[1].text, a.text);
    let billed = store.charges("conv-term").unwrap();
    assert_eq!(billed.len(), 1);
    assert_eq!(billed[0].cost.usd, d.app.wallet.ledger.total());
}

#[tokio::test]
async fn a_paused_store_is_said_at_once_and_caught_up_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::new(ServerOptions::default()).await;
    let store = d.saving_in(dir.path(), &quick());
    d.app.conversation.id = "conv-locked".into();
    store.flush();
    let other = rusqlite::Connection::open(store.path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    d.submit("hello");
    d.until(|a| matches!(a.env.saving, SaveState::Paused { .. }) && !a.is_busy())
        .await;
    assert!(
        d.app.screen.flash.as_deref().is_some_and(
            |f| f == "saving paused: the database is locked by another program; retrying"
        ),
        "{:?}",
        d.app.screen.flash
    );
    let s = screen(&d.app, 80, 24);
    assert!(s.contains("saving paused: locked"), "{s}");
    insta::assert_snapshot!("saving_paused_80x24", s);
    d.send(common::ctrl('o'));
    let s = screen(&d.app, 80, 24);
    assert!(
        s.contains("saving paused: the database is locked by another program"),
        "the cost panel says why, whole: {s}"
    );
    d.send(common::key(KeyCode::Esc));

    other.execute_batch("COMMIT").unwrap();
    d.until(|a| a.env.saving == SaveState::Saving).await;
    assert_eq!(
        d.app.screen.flash.as_deref(),
        Some("saved: everything that waited is written")
    );
    assert!(!screen(&d.app, 80, 24).contains("saving paused"));
    let (_, msgs) = store.load("conv-locked").unwrap().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].text, "hello");
    assert_eq!(store.charges("conv-locked").unwrap().len(), 1);
}

#[tokio::test]
async fn export_while_saving_is_paused_writes_the_conversation_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::new(ServerOptions::default()).await;
    let store = d.saving_in(dir.path(), &quick());
    d.app.conversation.id = "conv-x".into();
    store.flush();
    let other = rusqlite::Connection::open(store.path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    d.submit("hello");
    d.until(|a| matches!(a.env.saving, SaveState::Paused { .. }) && !a.is_busy())
        .await;
    let out = dir.path().join("x.json");
    d.submit(&format!("/export {} --json", out.display()));
    d.until(|a| {
        a.screen
            .flash
            .as_deref()
            .is_some_and(|f| f.contains("x.json"))
    })
    .await;
    let doc = orchat::store::export::import_json(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        doc.messages.len(),
        2,
        "the prompt and its answer, from memory"
    );
    assert_eq!(doc.messages[0].text, "hello");
    assert_eq!(doc.charges.unwrap().len(), 1, "with what it cost");
    other.execute_batch("COMMIT").unwrap();
}

#[tokio::test]
async fn a_damaged_database_offers_to_save_the_conversation_to_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("sessions.db");
    {
        let s = Store::open(&path).unwrap();
        for i in 0..40 {
            let text = format!("old {i}: {}", "words ".repeat(60));
            s.put_message(orchat::store::StoredMessage::new(
                "old",
                i,
                StoredRole::User,
                &text,
                1,
            ));
        }
        assert!(s.flush());
    }
    // A page of the old conversation garbled.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let page: i64 = conn
        .query_row(
            "SELECT pageno FROM dbstat WHERE name = 'messages' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    drop(conn);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = (page as usize - 1) * 4096;
    bytes[at..at + 4096].fill(0xA5);
    std::fs::write(&path, &bytes).unwrap();

    let mut d = Driver::new(ServerOptions::default()).await;
    d.saving_in(dir.path(), &quick());
    d.app.conversation.id = "conv-new".into();
    d.submit("hello");
    d.until(|a| a.screen.mode == Mode::ConfirmRescue && !a.is_busy())
        .await;
    let s = screen(&d.app, 80, 24);
    assert!(s.contains("the database is damaged"), "{s}");
    let shown = s.replace(&dir.path().display().to_string(), "/DIR");
    insta::assert_snapshot!("damaged_offer_80x24", shown);
    d.send(common::key(KeyCode::Char('y')));
    d.until(|a| {
        a.screen
            .flash
            .as_deref()
            .is_some_and(|f| f.starts_with("saved to "))
    })
    .await;
    let flash = d.app.screen.flash.clone().unwrap();
    let file = flash
        .strip_prefix("saved to ")
        .and_then(|f| f.split(';').next())
        .unwrap();
    assert!(file.starts_with(&dir.path().join("state").display().to_string()));
    // It imports into a sound database: the conversation and its cost.
    let fresh = tempfile::tempdir().unwrap();
    let other = Store::open(fresh.path().join("s.db")).unwrap();
    let doc = orchat::store::export::import_json(&std::fs::read_to_string(file).unwrap()).unwrap();
    let id = other
        .import_with(doc.meta, doc.messages, doc.charges)
        .unwrap();
    let (meta, msgs) = other.load(&id).unwrap().unwrap();
    assert_eq!(msgs[0].text, "hello");
    assert_eq!(meta.total_cost, d.app.wallet.ledger.total());
    assert!(
        std::fs::read(&path).unwrap() == bytes,
        "the damaged file was left as it was"
    );
}

#[tokio::test]
async fn a_conversation_open_in_another_orchat_goes_on_in_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Driver::new(ServerOptions::default()).await;
    let store = a.saving_in(dir.path(), &quick());
    a.app.conversation.id = "shared".into();
    a.submit("from the first window");
    a.until_idle().await;
    store.flush();

    // A second orchat opens the same conversation (`--session shared`).
    let mut b = Driver::new(ServerOptions::default()).await;
    let store_b = b.saving_in(dir.path(), &quick());
    b.app
        .restore(&orchat::runtime::load_session(&store_b, "shared").unwrap());
    b.send(Msg::Resize);
    b.until(|app: &App| app.conversation.id != "shared").await;
    let copy = b.app.conversation.id.clone();
    assert!(
        common::notices(&b.app)
            .iter()
            .any(|t| t.contains("open in another orchat") && t.contains(&copy))
    );
    b.submit("from the second window");
    b.until_idle().await;
    a.submit("the first goes on");
    a.until_idle().await;
    store.flush();
    store_b.flush();

    let texts = |id: &str| -> Vec<String> {
        store
            .load(id)
            .unwrap()
            .unwrap()
            .1
            .into_iter()
            .filter(|m| m.role == StoredRole::User)
            .map(|m| m.text)
            .collect()
    };
    assert_eq!(
        texts("shared"),
        ["from the first window", "the first goes on"]
    );
    assert_eq!(
        texts(&copy),
        ["from the first window", "from the second window"]
    );
}

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[tokio::test]
async fn a_key_a_server_echoes_never_reaches_the_screen_the_store_or_an_export() {
    const KEY: &str = "sk-or-v1-SENTINEL-echoed-42";
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::with_config(ServerOptions::default(), |cfg| {
        cfg.key = orchat::api::key::ApiKey::new(KEY);
    })
    .await;
    let store = d.saving_in(dir.path(), &quick());
    d.app.conversation.id = "conv-echo".into();
    d.submit("say it back [[fault:echo-key]]");
    d.until_idle().await;
    let a = answers(&d.app)[0];
    assert_eq!(a.text, "You sent the key [key hidden] with this request.");
    assert!(!screen(&d.app, 120, 40).contains("SENTINEL"));
    for export in ["x.md", "x.json --json"] {
        let target = dir.path().join("exports").join(export);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        d.submit(&format!("/export {}", target.display()));
        d.until(|a| {
            a.screen
                .flash
                .as_deref()
                .is_some_and(|f| f.starts_with("exported to"))
        })
        .await;
        d.app.screen.flash = None;
    }
    assert!(store.flush());
    drop(store);
    d.fx.set_store(None);
    let mut files = Vec::new();
    files_under(dir.path(), &mut files);
    assert!(files.len() >= 3, "{files:?}");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(8).any(|w| w == b"SENTINEL"),
            "the key reached {}",
            f.display()
        );
    }
}
