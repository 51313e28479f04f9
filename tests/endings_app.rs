//! Every way an answer can end, through the app (keys in, against the local
//! server's zoo), and what the screen says at 80x24: cut short, cut short
//! with the budget spent thinking, blocked, empty, the connection closed,
//! an error before any text, a silent stream. Nothing ends blank and silent.

mod common;

use common::{Driver, answers, errors, key, screen};
use crossterm::event::KeyCode;
use orchat::app::{App, Msg, update};
use orchat::chat::answer::Status;
use orchat::chat::pricing::CostKind;
use orchat::server::ServerOptions;

async fn driver() -> Driver {
    Driver::new(ServerOptions::default()).await
}

fn last_error(app: &App) -> (String, String) {
    let (t, h) = errors(app).pop().expect("an error entry");
    (t, h.unwrap_or_default())
}

fn cost_kind(app: &App, n: usize) -> Option<CostKind> {
    common::replies(app).get(n)?.cost.map(|c| c.kind)
}

#[tokio::test]
async fn cut_short_by_the_token_limit() {
    let mut d = driver().await;
    d.submit("a long table [[fault:length:5]]");
    d.until_idle().await;
    let a = answers(&d.app)[0];
    assert_eq!(a.status, Status::CutShort);
    assert!(!a.text.is_empty());
    assert_eq!(
        cost_kind(&d.app, 0),
        Some(CostKind::Reported),
        "billed as reported"
    );
    let (text, hint) = last_error(&d.app);
    assert_eq!(text, "cut short: the answer reached the token limit");
    assert!(hint.contains("raise max_tokens"), "{hint}");
    let s = screen(&d.app, 80, 24);
    assert!(s.contains("■ cut short"), "{s}");
    insta::assert_snapshot!(s);
}

#[tokio::test]
async fn cut_short_with_the_whole_budget_spent_thinking() {
    let mut d = driver().await;
    d.app.chat.model = "google/gemini-2.5-pro".into();
    d.app.chat.settings.max_tokens = Some(30);
    d.submit("compare them");
    d.until_idle().await;
    let a = answers(&d.app)[0];
    assert_eq!(a.status, Status::CutShort);
    assert!(a.text.is_empty() && !a.reasoning.is_empty());
    let n = a.usage.as_ref().unwrap().reasoning_tokens();
    let (text, hint) = last_error(&d.app);
    assert_eq!(
        text,
        format!(
            "cut short by the token limit: {n} tokens went to reasoning and no answer text came"
        )
    );
    assert!(
        hint.contains("/reasoning low") && hint.contains("(now 30)"),
        "{hint}"
    );
}

#[tokio::test]
async fn blocked_by_a_safety_filter() {
    let mut d = driver().await;
    d.submit("tell me [[fault:blocked]]");
    d.until_idle().await;
    assert_eq!(answers(&d.app)[0].status, Status::Blocked);
    let (text, hint) = last_error(&d.app);
    assert_eq!(text, "blocked by the provider's safety filter (SAFETY)");
    assert!(hint.contains("/edit"), "{hint}");
    let s = screen(&d.app, 80, 24);
    assert!(s.contains("■ blocked"), "{s}");
    insta::assert_snapshot!(s);
}

#[tokio::test]
async fn an_empty_answer_is_flagged() {
    let mut d = driver().await;
    d.submit("say nothing [[fault:empty]]");
    d.until_idle().await;
    assert_eq!(answers(&d.app)[0].status, Status::Empty);
    let (text, _) = last_error(&d.app);
    assert_eq!(text, "the model sent an empty answer");
    let s = screen(&d.app, 80, 24);
    assert!(s.contains("■ empty answer"), "{s}");
    insta::assert_snapshot!(s);
}

#[tokio::test]
async fn the_connection_closing_mid_answer_is_said_in_a_users_words() {
    let mut d = driver().await;
    d.submit("tell me more [[fault:drop:4]]");
    d.until_idle().await;
    assert_eq!(answers(&d.app)[0].status, Status::Failed);
    let (text, hint) = last_error(&d.app);
    assert_eq!(
        text,
        "network error: the connection closed in the middle of the answer"
    );
    assert!(hint.contains("/retry"), "{hint}");
    let s = screen(&d.app, 80, 24);
    assert!(s.contains("■ failed"), "{s}");
    insta::assert_snapshot!(s);
}

#[tokio::test]
async fn an_error_event_before_any_text_shows_the_providers_words() {
    let mut d = driver().await;
    d.submit("hello [[fault:midstream-error:0:429]]");
    d.until_idle().await;
    assert!(answers(&d.app).is_empty(), "nothing of an answer came");
    let (text, hint) = last_error(&d.app);
    assert!(text.contains("daily request limit reached"), "{text}");
    assert!(text.contains("free-models-per-day"), "{text}");
    assert!(!hint.is_empty());
    let s = screen(&d.app, 80, 24);
    assert!(!s.contains("stopped before any answer arrived"), "{s}");
    insta::assert_snapshot!(s);
}

#[tokio::test]
async fn a_silent_stream_says_how_long_and_esc_keeps_the_text() {
    let mut d = driver().await;
    d.submit("slowly [[fault:stall:30]]");
    d.until(|a| answers(a).first().is_some_and(|x| !x.text.is_empty()))
        .await;
    // Freeze the clock where the screen is read: 4 s after the last event.
    let id = d.app.conversation.live().next().unwrap();
    let p = &mut d.app.conversation.reply_mut(id).unwrap().timing;
    p.started_ms = 0;
    p.first_token_ms = Some(1_000);
    p.last_event_ms = 2_000;
    update(&mut d.app, Msg::Tick(6_000));
    let s = screen(&d.app, 80, 24);
    assert!(
        s.contains("silent for 4s · ends after 120s of silence"),
        "{s}"
    );
    insta::assert_snapshot!(s);
    // Esc stops it and keeps what came.
    let kept = answers(&d.app)[0].text.clone();
    update(&mut d.app, key(KeyCode::Esc));
    assert_eq!(answers(&d.app)[0].status, Status::Stopped);
    assert_eq!(answers(&d.app)[0].text, kept);
}

#[tokio::test]
async fn a_whole_json_body_and_reasoning_content_read_like_a_stream() {
    let mut d = driver().await;
    d.submit("hello [[fault:json-body]]");
    d.until_idle().await;
    d.submit("why [[fault:reasoning-content]]");
    d.until_idle().await;
    let a = answers(&d.app);
    assert_eq!(a[0].status, Status::Complete);
    assert!(a[0].text.contains("hello"), "{}", a[0].text);
    assert_eq!(a[1].status, Status::Complete);
    assert_eq!(
        a[1].reasoning.matches("Considering the question").count(),
        1
    );
    assert!(errors(&d.app).is_empty(), "{:?}", errors(&d.app));
}

#[tokio::test]
async fn an_image_inside_the_text_is_drawn_not_printed() {
    let mut d = driver().await;
    d.app.chat.model = "google/gemini-2.5-flash-image-preview".into();
    d.submit("a fox 64x48 [[fault:image-in-text]]");
    d.until_idle().await;
    let a = answers(&d.app)[0];
    assert_eq!(a.status, Status::Complete);
    assert_eq!(a.images.len(), 1);
    assert!(
        a.images[0]
            .data_url()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert!(!a.text.contains("base64"), "{}", a.text);
    let s = screen(&d.app, 80, 24);
    assert!(!s.contains("base64") && !s.contains("iVBOR"), "{s}");
}

/// Each error shape of the zoo, through the app: the typed error's words and
/// hint, the provider's own message, nothing billed, and the app goes on.
#[tokio::test]
async fn errors_in_every_shape_are_typed_errors_on_screen() {
    let cases = [
        ("error-in-200:402", "out of credits", "Insufficient credits"),
        (
            "google-error-list",
            "daily request limit",
            "Quota exceeded for metric",
        ),
        (
            "google-error-flat",
            "daily request limit",
            "Quota exceeded for metric",
        ),
        (
            "bare-error-line",
            "the provider failed (503)",
            "upstream connect error",
        ),
        (
            "403",
            "blocked by moderation",
            "flagged by the moderation system",
        ),
        (
            "insufficient-quota",
            "out of credits",
            "exceeded your current quota",
        ),
    ];
    for (fault, kind, words) in cases {
        let mut d = driver().await;
        d.submit(&format!("hi [[fault:{fault}]]"));
        d.until_idle().await;
        assert!(answers(&d.app).is_empty(), "{fault}");
        let (text, hint) = last_error(&d.app);
        assert!(
            text.contains(kind) && text.contains(words),
            "{fault}: {text}"
        );
        assert!(hint.ends_with("nothing was billed"), "{fault}: {hint}");
        assert_eq!(
            d.app.wallet.ledger.total(),
            rust_decimal::Decimal::ZERO,
            "{fault}"
        );
        assert_eq!(d.server.received().len(), 1, "{fault}: not retried");
        d.submit("and now?");
        d.until_idle().await;
        assert_eq!(answers(&d.app)[0].status, Status::Complete, "{fault}");
    }
}

#[tokio::test]
async fn parts_crlf_and_googles_usage_read_as_plain_answers() {
    let mut d = driver().await;
    d.submit("show code [[fault:crlf]]");
    d.until_idle().await;
    d.submit("parts [[fault:content-parts]]");
    d.until_idle().await;
    d.app.chat.settings.reasoning = orchat::chat::request::ReasoningSetting::Budget(512);
    d.submit("think [[fault:google-usage]]");
    d.until_idle().await;
    let a = answers(&d.app);
    assert!(a.iter().all(|x| x.status == Status::Complete), "{a:?}");
    assert!(!a[0].text.contains('\r'), "{:?}", a[0].text);
    assert!(a[1].text.contains("parts"), "{}", a[1].text);
    // Google's usage: the thinking counts in the billed output tokens.
    let u = a[2].usage.as_ref().unwrap();
    assert!(u.reasoning_tokens() > 0);
    assert_eq!(
        u.completion_tokens,
        orchat::chat::pricing::estimate_tokens(&a[2].text) + u.reasoning_tokens()
    );
    assert_eq!(cost_kind(&d.app, 2), Some(CostKind::Computed));
    let s = screen(&d.app, 80, 24);
    assert!(!s.contains('␍'), "{s}");
}

#[tokio::test]
async fn an_image_part_is_drawn_too() {
    let mut d = driver().await;
    d.app.chat.model = "google/gemini-2.5-flash-image-preview".into();
    d.submit("a fox 64x48 [[fault:image-part]]");
    d.until_idle().await;
    let a = answers(&d.app)[0];
    assert_eq!(a.images.len(), 1);
    assert!(!a.text.contains("base64"));
}
