//! Screens as a user sees them: TestBackend at fixed sizes, an injected clock
//! and scripted stream events, snapshotted with insta (reviewed by eye).

mod common;

use std::time::Duration;

use common::{ctrl, key, new_app, screen, screen_in, type_text};
use crossterm::event::KeyCode;
use orchat::api::error::{ApiError, LimitScope, RateLimit};
use orchat::api::sse::StreamEvent;
use orchat::api::types::{CompletionTokensDetails, Usage, WireDecimal};
use orchat::app::{App, Effect, Msg, update};
use rust_decimal::Decimal;

fn start(app: &mut App, prompt: &str) -> u64 {
    type_text(app, prompt);
    let fx = update(app, key(KeyCode::Enter));
    fx.iter()
        .find_map(|e| match e {
            Effect::Start { turn, .. } => Some(*turn),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{fx:?}"))
}

fn ev(app: &mut App, turn: u64, e: StreamEvent) {
    update(app, Msg::Stream { turn, event: e });
}

fn meta(model: &str) -> StreamEvent {
    StreamEvent::Meta {
        id: Some("gen-1".into()),
        model: Some(model.into()),
        provider: Some("Google".into()),
    }
}

fn usage(prompt: u64, completion: u64, reasoning: u64, cost: Decimal) -> StreamEvent {
    StreamEvent::Usage(Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        cost: Some(WireDecimal(cost)),
        prompt_tokens_details: None,
        completion_tokens_details: Some(CompletionTokensDetails {
            reasoning_tokens: reasoning,
            image_tokens: 0,
        }),
        ..Default::default()
    })
}

const MD: &str = "## Plan\n\n- **fast** path\n- *careful* path\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\nfn main() {\n    println!(\"hi\");\n}\n```\n";

#[test]
fn first_start_in_demo_mode() {
    let app = new_app();
    insta::assert_snapshot!(screen(&app, 80, 20));
}

#[test]
fn typing_shows_the_send_estimate() {
    let mut app = new_app();
    type_text(&mut app, "What does the borrow checker do?");
    insta::assert_snapshot!(screen(&app, 80, 20));
}

#[test]
fn waiting_for_the_first_token() {
    let mut app = new_app();
    update(&mut app, Msg::Tick(1000));
    start(&mut app, "hello");
    update(&mut app, Msg::Tick(3300));
    insta::assert_snapshot!(screen(&app, 80, 16));
}

#[test]
fn mid_stream_with_markdown_and_code() {
    let mut app = new_app();
    let t = start(&mut app, "show me");
    ev(&mut app, t, meta("google/gemini-2.5-flash"));
    update(&mut app, Msg::Tick(500));
    ev(&mut app, t, StreamEvent::Content(MD.into()));
    update(&mut app, Msg::Tick(2500));
    insta::assert_snapshot!(screen(&app, 80, 30));
}

#[test]
fn reasoning_block_then_folded() {
    let mut app = new_app();
    app.chat.model = "google/gemini-2.5-pro".into();
    let t = start(&mut app, "compare them");
    ev(&mut app, t, meta("google/gemini-2.5-pro"));
    ev(
        &mut app,
        t,
        StreamEvent::Reasoning(
            "**Weighing the two options**\n\nThe user wants a quick comparison.".into(),
        ),
    );
    ev(
        &mut app,
        t,
        StreamEvent::Content("Use Flash for chat; Pro for hard prompts.".into()),
    );
    ev(
        &mut app,
        t,
        StreamEvent::Finish {
            reason: "stop".into(),
            native: None,
        },
    );
    ev(&mut app, t, usage(21, 412, 356, Decimal::new(414625, 8)));
    ev(&mut app, t, StreamEvent::Done);
    update(&mut app, Msg::Ended { turn: t });
    let open = screen(&app, 80, 18);
    update(&mut app, ctrl('t'));
    let folded = screen(&app, 80, 18);
    insta::assert_snapshot!(format!("{open}\n----- Ctrl+T -----\n{folded}"));
}

#[test]
fn error_message() {
    let mut app = new_app();
    let t = start(&mut app, "hi");
    update(
        &mut app,
        Msg::Failed {
            turn: t,
            error: ApiError::Credits {
                status: 402,
                message: "Insufficient credits".into(),
            },
        },
    );
    update(&mut app, Msg::Ended { turn: t });
    insta::assert_snapshot!(screen(&app, 80, 14));
}

#[test]
fn rate_limit_countdown() {
    let mut app = new_app();
    update(&mut app, Msg::Tick(10_000));
    let t = start(&mut app, "hi");
    let reason = ApiError::RateLimited(RateLimit {
        scope: LimitScope::PerMinute,
        message: "Rate limit exceeded: free-models-per-min.".into(),
        retry_after: Some(Duration::from_secs(20)),
        limit: None,
        remaining: None,
        reset_ms: None,
    });
    ev(
        &mut app,
        t,
        StreamEvent::Retrying {
            attempt: 1,
            wait: Duration::from_secs(20),
            reason,
        },
    );
    update(&mut app, Msg::Tick(17_000));
    insta::assert_snapshot!(screen(&app, 80, 14));
}

#[test]
fn picker_filtered_to_flash() {
    let mut app = new_app();
    update(&mut app, ctrl('p'));
    type_text(&mut app, "flash");
    insta::assert_snapshot!(screen(&app, 120, 30));
}

#[test]
fn cost_panel_after_a_model_switch() {
    let mut app = new_app();
    let t = start(&mut app, "one");
    ev(&mut app, t, meta("google/gemini-2.5-flash"));
    ev(&mut app, t, StreamEvent::Content("first answer".into()));
    ev(&mut app, t, usage(10, 40, 0, Decimal::new(103, 6)));
    ev(&mut app, t, StreamEvent::Done);
    update(&mut app, Msg::Ended { turn: t });
    type_text(&mut app, "/model google/gemini-2.0-flash-001");
    update(&mut app, key(KeyCode::Enter));
    let t = start(&mut app, "two");
    ev(&mut app, t, meta("google/gemini-2.0-flash-001"));
    ev(&mut app, t, StreamEvent::Content("second answer".into()));
    ev(&mut app, t, usage(60, 30, 0, Decimal::new(18, 6)));
    ev(&mut app, t, StreamEvent::Done);
    update(&mut app, Msg::Ended { turn: t });
    update(&mut app, ctrl('o'));
    let s = screen(&app, 100, 20);
    assert!(s.contains("$0.000121"), "total = 0.000103 + 0.000018\n{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn narrow_40x12() {
    let mut app = new_app();
    let t = start(&mut app, "a question that is long enough to wrap");
    ev(&mut app, t, meta("google/gemini-2.5-flash"));
    ev(
        &mut app,
        t,
        StreamEvent::Content("日本語のテキストと emoji 🚀 が折り返されます。".into()),
    );
    ev(&mut app, t, StreamEvent::Done);
    update(&mut app, Msg::Ended { turn: t });
    insta::assert_snapshot!(screen(&app, 40, 12));
}

#[test]
fn scrolling_holds_the_view_while_text_streams_in() {
    let mut app = new_app();
    // The view is kept from frame to frame, as the runtime keeps it.
    let mut view = orchat::ui::View::new();
    for i in 0..30 {
        let t = start(&mut app, &format!("question {i}"));
        ev(&mut app, t, StreamEvent::Content(format!("answer {i}")));
        ev(&mut app, t, StreamEvent::Done);
        update(&mut app, Msg::Ended { turn: t });
    }
    let bottom = screen_in(&app, &mut view, 60, 16);
    assert!(bottom.contains("answer 29"));
    update(&mut app, key(KeyCode::PageUp));
    let up = screen_in(&app, &mut view, 60, 16);
    assert!(!up.contains("answer 29"), "{up}");
    // New text arrives while scrolled up: the view stays where it is.
    let t = start(&mut app, "more");
    update(&mut app, key(KeyCode::PageUp));
    // Compare the conversation pane only (the status bar and input title change).
    let pane = |s: String| s.lines().skip(1).take(11).collect::<Vec<_>>().join("\n");
    let held = pane(screen_in(&app, &mut view, 60, 16));
    ev(
        &mut app,
        t,
        StreamEvent::Content("streaming\nlines\n".repeat(5)),
    );
    assert_eq!(pane(screen_in(&app, &mut view, 60, 16)), held);
    update(&mut app, ctrl('e'));
    update(
        &mut app,
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::End,
            crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    assert!(screen_in(&app, &mut view, 60, 16).contains("lines"));
}
