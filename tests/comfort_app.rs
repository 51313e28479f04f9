//! Everyday comfort through the app and the binary: budgets against the
//! local server, remapped keys, NO_COLOR, copying, bad configs on the real
//! binary's output, the $EDITOR round trip in a real terminal.

mod common;

use std::process::Command;

use common::{Driver, ctrl, key, new_app, type_text};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orchat::app::{Effect, Mode, Msg, update};
use orchat::config::Config;
use orchat::server::ServerOptions;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use rust_decimal::Decimal;

fn config(text: &str) -> Config {
    Config::parse_str(text, std::path::Path::new("test.toml")).unwrap()
}

#[tokio::test]
async fn budget_warns_at_80_percent_and_asks_before_passing_a_cap() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.app
        .configure(&config("[budget]\nper_conversation_usd = \"0.0002\"\n"));
    d.submit("first question");
    d.until_idle().await;
    let spent = d.app.total_cost();
    assert!(
        spent > Decimal::new(16, 5),
        "the demo answer costs ≈$0.00016: {spent}"
    );
    let s = common::screen(&d.app, 120, 20);
    assert!(
        s.contains("budget") && s.contains("of $0.0002/conversation"),
        "{s}"
    );

    // The next send's input alone would pass the cap: asked first; n keeps the draft.
    d.app.wallet.budget.per_conversation = Some(spent + Decimal::new(1, 7));
    d.type_text("second question");
    d.send(key(KeyCode::Enter));
    let Mode::ConfirmSend { reason } = &d.app.screen.mode else {
        panic!("{:?}", d.app.screen.mode)
    };
    assert!(reason.contains("this conversation's cap"), "{reason}");
    let s = common::screen(&d.app, 120, 20);
    assert!(s.contains("Send anyway?"), "{s}");
    d.send(key(KeyCode::Char('n')));
    assert_eq!(d.app.draft(), "second question");
    assert_eq!(d.server.received().len(), 1, "nothing sent");
    // y sends it.
    d.send(key(KeyCode::Enter));
    d.send(key(KeyCode::Char('y')));
    d.until_idle().await;
    assert_eq!(d.server.received().len(), 2);

    // /budget changes and shows the caps; a daily cap counts what was spent before.
    d.submit("/budget day 1.50");
    assert_eq!(d.app.wallet.budget.per_day, Some(Decimal::new(150, 2)));
    d.app.wallet.budget.spent_before = Decimal::new(1499999, 6);
    d.app.wallet.budget.per_conversation = None;
    d.submit("third");
    assert!(
        matches!(&d.app.screen.mode, Mode::ConfirmSend { reason } if reason.contains("today's cap"))
    );
}

#[test]
fn remapped_keys_change_behaviour_and_the_help() {
    let mut app = new_app();
    app.configure(&config("[keys]\nopen_picker = \"ctrl+g\"\n"));
    update(&mut app, ctrl('p'));
    assert_eq!(
        app.screen.mode,
        Mode::Chat,
        "Ctrl+P no longer opens the picker"
    );
    update(&mut app, ctrl('g'));
    assert!(matches!(app.screen.mode, Mode::Picker(_)));
    update(&mut app, key(KeyCode::Esc));
    update(&mut app, key(KeyCode::F(1)));
    let s = common::screen(&app, 110, 40);
    let line = s.lines().find(|l| l.contains("choose the model")).unwrap();
    assert!(
        line.contains("Ctrl+G") && !line.contains("Ctrl+P"),
        "{line}"
    );
}

#[test]
fn no_color_draws_without_any_colour() {
    let mut app = new_app();
    type_text(&mut app, "hello");
    update(&mut app, key(KeyCode::Enter));
    update(
        &mut app,
        Msg::Stream {
            turn: 1,
            event: orchat::api::StreamEvent::Content(
                "# Title\n\n```rust\nfn main() {}\n```\n".into(),
            ),
        },
    );
    let plain = config("theme = \"dark\"\n").effective_theme(true);
    let mut t = Terminal::new(TestBackend::new(60, 16)).unwrap();
    t.draw(|f| orchat::ui::draw(f, &app, &mut orchat::ui::View::new(), &plain))
        .unwrap();
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert_eq!(
            (cell.fg, cell.bg),
            (Color::Reset, Color::Reset),
            "{:?}",
            cell.symbol()
        );
    }
    // The dark theme does colour the same screen (so the check above could fail).
    let mut t = Terminal::new(TestBackend::new(60, 16)).unwrap();
    t.draw(|f| {
        orchat::ui::draw(
            f,
            &app,
            &mut orchat::ui::View::new(),
            &orchat::config::theme::Theme::dark(),
        )
    })
    .unwrap();
    assert!(
        t.backend()
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg != Color::Reset)
    );
    insta::assert_snapshot!(common::screen(&app, 60, 16));
}

#[test]
fn copy_keys_pick_the_answer_the_selected_message_and_code_blocks() {
    let mut app = new_app();
    type_text(&mut app, "show code");
    update(&mut app, key(KeyCode::Enter));
    let md = "Two blocks:\n\n```sh\necho one\n```\n\n```rust\nfn two() {}\n```\n";
    update(
        &mut app,
        Msg::Stream {
            turn: 1,
            event: orchat::api::StreamEvent::Content(md.into()),
        },
    );
    update(
        &mut app,
        Msg::Stream {
            turn: 1,
            event: orchat::api::StreamEvent::Done,
        },
    );
    update(&mut app, Msg::Ended { turn: 1 });
    let copied = |fx: Vec<Effect>| {
        fx.into_iter()
            .find_map(|e| match e {
                Effect::Copy { text, what } => Some((text, what)),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(copied(update(&mut app, ctrl('k'))).0, md);
    assert_eq!(
        copied(update(&mut app, ctrl('b'))),
        ("echo one".to_string(), "code block 1 of 2".to_string())
    );
    assert_eq!(copied(update(&mut app, ctrl('b'))).0, "fn two() {}");
    assert_eq!(copied(update(&mut app, ctrl('b'))).0, "echo one", "cycles");
    // Tab focuses the conversation: [ selects the prompt, y copies it.
    update(&mut app, key(KeyCode::Tab));
    assert!(app.screen.focus_conversation);
    update(&mut app, key(KeyCode::Char('[')));
    assert_eq!(
        copied(update(&mut app, key(KeyCode::Char('y')))).0,
        "show code"
    );
    // j/k scroll there instead of typing; Tab gives the keyboard back.
    update(&mut app, key(KeyCode::Char('j')));
    assert_eq!(app.draft(), "");
    update(&mut app, key(KeyCode::Tab));
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
    );
    assert_eq!(app.draft(), "j");
}

#[test]
fn each_bad_config_names_line_key_and_expectation_on_the_binary() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("bad_") && !name.starts_with("unknown_") {
            continue;
        }
        seen += 1;
        let out = Command::new(env!("CARGO_BIN_EXE_orchat"))
            .args(["--config", path.to_str().unwrap(), "--demo", "-p", "hi"])
            .env_remove("OPENROUTER_API_KEY")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(out.stdout.is_empty(), "{name}: nothing answered");
        assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
        assert!(
            err.contains(&name) && err.contains(" line "),
            "{name}: {err}"
        );
        // Told to, orchat falls back to the defaults and answers.
        let out = Command::new(env!("CARGO_BIN_EXE_orchat"))
            .args([
                "--config",
                path.to_str().unwrap(),
                "--ignore-bad-config",
                "--demo",
                "-p",
                "hi",
            ])
            .env_remove("OPENROUTER_API_KEY")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(seen >= 8, "one fixture per kind of bad config");
}

#[test]
fn editor_round_trip_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let editor = dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'written in the editor' > \"$1\"\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x", editor.to_str().unwrap()])
        .status()
        .unwrap();
    let cmd = common::tmux::orchat_cmd(
        dir.path(),
        &format!("-u VISUAL EDITOR={}", editor.display()),
        "--demo",
    );
    let t = common::tmux::Tmux::start(&cmd, 100, 24);
    t.wait_for("the app", |s| s.contains("Enter send"));
    t.text("draft");
    t.keys(&["C-e"]);
    t.wait_for("the edited draft", |s| {
        s.contains("written in the editor") && s.contains("back from the editor")
    });
    t.keys(&["Enter"]);
    t.wait_for("the answer to it", |s| {
        s.contains("reported") && !s.contains("streaming…")
    });
    t.keys(&["C-d"]);
    t.wait_for("exit", |s| s.contains("[exited 0]"));
}
