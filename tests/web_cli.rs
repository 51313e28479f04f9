//! `--web` in one-shot and compare mode with the real binary: the search
//! asked for, the sources after the answer on stdout and as `sources` in
//! `--json` with the fee apart, and refused where the provider has none.

mod common;

use common::oneshot::{Local, orchat, run, stderr, stdout};
use orchat::server::ServerOptions;

fn openrouter(dir: &tempfile::TempDir, local: &Local) -> std::process::Command {
    let mut c = orchat(dir);
    c.args(["--provider", "openrouter", "--base-url", &local.url()])
        .env("OPENROUTER_API_KEY", "sk-or-test");
    c
}

#[test]
fn one_shot_prints_sources_and_the_fee() {
    let dir = tempfile::tempdir().unwrap();
    let local = Local::start(ServerOptions::default());
    let out = run(openrouter(&dir, &local).args(["--web", "-p", "what is new in rust"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.ends_with(
            "\nSources:\n[1] Rust Programming Language — https://www.rust-lang.org/\n[2] blog.rust-lang.org — https://blog.rust-lang.org/releases/\n"
        ),
        "{text}"
    );
    assert!(
        stderr(&out).contains("of it web search $0.007"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        local.server.received()[0].body["tools"],
        serde_json::json!([{"type": "openrouter:web_search"}])
    );

    let out = run(openrouter(&dir, &local).args(["--web", "--json", "-p", "what is new in rust"]));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["search_usd"], "0.007");
    assert_eq!(v["sources"][0]["url"], "https://www.rust-lang.org/");
    assert_eq!(v["sources"][0]["title"], "Rust Programming Language");
    assert_eq!(
        v["sources"][1]["url"],
        "https://blog.rust-lang.org/releases/"
    );
    assert_eq!(v["sources"].as_array().unwrap().len(), 2);
    // Without --web: no search asked, no sources, no fee.
    let out = run(openrouter(&dir, &local).args(["--json", "-p", "hello"]));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["sources"], serde_json::json!([]));
    assert!(v["search_usd"].is_null());
}

#[test]
fn compare_mode_searches_for_each_model() {
    let dir = tempfile::tempdir().unwrap();
    let local = Local::start(ServerOptions::default());
    let out = run(openrouter(&dir, &local).args([
        "--web",
        "--compare",
        "2.5-flash,2.0-flash-001",
        "-p",
        "what is new in rust",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let got = local.server.received();
    assert_eq!(got.len(), 2);
    assert!(
        got.iter()
            .all(|r| r.body["tools"][0]["type"] == "openrouter:web_search")
    );
    // Each answer with its sources after it.
    assert_eq!(
        stdout(&out)
            .matches("\nSources:\n[1] Rust Programming Language")
            .count(),
        2
    );
    let out = run(openrouter(&dir, &local).args([
        "--web",
        "--json",
        "--compare",
        "2.5-flash,2.0-flash-001",
        "-p",
        "what is new in rust",
    ]));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    for a in v.as_array().unwrap() {
        assert_eq!(a["sources"].as_array().unwrap().len(), 2);
        assert_eq!(a["search_usd"], "0.007");
    }
}

#[test]
fn a_provider_without_search_refuses_web() {
    let dir = tempfile::tempdir().unwrap();
    let local = Local::start(ServerOptions::default());
    let out = run(orchat(&dir)
        .args(["--base-url", &local.url(), "--web", "-p", "news"])
        .env("OPENAI_API_KEY", "sk-test"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("has no web search; --web needs OpenRouter"),
        "{}",
        stderr(&out)
    );
    assert!(local.server.received().is_empty());
}
