//! Money through the app, against the local server: what was billed stays
//! billed (stopped, failed, replaced, reloaded), unknown is never free,
//! costs OpenRouter did not report are settled with `/generation`, the
//! account and the `:free` day are in view, a conversation that no longer
//! fits is not sent, Ctrl+Y offers only real models, and Gemini's reasoning
//! goes back to Gemini.

mod common;

use std::time::Duration;

use common::{Driver, answers, errors, key, screen};
use crossterm::event::KeyCode;
use orchat::app::Mode;
use orchat::chat::catalog::{Catalog, Model, Source};
use orchat::chat::pricing::CostKind;
use orchat::server::{Dialect, ServerOptions};
use orchat::store::Store;
use rust_decimal::Decimal;

fn kinds(d: &Driver) -> Vec<CostKind> {
    d.app.wallet.charges.iter().map(|c| c.cost.kind).collect()
}

/// A driver that saves to a store in `dir`.
async fn saving(opts: ServerOptions, dir: &tempfile::TempDir) -> (Driver, Store) {
    let mut d = Driver::new(opts).await;
    let store = Store::open(dir.path().join("sessions.db")).unwrap();
    d.fx.set_store(Some(store.clone()));
    d.app.conversation.id = "conv-money".into();
    (d, store)
}

#[tokio::test]
async fn stopped_failed_and_replaced_answers_stay_billed_after_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, store) = saving(ServerOptions::default(), &dir).await;
    // A complete answer, then /retry (both billed), a failure midway
    // (billed: text came), and an answer stopped with Esc (billed).
    d.submit("first");
    d.until_idle().await;
    d.submit("/retry");
    d.until_idle().await;
    d.submit("then fail [[fault:midstream-error:3]]");
    d.until_idle().await;
    d.submit("slowly [[fault:pace:20]] [[fault:long:400]]");
    d.until(|a| answers(a).last().is_some_and(|x| !x.text.is_empty()))
        .await;
    d.send(key(KeyCode::Esc));
    assert_eq!(d.app.wallet.charges.len(), 4, "{:?}", d.app.wallet.charges);
    let total = d.app.wallet.ledger.total();
    assert!(total > Decimal::ZERO);
    // Only three answers are on screen; four requests were billed.
    assert_eq!(answers(&d.app).len(), 3);

    store.flush();
    let mut again = common::new_app();
    again.restore(&orchat::runtime::load_session(&store, "conv-money").unwrap());
    assert_eq!(
        again.wallet.ledger.total(),
        total,
        "the same total to the last digit"
    );
    assert_eq!(again.wallet.ledger, d.app.wallet.ledger, "per model too");
    let listed = store.list().unwrap();
    assert_eq!(
        listed[0].total_cost, total,
        "the session list reads the ledger"
    );
    // The daily budget reads it as well.
    assert_eq!(store.spent_since(0).unwrap(), total);
}

#[tokio::test]
async fn a_model_with_no_known_price_costs_unknown_never_zero() {
    // A plain OpenAI-compatible server whose list has no prices, serving a
    // model the bundled catalog does not know.
    let mystery: Catalog = Catalog::parse(
        r#"{"data":[{"id":"local/mystery-7b","name":"Mystery 7B","context_length":32768}]}"#,
        Source::Live,
    )
    .unwrap();
    let mut models = Catalog::bundled().models;
    models.extend(mystery.models);
    let server = orchat::server::start_with(
        ServerOptions {
            dialect: Dialect::Plain,
            ..ServerOptions::default()
        },
        Catalog {
            models,
            source: Source::Live,
        },
    )
    .await
    .unwrap();
    let mut d = Driver::on(server);
    // What the app's catalog becomes after a refresh from this server.
    let live = orchat::chat::catalog::refresh(&d.client(), None)
        .await
        .unwrap();
    assert_eq!(live.get("local/mystery-7b").unwrap().pricing, None);
    assert!(
        live.pricing("google/gemini-2.5-flash").is_some(),
        "known ids keep their price"
    );
    d.app.env.catalog = live;
    d.app.chat.model = "local/mystery-7b".into();
    d.type_text("what are you");
    let s = screen(&d.app, 120, 40);
    assert!(s.contains("send ?"), "{s}");
    d.send(key(KeyCode::Enter));
    d.until_idle().await;
    assert_eq!(kinds(&d), [CostKind::Unknown]);
    let s = screen(&d.app, 120, 40);
    assert!(s.contains("cost unknown") && s.contains("total ?"), "{s}");
    assert!(
        !s.contains("$0.00 reported") && !s.contains("total $0.00"),
        "{s}"
    );
    // A known model next: its cost counts, the unknown one shows as "+ ?".
    d.app.chat.model = "google/gemini-2.5-flash".into();
    d.submit("and you");
    d.until_idle().await;
    let s = screen(&d.app, 120, 40);
    assert!(s.contains("+ ?"), "{s}");
    d.send(common::ctrl('o'));
    let s = screen(&d.app, 120, 40);
    assert!(s.contains("? no price known"), "{s}");
}

#[tokio::test]
async fn an_unreported_cost_is_settled_with_openrouter_and_saved() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, store) = saving(
        ServerOptions {
            generation_delay: Duration::from_millis(600),
            ..ServerOptions::default()
        },
        &dir,
    )
    .await;
    d.app.env.openrouter = true;
    d.fx.settle_waits = vec![Duration::from_millis(200); 20];
    d.submit("hello [[fault:no-usage]]");
    d.until_idle().await;
    assert_eq!(kinds(&d), [CostKind::Estimated]);
    let estimate = d.app.wallet.ledger.total();
    d.until(|a| {
        a.wallet
            .charges
            .first()
            .is_some_and(|c| c.cost.kind == CostKind::Settled)
    })
    .await;
    let c = d.app.wallet.charges[0].clone();
    assert_eq!(c.estimate, Some(estimate));
    // What the server recorded for the answer: its full cost.
    let billed = d
        .client()
        .generation_cost(c.generation_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.cost.usd, billed);
    let cost = common::replies(&d.app)[0].cost;
    assert_eq!(cost.unwrap().kind, CostKind::Settled);
    d.send(common::ctrl('o'));
    let s = screen(&d.app, 120, 40);
    assert!(s.contains("settled with OpenRouter"), "{s}");
    store.flush();
    let saved = store.charges("conv-money").unwrap();
    assert_eq!(saved[0].cost, c.cost);
    assert_eq!(saved[0].estimate, Some(estimate));
}

#[tokio::test]
async fn the_account_and_the_free_day_are_in_view() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, store) = saving(
        ServerOptions {
            account: orchat::server::Account {
                limit: Some(Decimal::new(10, 0)),
                is_free_tier: false,
                credits_purchased: Decimal::new(5, 0),
            },
            free_per_minute: 100,
            ..ServerOptions::default()
        },
        &dir,
    )
    .await;
    d.app.env.openrouter = true;
    d.app.chat.model = "google/gemini-2.5-flash-image-preview:free".into();
    d.submit("one");
    d.until_idle().await;
    d.submit("two [[fault:500]]");
    d.until_idle().await;
    // The account arrives after the first answer.
    d.until(|a| a.wallet.account.is_some()).await;
    assert_eq!(
        d.app.wallet.free_today, 5,
        "two requests and three retries, errors included"
    );
    let s = screen(&d.app, 120, 40);
    assert!(
        s.contains("free 5/50 today"),
        "bought $5 of credits: 50 a day\n{s}"
    );
    d.send(common::ctrl('o'));
    let s = screen(&d.app, 120, 40);
    assert!(s.contains("account $") && s.contains("$10.00 limit"), "{s}");
    assert!(s.contains("free models today 5/50"), "{s}");
    d.send(key(KeyCode::Esc));
    d.send(common::ctrl('p'));
    let s = screen(&d.app, 120, 40);
    assert!(s.contains("free 5/50"), "{s}");
    store.flush();
    let day = orchat::store::utc_day(d.app.epoch_ms());
    assert_eq!(store.free_requests(&day).unwrap(), 5, "kept in the store");
}

#[tokio::test]
async fn a_conversation_too_long_for_the_model_is_not_sent() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("write a lot [[fault:long:40000]]");
    d.until_idle().await;
    // A 32K image model cannot take ≈70K tokens of history.
    d.submit("/model google/gemini-2.5-flash-image-preview");
    let sent = d.server.received().len();
    d.submit("now draw a fox");
    let Mode::ConfirmContext { window, drop, .. } = d.app.screen.mode.clone() else {
        panic!("{:?}", d.app.screen.mode)
    };
    assert_eq!(window, 32_768);
    assert_eq!(d.server.received().len(), sent, "nothing sent");
    let s = screen(&d.app, 80, 24);
    assert!(
        s.contains("too long for this model") && s.contains("leave out"),
        "{s}"
    );
    // n keeps the draft; p opens the picker.
    d.send(key(KeyCode::Char('n')));
    assert_eq!(d.app.draft(), "now draw a fox");
    d.send(key(KeyCode::Enter));
    d.send(key(KeyCode::Char('p')));
    assert!(matches!(d.app.screen.mode, Mode::Picker(_)));
    d.send(key(KeyCode::Esc));
    // y leaves the oldest out and sends.
    d.send(key(KeyCode::Enter));
    d.send(key(KeyCode::Char('y')));
    d.until_idle().await;
    // The whole history goes: it starts with the new prompt.
    assert_eq!(drop, Some(orchat::app::conversation::Cut::All));
    let start = d.app.conversation.history()[0];
    assert_eq!(
        d.app.conversation.prompt(start).unwrap().text,
        "now draw a fox"
    );
    let body = d.server.received().last().unwrap().body.clone();
    let sent_text = body.to_string();
    assert!(
        !sent_text.contains("stream token orchat"),
        "the long answer is left out"
    );
    assert!(sent_text.contains("now draw a fox"));
    assert!(errors(&d.app).is_empty(), "{:?}", errors(&d.app));
}

#[tokio::test]
async fn ctrl_y_offers_only_a_model_the_catalog_has() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.app.chat.model = "deepseek/deepseek-chat-v3-0324:free".into();
    assert!(Model::paid_variant(&d.app.chat.model).is_some());
    assert!(
        d.app
            .env
            .catalog
            .get("deepseek/deepseek-chat-v3-0324")
            .is_none()
    );
    d.submit("hi [[fault:429-day]]");
    d.until_idle().await;
    assert_eq!(d.app.chat.offer, None, "no twin that does not exist");
    let (_, hint) = errors(&d.app).pop().unwrap();
    assert!(hint.unwrap().contains("no paid twin"));
    // A free experimental checkpoint's twin is its released model.
    d.app.chat.model = "google/gemini-2.0-flash-exp:free".into();
    d.submit("hi again [[fault:429-day]]");
    d.until_idle().await;
    assert_eq!(
        d.app.chat.offer.as_ref().map(|o| o.model.as_str()),
        Some("google/gemini-2.0-flash-001")
    );
    // One that exists is offered.
    d.app.chat.model = "google/gemini-2.5-flash-image-preview:free".into();
    d.submit("draw [[fault:429-day]]");
    d.until_idle().await;
    assert_eq!(
        d.app.chat.offer.as_ref().map(|o| o.model.as_str()),
        Some("google/gemini-2.5-flash-image-preview")
    );
}

#[tokio::test]
async fn geminis_reasoning_goes_back_to_gemini_and_nowhere_else() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.app.env.openrouter = true;
    d.app.chat.model = "google/gemini-2.5-pro".into();
    d.submit("compare them");
    d.until_idle().await;
    let details = answers(&d.app)[0].reasoning_details.clone();
    assert_eq!(details.len(), 2, "{details:?}");
    assert_eq!(
        details[0]["text"],
        answers(&d.app)[0].reasoning.as_str(),
        "fragments joined"
    );
    assert_eq!(details[1]["type"], "reasoning.encrypted");
    // The same family: sent back with the answer, unmodified.
    d.app.chat.model = "google/gemini-2.5-flash".into();
    d.submit("and now?");
    d.until_idle().await;
    let body = d.server.received().last().unwrap().body.clone();
    assert_eq!(body["messages"][1]["role"], "assistant");
    assert_eq!(
        body["messages"][1]["reasoning_details"],
        serde_json::json!(details)
    );
    // Another family: never.
    d.app.chat.model = "openai/gpt-4o-mini".into();
    d.submit("and you?");
    d.until_idle().await;
    let body = d.server.received().last().unwrap().body.clone();
    assert!(!body.to_string().contains("reasoning_details"), "{body}");
    // Kept with the saved answer.
    let saved = orchat::store::StoredMessage::from_answer("c", 1, answers(&d.app)[0], None, 0);
    assert_eq!(saved.reasoning_details, details);
}
