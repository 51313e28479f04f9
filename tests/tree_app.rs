//! The conversation as a tree, through the app against the local server:
//! retries, an edit and a compare round kept are siblings; walking between
//! them changes the path shown and what is sent next (checked in the
//! server's log of requests); `/tree` lists every branch with its cost and
//! goes anywhere; `/fork` starts a new conversation from the path; `/title`
//! names it; every answer is billed once.

mod common;

use common::{Driver, answers, key, prompts, screen};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orchat::app::{Mode, Msg};
use orchat::server::ServerOptions;
use rust_decimal::Decimal;
use serde_json::Value;

const FLASH: &str = "google/gemini-2.5-flash";
const LITE: &str = "google/gemini-2.0-flash-lite-001";
const PRO: &str = "google/gemini-2.5-pro";

fn alt(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::ALT))
}

/// The texts of a request's messages, role and content.
fn sent(body: &Value) -> Vec<(String, String)> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let content = match &m["content"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (m["role"].as_str().unwrap().to_string(), content)
        })
        .collect()
}

async fn ask(d: &mut Driver, text: &str) {
    d.submit(text);
    d.until_idle().await;
}

#[tokio::test]
async fn retries_an_edit_and_a_kept_round_are_siblings_and_only_the_path_is_sent() {
    let mut d = Driver::new(ServerOptions::default()).await;
    ask(&mut d, "what is a tree").await;
    let first = answers(&d.app)[0].text.clone();
    // Two retries, each of another model: three sibling answers.
    ask(&mut d, &format!("/retry {LITE}")).await;
    ask(&mut d, &format!("/retry {PRO}")).await;
    let c = &d.app.conversation;
    let p = c.path()[0];
    assert_eq!(c.tree().get(p).unwrap().children.len(), 3);
    assert_eq!(c.tree().place(c.path()[1]), (3, 3));
    assert_eq!(answers(&d.app).len(), 1, "the path shows one answer");
    // Each retry sent the prompt alone: never an answer it had.
    for r in &d.server.received()[1..3] {
        assert_eq!(sent(&r.body), [("user".into(), "what is a tree".into())]);
    }
    // Walk back to the first answer (Alt+← twice): ‹1/3›.
    d.send(alt(KeyCode::Left));
    d.send(alt(KeyCode::Left));
    assert_eq!(answers(&d.app)[0].text, first);
    let s = screen(&d.app, 80, 24);
    assert!(s.contains(&format!("▌ {FLASH} ‹1/3›")), "{s}");
    // A follow-up carries the first answer, and neither of the others.
    ask(&mut d, "and a forest?").await;
    let last = sent(&d.server.received().last().unwrap().body);
    assert_eq!(
        last,
        [
            ("user".into(), "what is a tree".into()),
            ("assistant".into(), first.clone()),
            ("user".into(), "and a forest?".into()),
        ]
    );
    // An edit of the follow-up: a sibling prompt, its own answer.
    ask(&mut d, "/edit").await;
    assert_eq!(d.app.draft(), "and a forest?");
    d.send(key(KeyCode::End));
    d.type_text(" and a wood?");
    d.send(key(KeyCode::Enter));
    d.until_idle().await;
    assert_eq!(
        prompts(&d.app),
        ["what is a tree", "and a forest? and a wood?"]
    );
    let q = d.app.conversation.path()[2];
    assert_eq!(d.app.conversation.tree().place(q), (2, 2));
    // A round of two, one kept: siblings of that answer.
    ask(&mut d, &format!("/compare {LITE} {PRO}")).await;
    ask(&mut d, "which is older?").await;
    ask(&mut d, "/keep 2").await;
    let c = &d.app.conversation;
    let kept = *c.path().last().unwrap();
    assert_eq!(c.reply(kept).unwrap().answer.model_requested, PRO);
    assert_eq!(c.tree().place(kept), (2, 2));
    // The next prompt goes to the kept model alone, with the path as history.
    ask(&mut d, "thanks").await;
    let body = d.server.received().last().unwrap().body.clone();
    assert_eq!(body["model"], PRO);
    let texts: Vec<String> = sent(&body).into_iter().map(|(_, t)| t).collect();
    assert_eq!(texts.len(), 7, "{texts:#?}");
    assert_eq!(texts[1], first);
    assert_eq!(texts[2], "and a forest? and a wood?");
    assert!(
        !texts.contains(&"and a forest?".to_string()),
        "not the old version"
    );
    // Every answer billed once: 3 + 1 + 1 + 2 + 1 requests, the ledger their sum.
    let c = &d.app.conversation;
    let replies: Vec<_> = c
        .tree()
        .slots()
        .filter_map(|(_, s)| s.body.reply())
        .collect();
    assert_eq!(replies.len(), 8);
    assert_eq!(d.app.wallet.charges.len(), 8);
    let sum: Decimal = replies.iter().map(|r| r.cost.unwrap().usd).sum();
    assert_eq!(d.app.wallet.ledger.total(), sum);
    assert_eq!(d.server.received().len(), 8);
}

#[tokio::test]
async fn the_tree_overlay_lists_every_branch_with_its_cost_and_goes_there() {
    let mut d = Driver::new(ServerOptions::default()).await;
    ask(&mut d, "what is a tree").await;
    ask(&mut d, &format!("/retry {LITE}")).await;
    ask(&mut d, "and a leaf?").await;
    let (first_cost, second_cost) = {
        let c = &d.app.conversation;
        let p = c.path()[0];
        let kids = &c.tree().get(p).unwrap().children;
        (c.cost_below(kids[0]).0, c.cost_below(kids[1]).0)
    };
    d.submit("/tree");
    assert!(matches!(d.app.screen.mode, Mode::Tree(_)));
    for (w, h) in [(120, 40), (80, 24)] {
        let s = screen(&d.app, w, h);
        assert!(s.contains("you: what is a tree"), "{s}");
        assert!(
            s.contains(&format!(
                "branch {}",
                orchat::chat::pricing::format_usd(first_cost)
            )),
            "{s}"
        );
        assert!(
            s.contains(&format!(
                "branch {}",
                orchat::chat::pricing::format_usd(second_cost)
            )),
            "{s}"
        );
        insta::assert_snapshot!(format!("tree_{w}x{h}"), s);
    }
    // Up to the first answer (the other branch), Enter: it is the path now.
    let Mode::Tree(t) = &d.app.screen.mode else {
        panic!()
    };
    let target = t
        .rows
        .iter()
        .position(|&(id, _)| {
            d.app
                .conversation
                .reply(id)
                .is_some_and(|r| r.answer.model_requested == FLASH)
        })
        .unwrap();
    for _ in 0..t.selected - target {
        d.send(key(KeyCode::Up));
    }
    d.send(key(KeyCode::Enter));
    assert_eq!(d.app.screen.mode, Mode::Chat);
    assert_eq!(answers(&d.app).len(), 1);
    assert_eq!(answers(&d.app)[0].model(), FLASH);
    assert_eq!(prompts(&d.app), ["what is a tree"]);
}

#[tokio::test]
async fn sibling_headers_read_at_both_sizes() {
    let mut d = Driver::new(ServerOptions::default()).await;
    ask(&mut d, "name a colour").await;
    ask(&mut d, &format!("/retry {LITE}")).await;
    ask(&mut d, &format!("/retry {PRO}")).await;
    d.send(alt(KeyCode::Left));
    for (w, h) in [(120, 40), (80, 24)] {
        let s = screen(&d.app, w, h);
        assert!(s.contains("‹2/3›"), "{s}");
        assert!(s.contains("2 other answers here"), "{s}");
        insta::assert_snapshot!(format!("siblings_{w}x{h}"), s);
    }
}

#[tokio::test]
async fn the_pane_walks_the_selected_messages_siblings() {
    let mut d = Driver::new(ServerOptions::default()).await;
    ask(&mut d, "one").await;
    ask(&mut d, "two").await;
    ask(&mut d, "/edit").await;
    d.type_text(" again");
    d.send(key(KeyCode::Enter));
    d.until_idle().await;
    ask(&mut d, "three").await;
    assert_eq!(prompts(&d.app), ["one", "two again", "three"]);
    // Tab, select the edited prompt ([ twice), ←: the old version and
    // what followed it.
    d.send(key(KeyCode::Tab));
    d.send(key(KeyCode::Char('[')));
    d.send(key(KeyCode::Char('[')));
    d.send(key(KeyCode::Char('[')));
    d.send(key(KeyCode::Left));
    assert_eq!(prompts(&d.app), ["one", "two"]);
    d.send(key(KeyCode::Right));
    assert_eq!(
        prompts(&d.app),
        ["one", "two again", "three"],
        "back where it was left"
    );
}

#[tokio::test]
async fn fork_starts_a_conversation_from_the_path_and_the_original_keeps_its_branches() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::new(ServerOptions::default()).await;
    let store = orchat::store::Store::open(dir.path().join("s.db")).unwrap();
    d.fx.set_store(Some(store.clone()));
    d.app.conversation.id = "orig".into();
    ask(&mut d, "first").await;
    ask(&mut d, &format!("/retry {LITE}")).await;
    ask(&mut d, "second").await;
    let billed = d.app.wallet.ledger.total();
    ask(&mut d, "/fork").await;
    let id = d.app.conversation.id.clone();
    assert_ne!(id, "orig");
    assert_eq!(prompts(&d.app), ["first", "second"]);
    assert_eq!(
        d.app.conversation.tree().len(),
        5,
        "the path's four messages and the fork's notice"
    );
    assert!(
        d.app.wallet.charges.is_empty(),
        "what was billed stays with orig"
    );
    // Asked on, the fork carries the path as history.
    ask(&mut d, "third").await;
    let body = d.server.received().last().unwrap().body.clone();
    assert_eq!(sent(&body).len(), 5);
    store.flush();
    let (_, orig) = store.load("orig").unwrap().unwrap();
    assert_eq!(
        orig.iter()
            .filter(|m| m.role == orchat::store::StoredRole::Assistant)
            .count(),
        3,
        "the original keeps both answers to the first prompt"
    );
    assert_eq!(store.charges("orig").unwrap().len(), 3);
    let orig_total: Decimal = store
        .charges("orig")
        .unwrap()
        .iter()
        .map(|c| c.cost.usd)
        .sum();
    assert_eq!(orig_total, billed);
    let (meta, forked) = store.load(&id).unwrap().unwrap();
    assert_eq!(
        forked
            .iter()
            .filter(|m| m.role == orchat::store::StoredRole::User)
            .count(),
        3
    );
    assert!(meta.current.is_some());
}

#[tokio::test]
async fn title_asks_the_model_and_renames_the_conversation_billed() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::new(ServerOptions::default()).await;
    let store = orchat::store::Store::open(dir.path().join("s.db")).unwrap();
    d.fx.set_store(Some(store.clone()));
    d.app.conversation.id = "named".into();
    d.app.chat.title_model = Some(LITE.into());
    ask(&mut d, "how do penguins keep warm").await;
    let before = d.app.wallet.charges.len();
    d.submit("/title");
    d.until(|a| {
        a.screen
            .flash
            .as_deref()
            .is_some_and(|f| f.starts_with("renamed to "))
    })
    .await;
    let asked = d.server.received().last().unwrap().body.clone();
    assert_eq!(asked["model"], LITE);
    assert_eq!(asked["stream"], false);
    assert!(asked.to_string().contains("how do penguins keep warm"));
    assert_eq!(
        d.app.wallet.charges.len(),
        before + 1,
        "the title is billed"
    );
    let title = d
        .app
        .screen
        .flash
        .clone()
        .unwrap()
        .trim_start_matches("renamed to ")
        .to_string();
    assert!(!title.is_empty() && title.chars().count() <= 60, "{title}");
    store.flush();
    let list = store.list().unwrap();
    assert_eq!(list[0].title, title);
}
