//! A provider stays itself behind any URL, and its money is its own: the
//! real binary in one-shot mode against the local server playing OpenRouter,
//! AI/ML API and a plain OpenAI-compatible server.

mod common;

use std::str::FromStr;
use std::time::Duration;

use common::oneshot::*;
use orchat::chat::catalog::Catalog;
use orchat::server::{Dialect, ServerOptions};
use rust_decimal::Decimal;
use serde_json::Value;
use tempfile::TempDir;

fn json_of(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(o), stderr(o)))
}

fn aiml() -> Local {
    Local::start(ServerOptions {
        dialect: Dialect::AimlApi,
        require_key: Some(SENTINEL.into()),
        ..ServerOptions::default()
    })
}

#[test]
fn aiml_api_behind_another_url_keeps_its_key_dialect_and_accounting() {
    let local = aiml();
    let dir = TempDir::new().unwrap();
    let o = run(orchat(&dir)
        .env("AIMLAPI_API_KEY", SENTINEL)
        .args(["--provider", "aimlapi", "--base-url", &local.url()])
        .args(["-m", "google/gemini-2.0-flash-001", "-p", "hello", "--json"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sent = &local.server.received()[0];
    assert!(
        sent.headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == &format!("Bearer {SENTINEL}")),
        "the key of AIMLAPI_API_KEY was sent"
    );
    // AI/ML's dialect: its id spelling, no OpenRouter-only fields.
    assert_eq!(sent.body["model"], "google/gemini-2.0-flash");
    assert!(sent.body.get("usage").is_none(), "{}", sent.body);
    // Its cost is meta.usage.usd_spent: reported, exact.
    let v = json_of(&o);
    assert_eq!(v["cost"]["kind"], "reported");
    let pricing = Catalog::bundled()
        .pricing("google/gemini-2.0-flash-001")
        .cloned()
        .unwrap();
    let u = &v["usage"];
    let want = Decimal::from(u["prompt_tokens"].as_u64().unwrap()) * pricing.prompt
        + Decimal::from(u["completion_tokens"].as_u64().unwrap()) * pricing.completion;
    assert_eq!(
        Decimal::from_str(v["cost"]["usd"].as_str().unwrap()).unwrap(),
        want
    );
    assert!(!stdout(&o).contains(SENTINEL) && !stderr(&o).contains(SENTINEL));
}

#[test]
fn aiml_api_2_5_pro_counts_are_not_believed_and_a_missing_usage_is_estimated_at_known_prices() {
    let local = aiml();
    let dir = TempDir::new().unwrap();
    let base = ["--provider", "aimlapi", "--base-url"];
    let o = run(orchat(&dir)
        .env("AIMLAPI_API_KEY", SENTINEL)
        .args(base)
        .args([
            &local.url(),
            "-m",
            "google/gemini-2.5-pro",
            "-p",
            "hello there",
        ]));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("its count looks off"), "{err}");
    assert!(
        err.contains(" out tokens") && err.contains("/ ≈"),
        "the estimate, not the count: {err}"
    );
    assert!(
        err.contains("(reported)"),
        "usd_spent is still the cost: {err}"
    );

    // No usage at all: an estimate at the bundled prices, never $0.
    let o = run(orchat(&dir)
        .env("AIMLAPI_API_KEY", SENTINEL)
        .args(base)
        .args([
            &local.url(),
            "-m",
            "google/gemini-2.0-flash-001",
            "-p",
            "hi [[fault:no-usage]]",
            "--json",
        ]));
    let v = json_of(&o);
    assert_eq!(v["cost"]["kind"], "estimated");
    let usd = Decimal::from_str(v["cost"]["usd"].as_str().unwrap()).unwrap();
    assert!(usd > Decimal::ZERO, "{v}");
}

#[test]
fn openrouter_behind_another_url_keeps_fallbacks_and_reasoning() {
    let local = Local::start(ServerOptions {
        require_key: Some(SENTINEL.into()),
        ..ServerOptions::default()
    });
    let dir = TempDir::new().unwrap();
    let o = run(orchat(&dir)
        .env("OPENROUTER_API_KEY", SENTINEL)
        .args(["--provider", "openrouter", "--base-url", &local.url()])
        .args([
            "--fallback",
            "google/gemini-2.0-flash-001",
            "--reasoning",
            "low",
        ])
        .args(["-p", "hello"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let body = &local.server.received()[0].body;
    assert_eq!(
        body["models"],
        serde_json::json!([DEFAULT_MODEL, "google/gemini-2.0-flash-001"])
    );
    assert_eq!(body["reasoning"]["effort"], "low");
    assert_eq!(body["usage"]["include"], true);
}

#[test]
fn a_plain_server_reads_openai_api_key_and_says_so() {
    let local = Local::start(ServerOptions {
        dialect: Dialect::Plain,
        require_key: Some("the-right-one".into()),
        ..ServerOptions::default()
    });
    let dir = TempDir::new().unwrap();
    let o = run(orchat(&dir)
        .env("OPENAI_API_KEY", "sk-wrong-key-123")
        .env("OPENROUTER_API_KEY", "sk-or-not-this-one")
        .args(["--base-url", &local.url(), "-p", "hi"]));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("reads its key from OPENAI_API_KEY"), "{err}");
    assert!(!err.contains("OPENROUTER_API_KEY"), "{err}");
    let sent = &local.server.received()[0];
    assert!(
        sent.headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == "Bearer sk-wrong-key-123")
    );
    // A budget where only efforts are understood becomes the nearest effort.
    let o = run(orchat(&dir).env("OPENAI_API_KEY", "the-right-one").args([
        "--base-url",
        &local.url(),
        "--reasoning",
        "8000",
        "-p",
        "hi",
        "--json",
    ]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        local.server.received()[1].body["reasoning_effort"],
        "medium"
    );
    // A plain server reports no cost: computed from the catalog's prices.
    assert_eq!(json_of(&o)["cost"]["kind"], "computed");
    // --help says which variable each mode reads.
    let help = stdout(&run(orchat(&dir).arg("--help")));
    assert!(
        help.contains("--base-url alone") && help.contains("OPENAI_API_KEY"),
        "{help}"
    );
}

#[test]
fn a_settled_cost_replaces_the_estimate_when_asked_to_wait() {
    let local = Local::start(ServerOptions {
        generation_delay: Duration::from_millis(700),
        ..ServerOptions::default()
    });
    let dir = TempDir::new().unwrap();
    let o = run(orchat(&dir)
        .env("OPENROUTER_API_KEY", SENTINEL)
        .args(["--provider", "openrouter", "--base-url", &local.url()])
        .args(["-p", "hello [[fault:no-usage]]", "--json", "--settle"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json_of(&o);
    assert_eq!(v["cost"]["kind"], "settled", "{v}");
    assert!(v["cost"]["estimate"].is_string(), "{v}");
    // Without --settle the estimate stands.
    let o = run(orchat(&dir)
        .env("OPENROUTER_API_KEY", SENTINEL)
        .args(["--provider", "openrouter", "--base-url", &local.url()])
        .args(["-p", "hello [[fault:no-usage]]", "--json"]));
    assert_eq!(json_of(&o)["cost"]["kind"], "estimated");
}
