//! A plain OpenAI-compatible server (llama.cpp, vLLM, Ollama, LM Studio) is
//! itself: its own models (listed with or without a key), its own context
//! window, no prices; orchat never pretends it is OpenRouter, never sends a
//! Gemini id it did not choose, never prices its answers at Gemini's rates.

mod common;

use common::oneshot::{orchat, run, stderr, stdout};
use common::tmux::Tmux;
use orchat::server::{Dialect, ServerOptions};

/// The local server playing a llama-server: its own two models, no prices,
/// `/props` saying it runs with an 8K window.
fn plain(require_key: Option<&str>) -> common::oneshot::Local {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(orchat::server::start_with(
            ServerOptions {
                dialect: Dialect::Plain,
                runtime_ctx: Some(8192),
                require_key: require_key.map(str::to_string),
                ..ServerOptions::default()
            },
            orchat::server::plain_catalog(),
        ))
        .unwrap();
    common::oneshot::Local::from_parts(server, rt)
}

const OWN: &str = "qwen2.5-7b-instruct-q4_k_m.gguf";

#[test]
fn without_m_the_servers_own_model_is_asked_and_its_cost_is_unknown() {
    let local = plain(None);
    let dir = tempfile::tempdir().unwrap();
    let o = run(orchat(&dir).args(["--base-url", &local.url(), "-p", "hello"]));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!stdout(&o).is_empty());
    let sent = local.server.received().last().unwrap().body.clone();
    assert_eq!(sent["model"], OWN, "its only or first model, not Gemini");
    assert!(
        err.contains(&format!("{OWN} · "))
            && err.contains("cost unknown (no price known for this model)"),
        "{err}"
    );
    assert!(!err.contains('$'), "no price was made up: {err}");
    // A model chosen is sent as chosen.
    let o = run(orchat(&dir).args([
        "--base-url",
        &local.url(),
        "-m",
        "llama-3.2-3b-instruct",
        "-p",
        "hi",
    ]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        local.server.received().last().unwrap().body["model"],
        "llama-3.2-3b-instruct"
    );
}

#[test]
fn the_servers_own_context_window_decides_what_is_too_long() {
    let local = plain(None);
    let dir = tempfile::tempdir().unwrap();
    // About 10,000 tokens: more than the 8,192 the server runs with (its
    // /props), far less than the 32,768 its model was trained for.
    let long = "word ".repeat(10_000);
    let before = local.server.received().len();
    let o = run(orchat(&dir).args(["--base-url", &local.url(), "-p", &long]));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{OWN} takes 8192: too long for this model")),
        "{err}"
    );
    assert_eq!(local.server.received().len(), before, "nothing was sent");
}

#[test]
fn a_key_the_plain_server_needs_lists_its_models_and_doctor_checks_it() {
    let local = plain(Some("sk-local"));
    let dir = tempfile::tempdir().unwrap();
    let o = run(orchat(&dir).env("OPENAI_API_KEY", "sk-local").args([
        "--base-url",
        &local.url(),
        "-p",
        "hi",
    ]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(local.server.received().last().unwrap().body["model"], OWN);
    let o = run(orchat(&dir).env("OPENAI_API_KEY", "sk-wrong").args([
        "--base-url",
        &local.url(),
        "doctor",
    ]));
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("fail key rejected: "), "{out}");
    assert!(out.contains("the key came from OPENAI_API_KEY"), "{out}");
}

#[test]
fn the_app_lists_the_servers_models_and_prices_none_of_them() {
    let local = plain(None);
    let dir = tempfile::tempdir().unwrap();
    let cmd = common::tmux::orchat_cmd(dir.path(), "", &format!("--base-url {}", local.url()));
    let t = Tmux::start(&cmd, 100, 24);
    let s = t.wait_for("the app", |s| s.contains("Enter send"));
    assert!(s.contains(OWN), "the server's model in the status bar: {s}");
    t.keys(&["C-p"]);
    let s = t.wait_for("the picker", |s| s.contains("llama-3.2-3b-instruct"));
    assert!(s.contains("8K"), "the window the server runs with: {s}");
    assert!(!s.contains("gemini"), "only the server's own models: {s}");
    assert!(!s.contains("ctx 0") && !s.contains(" 0 "), "{s}");
    t.keys(&["Escape"]);
    // Closed before typing on (Esc and a key at once read as Alt+key).
    t.wait_for("the picker closed", |s| !s.contains("Enter choose"));
    t.text("hello");
    t.keys(&["Enter"]);
    let s = t.wait_for("the answer", |s| {
        s.contains("cost unknown") && !s.contains("streaming…")
    });
    assert!(!s.contains("reported"), "{s}");
    t.keys(&["C-d"]);
    t.wait_for("exit", |s| s.contains("[exited 0]"));
}

#[test]
fn orchat_serve_plain_is_such_a_server() {
    use std::io::{BufRead, BufReader};
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_orchat"))
        .args(["serve", "--plain"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let o = run(orchat(&dir).args(["--base-url", &url, "-p", "hello"]));
    let _ = server.kill();
    let _ = server.wait();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains(&format!("{OWN} · ")), "{err}");
    assert!(err.contains("cost unknown"), "{err}");
    assert!(!err.contains('$'), "no price was made up: {err}");
}
