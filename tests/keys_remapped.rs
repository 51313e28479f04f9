//! Keys are data on every screen: with every action remapped to a key of
//! its own, each screen's new key does what the default key did, the
//! default key no longer does it, and no screen names a default key any
//! more (help, hints, titles, questions). `/attach` works whatever Attach
//! is bound to.

mod common;

use common::{new_app, screen};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orchat::app::conversation::Prompt;
use orchat::app::{App, Effect, Mode, Msg, NodeId, Offer, SessionItem, update};
use orchat::chat::answer::{Answer, Status};
use orchat::keymap::tables::DEFAULTS;
use orchat::keymap::{Action, Context, KeyOverride, Keymap, chord_label, contexts_of};
use orchat::store::ConversationMeta;

type Chord = (KeyModifiers, KeyCode);

/// A key of its own for each action: Ctrl+Alt+a…z, 0…9, F13…F24, then
/// Ctrl+Alt+F1…F12.
fn remapped() -> (Keymap, Vec<(Action, Chord)>) {
    let mut actions: Vec<Action> = Vec::new();
    for b in DEFAULTS {
        if !actions.contains(&b.action) {
            actions.push(b.action);
        }
    }
    let mut chords: Vec<Chord> = "abcdefghijklmnopqrstuvwxyz0123456789"
        .chars()
        .map(|c| (KeyModifiers::CONTROL | KeyModifiers::ALT, KeyCode::Char(c)))
        .collect();
    chords.extend((13..=24).map(|n| (KeyModifiers::NONE, KeyCode::F(n))));
    chords.extend((1..=12).map(|n| (KeyModifiers::CONTROL | KeyModifiers::ALT, KeyCode::F(n))));
    assert!(
        chords.len() >= actions.len(),
        "enough keys for every action"
    );
    let pairs: Vec<(Action, Chord)> = actions.into_iter().zip(chords).collect();
    let overrides: Vec<KeyOverride> = pairs
        .iter()
        .map(|(action, chord)| KeyOverride {
            context: None,
            action: *action,
            chord: *chord,
        })
        .collect();
    (Keymap::with_overrides(&overrides), pairs)
}

fn press(app: &mut App, (m, c): Chord) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(c, m)))
}

fn act(app: &mut App, a: Action) {
    update(app, Msg::Action(a));
}

fn answer_with_code() -> Answer {
    let mut a = Answer::new("google/gemini-2.5-flash", 10, 0);
    a.text = "Here:\n\n```rust\nfn a() {}\n```\n\nand more.".into();
    a.reasoning = "thinking it over".into();
    a.status = Status::Complete;
    a
}

/// `answer` asked of the last prompt and ended, beside the answers it had.
fn answered(app: &mut App, answer: Answer) -> NodeId {
    let p = app.conversation.last_prompt().expect("a prompt");
    let [(_, id)] = app.conversation.ask(p, vec![answer], 0, 0)[..] else {
        panic!()
    };
    let r = app.conversation.reply_mut(id).unwrap();
    r.timing.finished_ms = Some(1);
    app.conversation.ended(id);
    id
}

/// A new answer to the last prompt, still streaming: (its request's tag, id).
fn streaming_answer(app: &mut App, answer: Answer) -> (u64, NodeId) {
    let p = app.conversation.last_prompt().expect("a prompt");
    let [(turn, id)] = app.conversation.ask(p, vec![answer], 0, 0)[..] else {
        panic!()
    };
    (turn, id)
}

/// The chat screen with something for every action to act on.
fn chat(keymap: &Keymap) -> App {
    let mut app = new_app();
    app.set_keymap(keymap.clone());
    app.conversation.add_prompt(
        Prompt {
            text: "earlier prompt".into(),
            ..Prompt::default()
        },
        None,
        0,
    );
    // Two answers to it (a retry): there is a branch to walk to.
    answered(&mut app, answer_with_code());
    answered(&mut app, answer_with_code());
    app.composer.history.push("earlier prompt".into());
    app.chat.offer = Some(Offer {
        model: "google/gemini-2.5-pro".into(),
        resend: true,
        leave_out: None,
        attach: None,
    });
    app.composer
        .attachments
        .push(orchat::chat::attach::load("https://example.com/cat.png").unwrap());
    for c in "hi".chars() {
        app.composer.input.insert_char(c);
    }
    app
}

fn item(id: &str, title: &str) -> SessionItem {
    SessionItem {
        meta: ConversationMeta {
            id: id.into(),
            title: title.into(),
            created_ms: 0,
            updated_ms: 0,
            models: vec!["google/gemini-2.5-flash".into()],
            messages: 2,
            total_cost: Default::default(),
            unknown_costs: 0,
            current: None,
        },
        snippet: None,
    }
}

/// `app` put where `action` does something on `context`'s screen.
fn setup(context: Context, action: Action, keymap: &Keymap) -> App {
    let mut app = chat(keymap);
    match (context, action) {
        (Context::Chat, Action::HistoryPrev) => app.composer.input = Default::default(),
        (Context::Chat, Action::HistoryNext) => {
            app.composer.input = Default::default();
            act(&mut app, Action::HistoryPrev);
        }
        (Context::Chat, Action::Stop) => {
            streaming_answer(&mut app, Answer::new("google/gemini-2.5-flash", 10, 0));
        }
        (Context::Chat, Action::NextSibling) => act(&mut app, Action::PrevSibling),
        (Context::Chat, _) => {}
        (Context::Focus, _) => {
            act(&mut app, Action::FocusConversation);
            if action == Action::SelectNext {
                act(&mut app, Action::SelectPrev);
            }
            if action == Action::NextSibling {
                act(&mut app, Action::PrevSibling);
            }
        }
        (Context::Tree, _) => {
            app.composer.set("/tree");
            act(&mut app, Action::Send);
            match action {
                Action::ListDown => act(&mut app, Action::ListUp),
                Action::ListPageDown => act(&mut app, Action::ListPageUp),
                _ => {}
            }
        }
        (Context::Picker, _) => act(&mut app, Action::OpenPicker),
        (Context::Sessions, _) => {
            act(&mut app, Action::Sessions);
            update(
                &mut app,
                Msg::Sessions(Ok((0..30).map(|i| item(&format!("c{i}"), "t")).collect())),
            );
            act(&mut app, Action::ListDown);
            act(&mut app, Action::ListDown);
        }
        (Context::Help, _) => {
            act(&mut app, Action::Help);
            act(&mut app, Action::ListPageDown);
        }
        (Context::Cost, _) => act(&mut app, Action::OpenCost),
        (Context::Attach, _) => {
            act(&mut app, Action::Attach);
            for c in "/tmp/cat.png".chars() {
                app.composer.input.insert_char(c);
            }
        }
        (Context::Confirm, Action::PickAnother) => {
            app.screen.mode = Mode::ConfirmContext {
                needed: 2_000_000,
                window: 1_000_000,
                drop: Some(orchat::app::conversation::Cut::All),
            }
        }
        (Context::Confirm, _) => act(&mut app, Action::Quit),
        (Context::Compare, _) => {
            // A round of two: the first answered, the second still streaming.
            app.chat.marked = vec![
                "google/gemini-2.5-flash".into(),
                "google/gemini-2.5-pro".into(),
            ];
            app.chat.comparing = true;
            act(&mut app, Action::Send);
            let c = &app.conversation;
            let open = c.open_ask().expect("a round");
            let turn = |i: usize| c.reply(open.answers[i]).unwrap().timing.turn;
            let (first, second) = (turn(0), turn(1));
            for (turn, text) in [(first, "one\n".repeat(80)), (second, "two".into())] {
                update(
                    &mut app,
                    Msg::Stream {
                        turn,
                        event: orchat::api::sse::StreamEvent::Content(text),
                    },
                );
            }
            update(&mut app, Msg::Ended { turn: first });
            act(&mut app, Action::FocusConversation);
            if action == Action::StopColumn {
                act(&mut app, Action::NextColumn);
            }
        }
    }
    assert_eq!(app.key_context(), context, "{action:?}");
    app
}

/// What a key did, as far as a user can tell: the screen, the draft, the
/// conversation, scrolling and selection, and what was asked of the runtime.
/// (Flash messages name keys, so only whether there is one counts.)
fn outcome(app: &App, fx: &[Effect]) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}|{:?}|{}|{:?}|{}|{}|{}|{:?}|{:?}|{}",
        app.conversation.shown().last(),
        app.conversation.current(),
        app.conversation.open_ask(),
        app.screen.column_scroll,
        app.screen.mode,
        app.draft(),
        app.chat.model,
        app.conversation.tree().len(),
        app.screen.scroll,
        app.screen.focus_conversation,
        app.screen.selected,
        app.screen.show_reasoning,
        app.screen.help_scroll,
        app.composer.attachments.len(),
        app.composer.history_pos,
        fx,
        app.screen.flash.is_some()
    )
}

/// Keys the screen itself gives a meaning when they are no binding: the
/// input box edits with Shift/Alt+Enter (a new line), and on a question
/// any key that is not yes answers no.
fn means_the_same_unbound(context: Context, action: Action) -> bool {
    matches!(
        (context, action),
        (Context::Chat, Action::Newline) | (Context::Confirm, Action::No)
    )
}

#[test]
fn every_action_moves_to_its_new_key_on_every_screen() {
    let default = Keymap::default();
    let (moved, chords) = remapped();
    let mut checked = 0;
    for b in DEFAULTS {
        let new_key = chords.iter().find(|(a, _)| *a == b.action).unwrap().1;
        let old_key = b.keys[0];
        // With the default keys: what the action does from here.
        let mut app = setup(b.context, b.action, &default);
        let idle = outcome(&app, &[]);
        let fx = press(&mut app, old_key);
        let wanted = outcome(&app, &fx);
        assert_ne!(
            wanted, idle,
            "{:?} on {:?} does something from the setup",
            b.action, b.context
        );
        // Remapped: the new key does just that…
        let mut app = setup(b.context, b.action, &moved);
        let fx = press(&mut app, new_key);
        assert_eq!(
            outcome(&app, &fx),
            wanted,
            "{:?} on {:?} through its new key",
            b.action,
            b.context
        );
        // …and the old key no longer does.
        if !means_the_same_unbound(b.context, b.action) {
            let mut app = setup(b.context, b.action, &moved);
            let fx = press(&mut app, old_key);
            assert_ne!(
                outcome(&app, &fx),
                wanted,
                "{:?} on {:?} still on {}",
                b.action,
                b.context,
                chord_label(old_key.0, old_key.1)
            );
        }
        checked += 1;
    }
    assert_eq!(checked, DEFAULTS.len());
}

/// Screens that name keys: each overlay, each question, the hints of a
/// streaming answer with reasoning and a saved image, the empty screen.
fn screens(keymap: &Keymap) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut shot = |name: &str, app: &App, h: u16| {
        out.push((name.to_string(), screen(app, 120, h)));
    };
    let mut empty = new_app();
    empty.set_keymap(keymap.clone());
    shot("empty", &empty, 40);
    let app = chat(keymap);
    shot("chat", &app, 40);
    let mut streaming = chat(keymap);
    streaming.composer.input = Default::default();
    let mut a = Answer::new("google/gemini-2.5-flash", 10, 0);
    a.text = "so far".into();
    a.reasoning = "hmm".into();
    a.status = Status::Streaming;
    a.images.push(orchat::chat::images::Generated::Url(
        "data:image/png;base64,AAAA".into(),
    ));
    a.image_paths.push(Ok("/tmp/x.png".into()));
    let (_, live) = streaming_answer(&mut streaming, a);
    streaming
        .conversation
        .reply_mut(live)
        .unwrap()
        .timing
        .first_token_ms = Some(1);
    streaming.env.now_ms = 20_000;
    shot("streaming", &streaming, 60);
    streaming.screen.show_reasoning = false;
    {
        let r = streaming.conversation.reply_mut(live).unwrap();
        r.timing.first_token_ms = None;
        r.answer.text.clear();
        r.answer.status = Status::Waiting;
    }
    shot("waiting", &streaming, 60);
    for (name, context, action) in [
        ("picker", Context::Picker, Action::Close),
        ("sessions", Context::Sessions, Action::Close),
        ("cost", Context::Cost, Action::Close),
        ("attach", Context::Attach, Action::Close),
        ("quit?", Context::Confirm, Action::Yes),
        ("too long?", Context::Confirm, Action::PickAnother),
        ("focus", Context::Focus, Action::Unfocus),
        ("compare", Context::Compare, Action::Keep),
        ("tree", Context::Tree, Action::Close),
    ] {
        let app = setup(context, action, keymap);
        shot(name, &app, 40);
    }
    let mut sessions = setup(Context::Sessions, Action::Close, keymap);
    act(&mut sessions, Action::DeleteSession);
    shot("delete?", &sessions, 40);
    let mut help = chat(keymap);
    act(&mut help, Action::Help);
    // Tall enough for every row of help.
    shot("help", &help, 200);
    let mut budget = chat(keymap);
    budget.screen.mode = Mode::ConfirmSend {
        reason: "over the cap".into(),
    };
    shot("over budget?", &budget, 40);
    out
}

#[test]
fn no_screen_names_a_default_key_once_every_action_is_remapped() {
    let (moved, chords) = remapped();
    let shots = screens(&moved);
    // Multi-character labels, as whole words ("Esc", "Ctrl+P", "F1", "PgUp").
    let mut old: Vec<String> = DEFAULTS
        .iter()
        .flat_map(|b| b.keys.iter().map(|(m, c)| chord_label(*m, *c)))
        .filter(|l| l.chars().count() > 1)
        .collect();
    old.sort();
    old.dedup();
    let is_word = |text: &str, word: &str| {
        text.match_indices(word).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + word.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '+')
                && !after.is_some_and(|c| c.is_alphanumeric() || c == '+')
        })
    };
    for (name, text) in &shots {
        for label in &old {
            assert!(
                !is_word(text, label),
                "the {name} screen still names {label}:\n{text}"
            );
        }
        // Single letters: where questions and prompts offer them.
        for stale in ["y / n", "y  leave", "p  pick", "n  keep", "(? when"] {
            assert!(
                !text.contains(stale),
                "the {name} screen says {stale}:\n{text}"
            );
        }
    }
    // Every action's new key is named somewhere (help lists them all), and
    // each screen's keys are named on that screen's part of help.
    let all: String = shots.iter().map(|(_, t)| t.as_str()).collect();
    for (action, (m, c)) in &chords {
        let label = chord_label(*m, *c);
        assert!(
            is_word(&all, &label),
            "{action:?} ({label}) is named nowhere"
        );
    }
    // The same screens with the default keys do name them (the check above
    // could not pass by naming nothing).
    let defaults: String = screens(&Keymap::default())
        .iter()
        .map(|(_, t)| t.as_str())
        .collect();
    for label in [
        "Esc", "Enter", "Ctrl+P", "F1", "F4", "Ctrl+T", "Ctrl+R", "Ctrl+X", "PgUp",
    ] {
        assert!(
            is_word(&defaults, label),
            "{label} is named with the defaults"
        );
    }
}

/// `/attach` opens the attach prompt, and `/attach PATH` loads the file,
/// whatever Attach is bound to, or if it is bound to nothing at all.
#[test]
fn slash_attach_works_whatever_attach_is_bound_to() {
    let unbound = {
        // Attach's only key given to another action: Attach has none.
        Keymap::with_overrides(&[KeyOverride {
            context: None,
            action: Action::Detach,
            chord: (KeyModifiers::NONE, KeyCode::F(2)),
        }])
    };
    assert_eq!(unbound.label_in(Context::Chat, Action::Attach), "(unbound)");
    let (moved, _) = remapped();
    for keymap in [Keymap::default(), moved, unbound] {
        let mut app = new_app();
        app.set_keymap(keymap.clone());
        common::type_text(&mut app, "/attach");
        update(&mut app, Msg::Action(Action::Send));
        assert!(
            matches!(app.screen.mode, Mode::Attach { .. }),
            "{:?}",
            app.screen.mode
        );
        // Typed into the prompt and chosen with whatever Choose is bound to.
        for c in "/tmp/cat.png".chars() {
            update(
                &mut app,
                Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
            );
        }
        let fx = update(&mut app, Msg::Action(Action::Choose));
        assert_eq!(fx, vec![Effect::LoadAttachment("/tmp/cat.png".into())]);
        let mut app = new_app();
        app.set_keymap(keymap);
        common::type_text(&mut app, "/attach /tmp/dog.png");
        let fx = update(&mut app, Msg::Action(Action::Send));
        assert_eq!(fx, vec![Effect::LoadAttachment("/tmp/dog.png".into())]);
        assert_eq!(app.draft(), "");
    }
}

/// A screen's own table: `[keys.picker] close = ["esc", "ctrl+g"]` closes
/// the picker on either key, leaves Esc elsewhere alone, and the picker's
/// title names both.
#[test]
fn a_screen_table_remaps_that_screen_only() {
    let keymap = Keymap::with_overrides(&[
        KeyOverride {
            context: Some(Context::Picker),
            action: Action::Close,
            chord: (KeyModifiers::NONE, KeyCode::Esc),
        },
        KeyOverride {
            context: Some(Context::Picker),
            action: Action::Close,
            chord: (KeyModifiers::CONTROL, KeyCode::Char('g')),
        },
    ]);
    assert_eq!(
        keymap.label_in(Context::Picker, Action::Close),
        "Esc / Ctrl+G"
    );
    assert_eq!(keymap.label_in(Context::Sessions, Action::Close), "Esc");
    let mut app = new_app();
    app.set_keymap(keymap);
    for key in [
        (KeyModifiers::CONTROL, KeyCode::Char('g')),
        (KeyModifiers::NONE, KeyCode::Esc),
    ] {
        act(&mut app, Action::OpenPicker);
        assert!(matches!(app.screen.mode, Mode::Picker(_)));
        press(&mut app, key);
        assert_eq!(app.screen.mode, Mode::Chat);
    }
    // Elsewhere Ctrl+G is no key: in the sessions browser it closes nothing.
    act(&mut app, Action::Sessions);
    press(&mut app, (KeyModifiers::CONTROL, KeyCode::Char('g')));
    assert!(matches!(app.screen.mode, Mode::Sessions(_)));
    assert!(contexts_of(Action::Close).contains(&Context::Picker));
}
