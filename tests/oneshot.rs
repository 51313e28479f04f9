//! The real binary in one-shot mode: demo mode, `--json`, stdin, any base URL
//! with a key that never shows, scripted faults and their exit codes, hostile
//! text, and image attachments.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use common::oneshot::*;
use orchat::chat::catalog::Catalog;
use orchat::chat::pricing::estimate_tokens;
use orchat::server::ServerOptions;
use rust_decimal::Decimal;
use tempfile::TempDir;

// ------------------------------------------------------------ demo mode

#[test]
fn demo_mode_prints_the_answer_and_the_cost() {
    let dir = TempDir::new().unwrap();
    let o = run(orchat(&dir).args(["--demo", "-p", "hello"]));
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(0), "stderr: {err}");
    assert_eq!(out, answer(DEFAULT_MODEL, "hello"));
    assert!(err.contains("demo mode"), "{err}");
    assert!(
        err.lines()
            .any(|l| l == summary_line(DEFAULT_MODEL, "hello")),
        "expected `{}` in:\n{err}",
        summary_line(DEFAULT_MODEL, "hello")
    );
    assert!(err.contains("(reported)"));
}

#[test]
fn without_any_key_it_runs_in_demo_mode() {
    let dir = TempDir::new().unwrap();
    let o = run(orchat(&dir).args(["-p", "hello", "-m", "google/gemini-2.0-flash-001"]));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "stderr: {err}");
    assert_eq!(stdout(&o), answer("google/gemini-2.0-flash-001", "hello"));
    assert!(
        err.contains("demo mode, no API key (OPENROUTER_API_KEY is not set)"),
        "{err}"
    );
    assert!(
        err.contains("google/gemini-2.0-flash-001 · 2 in / "),
        "{err}"
    );
}

// ------------------------------------------------------------ output forms

#[test]
fn json_output_is_one_object_with_answer_model_usage_and_cost() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let o = run(orchat(&dir).args(["--base-url", &local.url(), "-p", "hello", "--json"]));
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.trim_end().lines().count(), 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v["answer"], answer(DEFAULT_MODEL, "hello"));
    assert_eq!(v["model"], DEFAULT_MODEL);
    assert_eq!(v["status"], "complete");
    assert_eq!(v["finish_reason"], "stop");
    assert_eq!(v["usage"]["prompt_tokens"], 2);
    let pout = estimate_tokens(&answer(DEFAULT_MODEL, "hello"));
    assert_eq!(v["usage"]["completion_tokens"], pout);
    assert_eq!(v["cost"]["kind"], "reported");
    let p = Catalog::bundled()
        .get(DEFAULT_MODEL)
        .unwrap()
        .pricing
        .clone()
        .expect("a priced model");
    let cost = Decimal::from(2) * p.prompt + Decimal::from(pout) * p.completion;
    assert_eq!(v["cost"]["usd"], cost.normalize().to_string());
    assert!(v["error"].is_null());
}

#[test]
fn the_prompt_can_come_from_stdin() {
    let local = Local::start(ServerOptions::default());
    for args in [
        vec!["--base-url", &local.url()],
        vec!["--base-url", &local.url(), "-p", "-"],
    ] {
        let dir = TempDir::new().unwrap();
        let mut child = orchat(&dir)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"hello from stdin\n")
            .unwrap();
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), answer(DEFAULT_MODEL, "hello from stdin\n"));
    }
    let last = local.server.received();
    assert_eq!(last.len(), 2);
    assert_eq!(last[1].body["messages"][0]["content"], "hello from stdin\n");
    // An empty stdin is a usage error, and nothing is sent.
    let dir = TempDir::new().unwrap();
    let o = run(orchat(&dir).args(["--base-url", &local.url()]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no prompt"));
    assert_eq!(local.server.received().len(), 2);
}

// ------------------------------------------------------------ other servers, keys

#[test]
fn base_url_works_and_the_key_is_sent_but_never_printed() {
    let local = Local::start(ServerOptions {
        require_key: Some(SENTINEL.into()),
        ..ServerOptions::default()
    });
    let dir = TempDir::new().unwrap();
    let o = run(orchat(&dir).env("OPENAI_API_KEY", SENTINEL).args([
        "--base-url",
        &local.url(),
        "-p",
        "hello",
    ]));
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(0), "stderr: {err}");
    assert_eq!(out, answer(DEFAULT_MODEL, "hello"));
    assert!(
        err.lines()
            .any(|l| l == summary_line(DEFAULT_MODEL, "hello")),
        "{err}"
    );
    assert!(!err.contains("demo mode"));
    assert!(!out.contains("SENTINEL") && !err.contains("SENTINEL"));
    let got = local.server.received();
    assert_eq!(got.len(), 1);
    let auth = got[0]
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.as_str());
    assert_eq!(auth, Some("Bearer sk-SENTINEL-123"));
    // A generic endpoint gets no OpenRouter-only fields.
    assert!(got[0].body.get("usage").is_none());

    // A key the server rejects: exit 1, one line, still no key.
    let local = Local::start(ServerOptions {
        require_key: Some("another-key".into()),
        ..ServerOptions::default()
    });
    let o = run(orchat(&dir).env("OPENAI_API_KEY", SENTINEL).args([
        "--base-url",
        &local.url(),
        "-p",
        "hello",
        "--json",
    ]));
    assert_eq!(o.status.code(), Some(1));
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(!out.contains("SENTINEL") && !err.contains("SENTINEL"));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "failed");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("authentication failed")
    );
}

#[test]
fn plain_http_to_a_remote_host_with_a_key_is_refused() {
    let dir = TempDir::new().unwrap();
    let o = run(orchat(&dir).env("OPENAI_API_KEY", SENTINEL).args([
        "--base-url",
        "http://example.invalid/v1",
        "-p",
        "hello",
    ]));
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("refused"), "{err}");
    assert!(!err.contains("SENTINEL"));
    assert_eq!(stdout(&o), "");
}

// ------------------------------------------------------------ faults

#[test]
fn a_401_exits_1_with_one_line_on_stderr() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let o = run(orchat(&dir).args(["--base-url", &local.url(), "-p", "[[fault:401]]"]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("orchat: authentication failed (401)"),
        "{err}"
    );
    assert_eq!(local.server.received().len(), 1, "not retried");
}

#[test]
fn a_daily_limit_exits_1_and_says_so() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let o = run(orchat(&dir).args(["--base-url", &local.url(), "-p", "[[fault:429-day]]"]));
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.contains("daily request limit"), "{err}");
    // Only what exists: this model has no paid twin to switch to.
    assert!(!err.contains("paid"), "{err}");
    assert!(
        err.ends_with("orchat: wait until tomorrow (UTC), or add credits\n"),
        "{err}"
    );
    assert_eq!(local.server.received().len(), 1);
    // A `:free` model whose paid twin the catalog has: that is said.
    let o = run(orchat(&dir).args([
        "--base-url",
        &local.url(),
        "-m",
        "google/gemini-2.5-flash-image-preview:free",
        "-p",
        "[[fault:429-day]]",
    ]));
    let err = stderr(&o);
    assert!(
        err.contains("orchat: -m google/gemini-2.5-flash-image-preview is the paid twin; or wait until tomorrow (UTC)"),
        "{err}"
    );
}

#[test]
fn a_mid_stream_error_exits_3_with_the_partial_text() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let prompt = "[[fault:midstream-error]]";
    let o = run(orchat(&dir).args(["--base-url", &local.url(), "-p", prompt]));
    assert_eq!(o.status.code(), Some(3));
    let partial = answer_pieces(DEFAULT_MODEL, prompt)[..3].concat();
    let expected = if partial.ends_with('\n') {
        partial
    } else {
        format!("{partial}\n")
    };
    assert_eq!(stdout(&o), expected);
    let err = stderr(&o);
    assert!(
        err.contains("the provider failed (502): Upstream connection closed"),
        "{err}"
    );
    // No usage came, so the cost is an estimate.
    assert!(err.contains("(estimated)") && err.contains('≈'), "{err}");
}

#[test]
fn a_dropped_or_unfinished_stream_exits_3_with_the_text_received() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();

    let prompt = "[[fault:drop]]";
    let o = run(orchat(&dir).args(["--base-url", &local.url(), "-p", prompt]));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let partial = answer_pieces(DEFAULT_MODEL, prompt)[..3].concat();
    assert_eq!(stdout(&o).trim_end(), partial.trim_end());
    assert!(stderr(&o).contains("network error"), "{}", stderr(&o));
    assert_eq!(local.server.received().len(), 1, "not retried");

    assert!(
        stderr(&o).contains("the connection closed in the middle of the answer"),
        "{}",
        stderr(&o)
    );

    // The model said it was done (finish_reason "stop"); only `[DONE]` is
    // missing: a complete answer.
    let prompt = "[[fault:no-done]]";
    let o = run(orchat(&dir).args(["--base-url", &local.url(), "-p", prompt]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), answer(DEFAULT_MODEL, prompt));
}

#[test]
fn hostile_escape_sequences_never_reach_the_terminal_raw() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let o = run(orchat(&dir).args(["--base-url", &local.url(), "-p", "[[fault:hostile]]"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_inert("stdout", &o.stdout);
    assert_inert("stderr", &o.stderr);
    let out = stdout(&o);
    // Shown as visible placeholders, not silently dropped.
    assert!(out.starts_with("Hostile:␛[2J␛]52;c;aGFja2Vk␇"), "{out}");
    // A lone CR is made a line break at the edge: no raw CR, no ␍.
    assert!(out.contains(" red\n over␈"), "{out}");
    assert!(!out.contains('␍'), "{out}");
    // The same in --json: escapes are JSON-escaped, the text is intact.
    let o = run(orchat(&dir).args([
        "--base-url",
        &local.url(),
        "-p",
        "[[fault:hostile]]",
        "--json",
    ]));
    assert_inert("json stdout", &o.stdout);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let raw = v["answer"].as_str().unwrap();
    assert!(raw.starts_with("Hostile:\x1b[2J"), "{raw:?}");
    assert!(
        raw.contains('\u{9b}') && raw.contains('\u{202E}'),
        "{raw:?}"
    );
}

// ------------------------------------------------------------ images

fn write_png(path: &Path, w: u32, h: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w, h);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().unwrap();
        let data: Vec<u8> = (0..w * h * 4).map(|i| (i * 37 % 251) as u8).collect();
        writer.write_image_data(&data).unwrap();
    }
    std::fs::write(path, &bytes).unwrap();
    bytes
}

#[test]
fn an_attached_png_is_sent_as_a_data_url() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let img = dir.path().join("tiny.png");
    let png_bytes = write_png(&img, 4, 3);
    let o = run(orchat(&dir).args([
        "--base-url",
        &local.url(),
        "-p",
        "what is this?",
        "--image",
        img.to_str().unwrap(),
    ]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("I received 1 image.\n\n"),
        "{}",
        stdout(&o)
    );
    let got = local.server.received();
    assert_eq!(got.len(), 1);
    let content = &got[0].body["messages"][0]["content"];
    assert_eq!(
        content[0],
        serde_json::json!({"type": "text", "text": "what is this?"})
    );
    assert_eq!(content[1]["type"], "image_url");
    let url = content[1]["image_url"]["url"].as_str().unwrap();
    assert!(url.starts_with("data:image/png;base64,"));
    assert_eq!(
        orchat::chat::images::decode_data_url(url).unwrap(),
        png_bytes
    );
    // One image's tokens are counted in the prompt.
    assert!(stderr(&o).contains(" in / "), "{}", stderr(&o));
}

#[test]
fn a_non_image_attachment_is_refused_before_sending() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let txt = dir.path().join("notes.png");
    std::fs::write(&txt, "just some text, named like a picture\n").unwrap();
    let o = run(orchat(&dir).args([
        "--base-url",
        &local.url(),
        "-p",
        "what is this?",
        "--image",
        txt.to_str().unwrap(),
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not a PNG, JPEG, WebP or GIF"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
    let missing = dir.path().join("missing.png");
    let o = run(orchat(&dir).args([
        "--base-url",
        &local.url(),
        "-p",
        "hi",
        "--image",
        missing.to_str().unwrap(),
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read it"), "{}", stderr(&o));
    assert_eq!(local.server.received().len(), 0, "nothing was sent");
}

#[test]
fn a_generated_image_is_saved_under_the_data_dir() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let o = run(orchat(&dir).args([
        "--base-url",
        &local.url(),
        "-m",
        "google/gemini-2.5-flash-image-preview",
        "-p",
        "draw a fox 16x12",
    ]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let path = err
        .lines()
        .find_map(|l| l.strip_prefix("orchat: image saved to "))
        .unwrap_or_else(|| panic!("no saved image in:\n{err}"));
    let path = Path::new(path);
    assert!(path.starts_with(dir.path().join("data")), "{path:?}");
    let file = std::fs::File::open(path).unwrap();
    let reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    assert_eq!((reader.info().width, reader.info().height), (16, 12));
    assert!(err.contains("out tokens"), "{err}");
}
