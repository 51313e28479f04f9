//! Compare mode as screens: three columns mid-stream and finished at
//! 160x48 and 120x40, tabs at 80x24, and a kept round in the history.

mod common;

use common::{key, new_app, screen, type_text};
use crossterm::event::KeyCode;
use orchat::api::error::{ApiError, LimitScope, RateLimit};
use orchat::api::sse::StreamEvent;
use orchat::api::types::Usage;
use orchat::app::{App, Effect, Msg, update};

fn ev(app: &mut App, turn: u64, event: StreamEvent) {
    update(app, Msg::Stream { turn, event });
}

fn usage(prompt: u64, completion: u64, cost: &str) -> Usage {
    serde_json::from_value(serde_json::json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cost": cost.parse::<f64>().unwrap(),
    }))
    .unwrap()
}

const PRO_TEXT: &str = "## Pro's view\n\nThe **bigger** model thinks it through:\n\n1. First\n2. Second\n\n```rust\nfn best() -> u8 { 1 }\n```\n";

/// A round of three, mid-stream at 2.4 s: flash done, pro streaming after
/// thinking, lite rate limited.
fn mid_stream() -> (App, [u64; 3]) {
    let mut app = new_app();
    type_text(&mut app, "/compare 2.5-flash 2.5-pro flash-lite");
    update(&mut app, key(KeyCode::Enter));
    type_text(
        &mut app,
        "Which sorting algorithm should I use for 10 items?",
    );
    let fx = update(&mut app, key(KeyCode::Enter));
    let turns: Vec<u64> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Start { turn, .. } => Some(*turn),
            _ => None,
        })
        .collect();
    let [a, b, c] = [turns[0], turns[1], turns[2]];
    update(&mut app, Msg::Tick(400));
    ev(
        &mut app,
        a,
        StreamEvent::Content("Insertion sort: for ten items it beats the clever ones.".into()),
    );
    update(&mut app, Msg::Tick(900));
    ev(
        &mut app,
        b,
        StreamEvent::Reasoning("Small n, so constant factors matter…".into()),
    );
    ev(
        &mut app,
        c,
        StreamEvent::Retrying {
            attempt: 1,
            wait: std::time::Duration::from_secs(20),
            reason: ApiError::RateLimited(RateLimit {
                scope: LimitScope::PerMinute,
                message: "free-models-per-min".into(),
                retry_after: Some(std::time::Duration::from_secs(20)),
                limit: None,
                remaining: None,
                reset_ms: None,
            }),
        },
    );
    update(&mut app, Msg::Tick(1_500));
    ev(&mut app, a, StreamEvent::Usage(usage(14, 12, "0.0000342")));
    ev(
        &mut app,
        a,
        StreamEvent::Finish {
            reason: "stop".into(),
            native: None,
        },
    );
    ev(&mut app, a, StreamEvent::Done);
    update(&mut app, Msg::Ended { turn: a });
    update(&mut app, Msg::Tick(2_000));
    ev(&mut app, b, StreamEvent::Content(PRO_TEXT[..60].into()));
    update(&mut app, Msg::Tick(2_400));
    (app, [a, b, c])
}

/// The same round finished: pro done, lite answered after its wait.
fn finished() -> App {
    let (mut app, [_, b, c]) = mid_stream();
    ev(&mut app, b, StreamEvent::Content(PRO_TEXT[60..].into()));
    ev(&mut app, b, StreamEvent::Usage(usage(14, 180, "0.00181")));
    ev(
        &mut app,
        b,
        StreamEvent::Finish {
            reason: "stop".into(),
            native: None,
        },
    );
    update(&mut app, Msg::Tick(4_100));
    update(&mut app, Msg::Ended { turn: b });
    update(&mut app, Msg::Tick(21_000));
    ev(&mut app, c, StreamEvent::Content("Insertion sort.".into()));
    ev(&mut app, c, StreamEvent::Usage(usage(14, 4, "0.0000030")));
    ev(
        &mut app,
        c,
        StreamEvent::Finish {
            reason: "length".into(),
            native: Some("MAX_TOKENS".into()),
        },
    );
    update(&mut app, Msg::Tick(21_600));
    update(&mut app, Msg::Ended { turn: c });
    app
}

#[test]
fn mid_stream_side_by_side() {
    let (app, _) = mid_stream();
    insta::assert_snapshot!("mid_160x48", screen(&app, 160, 48));
    insta::assert_snapshot!("mid_120x40", screen(&app, 120, 40));
    insta::assert_snapshot!("mid_80x24_tabs", screen(&app, 80, 24));
}

#[test]
fn finished_side_by_side() {
    let app = finished();
    insta::assert_snapshot!("done_160x48", screen(&app, 160, 48));
    insta::assert_snapshot!("done_120x40", screen(&app, 120, 40));
    let mut tabs = app;
    // Tab, then → to the second column: the tabs follow the focus.
    update(&mut tabs, key(KeyCode::Tab));
    update(&mut tabs, key(KeyCode::Right));
    insta::assert_snapshot!("done_80x24_tabs", screen(&tabs, 80, 24));
}

#[test]
fn a_kept_round_in_the_history() {
    let mut app = finished();
    type_text(&mut app, "/keep 2");
    update(&mut app, key(KeyCode::Enter));
    insta::assert_snapshot!("kept_120x40", screen(&app, 120, 40));
    insta::assert_snapshot!("kept_80x24", screen(&app, 80, 24));
}

#[test]
fn the_picker_shows_what_is_marked() {
    let mut app = new_app();
    update(&mut app, common::ctrl('p'));
    type_text(&mut app, "2.5-pro");
    update(&mut app, key(KeyCode::Char(' ')));
    for _ in 0..7 {
        update(&mut app, key(KeyCode::Backspace));
    }
    type_text(&mut app, "lite");
    update(&mut app, key(KeyCode::Char(' ')));
    for _ in 0..4 {
        update(&mut app, key(KeyCode::Backspace));
    }
    insta::assert_snapshot!("picker_marked_80x24", screen(&app, 80, 24));
}
