//! Sessions through the app: every prompt and answer saved as it happens,
//! reopened, searched, renamed, deleted and exported from the keyboard.

mod common;

use common::{Driver, ctrl, key, new_app};
use crossterm::event::KeyCode;
use orchat::app::Mode;
use orchat::server::{Fault, ServerOptions};
use orchat::store::{Store, StoredMessage, StoredRole};

async fn driver_with_store(dir: &std::path::Path) -> (Driver, Store) {
    let store = Store::open(dir.join("sessions.db")).unwrap();
    let mut d = Driver::new(ServerOptions::default()).await;
    d.fx.set_store(Some(store.clone()));
    d.app.conversation.id = "conv-a".into();
    d.app.env.clock_base_ms = 1_700_000_000_000;
    (d, store)
}

#[tokio::test]
async fn prompts_and_answers_are_saved_as_they_happen_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, store) = driver_with_store(dir.path()).await;
    d.submit("what is a monad");
    // The prompt is saved when sent, before any answer.
    store.flush();
    let (_, msgs) = store.load("conv-a").unwrap().unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(
        (msgs[0].role, msgs[0].text.as_str()),
        (StoredRole::User, "what is a monad")
    );
    d.until_idle().await;
    d.submit("[[fault:midstream-error]] and a functor");
    d.until_idle().await;
    store.flush();
    let (meta, msgs) = store.load("conv-a").unwrap().unwrap();
    assert_eq!(meta.title, "what is a monad");
    let roles: Vec<_> = msgs.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            StoredRole::User,
            StoredRole::Assistant,
            StoredRole::User,
            StoredRole::Assistant,
            StoredRole::Error
        ]
    );
    // The failed answer is saved with its partial text, its error and an estimate.
    let failed = &msgs[3];
    assert!(!failed.text.is_empty());
    assert!(
        failed
            .error
            .as_deref()
            .unwrap()
            .contains("Upstream connection closed")
    );
    assert_eq!(
        failed.cost_kind,
        Some(orchat::chat::pricing::CostKind::Estimated)
    );
    assert_eq!(
        msgs[1].cost_kind,
        Some(orchat::chat::pricing::CostKind::Reported)
    );
    assert_eq!(
        msgs[1].model_reported.as_deref(),
        Some("google/gemini-2.5-flash")
    );

    // A new app reopens it with the same messages and totals.
    let mut app = new_app();
    app.restore(&orchat::runtime::load_session(&store, "conv-a").unwrap());
    assert_eq!(
        app.conversation.tree().len(),
        d.app.conversation.tree().len()
    );
    assert_eq!(app.wallet.ledger.total(), d.app.wallet.ledger.total());
    let answer = &common::replies(&app)[0].answer;
    let live = &common::replies(&d.app)[0].answer;
    assert_eq!(answer.text, live.text);
}

#[tokio::test]
async fn retry_and_edit_keep_every_branch_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, store) = driver_with_store(dir.path()).await;
    d.submit("first");
    d.until_idle().await;
    d.submit("/retry google/gemini-2.0-flash-001");
    d.until_idle().await;
    store.flush();
    let (meta, msgs) = store.load("conv-a").unwrap().unwrap();
    let answers: Vec<&StoredMessage> = msgs
        .iter()
        .filter(|m| m.role == StoredRole::Assistant)
        .collect();
    // Both answers, siblings under the prompt; the path through the new.
    assert_eq!(answers.len(), 2, "{msgs:#?}");
    let prompt = msgs.iter().find(|m| m.role == StoredRole::User).unwrap();
    assert!(answers.iter().all(|a| a.parent == Some(prompt.seq)));
    assert_eq!(
        answers[1].model_reported.as_deref(),
        Some("google/gemini-2.0-flash-001")
    );
    assert_eq!(meta.current, Some(answers[1].seq));
    // /edit, then send: a second first prompt beside the old one.
    d.submit("/edit");
    d.type_text(", edited");
    d.send(key(KeyCode::Enter));
    d.until_idle().await;
    store.flush();
    let (meta, msgs) = store.load("conv-a").unwrap().unwrap();
    let prompts: Vec<&StoredMessage> = msgs.iter().filter(|m| m.role == StoredRole::User).collect();
    assert_eq!(prompts.len(), 2);
    assert_eq!(prompts[1].text, "first, edited");
    assert_eq!(prompts[1].parent, None, "a sibling of the first prompt");
    let newest = msgs.iter().map(|m| m.seq).max().unwrap();
    assert_eq!(meta.current, Some(newest), "reopens on the edited branch");
    // Reopened, the same tree on the same path.
    let mut app = new_app();
    app.restore(&orchat::runtime::load_session(&store, "conv-a").unwrap());
    assert_eq!(common::prompts(&app), ["first, edited"]);
    assert_eq!(
        app.conversation.tree().len(),
        d.app.conversation.tree().len()
    );
    let p = app.conversation.path()[0];
    assert_eq!(app.conversation.tree().place(p), (2, 2));
}

#[tokio::test]
async fn browser_searches_opens_renames_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, store) = driver_with_store(dir.path()).await;
    d.submit("tell me about zebras");
    d.until_idle().await;
    d.submit("/clear");
    let second = d.app.conversation.id.clone();
    assert_ne!(second, "conv-a", "/clear starts a new conversation");
    d.submit("and now giraffes");
    d.until_idle().await;

    // Ctrl+S lists both; typing searches the old answer's words.
    d.send(ctrl('s'));
    d.until(|a| matches!(&a.screen.mode, Mode::Sessions(s) if s.items.len() == 2))
        .await;
    d.type_text("zebras");
    d.until(|a| matches!(&a.screen.mode, Mode::Sessions(s) if s.query == "zebras" && s.items.len() == 1))
        .await;
    let Mode::Sessions(s) = &d.app.screen.mode else {
        panic!()
    };
    assert_eq!(s.items[0].meta.id, "conv-a");
    assert!(s.items[0].snippet.as_deref().unwrap().contains("zebras"));
    let screen = common::screen(&d.app, 100, 24);
    assert!(screen.contains("tell me about zebras"), "{screen}");

    // Rename it, then open it.
    d.send(ctrl('r'));
    for _ in 0..30 {
        d.send(key(KeyCode::Backspace));
    }
    d.type_text("Zebra facts");
    d.send(key(KeyCode::Enter));
    d.until(|a| matches!(&a.screen.mode, Mode::Sessions(s) if s.items.first().is_some_and(|i| i.meta.title == "Zebra facts"))).await;
    d.send(key(KeyCode::Enter));
    d.until(|a| a.conversation.id == "conv-a").await;
    assert_eq!(d.app.screen.mode, Mode::Chat);
    assert_eq!(common::prompts(&d.app), ["tell me about zebras"]);

    // Delete the other one, with confirmation.
    d.send(ctrl('s'));
    d.until(|a| matches!(&a.screen.mode, Mode::Sessions(s) if s.items.len() == 2))
        .await;
    let Mode::Sessions(s) = &d.app.screen.mode else {
        panic!()
    };
    let pos = s.items.iter().position(|i| i.meta.id == second).unwrap();
    for _ in 0..pos {
        d.send(key(KeyCode::Down));
    }
    d.send(ctrl('x'));
    d.send(key(KeyCode::Char('n')));
    store.flush();
    assert_eq!(store.list().unwrap().len(), 2, "n keeps it");
    d.send(ctrl('x'));
    d.send(key(KeyCode::Char('y')));
    d.until(|a| matches!(&a.screen.mode, Mode::Sessions(s) if s.items.len() == 1))
        .await;
    assert!(store.load(&second).unwrap().is_none());
}

#[tokio::test]
async fn export_markdown_and_json_from_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, store) = driver_with_store(dir.path()).await;
    d.app.chat.model = "google/gemini-2.5-pro".into();
    d.submit("compare two options");
    d.until_idle().await;
    let md = dir.path().join("out.md");
    let json = dir.path().join("out.json");
    d.submit(&format!("/export {}", md.display()));
    d.until(|a| {
        a.screen
            .flash
            .as_deref()
            .is_some_and(|f| f.starts_with("exported"))
    })
    .await;
    d.submit(&format!("/export {} --json", json.display()));
    d.until(|a| {
        a.screen
            .flash
            .as_deref()
            .is_some_and(|f| f.contains("out.json"))
    })
    .await;
    let md = std::fs::read_to_string(md).unwrap();
    assert!(
        md.starts_with("---\n") && md.contains("google/gemini-2.5-pro"),
        "{md}"
    );
    assert!(md.contains("<details>"), "reasoning as collapsible details");
    let doc = orchat::store::export::import_json(&std::fs::read_to_string(json).unwrap()).unwrap();
    let (meta, msgs) = (doc.meta, doc.messages);
    let (meta0, msgs0) = store.load("conv-a").unwrap().unwrap();
    assert_eq!(msgs, msgs0, "JSON round-trips field for field");
    assert_eq!(meta.title, meta0.title);
}

#[tokio::test]
async fn a_broken_store_turns_saving_off_and_the_app_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sessions.db");
    std::fs::write(&db, b"this is not a database, and must stay as it is").unwrap();
    let err = Store::open(&db).unwrap_err().to_string();
    assert!(err.contains("not a valid orchat database"), "{err}");
    let mut d = Driver::new(ServerOptions::default()).await;
    d.app.env.saving = orchat::store::SaveState::Off { reason: err };
    d.server.push_fault(Fault::NoUsage);
    d.submit("still works?");
    d.until_idle().await;
    let s = common::screen(&d.app, 100, 20);
    assert!(s.contains("saving off"), "{s}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        b"this is not a database, and must stay as it is"
    );
}
