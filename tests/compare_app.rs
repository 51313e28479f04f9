//! Compare mode through the pure core: three models asked at once, their
//! streams interleaved; one fails mid-answer, one waits out a rate limit,
//! one is stopped; none stops the others. Keeping the second makes it the
//! reply and ends compare mode: the next prompt goes to it alone, and only
//! it is sent as history.

mod common;

use common::{key, new_app, type_text};
use crossterm::event::KeyCode;
use orchat::api::error::{ApiError, LimitScope, RateLimit};
use orchat::api::sse::StreamEvent;
use orchat::api::types::{ChatRequest, Content, Role};
use orchat::app::conversation::{Reply, ReplyState};
use orchat::app::{App, Effect, Msg, update};
use orchat::chat::answer::Status;
use orchat::chat::pricing::CostKind;
use orchat::keymap::Context;

const FLASH: &str = "google/gemini-2.5-flash";
const PRO: &str = "google/gemini-2.5-pro";
const LITE: &str = "google/gemini-2.5-flash-lite";

fn command(app: &mut App, line: &str) -> Vec<Effect> {
    type_text(app, line);
    update(app, key(KeyCode::Enter))
}

fn starts(fx: &[Effect]) -> Vec<(u64, ChatRequest)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Start { turn, request, .. } => Some((*turn, (**request).clone())),
            _ => None,
        })
        .collect()
}

fn content(app: &mut App, turn: u64, text: &str) {
    update(
        app,
        Msg::Stream {
            turn,
            event: StreamEvent::Content(text.into()),
        },
    );
}

/// The open round's answers.
fn round(app: &App) -> Vec<&Reply> {
    let cols = common::round_answers(app);
    assert!(!cols.is_empty(), "a round");
    cols
}

fn text_of(c: &Content) -> String {
    match c {
        Content::Text(t) => t.clone(),
        other => format!("{other:?}"),
    }
}

/// Three models, interleaved: one fails after some text, one is rate
/// limited then answers, one is stopped; then the second is kept.
#[test]
fn three_streams_each_stand_alone_and_only_the_kept_answer_is_history() {
    let mut app = new_app();
    command(&mut app, "/compare 2.5-flash 2.5-pro flash-lite");
    assert_eq!(
        app.chat.marked,
        [FLASH, PRO, LITE],
        "{:?}",
        app.screen.flash
    );
    let fx = command(&mut app, "which is best?");
    let asked = starts(&fx);
    assert_eq!(asked.len(), 3, "{fx:?}");
    let models: Vec<&str> = asked.iter().map(|(_, r)| r.model.as_str()).collect();
    assert_eq!(models, [FLASH, PRO, LITE]);
    for (_, r) in &asked {
        assert_eq!(r.messages.len(), 1, "the same history for each");
        assert!(r.models.is_none(), "no fallbacks in a round");
    }
    let (a, b, c) = (asked[0].0, asked[1].0, asked[2].0);
    assert!(app.is_busy());

    // Interleaved deltas; B is rate limited first.
    update(
        &mut app,
        Msg::Stream {
            turn: b,
            event: StreamEvent::Retrying {
                attempt: 1,
                wait: std::time::Duration::from_secs(12),
                reason: ApiError::RateLimited(RateLimit {
                    scope: LimitScope::PerMinute,
                    message: "slow down".into(),
                    retry_after: Some(std::time::Duration::from_secs(12)),
                    limit: None,
                    remaining: None,
                    reset_ms: None,
                }),
            },
        },
    );
    content(&mut app, a, "Flash says ");
    content(&mut app, c, "Lite says ");
    let r = round(&app);
    assert!(matches!(
        r[1].state(app.env.now_ms),
        ReplyState::Retrying {
            secs: 12,
            rate_limited: true,
            ..
        }
    ));
    assert_eq!(r[0].state(app.env.now_ms), ReplyState::Streaming);
    update(&mut app, Msg::Tick(5_000));
    content(&mut app, b, "Pro says yes.");
    content(&mut app, a, "maybe");
    // A fails mid-answer: its text stays, the others go on.
    update(
        &mut app,
        Msg::Failed {
            turn: a,
            error: ApiError::Network("connection reset".into()),
        },
    );
    let r = round(&app);
    assert_eq!(r[0].answer.status, Status::Failed);
    assert_eq!(r[0].answer.text, "Flash says maybe");
    assert!(
        common::errors(&app)
            .iter()
            .any(|(n, _)| n.contains("connection reset"))
    );
    assert!(r[1].is_live() && r[2].is_live());
    // C is stopped from its column (Tab, → twice, Esc): only C is cancelled.
    update(&mut app, key(KeyCode::Tab));
    assert_eq!(app.key_context(), Context::Compare);
    update(&mut app, key(KeyCode::Right));
    update(&mut app, key(KeyCode::Right));
    let fx = update(&mut app, key(KeyCode::Esc));
    assert_eq!(fx.first(), Some(&Effect::Cancel { turn: c }), "{fx:?}");
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Cancel { turn } if *turn != c))
    );
    let r = round(&app);
    assert_eq!(r[2].answer.status, Status::Stopped);
    assert_eq!(r[2].answer.text, "Lite says ");
    assert!(r[1].is_live(), "stopping one leaves the others");
    // B ends complete.
    update(
        &mut app,
        Msg::Stream {
            turn: b,
            event: StreamEvent::Finish {
                reason: "stop".into(),
                native: None,
            },
        },
    );
    update(
        &mut app,
        Msg::Stream {
            turn: b,
            event: StreamEvent::Done,
        },
    );
    update(&mut app, Msg::Ended { turn: b });
    let r = round(&app);
    assert!(r.iter().all(|c| !c.is_live()));
    assert!(!app.is_busy());
    assert_eq!(r[1].answer.status, Status::Complete);
    // Each column billed on its own: three charges, every cost on the ledger.
    assert_eq!(app.wallet.charges.len(), 3);
    for col in &r {
        assert_eq!(col.cost.map(|c| c.kind), Some(CostKind::Estimated));
    }
    let sum: rust_decimal::Decimal = r.iter().map(|c| c.cost.unwrap().usd).sum();
    assert_eq!(app.wallet.ledger.total(), sum);
    let s = common::screen(&app, 120, 40);
    assert!(s.contains("first done 2.5-pro"), "{s}");

    // A new prompt waits for one to be kept.
    type_text(&mut app, "i");
    let fx = command(&mut app, "and why?");
    assert!(starts(&fx).is_empty());
    assert!(
        app.screen
            .flash
            .as_deref()
            .unwrap_or("")
            .contains("keep one answer first")
    );
    // Keep the second: its model is the current one.
    input_clear(&mut app);
    command(&mut app, "/keep 2");
    assert!(app.conversation.open_ask().is_none());
    assert_eq!(common::answers(&app)[0].text, "Pro says yes.");
    assert_eq!(app.chat.model, PRO);
    assert!(!app.chat.comparing, "keeping one ends compare mode");
    let fx = command(&mut app, "and why?");
    let asked = starts(&fx);
    assert_eq!(asked.len(), 1, "the kept model alone");
    let (_, r) = &asked[0];
    assert_eq!(r.model, PRO);
    let roles: Vec<Role> = r.messages.iter().map(|m| m.role.clone()).collect();
    assert_eq!(roles, [Role::User, Role::Assistant, Role::User]);
    assert_eq!(text_of(&r.messages[1].content), "Pro says yes.");
    // The alternatives still count in the total.
    assert_eq!(app.wallet.ledger.by_model.len(), 3);
}

fn input_clear(app: &mut App) {
    while !app.draft().is_empty() {
        update(app, key(KeyCode::Backspace));
    }
}

/// The picker: Space marks, Enter with two or more starts compare mode; a
/// round is checked against the budget as one send; `/compare off` ends it.
#[test]
fn the_picker_marks_models_and_the_budget_sees_the_whole_round() {
    let mut app = new_app();
    update(&mut app, common::ctrl('p'));
    type_text(&mut app, "2.5-pro");
    update(&mut app, key(KeyCode::Char(' ')));
    update(&mut app, key(KeyCode::Backspace));
    for _ in 0..3 {
        update(&mut app, key(KeyCode::Backspace));
    }
    type_text(&mut app, "lite");
    update(&mut app, key(KeyCode::Char(' ')));
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(
        app.chat.marked.len(),
        2,
        "{:?} {:?}",
        app.chat.marked,
        app.screen.flash
    );
    assert!(app.chat.comparing);
    assert!(app.chat.marked.iter().any(|m| m.contains("pro")));
    // A cap the round passes but one model alone would not.
    app.wallet.budget.per_conversation = Some("0.0000001".parse().unwrap());
    let fx = command(&mut app, "x".repeat(400).as_str());
    assert!(starts(&fx).is_empty());
    assert!(matches!(
        app.screen.mode,
        orchat::app::Mode::ConfirmSend { .. }
    ));
    let fx = update(&mut app, key(KeyCode::Char('y')));
    assert_eq!(starts(&fx).len(), 2, "yes sends the round");
    command(&mut app, "/compare off");
    assert!(!app.chat.comparing);
}

/// What was found wrong with compare mode, each a test: a column retrying
/// after a 503 is not "rate limited"; a column's error wraps whole in a
/// narrow column; its `/retry MODEL` asks that model alone and the round's
/// answers stay; the account is read again after a round.
#[test]
fn a_columns_retry_error_and_way_out_say_what_happened() {
    let mut app = new_app();
    app.env.openrouter = true;
    command(&mut app, "/compare 2.5-flash 2.5-pro");
    let fx = command(&mut app, "which is best?");
    let asked = starts(&fx);
    let (a, b) = (asked[0].0, asked[1].0);
    // A 503 is retried: the column says so, not "rate limited".
    update(
        &mut app,
        Msg::Stream {
            turn: a,
            event: StreamEvent::Retrying {
                attempt: 1,
                wait: std::time::Duration::from_secs(3),
                reason: ApiError::Upstream {
                    status: 503,
                    message: "overloaded".into(),
                    provider: None,
                },
            },
        },
    );
    let r = round(&app);
    assert_eq!(
        r[0].state(app.env.now_ms).label(),
        "retry in 3s",
        "not a rate limit"
    );
    let s = common::screen(&app, 80, 24);
    assert!(s.contains("⏳3s") && !s.contains("rate limited"), "{s}");
    // The column fails with a long message: every word of it on screen.
    let words = "No allowed providers are available for the selected model given your data policy";
    update(
        &mut app,
        Msg::Failed {
            turn: a,
            error: ApiError::NotFound {
                status: 404,
                message: words.into(),
            },
        },
    );
    content(&mut app, b, "Pro says yes.");
    update(&mut app, Msg::Ended { turn: b });
    let s = common::screen(&app, 80, 24);
    let shown: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(shown.contains(words), "the whole error:\n{s}");
    // The account is read again after the round.
    assert!(app.wallet.account_asked_ms.is_some());
    // Its way out names its model; taking it asks that model alone, and
    // the round's two answers stay, beside the new one.
    let (_, hint) = common::errors(&app)
        .into_iter()
        .find(|(t, _)| t.contains("No allowed providers"))
        .unwrap();
    let hint = hint.unwrap();
    assert!(hint.contains(&format!("/retry {FLASH}")), "{hint}");
    let fx = command(&mut app, &format!("/retry {FLASH}"));
    let asked = starts(&fx);
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].1.model, FLASH);
    assert_eq!(asked[0].1.messages.len(), 1, "the prompt alone as history");
    let c = &app.conversation;
    let p = c.last_prompt().unwrap();
    assert_eq!(c.tree().get(p).unwrap().children.len(), 3);
    assert!(c.open_ask().is_none());
    // A round again within the minute: the account is read again.
    update(&mut app, Msg::Ended { turn: asked[0].0 });
    let before = app.wallet.account_asked_ms;
    command(&mut app, "/compare");
    let cols = round(&app);
    let turns: Vec<u64> = cols.iter().map(|c| c.timing.turn).collect();
    let mut fetched = false;
    for t in turns {
        let fx = update(&mut app, Msg::Ended { turn: t });
        fetched |= fx.contains(&Effect::FetchAccount);
    }
    assert!(fetched, "read again after the round (was {before:?})");
}
