//! The pure core: messages in, state and effects out, no IO.

mod common;

use common::{ctrl, key, new_app, type_text};
use crossterm::event::KeyCode;
use orchat::api::sse::StreamEvent;
use orchat::app::{Effect, Mode, Msg, update};

#[test]
fn events_of_a_stopped_or_superseded_turn_are_ignored() {
    let mut app = new_app();
    type_text(&mut app, "one");
    let fx = update(&mut app, key(KeyCode::Enter));
    let Some(Effect::Start { turn, request, .. }) =
        fx.iter().find(|e| matches!(e, Effect::Start { .. }))
    else {
        panic!("{fx:?}")
    };
    assert_eq!(request.model, "google/gemini-2.5-flash");
    assert!(request.stream);
    let turn = *turn;
    update(
        &mut app,
        Msg::Stream {
            turn,
            event: StreamEvent::Content("par".into()),
        },
    );
    assert_eq!(
        update(&mut app, key(KeyCode::Esc))[0],
        Effect::Cancel { turn },
        "Esc cancels the request first (then the partial answer is saved)"
    );
    update(
        &mut app,
        Msg::Stream {
            turn,
            event: StreamEvent::Content("tial".into()),
        },
    );
    update(
        &mut app,
        Msg::Stream {
            turn: turn + 7,
            event: StreamEvent::Content("x".into()),
        },
    );
    update(&mut app, Msg::Ended { turn });
    let reply = common::last_reply(&app);
    let (answer, cost) = (&reply.answer, reply.cost);
    assert_eq!(answer.text, "par");
    assert_eq!(
        cost.unwrap().kind,
        orchat::chat::pricing::CostKind::Estimated
    );
    assert!(!app.is_busy());
}

#[test]
fn picker_filters_moves_and_closes() {
    let mut app = new_app();
    update(&mut app, ctrl('p'));
    let Mode::Picker(p) = &app.screen.mode else {
        panic!()
    };
    let current =
        &app.env.catalog.models[orchat::app::filtered_models(&app.env.catalog, "")[p.selected]];
    assert_eq!(current.id, app.chat.model, "opens on the current model");
    type_text(&mut app, "gemma");
    update(&mut app, key(KeyCode::Down));
    let Mode::Picker(p) = &app.screen.mode else {
        panic!()
    };
    assert_eq!((p.filter.as_str(), p.selected), ("gemma", 1));
    update(&mut app, key(KeyCode::Backspace));
    let Mode::Picker(p) = &app.screen.mode else {
        panic!()
    };
    assert_eq!((p.filter.as_str(), p.selected), ("gemm", 0));
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.screen.mode, Mode::Chat);
    assert_eq!(
        app.chat.model, "google/gemini-2.5-flash",
        "Esc keeps the model"
    );
    let ids = orchat::app::filtered_models(&app.env.catalog, "pro25");
    assert!(
        app.env.catalog.models[ids[0]].id.contains("pro"),
        "fuzzy: p-r-o…2-5 in order"
    );
    assert!(orchat::app::filtered_models(&app.env.catalog, "zzzz").is_empty());
}

#[test]
fn paste_history_newline_and_quit() {
    let mut app = new_app();
    update(&mut app, Msg::Paste("line one\r\nline two".into()));
    assert_eq!(app.draft(), "line one\nline two");
    let big = "x".repeat(200_000);
    update(&mut app, Msg::Paste(big.clone()));
    assert!(app.draft().ends_with(&big));
    update(&mut app, ctrl('u'));
    // Up on an empty box recalls earlier prompts.
    let mut app = new_app();
    type_text(&mut app, "first");
    update(&mut app, key(KeyCode::Enter));
    update(&mut app, Msg::Ended { turn: 1 });
    update(&mut app, key(KeyCode::Up));
    assert_eq!(app.draft(), "first");
    update(&mut app, key(KeyCode::Down));
    assert_eq!(app.draft(), "");
    // Alt+Enter makes a new line instead of sending.
    type_text(&mut app, "a");
    update(
        &mut app,
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::Enter,
            crossterm::event::KeyModifiers::ALT,
        )),
    );
    type_text(&mut app, "b");
    assert_eq!(app.draft(), "a\nb");
    // Ctrl+C when idle asks; y quits.
    assert!(update(&mut app, ctrl('c')).is_empty());
    assert_eq!(app.screen.mode, Mode::ConfirmQuit);
    assert_eq!(
        update(&mut app, key(KeyCode::Char('y'))),
        vec![Effect::Quit]
    );
}

#[test]
fn commands_change_settings_without_sending() {
    let mut app = new_app();
    for cmd in [
        "/system be terse",
        "/reasoning high",
        "/model google/gemini-2.5-pro",
    ] {
        type_text(&mut app, cmd);
        let fx = update(&mut app, key(KeyCode::Enter));
        assert!(
            !fx.iter().any(|e| matches!(e, Effect::Start { .. })),
            "{cmd} sends nothing"
        );
    }
    assert_eq!(app.chat.system.as_deref(), Some("be terse"));
    assert_eq!(app.chat.model, "google/gemini-2.5-pro");
    type_text(&mut app, "go");
    let fx = update(&mut app, key(KeyCode::Enter));
    let Some(Effect::Start { request, .. }) = fx.iter().find(|e| matches!(e, Effect::Start { .. }))
    else {
        panic!()
    };
    let body = serde_json::to_value(&**request).unwrap();
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["reasoning"]["effort"], "high");
    assert_eq!(body["model"], "google/gemini-2.5-pro");
    type_text(&mut app, "/reasoning sideways");
    update(&mut app, key(KeyCode::Enter));
    assert!(
        app.screen
            .flash
            .as_deref()
            .unwrap()
            .contains("reasoning must be")
    );
}

/// The context estimate, counted from scratch: each prompt and answer plus 4
/// tokens of framing, 258 per image, answers by their reported usage when
/// they have it. `App::context_estimate` keeps a running sum; this is what it
/// must equal.
fn context_from_scratch(app: &orchat::app::App, draft: &str) -> (u64, u64) {
    use orchat::chat::pricing::estimate_tokens;
    let mut tokens =
        estimate_tokens(draft) + estimate_tokens(app.chat.system.as_deref().unwrap_or(""));
    let mut images = app.composer.attachments.len() as u64;
    let c = &app.conversation;
    for &id in c.history() {
        if let Some(p) = c.prompt(id) {
            tokens += estimate_tokens(&p.text) + 4;
            images += p.images.len() as u64;
        }
        // The text sent back, estimated (a provider's count can be off).
        if let Some(r) = c.reply(id)
            && !r.answer.text.is_empty()
        {
            tokens += 4 + estimate_tokens(&r.answer.text);
        }
    }
    (tokens + images * 258, images)
}

/// Sends `prompt` and streams `words` back; `usage` completion tokens when given.
fn exchange(app: &mut orchat::app::App, prompt: &str, words: &[&str], usage: Option<u64>) {
    type_text(app, prompt);
    let fx = update(app, key(KeyCode::Enter));
    let Some(Effect::Start { turn, .. }) = fx.iter().find(|e| matches!(e, Effect::Start { .. }))
    else {
        panic!("{fx:?}")
    };
    let turn = *turn;
    for w in words {
        update(
            app,
            Msg::Stream {
                turn,
                event: StreamEvent::Content((*w).into()),
            },
        );
        // While the answer streams, the estimate follows it word by word.
        assert_eq!(app.context_estimate("x"), context_from_scratch(app, "x"));
    }
    if let Some(n) = usage {
        let u: orchat::api::types::Usage = serde_json::from_value(serde_json::json!({
            "prompt_tokens": 10, "completion_tokens": n, "total_tokens": n + 10
        }))
        .unwrap();
        update(
            app,
            Msg::Stream {
                turn,
                event: StreamEvent::Usage(u),
            },
        );
    }
    update(
        app,
        Msg::Stream {
            turn,
            event: StreamEvent::Done,
        },
    );
    update(app, Msg::Ended { turn });
}

#[test]
fn context_estimate_stays_exact_through_sends_retries_edits_and_clears() {
    let mut app = new_app();
    let check = |app: &orchat::app::App, what: &str| {
        for draft in ["", "a draft of some length"] {
            assert_eq!(
                app.context_estimate(draft),
                context_from_scratch(app, draft),
                "{what}, draft {draft:?}"
            );
        }
    };
    check(&app, "empty");
    exchange(
        &mut app,
        "first question",
        &["an ", "answer ", "here"],
        None,
    );
    check(&app, "after one answer (estimated)");
    exchange(&mut app, "second", &["reported ", "usage"], Some(1234));
    let with_two = app.context_estimate("");
    check(&app, "after a reported answer");
    assert!(
        with_two.0 < 1234,
        "the text is counted, not the reported 1234 (AI/ML API's run 21× high): {with_two:?}"
    );
    // /retry asks again beside the last answer: the sum must forget it.
    type_text(&mut app, "/retry");
    update(&mut app, key(KeyCode::Enter));
    check(&app, "after /retry");
    assert!(app.context_estimate("").0 < with_two.0);
    // A different answer of another length in its place.
    let turn = common::live(&app).expect("retry asks again").timing.turn;
    for ev in [StreamEvent::Content("short".into()), StreamEvent::Done] {
        update(&mut app, Msg::Stream { turn, event: ev });
    }
    update(&mut app, Msg::Ended { turn });
    check(&app, "after the retried answer");
    // /edit takes the last prompt back into the input; sent, it is a new branch.
    type_text(&mut app, "/edit");
    update(&mut app, key(KeyCode::Enter));
    check(&app, "after /edit");
    exchange(&mut app, " and more", &["x"; 50], None);
    check(&app, "after the edited exchange");
    // A request that fails before any answer leaves an error in its place.
    type_text(&mut app, "doomed");
    let fx = update(&mut app, key(KeyCode::Enter));
    let Some(Effect::Start { turn, .. }) = fx.iter().find(|e| matches!(e, Effect::Start { .. }))
    else {
        panic!("{fx:?}")
    };
    let turn = *turn;
    check(&app, "waiting");
    update(&mut app, key(KeyCode::Esc));
    update(&mut app, Msg::Ended { turn });
    check(&app, "after a stopped empty request");
    type_text(&mut app, "/clear");
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.context_estimate(""), (0, 0), "a new conversation");
    exchange(&mut app, "again", &["y"], None);
    check(&app, "after /clear and a new exchange");
}

/// The text of the last user message a `Start` effect sends.
fn sent_prompt(fx: &[Effect]) -> String {
    let Some(Effect::Start { request, .. }) = fx.iter().find(|e| matches!(e, Effect::Start { .. }))
    else {
        panic!("nothing was sent: {fx:?}")
    };
    let last = request.messages.last().unwrap();
    serde_json::to_value(&last.content)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .expect("a text prompt")
}

#[test]
fn a_paste_of_any_size_is_sent_exactly_and_leaves_the_box_empty() {
    // Past 65,535 lines, and one line past 65,535 characters: the text
    // area's own select-all stops there, so what lay beyond used to stay in
    // the box after sending (and be sent again).
    let many_lines: String = (0..70_000).map(|i| format!("line {i}\n")).collect();
    let long_line = "x".repeat(70_000);
    for text in [many_lines.trim_end().to_string(), long_line] {
        let mut app = new_app();
        update(&mut app, Msg::Paste(text.clone()));
        assert_eq!(app.draft(), text);
        let fx = update(&mut app, key(KeyCode::Enter));
        assert_eq!(sent_prompt(&fx), text, "exactly what was in the box");
        assert_eq!(app.draft(), "", "and the box is empty");
    }
}

#[test]
fn an_editor_round_trip_never_duplicates_the_draft() {
    let big: String = (0..70_000).map(|i| format!("{i}\n")).collect();
    let mut app = new_app();
    update(&mut app, Msg::Paste(big.clone()));
    for _ in 0..3 {
        let fx = update(&mut app, ctrl('e'));
        let Some(Effect::Edit(draft)) = fx.into_iter().find(|e| matches!(e, Effect::Edit(_)))
        else {
            panic!("the editor is asked for")
        };
        assert_eq!(draft, app.draft());
        // The editor gives the text back, changed or not.
        update(&mut app, Msg::Edited(Ok(draft)));
        assert_eq!(app.draft(), big, "the draft, once");
    }
}
