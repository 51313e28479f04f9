//! Everyday comfort, driven as a user would against the local server: the
//! cost panel's cache columns, roles, math.

mod common;

use common::{Driver, screen};
use orchat::server::ServerOptions;

#[tokio::test]
async fn the_cost_panel_shows_cache_hits_and_what_they_saved() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("[[fault:cached:10]] a question asked with a long shared prefix, twice over");
    d.until_idle().await;
    let s = &d.app.wallet.ledger.by_model["google/gemini-2.5-flash"];
    assert_eq!(s.cached_tokens, 10);
    d.submit("/cost");
    let panel = screen(&d.app, 120, 40);
    assert!(
        panel.contains("cached") && panel.contains("cache saved"),
        "{panel}"
    );
    // 10 tokens at $0.075/M instead of $0.30/M: $0.00000225 saved.
    assert!(panel.contains("$0.00000225"), "{panel}");
    insta::assert_snapshot!("cost_panel_cache_60x20", screen(&d.app, 60, 20));
    insta::assert_snapshot!("cost_panel_cache_120x40", panel);
    // Without cache hits the columns stay away.
    let mut fresh = Driver::new(ServerOptions::default()).await;
    fresh.submit("hello");
    fresh.until_idle().await;
    fresh.submit("/cost");
    assert!(!screen(&fresh.app, 120, 40).contains("cache saved"));
}

const ROLES: &str = r#"
[presets]
terse = "Answer in one line."

[roles.reviewer]
system_prompt = "Review the code I paste: bugs first."
model = "google/gemini-2.5-pro"
reasoning = "low"
temperature = 0.2

[roles.poet]
system_prompt = "Answer in verse."
"#;

fn roles_config() -> orchat::config::Config {
    orchat::config::Config::parse_str(ROLES, std::path::Path::new("config.toml")).unwrap()
}

#[tokio::test]
async fn a_role_sets_prompt_model_reasoning_and_temperature() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.app.configure(&roles_config());
    // Tab completes the role's name.
    common::type_text(&mut d.app, "/role rev");
    d.send(common::key(crossterm::event::KeyCode::Tab));
    assert_eq!(d.app.draft(), "/role reviewer");
    d.send(common::key(crossterm::event::KeyCode::Enter));
    assert_eq!(d.app.chat.role.as_deref(), Some("reviewer"));
    let s = screen(&d.app, 120, 40);
    assert!(s.contains("│ role reviewer"), "{s}");
    assert!(
        s.contains("role reviewer · model google/gemini-2.5-pro · reasoning low · temperature 0.2"),
        "{s}"
    );
    d.submit("fn main() { let x = 1 }");
    d.until_idle().await;
    let body = &d.server.received()[0].body;
    assert_eq!(body["model"], "google/gemini-2.5-pro");
    assert_eq!(
        body["messages"][0]["content"],
        "Review the code I paste: bugs first."
    );
    assert_eq!(body["reasoning"]["effort"], "low");
    assert!((body["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6);
    // A role that sets less keeps the rest.
    d.submit("/role poet");
    d.submit("a poem");
    d.until_idle().await;
    let body = &d.server.received()[1].body;
    assert_eq!(body["model"], "google/gemini-2.5-pro");
    assert_eq!(body["messages"][0]["content"], "Answer in verse.");
    // An unknown role: said, nothing changed; presets still work.
    d.submit("/role nobody");
    assert!(
        d.app
            .screen
            .flash
            .as_deref()
            .unwrap()
            .contains("no role 'nobody'; roles: poet, reviewer"),
        "{:?}",
        d.app.screen.flash
    );
    assert_eq!(d.app.chat.role.as_deref(), Some("poet"));
    common::type_text(&mut d.app, "/preset te");
    d.send(common::key(crossterm::event::KeyCode::Tab));
    assert_eq!(d.app.draft(), "/preset terse");
    d.send(common::key(crossterm::event::KeyCode::Enter));
    assert_eq!(d.app.chat.system.as_deref(), Some("Answer in one line."));
}

#[test]
fn role_flag_sets_the_one_shot_request() {
    use common::oneshot::{Local, orchat, run, stderr};
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, ROLES).unwrap();
    let local = Local::start(ServerOptions::default());
    let out = run(orchat(&dir)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--base-url",
            &local.url(),
        ])
        .args(["--role", "reviewer", "-p", "check this"])
        .env("OPENAI_API_KEY", "sk-test"));
    assert!(out.status.success(), "{}", stderr(&out));
    let body = &local.server.received()[0].body;
    assert_eq!(body["model"], "google/gemini-2.5-pro");
    assert_eq!(
        body["messages"][0]["content"],
        "Review the code I paste: bugs first."
    );
    // -m still wins over the role's model.
    let out = run(orchat(&dir)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--base-url",
            &local.url(),
        ])
        .args([
            "--role",
            "reviewer",
            "-m",
            "google/gemini-2.5-flash",
            "-p",
            "check",
        ])
        .env("OPENAI_API_KEY", "sk-test"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        local.server.received()[1].body["model"],
        "google/gemini-2.5-flash"
    );
    // An unknown role: one line, nothing sent.
    let out = run(orchat(&dir)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--base-url",
            &local.url(),
        ])
        .args(["--role", "ghost", "-p", "x"])
        .env("OPENAI_API_KEY", "sk-test"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no role 'ghost'; roles: poet, reviewer"),
        "{}",
        stderr(&out)
    );
    assert_eq!(local.server.received().len(), 2);
}

#[tokio::test]
async fn bang_command_asks_then_attaches_its_output() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("!printf 'one\\ntwo\\n'; exit 3");
    assert!(matches!(
        d.app.screen.mode,
        orchat::app::Mode::ConfirmCommand { .. }
    ));
    insta::assert_snapshot!("confirm_command_80x24", screen(&d.app, 80, 24));
    // No: nothing runs, the command is back in the box.
    d.send(common::key(crossterm::event::KeyCode::Char('n')));
    assert_eq!(d.app.draft(), "!printf 'one\\ntwo\\n'; exit 3");
    d.send(common::key(crossterm::event::KeyCode::Enter));
    d.send(common::key(crossterm::event::KeyCode::Char('y')));
    d.until(|a| !a.composer.attachments.is_empty()).await;
    let a = &d.app.composer.attachments[0];
    assert_eq!(a.kind, orchat::chat::attach::Kind::Text);
    assert_eq!(
        a.text.as_deref(),
        Some("$ printf 'one\\ntwo\\n'; exit 3\none\ntwo\n[exit status 3]")
    );
    assert!(
        a.label().starts_with("!printf 'one\\ntwo\\n'; exit 3 · "),
        "{}",
        a.label()
    );
    assert!(a.label().contains("tok"), "{}", a.label());
    d.submit("what did it print?");
    d.until_idle().await;
    let parts = &d.server.received()[0].body["messages"][0]["content"];
    assert_eq!(
        parts[1]["text"],
        "<file name=\"!printf 'one\\ntwo\\n'; exit 3\">\n$ printf 'one\\ntwo\\n'; exit 3\none\ntwo\n[exit status 3]\n</file>"
    );
}

#[test]
fn a_command_is_bounded_in_time_and_output() {
    use std::time::Duration;
    let out = orchat::runtime::run_command("yes orchat", Duration::from_secs(5), 1024);
    assert!(
        out.ends_with("[output cut at 1 KB]\n[ended by a signal]")
            || out.contains("[output cut at 1 KB]"),
        "{out}"
    );
    assert!(out.len() < 1200);
    let out = orchat::runtime::run_command("sleep 5", Duration::from_millis(300), 1024);
    assert_eq!(out, "[stopped after 0 s]");
    let out = orchat::runtime::run_command("echo err >&2", Duration::from_secs(5), 1024);
    assert_eq!(out, "err\n[exit status 0]");
}

#[tokio::test]
async fn at_completes_paths_and_attaches_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("notes")).unwrap();
    std::fs::write(dir.path().join("notes/todo.md"), "- write tests\n").unwrap();
    std::fs::write(dir.path().join("notes/done.md"), "- nothing\n").unwrap();
    let base = dir.path().display().to_string();
    let mut d = Driver::new(ServerOptions::default()).await;
    d.type_text(&format!("look at @{base}/no"));
    d.send(common::key(crossterm::event::KeyCode::Tab));
    d.until(|a| a.draft().ends_with("/notes/")).await;
    assert_eq!(d.app.draft(), format!("look at @{base}/notes/"));
    // Two files: listed, nothing attached yet.
    d.send(common::key(crossterm::event::KeyCode::Tab));
    d.until(|a| a.screen.flash.as_deref() == Some("done.md · todo.md"))
        .await;
    d.type_text("t");
    d.send(common::key(crossterm::event::KeyCode::Tab));
    d.until(|a| !a.composer.attachments.is_empty()).await;
    assert_eq!(d.app.draft(), "look at");
    assert_eq!(d.app.composer.attachments[0].short_name(), "todo.md");
    // Nothing matches: said.
    d.type_text(" @/no/such/pla");
    d.send(common::key(crossterm::event::KeyCode::Tab));
    d.until(|a| a.screen.flash.as_deref() == Some("no file matches @/no/such/pla"))
        .await;
}
