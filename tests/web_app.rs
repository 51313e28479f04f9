//! Web search through the app against the local server: `/web on` asks for
//! OpenRouter's server tool (or the older plugin), the sources come in
//! every shape servers send them and are listed under the answer, once per
//! URL; the search's fee is shown apart, counted in the ledger and the
//! estimate; sources are saved, reopened and exported; PDF parses go back
//! with their answer.

mod common;

use common::{Driver, screen};
use orchat::server::ServerOptions;
use rust_decimal::Decimal;
use serde_json::json;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A driver on the local server playing OpenRouter, as the app in front of
/// OpenRouter knows it is (`cli/fullscreen` sets it from the provider).
async fn openrouter() -> Driver {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.app.env.openrouter = true;
    d
}

async fn ask(d: &mut Driver, text: &str) {
    d.submit(text);
    d.until_idle().await;
}

#[tokio::test]
async fn a_search_lists_its_sources_and_its_fee_apart() {
    let mut d = openrouter().await;
    d.submit("/web on");
    assert!(
        d.app
            .screen
            .flash
            .as_deref()
            .unwrap()
            .starts_with("web search on"),
        "{:?}",
        d.app.screen.flash
    );
    // The estimate before sending has a search's fee and its results.
    d.type_text("what is new in rust");
    let m = d
        .app
        .env
        .catalog
        .get("google/gemini-2.5-flash")
        .unwrap()
        .clone();
    let with = d.app.send_estimate(&m).unwrap();
    d.app.chat.settings.web = None;
    let without = d.app.send_estimate(&m).unwrap();
    d.app.chat.settings.web = Some(d.app.chat.web_setup.clone());
    let prompt_price = m.pricing.as_ref().unwrap().prompt;
    assert_eq!(
        with - without,
        dec("0.007") + Decimal::from(2_300u64) * prompt_price
    );
    d.send(common::key(crossterm::event::KeyCode::Enter));
    d.until_idle().await;
    let req = &d.server.received()[0].body;
    assert_eq!(req["tools"], json!([{"type": "openrouter:web_search"}]));
    assert!(req.get("plugins").is_none());
    let r = common::last_reply(&d.app);
    // Three annotations, two URLs: the later empty title never wins.
    let urls: Vec<&str> = r.answer.sources.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://www.rust-lang.org/",
            "https://blog.rust-lang.org/releases/"
        ]
    );
    assert_eq!(r.answer.sources[0].title, "Rust Programming Language");
    assert_eq!(r.answer.search_fee(), Some(dec("0.007")));
    // The cost reported holds the fee; the ledger keeps it apart too.
    let cost = r.cost.unwrap();
    let s = &d.app.wallet.ledger.by_model["google/gemini-2.5-flash"];
    assert_eq!(s.search, dec("0.007"));
    assert_eq!(s.cost, cost.usd);
    assert!(cost.usd > dec("0.007"));
    let wide = screen(&d.app, 120, 40);
    assert!(wide.contains("│ web"), "{wide}");
    assert!(wide.contains("· web $0.007"), "{wide}");
    assert!(wide.contains("Sources"), "{wide}");
    assert!(
        wide.contains("  1. Rust Programming Language\n     https://www.rust-lang.org/\n"),
        "{wide}"
    );
    assert!(
        wide.contains("  2. blog.rust-lang.org\n     https://blog.rust-lang.org/releases/\n"),
        "{wide}"
    );
    insta::assert_snapshot!("sourced_120x40", wide);
    insta::assert_snapshot!("sourced_80x24", screen(&d.app, 80, 24));
    // The cost panel has a search column.
    d.submit("/cost");
    let panel = screen(&d.app, 120, 40);
    assert!(panel.contains("search"), "{panel}");
    assert!(panel.contains("$0.007"), "{panel}");
    insta::assert_snapshot!("cost_panel_search_120x40", panel);
}

#[tokio::test]
async fn sources_come_in_every_shape_asked_for_or_not() {
    let mut d = openrouter().await;
    // Not asked: a server that sends sources anyway; they are listed, no fee.
    ask(&mut d, "tell me [[fault:web-early]]").await;
    let r = common::last_reply(&d.app);
    assert_eq!(r.answer.sources.len(), 2);
    assert_eq!(r.answer.search_fee(), None);
    assert!(d.server.received()[0].body.get("tools").is_none());
    d.submit("/web on");
    for (fault, n) in [("web-late", 2), ("web-choice", 2), ("web-native", 1)] {
        ask(&mut d, &format!("and now [[fault:{fault}]]")).await;
        let r = common::last_reply(&d.app);
        assert_eq!(r.answer.sources.len(), n, "{fault}");
        assert!(r.answer.search_fee().is_some(), "{fault}");
    }
    // Native: real offsets kept, the fee split from the cost ($0.01).
    let r = common::last_reply(&d.app);
    let s = &r.answer.sources[0];
    assert_eq!((s.start, s.end), (Some(0), Some(40)));
    assert_eq!(s.title, "Download Ruby | Ruby");
    assert_eq!(r.answer.search_fee(), Some(dec("0.01")));
    // A whole answer (no stream) with its sources on the message.
    d.app.chat.settings.stream = false;
    ask(&mut d, "whole please").await;
    assert_eq!(common::last_reply(&d.app).answer.sources.len(), 2);
    // Off: no tool asked.
    d.submit("/web off");
    ask(&mut d, "no search").await;
    let last = d.server.received().pop().unwrap();
    assert!(last.body.get("tools").is_none());
    assert!(common::last_reply(&d.app).answer.sources.is_empty());
}

#[tokio::test]
async fn the_plugin_form_and_providers_without_search() {
    let mut d = openrouter().await;
    d.app.chat.web_setup = orchat::chat::request::WebSearch {
        form: orchat::chat::request::WebForm::Plugin,
        max_results: Some(3),
        engine: Some("exa".into()),
        include_domains: vec!["rust-lang.org".into()],
        ..Default::default()
    };
    d.submit("/web on");
    ask(&mut d, "news").await;
    assert_eq!(
        d.server.received()[0].body["plugins"],
        json!([{"id": "web", "max_results": 3, "engine": "exa", "include_domains": ["rust-lang.org"]}])
    );
    assert_eq!(common::last_reply(&d.app).answer.sources.len(), 2);
    // A provider with no web search: said, nothing changed.
    d.submit("/web off");
    d.app.env.openrouter = false;
    d.submit("/web on");
    assert!(
        d.app
            .screen
            .flash
            .as_deref()
            .unwrap()
            .contains("has no web search"),
        "{:?}",
        d.app.screen.flash
    );
    assert!(d.app.chat.settings.web.is_none());
    assert!(!screen(&d.app, 120, 40).contains("│ web"));
}

#[tokio::test]
async fn sources_are_kept_reopened_and_exported() {
    let root = tempfile::tempdir().unwrap();
    let mut d = openrouter().await;
    let store = d.saving_in(root.path(), &Default::default());
    d.submit("/web on");
    ask(&mut d, "what is new in rust").await;
    store.flush();
    let id = d.app.conversation.id.clone();
    let saved = orchat::runtime::load_session(&store, &id).unwrap();
    let mut app = common::new_app();
    app.restore(&saved);
    let r = common::last_reply(&app);
    assert_eq!(r.answer.sources.len(), 2);
    assert_eq!(r.answer.search_fee(), Some(dec("0.007")));
    let s = screen(&app, 120, 40);
    assert!(
        s.contains("· web $0.007") && s.contains("1. Rust Programming Language"),
        "{s}"
    );
    // The ledger read back keeps the fee apart.
    let ledger = orchat::chat::pricing::Ledger::of(&store.charges(&id).unwrap());
    assert_eq!(
        ledger.by_model["google/gemini-2.5-flash"].search,
        dec("0.007")
    );
    // Exports: a sources list in Markdown, the sources in JSON.
    let (meta, msgs) = store.load(&id).unwrap().unwrap();
    let md = orchat::store::export::markdown(&meta, &msgs);
    assert!(md.contains("Sources:\n\n1. [Rust Programming Language](https://www.rust-lang.org/)\n2. [blog.rust-lang.org](https://blog.rust-lang.org/releases/)"), "{md}");
    assert!(md.contains("web $0.007"), "{md}");
    let js: serde_json::Value =
        serde_json::from_str(&orchat::store::export::json(&meta, &msgs)).unwrap();
    let answer = &js["messages"][1];
    assert_eq!(answer["sources"][0]["url"], "https://www.rust-lang.org/");
    assert_eq!(answer["search_usd"], "0.007");
}

#[tokio::test]
async fn compare_columns_show_their_sources() {
    let mut d = openrouter().await;
    d.submit("/web on");
    d.submit("/compare 2.5-flash 2.0-flash-001");
    ask(&mut d, "what is new in rust").await;
    let got = d.server.received();
    assert_eq!(got.len(), 2);
    assert!(
        got.iter()
            .all(|r| r.body["tools"][0]["type"] == "openrouter:web_search")
    );
    let s = screen(&d.app, 120, 40);
    assert_eq!(s.matches("Sources").count(), 2, "{s}");
    insta::assert_snapshot!("compare_sourced_120x40", s);
}

#[tokio::test]
async fn a_pdf_parse_goes_back_with_its_answer() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("report.pdf");
    std::fs::write(&pdf, common::media::pdf(2)).unwrap();
    let mut d = openrouter().await;
    let before = d.app.conversation.tree().len();
    d.submit(&format!("/attach {}", pdf.display()));
    d.until(|a| !a.composer.attachments.is_empty() || a.conversation.tree().len() > before)
        .await;
    ask(&mut d, "summarise [[fault:pdf-annotations]]").await;
    let parsed = common::last_reply(&d.app).answer.file_annotations.clone();
    assert_eq!(parsed.len(), 1);
    ask(&mut d, "and the second page?").await;
    let got = d.server.received();
    let back = &got[1].body["messages"][1];
    assert_eq!(back["role"], "assistant");
    assert_eq!(back["annotations"][0]["type"], "file");
    assert_eq!(
        back["annotations"][0]["file"]["hash"],
        parsed[0]["file"]["hash"]
    );
}
