//! The real binary, one-shot, against every wire shape of the local server's
//! zoo: servers as they behave in the wild (llama.cpp, vLLM, LM Studio,
//! DeepSeek, Google's endpoint, gateways). Whatever the shape, the answer is
//! read, and every answer says how it ended, with the exit code to match.

mod common;

use std::str::FromStr;

use common::oneshot::*;
use orchat::chat::catalog::Catalog;
use orchat::chat::pricing::estimate_tokens;
use orchat::server::ServerOptions;
use orchat::server::answer::{Ask, reasoning_text};
use rust_decimal::Decimal;
use serde_json::Value;
use tempfile::TempDir;

/// Runs `orchat --base-url … -p PROMPT EXTRA…` against `local`.
fn ask(local: &Local, dir: &TempDir, prompt: &str, extra: &[&str]) -> std::process::Output {
    let url = local.url();
    let mut args = vec!["--base-url", url.as_str(), "-p", prompt];
    args.extend_from_slice(extra);
    run(orchat(dir).args(&args))
}

fn json_of(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(o), stderr(o)))
}

fn thinking(model: &str, prompt: &str) -> String {
    reasoning_text(&Ask {
        prompt: prompt.into(),
        model: model.into(),
        ..Ask::default()
    })
}

// ------------------------------------------------------------ the body decides

#[test]
fn a_stream_request_answered_with_a_whole_json_body_gives_that_answer() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    for fault in ["json-body", "json-body-sse"] {
        let prompt = format!("capital of France [[fault:{fault}]]");
        let o = ask(&local, &dir, &prompt, &[]);
        assert_eq!(o.status.code(), Some(0), "{fault}: {}", stderr(&o));
        assert_eq!(stdout(&o), answer(DEFAULT_MODEL, &prompt), "{fault}");
        // Its usage is the answer's: reported, not estimated.
        let err = stderr(&o);
        let pin = estimate_tokens(&format!("{prompt}\n"));
        let pout = estimate_tokens(&answer(DEFAULT_MODEL, &prompt));
        assert!(
            err.contains(&format!("· {pin} in / {pout} out tokens ·")),
            "{fault}: {err}"
        );
        assert!(err.contains("(reported)"), "{fault}: {err}");
        assert!(!err.contains('≈'), "{fault}: {err}");
    }
}

#[test]
fn a_no_stream_request_answered_with_sse_gives_the_joined_answer() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let prompt = "hello [[fault:sse-body]]";
    let o = ask(&local, &dir, prompt, &["--no-stream"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), answer(DEFAULT_MODEL, prompt));
    assert!(!stderr(&o).contains("not valid JSON"), "{}", stderr(&o));
    assert_eq!(local.server.received()[0].body["stream"], false);
}

// ------------------------------------------------------------ errors in any shape

/// One failure: exit 1, the provider's words, the typed kind, no text, and
/// not "the stream ended before the answer was complete".
fn fails_as(fault: &str, kind: &str, words: &str, requests: usize) {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let prompt = format!("hi [[fault:{fault}]]");
    let o = ask(&local, &dir, &prompt, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{fault}: {err}");
    assert_eq!(stdout(&o), "", "{fault}");
    assert!(err.contains(words), "{fault}: {err}");
    assert!(!err.contains("ended before"), "{fault}: {err}");
    assert!(!err.contains("in the middle"), "{fault}: {err}");
    assert_eq!(local.server.received().len(), requests, "{fault}: requests");
    let o = ask(&local, &dir, &prompt, &["--json"]);
    let v = json_of(&o);
    assert_eq!(v["error_kind"], kind, "{fault}: {v}");
    assert_eq!(v["status"], "failed", "{fault}");
    assert_eq!(o.status.code(), Some(1), "{fault}");
}

#[test]
fn an_error_object_in_a_200_body_is_that_error() {
    fails_as("error-in-200:402", "credits", "Insufficient credits", 1);
    fails_as("error-in-200:401", "auth", "No auth credentials found", 1);
}

#[test]
fn googles_error_list_and_flat_error_are_rate_limits_by_their_status() {
    // RESOURCE_EXHAUSTED on a per-day quota: rate limited, not retried.
    fails_as(
        "google-error-list",
        "rate_limited",
        "Quota exceeded for metric",
        1,
    );
    fails_as(
        "google-error-flat",
        "rate_limited",
        "Quota exceeded for metric",
        1,
    );
}

#[test]
fn a_bare_json_error_line_inside_a_200_stream_is_that_error() {
    fails_as(
        "bare-error-line",
        "upstream",
        "upstream connect error or disconnect/reset before headers",
        1,
    );
}

#[test]
fn an_error_event_before_any_text_keeps_the_providers_words() {
    fails_as(
        "midstream-error:0:429",
        "rate_limited",
        "free-models-per-day",
        1,
    );
}

#[test]
fn structured_fields_decide_before_words() {
    // "No credits were charged" in a moderation 403 is not a billing error.
    fails_as("403", "moderation", "flagged by the moderation system", 1);
    fails_as(
        "403-flagged-words",
        "moderation",
        "flagged by moderation",
        1,
    );
    // OpenAI's 429 insufficient_quota is billing: shown at once, never retried.
    let started = std::time::Instant::now();
    fails_as(
        "insufficient-quota",
        "credits",
        "exceeded your current quota",
        1,
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

// ------------------------------------------------------------ thinking and content

#[test]
fn reasoning_content_is_shown_once_and_ends_with_a_newline() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let prompt = "why [[fault:reasoning-content]]";
    let o = ask(&local, &dir, prompt, &["--show-reasoning"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let think = thinking(DEFAULT_MODEL, prompt);
    assert!(err.starts_with(&format!("{think}\n")), "{err}");
    assert_eq!(err.matches("Considering the question").count(), 1, "{err}");
    // The cost line starts a line of its own.
    assert!(
        err.lines()
            .any(|l| l.starts_with(DEFAULT_MODEL) && l.contains("tokens")),
        "{err}"
    );
    assert_eq!(stdout(&o), answer(DEFAULT_MODEL, prompt));
    let v = json_of(&ask(&local, &dir, prompt, &["--json"]));
    assert_eq!(v["reasoning"], think.as_str());
}

#[test]
fn content_as_typed_parts_streamed_or_whole() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let prompt = "parts [[fault:content-parts]]";
    for extra in [&[][..], &["--no-stream"][..]] {
        let mut args = vec!["--reasoning", "low", "--json"];
        args.extend_from_slice(extra);
        let o = ask(&local, &dir, prompt, &args);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
        let v = json_of(&o);
        assert_eq!(
            v["answer"],
            answer(DEFAULT_MODEL, prompt).as_str(),
            "{extra:?}"
        );
        assert_eq!(v["reasoning"], thinking(DEFAULT_MODEL, prompt).as_str());
        assert_eq!(v["status"], "complete");
    }
}

// ------------------------------------------------------------ endings

#[test]
fn a_length_finish_is_cut_short_with_exit_3() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let prompt = "long table [[fault:length:4]]";
    let o = ask(&local, &dir, prompt, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let partial: String = common::oneshot::answer_pieces(DEFAULT_MODEL, prompt)[..4].concat();
    assert_eq!(stdout(&o).trim_end(), partial.trim_end());
    let err = stderr(&o);
    assert!(
        err.contains("cut short: the answer reached the token limit"),
        "{err}"
    );
    assert!(err.contains("raise --max-tokens"), "{err}");
    assert_eq!(
        json_of(&ask(&local, &dir, prompt, &["--json"]))["status"],
        "cut_short"
    );
}

#[test]
fn a_budget_spent_on_reasoning_says_how_many_tokens_and_what_to_change() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let o = ask(
        &local,
        &dir,
        "compare the two",
        &["-m", "google/gemini-2.5-pro", "--max-tokens", "30"],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert_eq!(stdout(&o), "", "no text came");
    let sent = &local.server.received()[0].body;
    assert_eq!(sent["max_tokens"], 30);
    let v = json_of(&ask(
        &local,
        &dir,
        "compare the two",
        &[
            "-m",
            "google/gemini-2.5-pro",
            "--max-tokens",
            "30",
            "--json",
        ],
    ));
    let reasoning = v["usage"]["reasoning_tokens"].as_u64().unwrap();
    assert!(reasoning > 0 && reasoning <= 30, "{v}");
    assert!(
        err.contains(&format!(
            "{reasoning} tokens went to reasoning and no answer text came"
        )),
        "{err}"
    );
    assert!(err.contains("raise --max-tokens (now 30)"), "{err}");
    assert!(err.contains("lower --reasoning"), "{err}");
}

#[test]
fn a_safety_block_says_so_and_fails() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let o = ask(&local, &dir, "tell me [[fault:blocked]]", &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("blocked by the provider's safety filter (SAFETY)"),
        "{err}"
    );
    // Part of the text came before the filter: it is printed, exit 3.
    let prompt = "tell me [[fault:blocked:RECITATION:3]]";
    let o = ask(&local, &dir, prompt, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("blocked by the provider's safety filter (RECITATION)"),
        "{err}"
    );
    let partial: String = common::oneshot::answer_pieces(DEFAULT_MODEL, prompt)[..3].concat();
    assert_eq!(stdout(&o).trim_end(), partial.trim_end());
    assert_eq!(
        json_of(&ask(&local, &dir, prompt, &["--json"]))["status"],
        "blocked"
    );
}

#[test]
fn an_empty_answer_is_flagged_not_a_blank_success() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let o = ask(&local, &dir, "say nothing [[fault:empty]]", &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("the model sent an empty answer"), "{err}");
    let v = json_of(&ask(
        &local,
        &dir,
        "say nothing [[fault:empty]]",
        &["--json"],
    ));
    assert_eq!(v["status"], "empty");
}

// ------------------------------------------------------------ text and images

#[test]
fn crlf_and_lone_cr_become_line_breaks() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let prompt = "code please [[fault:crlf]]";
    let o = ask(&local, &dir, prompt, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains('\r') && !out.contains('␍'), "{out:?}");
    assert_eq!(out, answer(DEFAULT_MODEL, prompt));
}

#[test]
fn an_image_in_the_text_or_in_a_part_is_saved_never_printed() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    for fault in ["image-in-text", "image-part"] {
        let prompt = format!("a red fox 64x48 [[fault:{fault}]]");
        let o = ask(
            &local,
            &dir,
            &prompt,
            &["-m", "google/gemini-2.5-flash-image-preview"],
        );
        let (out, err) = (stdout(&o), stderr(&o));
        assert_eq!(o.status.code(), Some(0), "{fault}: {err}");
        assert!(
            !out.contains("base64") && !out.contains("iVBOR"),
            "{fault}: {out}"
        );
        assert!(out.len() < 2_000, "{fault}: the payload was printed");
        let path = err
            .lines()
            .find_map(|l| l.strip_prefix("orchat: image saved to "))
            .unwrap_or_else(|| panic!("{fault}: {err}"));
        let img = image::open(path).unwrap();
        assert_eq!((img.width(), img.height()), (64, 48), "{fault}");
    }
}

// ------------------------------------------------------------ usage

#[test]
fn googles_usage_bills_the_thinking_left_out_of_completion_tokens() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let prompt = "think [[fault:google-usage]]";
    let o = ask(&local, &dir, prompt, &["--reasoning", "low", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json_of(&o);
    let text = estimate_tokens(&answer(DEFAULT_MODEL, prompt));
    let think = estimate_tokens(&thinking(DEFAULT_MODEL, prompt));
    let pin = estimate_tokens(&format!("{prompt}\n"));
    assert_eq!(v["usage"]["completion_tokens"], text + think, "{v}");
    assert_eq!(v["usage"]["reasoning_tokens"], think);
    let p = Catalog::bundled()
        .get(DEFAULT_MODEL)
        .unwrap()
        .pricing
        .clone()
        .expect("a priced model");
    let want = Decimal::from(pin) * p.prompt + Decimal::from(text + think) * p.completion;
    assert_eq!(v["cost"]["kind"], "computed");
    assert_eq!(
        Decimal::from_str(v["cost"]["usd"].as_str().unwrap()).unwrap(),
        want
    );
}

#[test]
fn a_request_refused_before_any_answer_costs_exactly_nothing() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let o = ask(&local, &dir, "hi [[fault:400]]", &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("nothing was billed ($0)"), "{err}");
    assert!(!err.contains('≈'), "{err}");
    let v = json_of(&ask(&local, &dir, "hi [[fault:404]]", &["--json"]));
    assert_eq!(v["cost"]["usd"], "0");
    assert_eq!(v["cost"]["kind"], "not billed");
}

// ------------------------------------------------------------ round three

#[test]
fn keep_alives_in_any_form_are_silent() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let prompt = "hello [[fault:keepalives]]";
    let o = ask(&local, &dir, prompt, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(stdout(&o), answer(DEFAULT_MODEL, prompt));
    assert!(!err.contains("malformed"), "{err}");
}

#[test]
fn a_delta_beside_a_growing_message_is_printed_once() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let prompt = "capital of France [[fault:delta-and-message]]";
    let o = ask(&local, &dir, prompt, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), answer(DEFAULT_MODEL, prompt), "not doubled");
}

#[test]
fn compressed_streams_whole_answers_and_errors_are_decoded() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    for coding in ["gzip", "br", "deflate", "zstd"] {
        for extra in ["", " [[fault:json-body]]"] {
            let prompt = format!("hello [[fault:{coding}]]{extra}");
            let o = ask(&local, &dir, &prompt, &[]);
            assert_eq!(o.status.code(), Some(0), "{coding}{extra}: {}", stderr(&o));
            assert_eq!(
                stdout(&o),
                answer(DEFAULT_MODEL, &prompt),
                "{coding}{extra}"
            );
        }
        let o = ask(
            &local,
            &dir,
            &format!("hi [[fault:{coding}]] [[fault:402]]"),
            &[],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{coding}: {err}");
        assert!(
            err.contains("out of credits (402): Insufficient credits"),
            "{coding}: {err}"
        );
    }
    // Asked uncompressed: a compressing proxy may hold back events.
    let asked = &local.server.received()[0];
    assert!(
        asked
            .headers
            .iter()
            .any(|(k, v)| k == "accept-encoding" && v == "identity"),
        "{:?}",
        asked.headers
    );
}

#[test]
fn thinking_tags_in_the_content_are_reasoning_never_the_answer() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let prompt = "what is 2+2 [[fault:think-tags]]";
    let o = ask(&local, &dir, prompt, &["--show-reasoning"]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(out, answer(DEFAULT_MODEL, prompt), "the answer alone");
    assert!(!out.contains("think>"), "{out}");
    assert!(
        err.contains(&thinking(DEFAULT_MODEL, prompt)),
        "reasoning on stderr: {err}"
    );
    let v = json_of(&ask(&local, &dir, prompt, &["--json"]));
    assert_eq!(
        v["reasoning"],
        format!("\n{}\n", thinking(DEFAULT_MODEL, prompt))
    );
    assert!(!v["answer"].as_str().unwrap().contains("<think>"));
}

#[test]
fn an_error_event_is_an_error_in_any_shape_with_the_servers_words() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    for shape in ["error", "message", "text", "plain"] {
        let o = ask(
            &local,
            &dir,
            &format!("hi [[fault:error-event:{shape}]]"),
            &[],
        );
        let err = stderr(&o);
        // Text had come: the answer is incomplete, its text kept.
        assert_eq!(o.status.code(), Some(3), "{shape}: {err}");
        assert!(!stdout(&o).is_empty(), "{shape}");
        assert!(
            err.contains("the provider failed: the model crashed while generating (out of memory)"),
            "{shape}: {err}"
        );
        assert!(
            !err.contains("(502)"),
            "{shape}: no status was made up: {err}"
        );
        assert!(!err.contains("connection closed"), "{shape}: {err}");
    }
}

#[test]
fn an_empty_200_is_an_empty_answer_and_is_not_retried() {
    fails_as(
        "empty-200",
        "empty_body",
        "the server sent an empty answer — it probably failed; its log says why",
        1,
    );
}

#[test]
fn a_context_overflow_in_every_dialect_is_too_long_for_this_model() {
    for dialect in ["llama", "litellm", "openai", "openrouter", "gemini"] {
        let local = Local::start(ServerOptions::default());
        let dir = TempDir::new().unwrap();
        let o = ask(
            &local,
            &dir,
            &format!("hi [[fault:context:{dialect}]]"),
            &[],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{dialect}: {err}");
        assert!(
            err.contains("the conversation is too long for this model"),
            "{dialect}: {err}"
        );
        assert!(
            err.contains("shorten the input, or pick a model with a larger context window (-m)"),
            "{dialect}: {err}"
        );
        assert!(!err.contains("bad request"), "{dialect}: {err}");
        let v = json_of(&ask(
            &local,
            &dir,
            &format!("hi [[fault:context:{dialect}]]"),
            &["--json"],
        ));
        assert_eq!(v["error_kind"], "context_too_long", "{dialect}");
    }
}

#[test]
fn a_fastapi_error_body_gives_its_words_not_its_json() {
    fails_as(
        "fastapi-error:401",
        "auth",
        "authentication failed (401): Invalid API key",
        1,
    );
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let err = stderr(&ask(&local, &dir, "hi [[fault:fastapi-error:401]]", &[]));
    assert!(!err.contains("{\"detail\""), "{err}");
}

#[test]
fn images_in_base64_as_servers_really_write_it_are_saved() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    for shape in ["image-wrapped", "image-urlsafe", "image-unpadded"] {
        let o = ask(
            &local,
            &dir,
            &format!("a red fox [[fault:{shape}]]"),
            &["-m", "google/gemini-2.5-flash-image-preview"],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{shape}: {err}");
        let saved = err
            .lines()
            .find_map(|l| l.strip_prefix("orchat: image saved to "))
            .unwrap_or_else(|| panic!("{shape}: {err}"));
        let img = image::open(saved).unwrap();
        assert_eq!((img.width(), img.height()), (256, 256), "{shape}");
        assert!(!err.contains("not saved"), "{shape}: {err}");
    }
}

#[test]
fn byok_shows_the_upstream_cost_with_openrouters_fee_beside_it() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let prompt = "hello [[fault:byok]]";
    let url = local.url();
    let o = run(orchat(&dir).args(["--provider", "openrouter", "--base-url", &url, "-p", prompt]));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    // What the catalog computes is what the upstream billed the key.
    let summary = summary_line(DEFAULT_MODEL, prompt);
    let usd = summary
        .split(" · ")
        .nth(2)
        .unwrap()
        .trim_end_matches(" (reported)");
    assert!(
        err.contains(&format!(
            "{usd} (BYOK: {usd} on your provider key + $0.00 OpenRouter fee)"
        )),
        "{err}"
    );
    assert!(!err.contains("$0.00 (reported)"), "{err}");
    let o = run(orchat(&dir).args([
        "--provider",
        "openrouter",
        "--base-url",
        &url,
        "-p",
        prompt,
        "--json",
    ]));
    let v = json_of(&o);
    assert_eq!(v["cost"]["kind"], "BYOK");
    assert_eq!(format!("${}", v["cost"]["usd"].as_str().unwrap()), usd);
}

#[test]
fn reasoning_that_ate_the_budget_is_said_from_usage_alone() {
    let local = Local::start(ServerOptions::default());
    let dir = TempDir::new().unwrap();
    let o = ask(
        &local,
        &dir,
        "hi [[fault:hidden-reasoning]] [[fault:length:0]]",
        &[],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("tokens went to reasoning and no answer text came"),
        "{err}"
    );
    assert!(err.contains("lower --reasoning"), "{err}");
}
