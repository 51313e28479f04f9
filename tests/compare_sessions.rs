//! Compare mode against the local server, with the store: three models
//! answer at once (one failing with a scripted fault), one is kept, the
//! next prompt is asked with the kept answer as history; the round is
//! saved with its alternatives, reopens as it was, and shows in the
//! transcript and the Markdown export. Every column's cost is on the ledger.

mod common;

use common::{Driver, key};
use crossterm::event::KeyCode;
use orchat::app::{Entry, Msg};
use orchat::chat::answer::Status;
use orchat::server::ServerOptions;
use orchat::store::{Store, StoredRole, export};

#[tokio::test]
async fn a_round_is_saved_with_its_alternatives_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("sessions.db")).unwrap();
    let mut d = Driver::new(ServerOptions::default()).await;
    d.fx.set_store(Some(store.clone()));
    d.app.conversation_id = "round-1".into();
    d.app.clock_base_ms = 1_700_000_000_000;

    d.submit("/compare 2.5-flash 2.5-pro flash-lite");
    assert_eq!(d.app.compare.len(), 3, "{:?}", d.app.flash);
    d.submit("name a colour");
    d.until_idle().await;
    let Some(Entry::Round(r)) = d.app.entries.last() else {
        panic!("a round: {:?}", d.app.entries.last())
    };
    assert_eq!(r.columns.len(), 3);
    for c in &r.columns {
        assert_eq!(c.answer.status, Status::Complete, "{:?}", c.answer.error);
        assert!(c.cost.is_some());
    }
    let texts: Vec<String> = r.columns.iter().map(|c| c.answer.text.clone()).collect();
    // Each model answered for itself (the demo server's answers differ by model).
    assert_ne!(texts[0], texts[1]);
    // Keep the second from the columns: Tab, →, Enter.
    d.send(key(KeyCode::Tab));
    d.send(key(KeyCode::Right));
    d.send(key(KeyCode::Enter));
    assert_eq!(d.app.model, "google/gemini-2.5-pro");
    // Ask again: the kept answer is the history the server sees.
    d.submit("[[fault:midstream-error]] and another");
    d.until_idle().await;
    let seen = d.server.received();
    let last = seen.last().expect("requests reached the server");
    let history = last.body["messages"].as_array().unwrap();
    assert_eq!(history.len(), 3, "{history:?}");
    assert_eq!(history[1]["content"].as_str().unwrap(), texts[1]);
    let Some(Entry::Round(second)) = d.app.entries.last() else {
        panic!()
    };
    assert!(
        second
            .columns
            .iter()
            .all(|c| c.answer.status == Status::Failed),
        "the scripted fault reaches every column"
    );
    // Six requests billed (or refused at $0), all on the ledger.
    let ledger_total = d.app.ledger.total();
    store.flush();

    // Reopened: the kept round and its alternatives, the same total.
    let loaded = orchat::runtime::load_session(&store, "round-1").unwrap();
    let mut again = common::new_app();
    again.restore(&loaded);
    let rounds: Vec<_> = again
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Round(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(rounds.len(), 2);
    assert_eq!(rounds[0].kept, Some(1));
    let reopened: Vec<String> = rounds[0]
        .columns
        .iter()
        .map(|c| c.answer.text.clone())
        .collect();
    assert_eq!(reopened, texts);
    assert_eq!(again.ledger.total(), ledger_total);
    // Only the kept answer is history after reopening, too.
    let wire = again.wire_messages();
    assert_eq!(
        wire.iter()
            .filter(|m| m.role == orchat::api::types::Role::Assistant)
            .count(),
        1
    );

    // The transcript and the Markdown export show the round.
    let (meta, msgs) = store.load("round-1").unwrap().unwrap();
    assert_eq!(meta.models.len(), 3, "{:?}", meta.models);
    let answer = msgs
        .iter()
        .find(|m| m.role == StoredRole::Assistant && m.round.is_some())
        .unwrap();
    assert_eq!(answer.text, texts[1], "the row holds the kept answer");
    let t = export::transcript(&meta, &msgs);
    assert!(t.contains("gemini-2.5-pro"), "{t}");
    assert!(t.contains("· kept"), "{t}");
    assert_eq!(t.matches("alternative, not sent").count(), 2, "{t}");
    let md = export::markdown(&meta, &msgs);
    assert!(md.contains("Also asked: google/gemini-2.5-flash"), "{md}");
    assert!(md.contains("## Compared (3 models, none kept)"), "{md}");
    // Totals count every answer of a round.
    let totals = export::totals(&msgs);
    assert_eq!(totals.cost, {
        let mut sum = rust_decimal::Decimal::ZERO;
        for c in &rounds[0].columns {
            sum += c.cost.unwrap().usd;
        }
        for c in &rounds[1].columns {
            sum += c.cost.map(|c| c.usd).unwrap_or_default();
        }
        sum
    });
    let _ = Msg::Resize;
}
