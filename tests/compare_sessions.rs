//! Compare mode against the local server, with the store: three models
//! answer at once, one is kept (compare mode ends: the next prompt goes to
//! the kept model alone, with the kept answer as history); `/compare` asks
//! the marked set again. The answers are saved as siblings, reopen as they
//! were, and show in the transcript and the Markdown export. Every
//! answer's cost is on the ledger, once.

mod common;

use common::{Driver, key, round_answers};
use crossterm::event::KeyCode;
use orchat::chat::answer::Status;
use orchat::server::ServerOptions;
use orchat::store::{Store, StoredRole, export};
use rust_decimal::Decimal;

#[tokio::test]
async fn a_round_is_saved_as_siblings_and_keeping_one_ends_compare_mode() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("sessions.db")).unwrap();
    let mut d = Driver::new(ServerOptions::default()).await;
    d.fx.set_store(Some(store.clone()));
    d.app.conversation.id = "round-1".into();
    d.app.env.clock_base_ms = 1_700_000_000_000;

    d.submit("/compare 2.5-flash 2.5-pro flash-lite");
    assert_eq!(d.app.chat.marked.len(), 3, "{:?}", d.app.screen.flash);
    assert!(d.app.chat.comparing);
    d.submit("name a colour");
    d.until_idle().await;
    let cols = round_answers(&d.app);
    assert_eq!(cols.len(), 3);
    for c in &cols {
        assert_eq!(c.answer.status, Status::Complete, "{:?}", c.answer.error);
        assert!(c.cost.is_some());
    }
    let texts: Vec<String> = cols.iter().map(|c| c.answer.text.clone()).collect();
    // Each model answered for itself (the demo server's answers differ by model).
    assert_ne!(texts[0], texts[1]);
    // Keep the second from the columns: Tab, →, Enter.
    d.send(key(KeyCode::Tab));
    d.send(key(KeyCode::Right));
    d.send(key(KeyCode::Enter));
    assert_eq!(d.app.chat.model, "google/gemini-2.5-pro");
    assert!(!d.app.chat.comparing, "keeping one ends compare mode");
    assert!(d.app.conversation.open_ask().is_none());
    let kept = d.app.conversation.last_reply().unwrap();
    assert_eq!(d.app.conversation.tree().place(kept), (2, 3));
    // The next prompt goes to the kept model alone, the kept answer its history.
    let before = d.server.received().len();
    d.submit("and another");
    d.until_idle().await;
    let seen = d.server.received();
    assert_eq!(seen.len(), before + 1, "one request, not three");
    let last = &seen.last().unwrap().body;
    assert_eq!(last["model"], "google/gemini-2.5-pro");
    let history = last["messages"].as_array().unwrap();
    assert_eq!(history.len(), 3, "{history:?}");
    assert_eq!(history[1]["content"].as_str().unwrap(), texts[1]);
    // /compare asks the last prompt of the marked set again: a new round
    // beside the answer it had.
    d.submit("/compare");
    d.until_idle().await;
    assert_eq!(round_answers(&d.app).len(), 3);
    assert!(d.app.chat.comparing);
    let p = d.app.conversation.last_prompt().unwrap();
    assert_eq!(
        d.app.conversation.tree().get(p).unwrap().children.len(),
        4,
        "the single answer and the new round's three, siblings"
    );
    d.submit("/keep 1");
    let ledger_total = d.app.wallet.ledger.total();
    assert_eq!(d.app.wallet.charges.len(), 7, "every answer billed once");
    store.flush();

    // Reopened: the same tree, on the same path, the same total.
    let loaded = orchat::runtime::load_session(&store, "round-1").unwrap();
    let mut again = common::new_app();
    again.restore(&loaded);
    assert_eq!(
        again.conversation.tree().len(),
        d.app.conversation.tree().len()
    );
    assert_eq!(again.conversation.path().len(), 4);
    let first = again.conversation.path()[1];
    let reopened: Vec<String> = again
        .conversation
        .tree()
        .siblings(first)
        .iter()
        .map(|&i| again.conversation.reply(i).unwrap().answer.text.clone())
        .collect();
    assert_eq!(reopened, texts, "the round's answers, siblings in order");
    assert_eq!(again.wallet.ledger.total(), ledger_total);
    // Only the path is history after reopening, too.
    let wire = again.wire_messages();
    assert_eq!(
        wire.iter()
            .filter(|m| m.role == orchat::api::types::Role::Assistant)
            .count(),
        2
    );

    // The transcript and the Markdown export: the path, and the branches
    // beside it.
    let (meta, msgs) = store.load("round-1").unwrap().unwrap();
    assert_eq!(meta.models.len(), 3, "{:?}", meta.models);
    let answers: Vec<_> = msgs
        .iter()
        .filter(|m| m.role == StoredRole::Assistant)
        .collect();
    assert_eq!(answers.len(), 7);
    assert_eq!(answers[0].ask, answers[1].ask, "asked together");
    assert_ne!(answers[2].ask, answers[3].ask);
    let t = export::transcript(&meta, &msgs);
    assert!(t.contains("gemini-2.5-pro"), "{t}");
    assert!(t.contains("‹2/3›"), "{t}");
    assert!(t.contains("more messages on other branches"), "{t}");
    let md = export::markdown(&meta, &msgs);
    assert!(
        md.contains("2 other answers to this prompt (branches not on this path)"),
        "{md}"
    );
    // Totals count every answer of every branch.
    let totals = export::totals(&msgs);
    let sum: Decimal = answers.iter().map(|m| m.cost.unwrap_or_default()).sum();
    assert_eq!(totals.cost, sum);
    assert_eq!(sum, ledger_total);
}
