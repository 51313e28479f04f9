//! Nothing the network (or a user) can send makes orchat panic: property
//! tests over arbitrary bytes for the stream decoder and the non-streaming
//! parser, arbitrary text and widths for the markdown renderer (no line wider
//! than asked), arbitrary error bodies for the error classifier, and arbitrary
//! sequences of keys, pastes and stream events through `update` and a draw at
//! odd terminal sizes. Inputs the fuzzers found are kept at the bottom as
//! regression tests.

mod common;

use std::time::Duration;

use bytes::Bytes;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures_util::{FutureExt, StreamExt};
use orchat::api::body::parse_response;
use orchat::api::error::{LimitScope, RateHeaders, RateLimit};
use orchat::api::sse::{StreamEvent, decode};
use orchat::api::types::{Usage, WireError};
use orchat::api::{ApiError, types::WireDecimal};
use orchat::app::{App, Msg, update};
use orchat::config::theme::Theme;
use orchat::markdown::{MdStyles, render};
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

type Item = Result<StreamEvent, ApiError>;

// ------------------------------------------------------------ helpers

/// Decodes `bytes` cut at `cuts` (offsets, any order, clamped). The input
/// stream is always ready, so the decoder finishes without an executor.
fn decode_cut(bytes: &[u8], cuts: &[usize]) -> Vec<Item> {
    let mut points: Vec<usize> = cuts.iter().map(|&c| c.min(bytes.len())).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points.dedup();
    let pieces: Vec<Result<Bytes, ApiError>> = points
        .windows(2)
        .map(|w| Ok(Bytes::copy_from_slice(&bytes[w[0]..w[1]])))
        .collect();
    decode(futures_util::stream::iter(pieces))
        .collect::<Vec<_>>()
        .now_or_never()
        .expect("a ready input decodes without waiting")
}

/// Bytes shaped like SSE: `data:` lines, JSON fragments, terminators (LF,
/// CR, CRLF), comments, `[DONE]`, multi-byte and invalid UTF-8.
fn sse_bytes() -> impl Strategy<Value = Vec<u8>> {
    let atoms: Vec<&'static [u8]> = vec![
        b"data: ",
        b"data:",
        b"\n",
        b"\r",
        b"\r\n",
        b"\n\n",
        b": OPENROUTER PROCESSING\n\n",
        b"[DONE]",
        b"{\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}",
        b"{\"choices\":[{\"delta\":{\"reasoning\":\"r\"},\"finish_reason\":\"stop\"}]}",
        b"{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"cost\":0.5}}",
        b"{\"error\":{\"code\":\"server_error\",\"message\":\"x\"}}",
        b"{\"model\":\"m\",\"id\":\"g\",\"provider\":\"p\",\"choices\":[]}",
        b"{\"choices\":[{\"delta\":{\"images\":[{\"image_url\":{\"url\":\"data:x\"}}]}}]}",
        b"{\"meta\":{\"usage\":{\"usd_spent\":\"1e-3\"}}}",
        b"event: x\n",
        b"id: 1\n",
        b"retry: 5\n",
        b"{",
        b"}",
        b"\"",
        "é漢👍".as_bytes(),
        b"\xe6\x97",
        b"\x80",
        b"\xff",
        b"\x1b[2J",
        b" ",
    ];
    prop::collection::vec(prop::sample::select(atoms), 0..40).prop_map(|v| v.concat())
}

/// Markdown-ish text: block and inline syntax, wide and combining
/// characters, emoji sequences, tabs, controls and long words.
fn markdownish() -> impl Strategy<Value = String> {
    let atoms: Vec<&'static str> = vec![
        "# ",
        "## ",
        "###### ",
        "* ",
        "- ",
        "1. ",
        "> ",
        ">> ",
        "```",
        "```rust\n",
        "`",
        "**",
        "*",
        "_",
        "~~",
        "|",
        "| a | b |\n|---|:-:|\n",
        "---\n",
        "[x](http://y)",
        "![i](u)",
        "<b>",
        "&amp;",
        "&#x1b;",
        "&#x202E;",
        "\n",
        "\n\n",
        " ",
        "  ",
        "\t",
        "word",
        "漢字",
        "👍🏽",
        "👨‍👩‍👧",
        "🇫🇷",
        "e\u{301}",
        "\u{200B}",
        "\u{FE0F}",
        "\x1b",
        "\r",
        "\u{9b}",
        "a_very_long_word_without_any_spaces_at_all_that_must_be_broken_somewhere",
        "    indented code\n",
        "- [ ] task\n",
        "\\",
        "1)",
        "+ ",
    ];
    prop::collection::vec(prop::sample::select(atoms), 0..60).prop_map(|v| v.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![markdownish(), any::<String>(), "[ -~\n]{0,200}"]
}

fn draw(app: &App, w: u16, h: u16) {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| orchat::ui::draw(f, app, &mut orchat::ui::View::new(), &Theme::dark()))
        .unwrap();
}

fn key(code: KeyCode, mods: KeyModifiers) -> Msg {
    Msg::Key(KeyEvent::new(code, mods))
}

fn key_msg() -> impl Strategy<Value = Msg> {
    let codes = prop_oneof![
        any::<char>().prop_map(KeyCode::Char),
        prop::sample::select(vec!['a', 'p', 'o', 't', 'y', 'c', 'd', '?', '/', ' '])
            .prop_map(KeyCode::Char),
        Just(KeyCode::Enter),
        Just(KeyCode::Esc),
        Just(KeyCode::Backspace),
        Just(KeyCode::Delete),
        Just(KeyCode::Up),
        Just(KeyCode::Down),
        Just(KeyCode::Left),
        Just(KeyCode::Right),
        Just(KeyCode::PageUp),
        Just(KeyCode::PageDown),
        Just(KeyCode::Home),
        Just(KeyCode::End),
        Just(KeyCode::Tab),
        Just(KeyCode::BackTab),
        Just(KeyCode::F(1)),
    ];
    let mods = prop::sample::select(vec![
        KeyModifiers::NONE,
        KeyModifiers::CONTROL,
        KeyModifiers::SHIFT,
        KeyModifiers::ALT,
        KeyModifiers::CONTROL | KeyModifiers::SHIFT,
    ]);
    (codes, mods).prop_map(|(c, m)| key(c, m))
}

fn api_error() -> impl Strategy<Value = ApiError> {
    (any::<u16>(), any_text()).prop_map(|(status, message)| match status % 5 {
        0 => ApiError::Network(message),
        1 => ApiError::RateLimited(RateLimit {
            scope: if status % 2 == 0 {
                LimitScope::PerDay
            } else {
                LimitScope::PerMinute
            },
            message,
            retry_after: Some(Duration::from_secs(u64::from(status))),
            limit: None,
            remaining: None,
            reset_ms: None,
        }),
        2 => ApiError::Upstream {
            status,
            message,
            provider: None,
        },
        3 => ApiError::Timeout(message),
        _ => ApiError::from_response(status, &RateHeaders::default(), &message),
    })
}

fn stream_event() -> impl Strategy<Value = StreamEvent> {
    prop_oneof![
        any_text().prop_map(StreamEvent::Content),
        any_text().prop_map(StreamEvent::Reasoning),
        any_text().prop_map(StreamEvent::Image),
        (any_text(), any::<bool>()).prop_map(|(m, some)| StreamEvent::Meta {
            id: some.then(|| m.clone()),
            model: some.then(|| m.clone()),
            provider: Some(m),
        }),
        (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(p, c, cents)| {
            StreamEvent::Usage(Usage {
                prompt_tokens: p,
                completion_tokens: c,
                total_tokens: p.wrapping_add(c),
                cost: Some(WireDecimal(rust_decimal::Decimal::new(cents as i64, 6))),
                ..Usage::default()
            })
        }),
        any_text().prop_map(|r| StreamEvent::Finish {
            reason: r,
            native: None
        }),
        any_text().prop_map(|m| StreamEvent::ProviderError(WireError {
            code: None,
            message: m,
            ..WireError::default()
        })),
        any_text().prop_map(StreamEvent::Malformed),
        (any::<u32>(), 0u64..100_000, api_error()).prop_map(|(attempt, ms, reason)| {
            StreamEvent::Retrying {
                attempt,
                wait: Duration::from_millis(ms),
                reason,
            }
        }),
        Just(StreamEvent::Done),
        Just(StreamEvent::Truncated),
    ]
}

fn msg() -> impl Strategy<Value = Msg> {
    let command = prop::sample::select(vec![
        "/model",
        "/model google/gemini-2.0-flash-001",
        "/model nope",
        "/system be brief",
        "/system",
        "/reasoning high",
        "/reasoning 9999999999999",
        "/reasoning x",
        "/retry",
        "/edit",
        "/clear",
        "/cost",
        "/help",
        "/unknown",
        "//not a command",
    ])
    .prop_map(|c| Msg::Paste(c.to_string()));
    prop_oneof![
        6 => key_msg(),
        2 => any_text().prop_map(Msg::Paste),
        2 => command,
        1 => Just(key(KeyCode::Enter, KeyModifiers::NONE)),
        4 => (0u64..5, stream_event()).prop_map(|(turn, event)| Msg::Stream { turn, event }),
        1 => (0u64..5, api_error()).prop_map(|(turn, error)| Msg::Failed { turn, error }),
        1 => (0u64..5).prop_map(|turn| Msg::Ended { turn }),
        1 => any::<u64>().prop_map(Msg::Tick),
        1 => any::<i32>().prop_map(Msg::Scroll),
        1 => Just(Msg::Resize),
    ]
}

// ------------------------------------------------------------ properties

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_decoder_never_panics_on_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        let items = decode_cut(&bytes, &cuts);
        // Whatever came, the stream ends: with [DONE], truncated, or an error.
        prop_assert!(matches!(
            items.last(),
            Some(Ok(StreamEvent::Done | StreamEvent::Truncated) | Err(_))
        ));
    }

    #[test]
    fn the_decoder_gives_the_same_events_however_sse_is_cut(
        bytes in sse_bytes(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        let whole = decode_cut(&bytes, &[]);
        let split = decode_cut(&bytes, &cuts);
        prop_assert_eq!(whole, split, "cut at {:?}: {:?}", cuts, String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn the_non_streaming_parser_never_panics(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..1024),
            sse_bytes(),
        ],
    ) {
        let _ = parse_response(&bytes);
    }

    #[test]
    fn markdown_never_panics_and_never_overflows_the_width(
        text in any_text(),
        width in 1u16..200,
    ) {
        let lines = render(&text, width, &MdStyles::default());
        for (i, l) in lines.iter().enumerate() {
            prop_assert!(
                l.width() <= usize::from(width),
                "line {} is {} wide at width {}: {:?}\nfrom {:?}",
                i, l.width(), width, l, text
            );
        }
    }

    #[test]
    fn error_bodies_never_panic_and_display_as_one_inert_line(
        status in any::<u16>(),
        body in prop_oneof![
            any_text(),
            any_text().prop_map(|m| serde_json::json!({"error": {"code": 429, "message": m, "metadata": {"raw": m, "headers": {"X-RateLimit-Reset": m}}}}).to_string()),
            any_text().prop_map(|m| serde_json::json!([{"error": {"code": "x", "message": m}}]).to_string()),
            any_text().prop_map(|m| serde_json::json!({"message": m, "statusCode": m}).to_string()),
        ],
        retry_after in proptest::option::of(any_text()),
        reset in proptest::option::of(any_text()),
    ) {
        let headers = RateHeaders {
            retry_after,
            limit: None,
            remaining: None,
            reset,
        };
        let e = ApiError::from_response(status, &headers, &body);
        let shown = e.to_string();
        prop_assert!(
            !shown.chars().any(|c| c.is_control() || orchat::text::is_bidi_control(c)),
            "{:?}", shown
        );
        let _ = (e.is_retryable(), e.kind());
        if let ApiError::RateLimited(r) = &e {
            let _ = r.wait(u64::MAX);
            let _ = r.wait(0);
        }
    }

    #[test]
    fn update_and_draw_never_panic(
        msgs in prop::collection::vec(msg(), 0..40),
        w in 1u16..120,
        h in 1u16..40,
    ) {
        let mut app = common::new_app();
        for m in msgs {
            update(&mut app, m);
            draw(&app, w, h);
        }
        for (w, h) in [(1, 1), (40, 12), (2, 3), (120, 40)] {
            draw(&app, w, h);
        }
    }
}

// ------------------------------------------------------------ regressions

#[test]
fn huge_token_counts_and_costs_do_not_overflow_the_meter() {
    // Usage numbers are the provider's: u64::MAX must not overflow the sums.
    let mut app = common::new_app();
    common::type_text(&mut app, "hi");
    update(&mut app, key(KeyCode::Enter, KeyModifiers::NONE));
    update(
        &mut app,
        Msg::Stream {
            turn: 1,
            event: StreamEvent::Usage(Usage {
                prompt_tokens: u64::MAX,
                completion_tokens: u64::MAX,
                total_tokens: u64::MAX,
                cost: Some(WireDecimal(rust_decimal::Decimal::MAX)),
                ..Usage::default()
            }),
        },
    );
    update(&mut app, Msg::Ended { turn: 1 });
    draw(&app, 80, 24);
    common::type_text(&mut app, "again");
    update(&mut app, key(KeyCode::Enter, KeyModifiers::NONE));
    draw(&app, 80, 24);
}
