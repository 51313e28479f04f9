//! The fault matrix: every fault the local server can script, driven through
//! the real app (update loop, effects, HTTP client) the way a user meets it.
//! Each test checks what the user is told (an error entry naming the cause),
//! that a partial answer is kept, how many requests the server saw (retries
//! only where allowed), that the cost is marked estimated when usage is
//! missing, and that a following prompt still succeeds.
//!
//! RELIABILITY.md keeps this matrix as a table naming each test.

mod common;

use std::time::Duration;

use common::{Driver, answers, errors, key};
use crossterm::event::KeyCode;
use orchat::api::sse::StreamEvent;
use orchat::app::{App, Msg};
use orchat::chat::answer::Status;
use orchat::chat::pricing::CostKind;
use orchat::server::{Fault, ServerOptions};
use orchat::store::{Store, StoredMessage, StoredRole};
use tempfile::TempDir;

// ------------------------------------------------------------ helpers

async fn driver() -> Driver {
    Driver::new(ServerOptions::default()).await
}

/// The final cost of the `n`th answer.
fn cost_kind(app: &App, n: usize) -> CostKind {
    let costs: Vec<_> = common::replies(app).iter().map(|r| r.cost).collect();
    costs[n].expect("the answer is settled").kind
}

/// The last error entry's text and hint; panics when there is none.
fn last_error(app: &App) -> (String, Option<String>) {
    errors(app)
        .pop()
        .unwrap_or_else(|| panic!("no error in {:#?}", app.conversation.shown()))
}

/// Asserts the app is responsive: a normal prompt gets a complete answer.
async fn next_prompt_succeeds(d: &mut Driver) {
    let before = answers(&d.app).len();
    d.submit("are you still there?");
    d.until_idle().await;
    let a = answers(&d.app);
    assert_eq!(
        a.len(),
        before + 1,
        "a new answer; errors: {:?}",
        errors(&d.app)
    );
    let last = a.last().unwrap();
    assert_eq!(last.status, Status::Complete, "{last:#?}");
    assert!(last.text.contains("are you still there?"), "{}", last.text);
}

/// After an answer larger than the model's context window: the next prompt
/// is not sent as it is (a request sure to fail); `y` leaves the old turns
/// out, and the prompt goes with none of them.
async fn next_prompt_leaves_out_what_no_longer_fits(d: &mut Driver) {
    let before = answers(&d.app).len();
    let sent_before = d.server.received().len();
    d.submit("are you still there?");
    assert!(
        matches!(d.app.screen.mode, orchat::app::Mode::ConfirmContext { .. }),
        "{:?}",
        d.app.screen.mode
    );
    assert_eq!(d.server.received().len(), sent_before, "nothing sent yet");
    let s = common::screen(&d.app, 80, 24);
    assert!(
        s.contains("too long for this model") && s.contains("leave out"),
        "{s}"
    );
    d.send(common::key(crossterm::event::KeyCode::Char('y')));
    d.until_idle().await;
    let a = answers(&d.app);
    assert_eq!(a.len(), before + 1, "{:?}", errors(&d.app));
    assert_eq!(a.last().unwrap().status, Status::Complete);
    let body = d.server.received().last().unwrap().body.clone();
    assert_eq!(
        body["messages"].as_array().unwrap().len(),
        1,
        "only the new prompt"
    );
}

/// A status fault the client must not retry: one request, no answer entry
/// left (nothing arrived), an error entry containing `cause`.
async fn not_retried(fault: Fault, cause: &str, hint: Option<&str>) -> Driver {
    let mut d = driver().await;
    d.server.push_fault(fault.clone());
    d.submit("hello");
    d.until_idle().await;
    assert_eq!(d.server.received().len(), 1, "{fault:?} is not retried");
    assert!(answers(&d.app).is_empty(), "nothing arrived, nothing kept");
    let (text, h) = last_error(&d.app);
    assert!(text.contains(cause), "{fault:?}: {text}");
    if let Some(want) = hint {
        let h = h.unwrap_or_default();
        assert!(h.contains(want), "{fault:?} hint: {h}");
    }
    assert_eq!(
        d.app.wallet.ledger.total(),
        rust_decimal::Decimal::ZERO,
        "nothing billed"
    );
    next_prompt_succeeds(&mut d).await;
    assert_eq!(d.server.received().len(), 2);
    d
}

/// Scripts `fault` once and sends a prompt: the wait before the retry says
/// `cause`, and the one retry completes the answer.
async fn retried_once(d: &mut Driver, fault: &Fault, cause: &str) {
    d.server.push_fault(fault.clone());
    d.submit("hello");
    // While waiting to retry, the countdown says why.
    d.until(|a| common::live(a).is_some_and(|r| r.timing.retry_reason.is_some()))
        .await;
    let why = common::live(&d.app)
        .unwrap()
        .timing
        .retry_reason
        .clone()
        .unwrap();
    assert!(why.contains(cause), "{fault:?}: {why}");
    d.until_idle().await;
    assert_eq!(d.server.received().len(), 2, "{fault:?}: one retry");
    assert_eq!(answers(&d.app)[0].status, Status::Complete);
}

/// A fault the client retries: once scripted, the retry succeeds (the wait
/// shows the cause while it lasts); scripted on every try, the app gives up
/// after the policy's 3 retries with an error entry naming `cause`.
async fn retried(fault: Fault, cause: &str) {
    let mut d = driver().await;
    retried_once(&mut d, &fault, cause).await;
    assert!(
        errors(&d.app).is_empty(),
        "a successful retry leaves no error"
    );
    assert_eq!(cost_kind(&d.app, 0), CostKind::Reported);

    // Every try fails: 1 + 3 retries, then a clear error.
    for _ in 0..4 {
        d.server.push_fault(fault.clone());
    }
    d.submit("again");
    d.until_idle().await;
    assert_eq!(
        d.server.received().len(),
        6,
        "{fault:?}: gave up after 3 retries"
    );
    let (text, _) = last_error(&d.app);
    assert!(text.contains(cause), "{fault:?}: {text}");
    assert_eq!(
        answers(&d.app).len(),
        1,
        "the failed turn left no empty answer"
    );
    next_prompt_succeeds(&mut d).await;
}

/// A driver whose conversation is saved to a fresh session store, as the
/// app saves it (`sessions_app.rs` covers the store itself).
async fn saving(tune: impl FnOnce(&mut orchat::api::ClientConfig)) -> (Driver, Store, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("sessions.db")).unwrap();
    let mut d = Driver::with_config(ServerOptions::default(), tune).await;
    d.fx.set_store(Some(store.clone()));
    d.app.conversation.id = "faults".into();
    (d, store, dir)
}

/// The saved answer: what the app shows is what was saved, with its status,
/// the error that ended it and the kind of its cost.
fn saved_answer(store: &Store, text: &str) -> StoredMessage {
    store.flush();
    let (_, msgs) = store
        .load("faults")
        .unwrap()
        .expect("the conversation is saved");
    let a = msgs
        .into_iter()
        .find(|m| m.role == StoredRole::Assistant)
        .expect("the answer is saved");
    assert_eq!(a.text, text, "the saved text is the partial text shown");
    a
}

// ------------------------------------------------------------ HTTP statuses

#[tokio::test]
async fn status_401_says_authentication_and_is_not_retried() {
    not_retried(Fault::Status(401), "authentication failed", Some("API_KEY")).await;
}

#[tokio::test]
async fn status_402_says_out_of_credits_and_is_not_retried() {
    not_retried(Fault::Status(402), "out of credits", Some("free model")).await;
}

#[tokio::test]
async fn status_403_says_moderation_and_is_not_retried() {
    let d = not_retried(Fault::Status(403), "blocked by moderation", None).await;
    // The provider's own words are there.
    assert!(errors(&d.app)[0].0.contains("flagged"));
}

#[tokio::test]
async fn status_404_says_model_not_available_and_is_not_retried() {
    not_retried(Fault::Status(404), "model not available", Some("Ctrl+P")).await;
}

#[tokio::test]
async fn status_408_says_timed_out_and_is_retried() {
    retried(Fault::Status(408), "timed out").await;
}

#[tokio::test]
async fn status_413_says_too_large_and_is_not_retried() {
    not_retried(Fault::Status(413), "too large", None).await;
}

#[tokio::test]
async fn status_500_says_the_provider_failed_and_is_retried() {
    retried(Fault::Status(500), "the provider failed (500)").await;
}

#[tokio::test]
async fn status_502_says_the_provider_failed_with_its_words_and_is_retried() {
    retried(Fault::Status(502), "upstream model is overloaded").await;
}

#[tokio::test]
async fn status_503_says_the_provider_failed_and_is_retried() {
    retried(Fault::Status(503), "the provider failed (503)").await;
}

// ------------------------------------------------------------ rate limits

#[tokio::test]
async fn rate_limit_per_minute_with_retry_after_counts_down_and_retries() {
    let mut d = driver().await;
    d.server.push_fault(Fault::RateLimitPerMinute {
        retry_after: Some(1),
    });
    d.submit("hello");
    d.until(common::retrying).await;
    let p = common::live(&d.app).unwrap().timing.clone();
    assert!(p.retry_reason.unwrap().contains("rate limited"));
    // Retry-After: 1 is honoured (not the policy's 3 s cap, not a minute).
    let wait = p.retry_at_ms.unwrap() - d.app.env.now_ms;
    assert!(wait <= 1000, "waits {wait} ms");
    assert!(common::screen(&d.app, 80, 20).contains("retrying in 1s"));
    d.until_idle().await;
    assert_eq!(d.server.received().len(), 2);
    assert_eq!(answers(&d.app)[0].status, Status::Complete);
    next_prompt_succeeds(&mut d).await;
}

#[tokio::test]
async fn rate_limit_per_minute_without_retry_after_waits_for_the_reset_capped() {
    let mut d = driver().await;
    d.server
        .push_fault(Fault::RateLimitPerMinute { retry_after: None });
    d.submit("hello");
    d.until(common::retrying).await;
    let p = common::live(&d.app).unwrap().timing.clone();
    assert!(p.retry_reason.unwrap().contains("rate limited"));
    // The reset is a minute away; the policy caps one wait at 3 s.
    let wait = p.retry_at_ms.unwrap() - d.app.env.now_ms;
    assert!((2000..=3000).contains(&wait), "waits {wait} ms");
    d.until_idle().await;
    assert_eq!(d.server.received().len(), 2);
    assert_eq!(answers(&d.app)[0].status, Status::Complete);
    next_prompt_succeeds(&mut d).await;
}

#[tokio::test]
async fn rate_limit_per_day_says_daily_and_is_not_retried() {
    not_retried(
        Fault::RateLimitPerDay,
        "daily request limit",
        Some("tomorrow"),
    )
    .await;
}

#[tokio::test]
async fn rate_limit_upstream_says_upstream_and_is_retried() {
    let mut d = driver().await;
    retried_once(&mut d, &Fault::RateLimitUpstream, "rate limited upstream").await;
    next_prompt_succeeds(&mut d).await;
}

// ------------------------------------------------------------ mid-stream

/// After a fault that ends an answer part-way: the text so far is kept,
/// marked, billed as an estimate (no usage came), and not retried.
fn assert_partial_kept(d: &Driver, status: Status) -> String {
    let a = answers(&d.app);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].status, status, "{:#?}", a[0]);
    assert!(!a[0].text.is_empty(), "the partial text is kept");
    assert!(a[0].usage.is_none());
    assert_eq!(cost_kind(&d.app, 0), CostKind::Estimated);
    assert!(
        d.app.wallet.ledger.total() > rust_decimal::Decimal::ZERO,
        "billed"
    );
    assert_eq!(
        d.server.received().len(),
        1,
        "a half-received answer is not retried"
    );
    a[0].text.clone()
}

#[tokio::test]
async fn an_error_event_mid_stream_keeps_the_partial_answer() {
    let (mut d, store, _dir) = saving(|_| {}).await;
    d.submit("tell me [[fault:midstream-error]]");
    d.until_idle().await;
    let text = assert_partial_kept(&d, Status::Failed);
    let saved = saved_answer(&store, &text);
    assert_eq!(saved.status, Some(Status::Failed));
    assert_eq!(saved.cost_kind, Some(CostKind::Estimated));
    assert!(saved.error.unwrap().contains("Upstream connection closed"));
    let (err, hint) = last_error(&d.app);
    assert!(err.contains("answer incomplete"), "{err}");
    assert!(err.contains("Upstream connection closed"), "{err}");
    assert!(hint.unwrap().contains("kept"));
    // The header marks the estimate; the answer is marked failed on screen.
    let s = common::screen(&d.app, 100, 40);
    assert!(s.contains("estimated"), "{s}");
    next_prompt_succeeds(&mut d).await;
    // The partial answer went back to the model as context.
    let msgs = d.server.received()[1].body["messages"].clone();
    assert_eq!(msgs[1]["content"], serde_json::json!(text));
}

#[tokio::test]
async fn a_drop_before_the_first_byte_is_retried() {
    let mut d = driver().await;
    d.server.push_fault(Fault::DropBeforeFirstByte);
    d.submit("hello");
    d.until_idle().await;
    assert_eq!(d.server.received().len(), 2, "retried once");
    assert_eq!(answers(&d.app)[0].status, Status::Complete);
    assert!(errors(&d.app).is_empty());
    // On every try: the app gives up with a network error.
    for _ in 0..4 {
        d.server.push_fault(Fault::DropBeforeFirstByte);
    }
    d.submit("again");
    d.until_idle().await;
    assert_eq!(d.server.received().len(), 6);
    let (text, hint) = last_error(&d.app);
    assert!(text.contains("network error"), "{text}");
    assert!(hint.unwrap().contains("/retry"));
    next_prompt_succeeds(&mut d).await;
}

#[tokio::test]
async fn a_drop_after_the_first_byte_keeps_the_partial_answer_and_is_not_retried() {
    let (mut d, store, _dir) = saving(|_| {}).await;
    d.submit("tell me [[fault:drop:4]]");
    d.until_idle().await;
    let partial = assert_partial_kept(&d, Status::Failed);
    let saved = saved_answer(&store, &partial);
    assert_eq!(saved.status, Some(Status::Failed));
    assert_eq!(saved.cost_kind, Some(CostKind::Estimated));
    let (text, _) = last_error(&d.app);
    assert!(text.contains("network error"), "{text}");
    assert!(
        text.contains("the connection closed in the middle of the answer"),
        "in a user's words, not hyper's: {text}"
    );
    assert!(!text.contains("EOF") && !text.contains("chunk"), "{text}");
    next_prompt_succeeds(&mut d).await;
}

#[tokio::test]
async fn a_stall_longer_than_the_idle_timeout_says_stalled_and_keeps_the_text() {
    // A 1 s idle timeout and a 4 s stall after two pieces.
    let (mut d, store, _dir) = saving(|c| c.idle_timeout = Duration::from_secs(1)).await;
    d.submit("tell me [[fault:stall:4]]");
    d.until_idle().await;
    let partial = assert_partial_kept(&d, Status::Failed);
    let saved = saved_answer(&store, &partial);
    assert_eq!(saved.status, Some(Status::Failed));
    assert!(saved.error.unwrap().contains("stalled"));
    let (text, hint) = last_error(&d.app);
    assert!(
        text.contains("timed out") && text.contains("stalled"),
        "{text}"
    );
    assert!(hint.unwrap().contains("/retry"));
    next_prompt_succeeds(&mut d).await;
}

#[tokio::test]
async fn a_malformed_json_line_is_skipped_noted_and_the_rest_arrives() {
    let mut d = driver().await;
    d.submit("hello [[fault:malformed]]");
    d.until_idle().await;
    let a = &answers(&d.app)[0];
    assert_eq!(a.status, Status::Complete);
    assert!(a.text.contains("hello"), "the rest of the answer arrived");
    assert!(
        !a.text.contains("unterminated"),
        "the broken line is not in the text"
    );
    assert!(
        a.notes
            .iter()
            .any(|n| n.contains("skipped a malformed line")),
        "{:?}",
        a.notes
    );
    assert_eq!(cost_kind(&d.app, 0), CostKind::Reported);
    assert_eq!(d.server.received().len(), 1);
    let s = common::screen(&d.app, 100, 40);
    assert!(s.contains("skipped a malformed line"), "{s}");
    next_prompt_succeeds(&mut d).await;
}

#[tokio::test]
async fn invalid_utf8_shows_replacement_characters_and_the_answer_completes() {
    let mut d = driver().await;
    d.submit("hello [[fault:bad-utf8]]");
    d.until_idle().await;
    let a = &answers(&d.app)[0];
    assert_eq!(a.status, Status::Complete);
    assert!(a.text.starts_with('\u{FFFD}'), "{:?}", &a.text[..20]);
    assert!(a.text.contains("hello"));
    assert_eq!(d.server.received().len(), 1);
    assert!(errors(&d.app).is_empty());
    next_prompt_succeeds(&mut d).await;
}

#[tokio::test]
async fn a_ten_megabyte_line_arrives_whole_and_renders() {
    let mut d = driver().await;
    d.submit("hello [[fault:huge]]");
    d.until_idle().await;
    let a = &answers(&d.app)[0];
    assert_eq!(a.status, Status::Complete);
    assert!(a.text.len() > 10 * 1024 * 1024);
    assert!(a.text[..10 * 1024 * 1024].bytes().all(|b| b == b'x'));
    assert_eq!(cost_kind(&d.app, 0), CostKind::Reported);
    assert_eq!(d.server.received().len(), 1);
    // The screen still draws (the long word is hard-wrapped, the tail shows).
    let s = common::screen(&d.app, 80, 24);
    assert!(s.contains("xxxxxxxx"), "{s}");
    // 10 MB is ≈2.6M tokens: more than the model's window.
    next_prompt_leaves_out_what_no_longer_fits(&mut d).await;
}

#[tokio::test]
async fn a_million_token_answer_completes_and_the_app_stays_responsive() {
    let mut d = driver().await;
    d.submit("write a lot [[fault:long:1000000]]");
    // ~350,000 deltas: a debug build on a busy machine may need more than the
    // usual 20 s; this bounds the wait, it does not time the app.
    d.until_for(Duration::from_secs(120), |a| !a.is_busy())
        .await;
    let a = &answers(&d.app)[0];
    assert_eq!(a.status, Status::Complete);
    // 1,000,000 words of the server's long text, 7 bytes or so each.
    assert!(a.text.len() > 6_000_000, "{}", a.text.len());
    assert!(a.usage.as_ref().unwrap().completion_tokens > 1_000_000);
    assert_eq!(cost_kind(&d.app, 0), CostKind::Reported);
    let s = common::screen(&d.app, 80, 24);
    assert!(s.contains("stream token orchat"), "{s}");
    // ≈1.7M tokens of answer no longer fit a 1M window.
    next_prompt_leaves_out_what_no_longer_fits(&mut d).await;
}

#[tokio::test]
async fn a_missing_usage_chunk_marks_the_cost_estimated() {
    let (mut d, store, _dir) = saving(|_| {}).await;
    d.submit("hello [[fault:no-usage]]");
    d.until_idle().await;
    let a = &answers(&d.app)[0];
    assert_eq!(a.status, Status::Complete);
    assert!(a.usage.is_none());
    assert_eq!(cost_kind(&d.app, 0), CostKind::Estimated);
    let saved = saved_answer(&store, &a.text);
    assert_eq!(saved.cost_kind, Some(CostKind::Estimated));
    assert_eq!(saved.prompt_tokens, None, "no usage was invented");
    assert!(d.app.wallet.ledger.estimated() > rust_decimal::Decimal::ZERO);
    assert!(
        errors(&d.app).is_empty(),
        "a complete answer is not an error"
    );
    let s = common::screen(&d.app, 100, 40);
    assert!(s.contains("≈") && s.contains("estimated"), "{s}");
    assert_eq!(d.server.received().len(), 1);
    next_prompt_succeeds(&mut d).await;
    assert_eq!(cost_kind(&d.app, 1), CostKind::Reported);
}

#[tokio::test]
async fn a_missing_done_after_the_finish_reason_is_still_a_complete_answer() {
    // The model said `finish_reason: "stop"`; only the `[DONE]` line is
    // missing (some servers never send it). Liberal in what we accept.
    let (mut d, store, _dir) = saving(|_| {}).await;
    d.submit("hello [[fault:no-done]]");
    d.until_idle().await;
    let a = &answers(&d.app)[0];
    assert_eq!(a.status, Status::Complete);
    let saved = saved_answer(&store, &a.text);
    assert_eq!(saved.status, Some(Status::Complete));
    assert!(a.text.contains("hello"));
    assert_eq!(cost_kind(&d.app, 0), CostKind::Reported);
    assert!(errors(&d.app).is_empty(), "{:?}", errors(&d.app));
    assert_eq!(d.server.received().len(), 1);
    next_prompt_succeeds(&mut d).await;
}

#[tokio::test]
async fn no_usage_and_no_done_together_are_complete_and_estimated() {
    let mut d = driver().await;
    d.submit("hello [[fault:no-usage]] [[fault:no-done]]");
    d.until_idle().await;
    assert_eq!(answers(&d.app)[0].status, Status::Complete);
    assert_eq!(cost_kind(&d.app, 0), CostKind::Estimated);
    next_prompt_succeeds(&mut d).await;
}

// ------------------------------------------------------------ transport

/// Counts the client's retry notices among the messages the app received.
fn retry_notices(log: &[Msg]) -> usize {
    log.iter()
        .filter(|m| {
            matches!(
                m,
                Msg::Stream {
                    event: StreamEvent::Retrying { .. },
                    ..
                }
            )
        })
        .count()
}

#[tokio::test]
async fn connection_refused_says_cannot_connect_after_retries() {
    // A port that was just free: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut d = Driver::pointed_at(
        ServerOptions::default(),
        &format!("http://127.0.0.1:{port}/v1"),
    )
    .await;
    d.submit("hello");
    let log = d.until_logged(|a| !a.is_busy()).await;
    assert_eq!(retry_notices(&log), 3, "connection failures are retried");
    let (text, hint) = last_error(&d.app);
    assert!(
        text.contains("network error") && text.contains("cannot connect"),
        "{text}"
    );
    assert!(hint.unwrap().contains("/retry"));
    assert!(answers(&d.app).is_empty());
    // The network comes back: /retry (the hint) asks again and succeeds.
    d.use_server();
    d.submit("/retry");
    d.until_idle().await;
    assert_eq!(answers(&d.app)[0].status, Status::Complete);
    next_prompt_succeeds(&mut d).await;
}

#[tokio::test]
async fn an_unresolvable_name_is_a_network_error_after_retries() {
    let mut d = Driver::pointed_at(ServerOptions::default(), "http://nonexistent.invalid/v1").await;
    d.submit("hello");
    let log = d.until_logged(|a| !a.is_busy()).await;
    assert_eq!(retry_notices(&log), 3);
    let (text, _) = last_error(&d.app);
    assert!(text.contains("network error"), "{text}");
    assert!(
        text.contains("nonexistent.invalid"),
        "names the host: {text}"
    );
    assert_eq!(d.server.received().len(), 0);
    d.use_server();
    next_prompt_succeeds(&mut d).await;
}

// ------------------------------------------------------------ stopping

#[tokio::test]
async fn esc_while_waiting_for_a_retry_cancels_it_and_nothing_more_is_sent() {
    let mut d = driver().await;
    d.server.push_fault(Fault::RateLimitPerMinute {
        retry_after: Some(2),
    });
    d.submit("hello");
    d.until(common::retrying).await;
    d.send(key(KeyCode::Esc));
    assert!(!d.app.is_busy());
    // Nothing had arrived: no answer is kept, no cost.
    assert!(answers(&d.app).is_empty());
    // Longer than the Retry-After: the cancelled retry never reaches the server.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(d.server.received().len(), 1);
    next_prompt_succeeds(&mut d).await;
}
