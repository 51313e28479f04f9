//! The app driven the way a user drives it: key events in, against the local
//! server, checking what the conversation and the cost meter end up holding.

mod common;

use std::time::Duration;

use common::{Driver, answers, ctrl, errors, key};
use crossterm::event::KeyCode;
use orchat::app::{Mode, Msg, update};
use orchat::chat::answer::Status;
use orchat::chat::pricing::CostKind;
use orchat::server::{Fault, ServerOptions};
use rust_decimal::Decimal;

#[tokio::test]
async fn type_send_stream_switch_model_and_costs_add_up() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("hello there");
    assert!(d.app.is_busy(), "sending starts an answer");
    d.until_idle().await;
    let a = answers(&d.app);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].status, Status::Complete);
    assert!(a[0].text.contains("hello there"), "{}", a[0].text);
    assert_eq!(a[0].model(), "google/gemini-2.5-flash");

    // Switch model in the picker: Ctrl+P, filter, Enter.
    d.send(ctrl('p'));
    assert!(matches!(d.app.screen.mode, Mode::Picker(_)));
    d.type_text("2.0-flash-001");
    d.send(key(KeyCode::Enter));
    assert_eq!(d.app.chat.model, "google/gemini-2.0-flash-001");
    assert_eq!(d.app.screen.mode, Mode::Chat);

    d.submit("and again");
    d.until_idle().await;
    let a = answers(&d.app);
    assert_eq!(a.len(), 2);
    assert_eq!(a[1].model(), "google/gemini-2.0-flash-001");
    // The second request carried the whole conversation.
    let bodies = d.server.received();
    assert_eq!(bodies[1].body["messages"].as_array().unwrap().len(), 3);

    // Two models in the ledger; subtotals add up exactly to the total; all reported.
    let ledger = d.app.wallet.ledger.clone();
    assert_eq!(ledger.by_model.len(), 2);
    let sum: Decimal = ledger.by_model.values().map(|s| s.cost).sum();
    assert_eq!(sum, ledger.total());
    assert!(ledger.total() > Decimal::ZERO);
    for r in common::replies(&d.app) {
        assert_eq!(r.cost.unwrap().kind, CostKind::Reported);
    }
    // The cost panel opens and shows both models.
    d.send(ctrl('o'));
    assert_eq!(d.app.screen.mode, Mode::Cost);
    let s = common::screen(&d.app, 100, 30);
    assert!(
        s.contains("│google/gemini-2.5-flash ") && s.contains("│google/gemini-2.0-flash-001 "),
        "{s}"
    );
    assert!(
        s.contains(&orchat::chat::pricing::format_usd(ledger.total())),
        "{s}"
    );
}

#[tokio::test]
async fn esc_mid_stream_keeps_the_partial_answer_with_an_estimate() {
    let mut d = Driver::new(ServerOptions {
        pace: Some(20.0),
        ..ServerOptions::default()
    })
    .await;
    d.submit("tell me something long [[fault:long:400]]");
    d.until(|a| {
        common::live(a)
            .map(|r| &r.answer)
            .is_some_and(|x| x.text.len() > 20)
    })
    .await;
    d.send(key(KeyCode::Esc));
    assert!(!d.app.is_busy());
    let partial = answers(&d.app)[0].text.clone();
    assert_eq!(answers(&d.app)[0].status, Status::Stopped);
    // Late events from the stopped turn are ignored.
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Ok(m) = d.rx.try_recv() {
        d.send(m);
    }
    assert_eq!(
        answers(&d.app)[0].text,
        partial,
        "stale events must not change it"
    );
    let cost = common::replies(&d.app)[0].cost.unwrap();
    assert_eq!(cost.kind, CostKind::Estimated);
    assert!(cost.usd > Decimal::ZERO);
    // The app still works: the next prompt succeeds.
    d.submit("next");
    d.until_idle().await;
    assert_eq!(answers(&d.app)[1].status, Status::Complete);
}

#[tokio::test]
async fn a_scripted_429_counts_down_and_succeeds_on_retry() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.server.push_fault(Fault::RateLimitPerMinute {
        retry_after: Some(1),
    });
    d.submit("hi");
    d.until(common::retrying).await;
    let s = common::screen(&d.app, 80, 20);
    assert!(s.contains("retrying in 1s"), "{s}");
    d.until_idle().await;
    let a = answers(&d.app);
    assert_eq!(a[0].status, Status::Complete);
    assert_eq!(d.server.received().len(), 2, "one retry");
}

#[tokio::test]
async fn per_day_limit_offers_the_paid_model_in_one_key() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.app.chat.model = "google/gemini-2.5-flash-image-preview:free".into();
    d.server.push_fault(Fault::RateLimitPerDay);
    d.submit("draw a fox");
    d.until_idle().await;
    assert_eq!(d.server.received().len(), 1, "a daily limit is not retried");
    let (text, hint) = errors(&d.app).pop().expect("an error");
    assert!(text.contains("daily"), "{text}");
    assert!(
        hint.as_deref()
            .unwrap()
            .contains("google/gemini-2.5-flash-image-preview")
    );
    let _ = (text, hint);
    d.send(ctrl('y'));
    assert_eq!(d.app.chat.model, "google/gemini-2.5-flash-image-preview");
    d.until_idle().await;
    let a = answers(&d.app);
    assert_eq!(a.last().unwrap().status, Status::Complete);
    assert_eq!(a.last().unwrap().images.len(), 1);
}

#[tokio::test]
async fn errors_show_as_messages_and_the_app_keeps_going() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.server.push_fault(Fault::Status(401));
    d.submit("hi");
    d.until_idle().await;
    assert!(
        errors(&d.app)
            .last()
            .is_some_and(|(text, _)| text.contains("authentication"))
    );
    d.submit("[[fault:midstream-error]] go");
    d.until_idle().await;
    let a = answers(&d.app);
    assert_eq!(a[0].status, Status::Failed);
    assert!(!a[0].text.is_empty(), "partial text kept");
    d.submit("fine now");
    d.until_idle().await;
    assert_eq!(answers(&d.app)[1].status, Status::Complete);
}

#[tokio::test]
async fn retry_and_edit_commands() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("first question");
    d.until_idle().await;
    d.submit("/retry google/gemini-2.0-flash-001");
    d.until_idle().await;
    let a = answers(&d.app);
    assert_eq!(a.len(), 1, "the path shows the new answer");
    assert_eq!(a[0].model(), "google/gemini-2.0-flash-001");
    let last = d.app.conversation.last_reply().unwrap();
    assert_eq!(
        d.app.conversation.tree().place(last),
        (2, 2),
        "the old answer is kept beside it"
    );
    assert_eq!(
        d.app.wallet.ledger.by_model.len(),
        2,
        "both answers were paid for"
    );
    d.submit("/edit");
    assert_eq!(d.app.draft(), "first question");
    assert!(
        d.app.composer.editing.is_some(),
        "sent, the prompt goes as a new branch beside the old"
    );
    // Up recalls earlier prompts on an empty box.
    update(
        &mut d.app,
        Msg::Key(crossterm::event::KeyEvent::from(KeyCode::Esc)),
    );
}
