//! The HTTP client against the local server and its scripted faults: typed
//! errors, what is retried and what is not, partial answers, timeouts, the
//! wire shape of requests, and keys that never leak.

use std::time::Duration;

use futures_util::StreamExt;
use orchat::api::key::ApiKey;
use orchat::api::types::{ChatRequest, Effort, Message, Role};
use orchat::api::{
    ApiError, ChatClient, ClientConfig, LimitScope, Provider, RetryPolicy, StreamEvent,
};
use orchat::chat::catalog::Catalog;
use orchat::chat::request::{ReasoningSetting, Settings};
use orchat::server::answer::{Ask, answer_text, pieces};
use orchat::server::{Fault, ServerHandle, ServerOptions, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type Item = Result<StreamEvent, ApiError>;

const FLASH: &str = "google/gemini-2.0-flash-001";
const KEY: &str = "sk-or-v1-SENTINEL-0123456789abcdef";

// ------------------------------------------------------------ helpers

async fn server() -> ServerHandle {
    start(ServerOptions::default()).await.unwrap()
}

/// OpenRouter's dialect (attribution headers, `usage`, `reasoning`) at `url`.
fn provider(url: &str) -> Provider {
    let mut p = Provider::openrouter();
    p.base_url = url.trim_end_matches('/').to_string();
    p
}

fn config(url: &str, key: Option<&str>) -> ClientConfig {
    let mut cfg = ClientConfig::new(provider(url), key.and_then(ApiKey::new));
    cfg.connect_timeout = Duration::from_secs(5);
    cfg.idle_timeout = Duration::from_secs(10);
    cfg.retry = RetryPolicy {
        max_retries: 3,
        base: Duration::from_millis(10),
        max_wait: Duration::from_secs(2),
    };
    cfg
}

fn client(cfg: ClientConfig) -> ChatClient {
    ChatClient::new(cfg).unwrap()
}

fn request_with(model: &str, prompt: &str, reasoning: ReasoningSetting) -> ChatRequest {
    let catalog = Catalog::bundled();
    let settings = Settings {
        stream: true,
        reasoning,
        ..Settings::default()
    };
    orchat::chat::request::build(
        model,
        catalog.get(model),
        vec![Message::text(Role::User, prompt)],
        &settings,
    )
}

fn request(prompt: &str) -> ChatRequest {
    request_with(FLASH, prompt, ReasoningSetting::Default)
}

/// The answer text the local server gives for `req`, as streamed pieces.
fn expected_pieces(req: &ChatRequest) -> Vec<String> {
    let ask = Ask::from_request(req);
    let vision = Catalog::bundled()
        .get(&req.model)
        .is_some_and(|m| m.accepts_images());
    pieces(
        &answer_text(&ask, vision),
        ServerOptions::default().words_per_piece,
    )
}

fn text_of(items: &[Item]) -> String {
    items
        .iter()
        .filter_map(|i| match i {
            Ok(StreamEvent::Content(c)) => Some(c.as_str()),
            _ => None,
        })
        .collect()
}

fn retries(items: &[Item]) -> Vec<(u32, Duration, ApiError)> {
    items
        .iter()
        .filter_map(|i| match i {
            Ok(StreamEvent::Retrying {
                attempt,
                wait,
                reason,
            }) => Some((*attempt, *wait, reason.clone())),
            _ => None,
        })
        .collect()
}

fn errors(items: &[Item]) -> Vec<ApiError> {
    items.iter().filter_map(|i| i.clone().err()).collect()
}

fn has(items: &[Item], pred: impl Fn(&StreamEvent) -> bool) -> bool {
    items.iter().any(|i| i.as_ref().is_ok_and(&pred))
}

/// A complete, successful answer: the full text, a usage, `Done` last.
fn assert_complete(items: &[Item], req: &ChatRequest) {
    assert!(errors(items).is_empty(), "{:?}", errors(items));
    assert_eq!(text_of(items), expected_pieces(req).concat());
    assert!(has(items, |e| matches!(e, StreamEvent::Usage(_))));
    assert!(has(
        items,
        |e| matches!(e, StreamEvent::Finish { reason, .. } if reason == "stop")
    ));
    assert!(matches!(items.last(), Some(Ok(StreamEvent::Done))));
}

async fn run(c: &ChatClient, req: ChatRequest) -> Vec<Item> {
    c.send_collect(req).await
}

// ------------------------------------------------------------ success

#[tokio::test]
async fn a_plain_request_streams_the_whole_answer() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    let req = request("tell me about borrowing");
    let items = run(&c, req.clone()).await;
    assert_complete(&items, &req);
    assert!(matches!(
        &items[0],
        Ok(StreamEvent::Meta { model: Some(m), provider: Some(p), .. }) if m == FLASH && p == "Local"
    ));
    assert!(retries(&items).is_empty());
    assert_eq!(s.received().len(), 1);
    // The reported cost is the catalog's price for the reported usage.
    let usage = items
        .iter()
        .find_map(|i| match i {
            Ok(StreamEvent::Usage(u)) => Some(u.clone()),
            _ => None,
        })
        .unwrap();
    let pricing = Catalog::bundled()
        .get(FLASH)
        .unwrap()
        .pricing
        .clone()
        .expect("a priced model");
    assert_eq!(usage.cost.unwrap().0, pricing.compute(&usage, 0));
}

#[tokio::test]
async fn a_non_streaming_request_gives_the_same_answer() {
    let s = server().await;
    let c = client(config(&s.base_url(), None));
    let mut req = request("tell me about borrowing");
    req.stream = false;
    req.stream_options = None;
    let items = run(&c, req.clone()).await;
    assert_complete(&items, &req);
    assert_eq!(s.received()[0].body["stream"], false);
}

// ------------------------------------------------------------ retried

async fn retried_once(fault: Fault, kind: &str) -> (Vec<Item>, usize) {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    s.push_fault(fault.clone());
    let req = request("retry me");
    let items = run(&c, req.clone()).await;
    assert_complete(&items, &req);
    let r = retries(&items);
    assert_eq!(r.len(), 1, "{fault:?}: {items:?}");
    assert_eq!(r[0].0, 1);
    assert_eq!(r[0].2.kind(), kind, "{fault:?}: {:?}", r[0].2);
    // The retry notice comes before any of the answer.
    assert!(matches!(items[0], Ok(StreamEvent::Retrying { .. })));
    (items, s.received().len())
}

#[tokio::test]
async fn server_errors_and_timeouts_are_retried() {
    for (code, kind) in [
        (500, "upstream"),
        (502, "upstream"),
        (503, "upstream"),
        (408, "timeout"),
    ] {
        let (items, n) = retried_once(Fault::Status(code), kind).await;
        assert_eq!(n, 2, "{code}: one failure, one success");
        let (_, wait, reason) = &retries(&items)[0];
        // Exponential backoff from a 10 ms base, ±25% jitter.
        assert!(
            *wait >= Duration::from_micros(7_500) && *wait <= Duration::from_micros(12_500),
            "{code}: {wait:?}"
        );
        if code == 502 {
            // The upstream's own words, parsed out of metadata.raw.
            assert!(
                reason.to_string().contains("upstream model is overloaded"),
                "{reason}"
            );
        }
    }
}

#[tokio::test]
async fn a_drop_before_the_first_byte_is_retried() {
    let (items, n) = retried_once(Fault::DropBeforeFirstByte, "network").await;
    assert_eq!(n, 2);
    assert!(!text_of(&items).is_empty());
}

#[tokio::test]
async fn an_upstream_rate_limit_is_retried_after_at_most_max_wait() {
    let s = server().await;
    let mut cfg = config(&s.base_url(), Some(KEY));
    cfg.retry.max_wait = Duration::from_millis(50);
    let c = client(cfg);
    s.push_fault(Fault::RateLimitUpstream);
    let req = request("upstream");
    let items = run(&c, req.clone()).await;
    assert_complete(&items, &req);
    let r = retries(&items);
    assert_eq!(r.len(), 1);
    match &r[0].2 {
        ApiError::RateLimited(rl) => assert_eq!(rl.scope, LimitScope::Upstream),
        e => panic!("{e:?}"),
    }
    // Five seconds by default for an upstream limit, capped by the policy.
    assert_eq!(r[0].1, Duration::from_millis(50));
    assert_eq!(s.received().len(), 2);
}

#[tokio::test]
async fn a_per_minute_rate_limit_waits_for_retry_after() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    s.push_fault(Fault::RateLimitPerMinute {
        retry_after: Some(1),
    });
    let req = request("per minute");
    let items = run(&c, req.clone()).await;
    assert_complete(&items, &req);
    let r = retries(&items);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].1, Duration::from_secs(1), "Retry-After: 1");
    match &r[0].2 {
        ApiError::RateLimited(rl) => {
            assert_eq!(rl.scope, LimitScope::PerMinute);
            assert_eq!(rl.retry_after, Some(Duration::from_secs(1)));
            assert_eq!((rl.limit, rl.remaining), (Some(1), Some(0)));
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(s.received().len(), 2);
}

#[tokio::test]
async fn a_per_minute_rate_limit_without_retry_after_waits_until_reset_capped() {
    let s = server().await;
    let mut cfg = config(&s.base_url(), Some(KEY));
    cfg.retry.max_wait = Duration::from_millis(100);
    let c = client(cfg);
    s.push_fault(Fault::RateLimitPerMinute { retry_after: None });
    let req = request("per minute, no header");
    let items = run(&c, req.clone()).await;
    assert_complete(&items, &req);
    let r = retries(&items);
    assert_eq!(r.len(), 1);
    // The reset is a minute away; the policy caps the wait.
    assert_eq!(r[0].1, Duration::from_millis(100));
    match &r[0].2 {
        ApiError::RateLimited(rl) => {
            assert_eq!(rl.scope, LimitScope::PerMinute);
            assert_eq!(rl.retry_after, None);
            assert!(rl.reset_ms.is_some());
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(s.received().len(), 2);
}

#[tokio::test]
async fn retries_back_off_and_give_up_after_max_retries() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    for code in [503, 502, 500, 503] {
        s.push_fault(Fault::Status(code));
    }
    let items = run(&c, request("keeps failing")).await;
    let r = retries(&items);
    assert_eq!(r.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 2, 3]);
    for (attempt, wait, _) in &r {
        let nominal = 10_000u64 << (attempt - 1);
        let (lo, hi) = (nominal * 3 / 4, nominal * 5 / 4);
        assert!(
            *wait >= Duration::from_micros(lo) && *wait <= Duration::from_micros(hi),
            "attempt {attempt}: {wait:?}"
        );
    }
    assert_eq!(
        errors(&items),
        vec![ApiError::Upstream {
            status: 503,
            message: "No available providers satisfy the routing constraints".into(),
            provider: None
        }]
    );
    assert!(matches!(items.last(), Some(Err(_))));
    assert_eq!(text_of(&items), "");
    assert_eq!(s.received().len(), 4);
}

// ------------------------------------------------------------ not retried

#[tokio::test]
async fn client_errors_and_daily_limits_are_not_retried() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    let cases: Vec<(Fault, &str)> = vec![
        (Fault::Status(400), "bad_request"),
        (Fault::Status(401), "auth"),
        (Fault::Status(402), "credits"),
        (Fault::Status(403), "moderation"),
        (Fault::Status(404), "not_found"),
        (Fault::Status(413), "too_large"),
        (Fault::RateLimitPerDay, "rate_limited"),
    ];
    for (i, (fault, kind)) in cases.into_iter().enumerate() {
        s.push_fault(fault.clone());
        let items = run(&c, request("fail once")).await;
        assert_eq!(items.len(), 1, "{fault:?}: {items:?}");
        let Err(e) = &items[0] else {
            panic!("{fault:?}: {items:?}")
        };
        assert_eq!(e.kind(), kind, "{fault:?}: {e:?}");
        assert!(!e.is_retryable(), "{fault:?}");
        assert_eq!(s.received().len(), i + 1, "{fault:?} was sent exactly once");
        match (&fault, e) {
            (Fault::Status(401), ApiError::Auth { status, message }) => {
                assert_eq!(
                    (*status, message.as_str()),
                    (401, "No auth credentials found")
                )
            }
            (Fault::Status(402), ApiError::Credits { status, .. }) => assert_eq!(*status, 402),
            (Fault::Status(403), ApiError::Moderation { reasons, .. }) => {
                assert_eq!(reasons, &vec!["harassment".to_string()])
            }
            (Fault::Status(404), ApiError::NotFound { status, .. }) => assert_eq!(*status, 404),
            (Fault::Status(413), ApiError::TooLarge { status, .. }) => assert_eq!(*status, 413),
            (Fault::RateLimitPerDay, ApiError::RateLimited(rl)) => {
                assert_eq!(rl.scope, LimitScope::PerDay);
                assert_eq!((rl.limit, rl.remaining), (Some(50), Some(0)));
                assert!(e.to_string().contains("daily request limit"), "{e}");
            }
            (Fault::Status(400), ApiError::BadRequest { status, .. }) => assert_eq!(*status, 400),
            (f, e) => panic!("{f:?} gave {e:?}"),
        }
    }
}

#[tokio::test]
async fn an_unknown_model_is_not_found_and_not_retried() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    let mut req = request("hi");
    req.model = "nobody/no-such-model".into();
    let items = run(&c, req).await;
    assert_eq!(items.len(), 1);
    assert!(
        matches!(&items[0], Err(ApiError::NotFound { message, .. }) if message.contains("nobody/no-such-model"))
    );
    assert_eq!(s.received().len(), 1);
}

// ------------------------------------------------------------ mid-stream

#[tokio::test]
async fn a_mid_stream_error_keeps_the_partial_text() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    s.push_fault(Fault::ErrorMidStream {
        after: 3,
        code: 502,
    });
    let req = request("explain the causes");
    let items = run(&c, req.clone()).await;
    assert_eq!(text_of(&items), expected_pieces(&req)[..3].concat());
    let provider_errors: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Ok(StreamEvent::ProviderError(e)) => Some(e.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(provider_errors.len(), 1);
    assert_eq!(
        provider_errors[0].message,
        "Upstream connection closed before the response completed"
    );
    assert!(has(
        &items,
        |e| matches!(e, StreamEvent::Finish { reason, .. } if reason == "error")
    ));
    assert!(!has(&items, |e| matches!(e, StreamEvent::Done)));
    assert!(matches!(items.last(), Some(Ok(StreamEvent::Truncated))));
    assert!(retries(&items).is_empty());
    assert_eq!(
        s.received().len(),
        1,
        "a half-received answer is never retried"
    );
}

#[tokio::test]
async fn a_drop_mid_stream_keeps_the_partial_text_and_is_not_retried() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    s.push_fault(Fault::DropMidStream { after: 3 });
    let req = request("drop me");
    let items = run(&c, req.clone()).await;
    assert_eq!(text_of(&items), expected_pieces(&req)[..3].concat());
    assert!(
        matches!(items.last(), Some(Err(ApiError::Network(_)))),
        "{:?}",
        items.last()
    );
    assert!(retries(&items).is_empty());
    assert!(!has(&items, |e| matches!(e, StreamEvent::Done)));
    assert_eq!(s.received().len(), 1);
}

#[tokio::test]
async fn a_stall_longer_than_the_idle_timeout_times_out_after_the_partial_text() {
    let s = server().await;
    let mut cfg = config(&s.base_url(), Some(KEY));
    cfg.idle_timeout = Duration::from_secs(1);
    let c = client(cfg);
    s.push_fault(Fault::Stall {
        after: 2,
        secs: 3.0,
    });
    let req = request("stall");
    let items = run(&c, req.clone()).await;
    assert_eq!(text_of(&items), expected_pieces(&req)[..2].concat());
    assert!(
        matches!(items.last(), Some(Err(ApiError::Timeout(_)))),
        "{:?}",
        items.last()
    );
    assert!(retries(&items).is_empty());
    assert_eq!(s.received().len(), 1);
}

#[tokio::test]
async fn without_usage_the_stream_still_completes() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    s.push_fault(Fault::NoUsage);
    let req = request("no usage");
    let items = run(&c, req.clone()).await;
    assert_eq!(text_of(&items), expected_pieces(&req).concat());
    assert!(!has(&items, |e| matches!(e, StreamEvent::Usage(_))));
    assert!(matches!(items.last(), Some(Ok(StreamEvent::Done))));
    assert!(errors(&items).is_empty());
}

#[tokio::test]
async fn without_done_the_stream_is_truncated() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    s.push_fault(Fault::NoDone);
    let req = request("no done");
    let items = run(&c, req.clone()).await;
    assert_eq!(text_of(&items), expected_pieces(&req).concat());
    assert!(has(&items, |e| matches!(e, StreamEvent::Usage(_))));
    assert!(!has(&items, |e| matches!(e, StreamEvent::Done)));
    assert!(matches!(items.last(), Some(Ok(StreamEvent::Truncated))));
    assert_eq!(s.received().len(), 1);
}

#[tokio::test]
async fn a_malformed_line_is_skipped_and_the_rest_arrives() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    s.push_fault(Fault::MalformedLine { after: 2 });
    let req = request("malformed");
    let items = run(&c, req.clone()).await;
    let p = expected_pieces(&req);
    assert_eq!(text_of(&items), p.concat());
    let contents_before_malformed = items
        .iter()
        .take_while(|i| !matches!(i, Ok(StreamEvent::Malformed(_))))
        .filter(|i| matches!(i, Ok(StreamEvent::Content(_))))
        .count();
    assert_eq!(contents_before_malformed, 2);
    assert_eq!(
        items
            .iter()
            .filter(|i| matches!(i, Ok(StreamEvent::Malformed(_))))
            .count(),
        1
    );
    assert!(matches!(items.last(), Some(Ok(StreamEvent::Done))));
}

#[tokio::test]
async fn invalid_utf8_becomes_replacement_characters() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    s.push_fault(Fault::InvalidUtf8);
    let req = request("bad bytes");
    let items = run(&c, req.clone()).await;
    assert_eq!(
        text_of(&items),
        format!("\u{FFFD}\u{FFFD}{}", expected_pieces(&req).concat())
    );
    assert!(matches!(items.last(), Some(Ok(StreamEvent::Done))));
}

#[tokio::test]
async fn a_ten_megabyte_line_passes_through() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    s.push_fault(Fault::HugeLine(10 * 1024 * 1024));
    let req = request("huge");
    let items = run(&c, req.clone()).await;
    let first = items
        .iter()
        .find_map(|i| match i {
            Ok(StreamEvent::Content(c)) => Some(c),
            _ => None,
        })
        .unwrap();
    assert_eq!(first.len(), 10 * 1024 * 1024);
    assert!(first.bytes().all(|b| b == b'x'));
    assert_eq!(
        text_of(&items)[10 * 1024 * 1024..],
        expected_pieces(&req).concat()
    );
    assert!(matches!(items.last(), Some(Ok(StreamEvent::Done))));
}

// ------------------------------------------------------------ transport

#[tokio::test]
async fn connection_refused_is_a_network_error_after_retries() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client(config(&format!("http://127.0.0.1:{port}/v1"), Some(KEY)));
    let items = run(&c, request("anyone there?")).await;
    let r = retries(&items);
    assert_eq!(r.len(), 3, "{items:?}");
    assert!(r.iter().all(|(_, _, e)| e.kind() == "network"));
    assert_eq!(items.len(), 4);
    match items.last() {
        Some(Err(e @ ApiError::Network(_))) => {
            assert!(!e.to_string().contains("SENTINEL"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_unresolvable_host_is_a_network_error() {
    let mut cfg = config("https://nonexistent.invalid/v1", Some(KEY));
    cfg.retry.max_retries = 1;
    let c = client(cfg);
    let items = run(&c, request("hello?")).await;
    assert_eq!(retries(&items).len(), 1);
    match items.last() {
        Some(Err(e @ ApiError::Network(_))) => {
            assert!(!e.to_string().contains("SENTINEL"), "{e}");
            assert!(!format!("{e:?}").contains("SENTINEL"), "{e:?}");
        }
        other => panic!("{other:?}"),
    }
    // Without a key, plain http is fine, and the failure is the same kind.
    let mut cfg = config("http://nonexistent.invalid/v1", None);
    cfg.retry.max_retries = 0;
    let items = run(&client(cfg), request("hello?")).await;
    assert!(
        matches!(items.as_slice(), [Err(ApiError::Network(_))]),
        "{items:?}"
    );
}

// ------------------------------------------------------------ wire shape

fn header<'a>(r: &'a orchat::server::Received, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn the_request_has_the_exact_wire_shape_and_headers() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    let model = "google/gemini-2.5-flash-image-preview";
    let req = request_with(
        model,
        "draw a fox 8x8",
        ReasoningSetting::Effort(Effort::High),
    );
    let items = run(&c, req).await;
    assert!(matches!(items.last(), Some(Ok(StreamEvent::Done))));

    let got = s.received();
    assert_eq!(got.len(), 1);
    let body = &got[0].body;
    assert_eq!(body["model"], model);
    assert_eq!(
        body["messages"],
        serde_json::json!([{"role": "user", "content": "draw a fox 8x8"}])
    );
    assert_eq!(body["stream"], true);
    assert_eq!(
        body["stream_options"],
        serde_json::json!({"include_usage": true})
    );
    assert_eq!(body["usage"], serde_json::json!({"include": true}));
    assert_eq!(body["reasoning"], serde_json::json!({"effort": "high"}));
    assert_eq!(body["modalities"], serde_json::json!(["image", "text"]));
    for absent in ["models", "provider", "reasoning_effort", "temperature"] {
        assert!(body.get(absent).is_none(), "{absent} should not be sent");
    }

    let r = &got[0];
    assert_eq!(
        header(r, "authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(header(r, "x-title"), Some("orchat"));
    assert_eq!(
        header(r, "http-referer"),
        Some("https://github.com/orchat/orchat")
    );
    assert_eq!(header(r, "content-type"), Some("application/json"));
    assert!(header(r, "user-agent").is_some_and(|ua| ua.starts_with("orchat/")));

    // The image came back as a PNG data URL of the asked size.
    let url = items
        .iter()
        .find_map(|i| match i {
            Ok(StreamEvent::Image(u)) => Some(u.clone()),
            _ => None,
        })
        .expect("an image");
    let png = orchat::chat::images::decode_data_url(&url).unwrap();
    let reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap();
    assert_eq!((reader.info().width, reader.info().height), (8, 8));
    // 1290 image tokens are in the usage.
    assert!(
        items
            .iter()
            .any(|i| matches!(i, Ok(StreamEvent::Usage(u)) if u.image_tokens() == 1290))
    );
}

#[tokio::test]
async fn a_text_model_gets_no_modalities_and_no_key_means_no_authorization() {
    let s = server().await;
    let c = client(config(&s.base_url(), None));
    let items = run(&c, request("hi")).await;
    assert!(matches!(items.last(), Some(Ok(StreamEvent::Done))));
    let r = &s.received()[0];
    assert!(r.body.get("modalities").is_none());
    assert!(r.body.get("reasoning").is_none());
    assert_eq!(header(r, "authorization"), None);
}

#[tokio::test]
async fn a_custom_provider_gets_only_what_it_understands() {
    let s = server().await;
    let mut cfg = config(&s.base_url(), Some(KEY));
    cfg.provider = Provider::custom(&s.base_url());
    let c = client(cfg);
    let req = request_with(
        "google/gemini-2.5-flash",
        "hi",
        ReasoningSetting::Effort(Effort::Low),
    );
    let items = run(&c, req).await;
    assert!(matches!(items.last(), Some(Ok(StreamEvent::Done))));
    let r = &s.received()[0];
    assert_eq!(r.body["reasoning_effort"], "low");
    assert!(r.body.get("reasoning").is_none() && r.body.get("usage").is_none());
    assert_eq!(header(r, "x-title"), None);
    assert_eq!(
        header(r, "authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

// ------------------------------------------------------------ keys

#[tokio::test]
async fn a_wrong_key_is_an_auth_error_that_does_not_show_the_key() {
    let s = start(ServerOptions {
        require_key: Some("the-right-key".into()),
        ..ServerOptions::default()
    })
    .await
    .unwrap();
    let c = client(config(&s.base_url(), Some(KEY)));
    let items = run(&c, request("hi")).await;
    assert_eq!(items.len(), 1, "401 is not retried");
    let Err(e) = &items[0] else { panic!() };
    assert_eq!(e.kind(), "auth");
    assert!(!e.to_string().contains("SENTINEL"));
    assert!(!format!("{e:?}").contains("SENTINEL"));
    assert!(!format!("{:?}", c.config()).contains("SENTINEL"));
    // The right key works.
    let c = client(config(&s.base_url(), Some("the-right-key")));
    assert!(matches!(
        run(&c, request("hi")).await.last(),
        Some(Ok(StreamEvent::Done))
    ));
}

/// Reads one HTTP request (headers and a Content-Length body).
async fn read_request(sock: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    loop {
        let n = sock.read(&mut tmp).await.unwrap();
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = sock.read(&mut tmp).await.unwrap();
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&tmp[..n]);
            }
            return head;
        }
    }
    String::from_utf8_lossy(&buf).to_string()
}

/// A server that answers every request with `respond(authorization header)`,
/// a whole HTTP response: for servers that echo the key back.
async fn echo_server(respond: fn(&str) -> String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let head = read_request(&mut sock).await;
            let auth = head
                .lines()
                .find_map(|l| l.strip_prefix("authorization: "))
                .unwrap_or("none")
                .to_string();
            let _ = sock.write_all(respond(&auth).as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    });
    url
}

#[tokio::test]
async fn a_server_echoing_the_key_in_an_error_body_does_not_leak_it() {
    let url = echo_server(|auth| {
        let body = serde_json::json!({"error": {"code": 400, "message": format!("Invalid header: {auth}")}}).to_string();
        format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    })
    .await;
    let c = client(config(&url, Some(KEY)));
    let items = run(&c, request("hi")).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let Err(e) = &items[0] else { panic!() };
    assert_eq!(e.kind(), "bad_request");
    let shown = e.to_string();
    assert!(
        shown.contains("Invalid header: Bearer"),
        "the echo arrived: {shown}"
    );
    assert!(!shown.contains("SENTINEL"), "{shown}");
    assert!(!format!("{e:?}").contains("SENTINEL"));
}

/// The same echo, but inside the stream: an error chunk (message and
/// metadata) and a malformed line, after some text.
#[tokio::test]
async fn a_server_echoing_the_key_mid_stream_does_not_leak_it() {
    let url = echo_server(|auth| {
        let text = r#"{"id":"g","choices":[{"index":0,"delta":{"content":"partial"},"finish_reason":null}]}"#;
        let err = serde_json::json!({"error": {"code": 502, "message": format!("upstream saw {auth}"),
            "metadata": {"raw": format!("{{\"headers\":\"{auth}\"}}")}}});
        let sse = format!("data: {text}\n\ndata: {{not json {auth}\n\ndata: {err}\n\n");
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{sse}",
            sse.len()
        )
    })
    .await;
    let c = client(config(&url, Some(KEY)));
    let items = run(&c, request("hi")).await;
    assert_eq!(text_of(&items), "partial");
    let echoed: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    assert!(
        has(
            &items,
            |e| matches!(e, StreamEvent::ProviderError(w) if w.message.contains("upstream saw Bearer"))
        ),
        "the error arrived: {echoed:?}"
    );
    assert!(
        has(&items, |e| matches!(e, StreamEvent::Malformed(_))),
        "the malformed line was reported: {echoed:?}"
    );
    for shown in &echoed {
        assert!(!shown.contains("SENTINEL"), "{shown}");
    }
    // And as the user sees it: the answer's one-line error.
    let mut answer = orchat::chat::answer::Answer::new(FLASH, 0, 0);
    for ev in items.iter().flatten() {
        answer.apply(ev);
    }
    let line = answer.error.clone().unwrap_or_default();
    assert!(line.contains("upstream saw"), "{line}");
    assert!(!line.contains("SENTINEL"), "{line}");
    assert!(!answer.notes.concat().contains("SENTINEL"));
}

#[tokio::test]
async fn plain_http_to_another_host_with_a_key_is_refused() {
    for url in [
        "http://example.com/v1",
        "http://api.example.com:8080/v1",
        // Look like loopback, but are not.
        "http://127.0.0.1.example.invalid/v1",
        "http://127.0.0.1@example.invalid/v1",
        "http://localhost.example.invalid/v1",
        "http://[::2]:8080/v1?[::1]",
        "HTTP://example.com/v1",
    ] {
        let mut cfg = config(url, Some(KEY));
        cfg.retry.max_retries = 0;
        let items = run(&client(cfg), request("hi")).await;
        assert!(
            matches!(items.as_slice(), [Err(ApiError::Refused(_))]),
            "{url}: {items:?}"
        );
        let e = items[0].as_ref().unwrap_err();
        assert!(!e.is_retryable());
        assert!(!e.to_string().contains("SENTINEL"));
    }
    // Loopback is this machine: allowed (and refused by the closed port only).
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for url in [
        format!("http://127.0.0.1:{port}/v1"),
        format!("http://localhost:{port}/v1"),
        format!("http://[::1]:{port}/v1"),
    ] {
        let mut cfg = config(&url, Some(KEY));
        cfg.retry.max_retries = 0;
        let items = run(&client(cfg), request("hi")).await;
        assert!(
            matches!(items.as_slice(), [Err(ApiError::Network(_))]),
            "{url}: {items:?}"
        );
    }
    // So is plain http with no key, or when the user allowed it.
    let mut cfg = config("http://nonexistent.invalid/v1", Some(KEY));
    cfg.retry.max_retries = 0;
    cfg.allow_insecure_http = true;
    let items = run(&client(cfg), request("hi")).await;
    assert!(
        matches!(items.as_slice(), [Err(ApiError::Network(_))]),
        "{items:?}"
    );
}

// ------------------------------------------------------------ free models

#[tokio::test]
async fn a_free_model_is_rate_limited_per_minute() {
    let s = start(ServerOptions {
        free_per_minute: 2,
        ..ServerOptions::default()
    })
    .await
    .unwrap();
    let mut cfg = config(&s.base_url(), Some(KEY));
    cfg.retry.max_retries = 0;
    let c = client(cfg);
    let free = "google/gemma-3-27b-it:free";
    for _ in 0..2 {
        let items = run(&c, request_with(free, "hi", ReasoningSetting::Default)).await;
        assert!(
            matches!(items.last(), Some(Ok(StreamEvent::Done))),
            "{items:?}"
        );
    }
    let items = run(&c, request_with(free, "hi", ReasoningSetting::Default)).await;
    assert_eq!(items.len(), 1);
    match &items[0] {
        Err(e @ ApiError::RateLimited(rl)) => {
            assert_eq!(rl.scope, LimitScope::PerMinute);
            let wait = rl.retry_after.expect("Retry-After is sent");
            assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(60));
            assert!(e.is_retryable(), "a per-minute limit may be retried");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.received().len(), 3);
    // The paid model is not limited.
    let items = run(
        &c,
        request_with("google/gemma-3-27b-it", "hi", ReasoningSetting::Default),
    )
    .await;
    assert!(matches!(items.last(), Some(Ok(StreamEvent::Done))));
}

// ------------------------------------------------------------ cancelling

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    // A server that streams one chunk every 20 ms until its writes fail.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let (gone_tx, gone_rx) = tokio::sync::oneshot::channel::<usize>();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        read_request(&mut sock).await;
        sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
            .await
            .unwrap();
        for sent in 0..5000usize {
            let data = format!(
                "data: {}\n\n",
                serde_json::json!({"id":"gen-slow","choices":[{"delta":{"content":format!("w{sent} ")}}]})
            );
            let frame = format!("{:x}\r\n{data}\r\n", data.len());
            if sock.write_all(frame.as_bytes()).await.is_err() {
                let _ = gone_tx.send(sent);
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let c = client(config(&url, Some(KEY)));
    let mut events = c.send(request("slow"));
    let mut seen = 0;
    while let Some(ev) = events.next().await {
        if matches!(ev, Ok(StreamEvent::Content(_))) {
            seen += 1;
            if seen == 3 {
                break;
            }
        }
    }
    assert_eq!(seen, 3);
    drop(events);
    // Generous bound only so a regression fails instead of hanging for minutes.
    let sent = tokio::time::timeout(Duration::from_secs(30), gone_rx)
        .await
        .expect("the server saw the connection close")
        .unwrap();
    assert!(sent >= 3);

    // The client is still usable afterwards.
    let s = server().await;
    let c2 = client(config(&s.base_url(), Some(KEY)));
    let req = request("after the drop");
    assert_complete(&run(&c2, req.clone()).await, &req);
}

#[tokio::test]
async fn dropping_a_slow_local_stream_and_sending_again_works() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    s.push_faults(vec![Fault::Pace(20.0), Fault::LongAnswer(5000)]);
    let mut events = c.send(request("long one"));
    let mut got = String::new();
    while let Some(Ok(ev)) = events.next().await {
        if let StreamEvent::Content(t) = ev {
            got.push_str(&t);
            if got.len() > 20 {
                break;
            }
        }
    }
    assert!(got.starts_with("stream token orchat"), "{got:?}");
    drop(events);
    let req = request("next one");
    assert_complete(&run(&c, req.clone()).await, &req);
    assert_eq!(s.received().len(), 2);
}

/// `[[fault:words:N]]`: N words to a content event (one token an event, as
/// many providers send, is `words:1`); the text is the same either way.
#[tokio::test]
async fn the_words_fault_sets_how_many_words_each_event_carries() {
    let s = server().await;
    let c = client(config(&s.base_url(), Some(KEY)));
    let count = |items: &[Item]| {
        items
            .iter()
            .filter(|i| matches!(i, Ok(StreamEvent::Content(_))))
            .count()
    };
    let one = run(&c, request("[[fault:long:60]] [[fault:words:1]] go")).await;
    let three = run(&c, request("[[fault:long:60]] [[fault:words:3]] go")).await;
    assert_eq!(text_of(&one), text_of(&three));
    let words = text_of(&one).split_whitespace().count();
    assert!(
        count(&one) >= words,
        "{} events for {words} words",
        count(&one)
    );
    assert!(count(&three) <= words.div_ceil(3) + 1, "{}", count(&three));
}
