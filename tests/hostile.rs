//! Hostile output: text from the network (answers, reasoning, error messages,
//! model names from the stream and from /models), a pasted prompt and the
//! local server's `[[fault:hostile]]` answer, each laced with every kind of
//! escape and control (CSI, OSC 52, OSC 8, DCS, C1, bare CR, backspace, bidi
//! override, NUL, DEL), rendered through ratatui's real crossterm backend into
//! memory and through `TestBackend`. The bytes a terminal would receive must
//! carry none of them raw: only the escape sequences ratatui itself emits, and
//! visible placeholders where the hostile ones were.

mod common;

use std::time::Duration;

use common::{Driver, ctrl, frame_bytes, key, new_app, screen};
use crossterm::event::KeyCode;
use orchat::api::error::{LimitScope, RateHeaders, RateLimit};
use orchat::api::sse::StreamEvent;
use orchat::api::types::WireError;
use orchat::api::{ApiError, types::Usage};
use orchat::app::{App, Mode, Msg, SessionItem, update};
use orchat::chat::catalog::{Catalog, Source};
use orchat::server::ServerOptions;
use orchat::store::ConversationMeta;

/// Every kind at once, each between two letters so a test can see where it
/// went: CSI clear screen, OSC 52 clipboard write (BEL-terminated), OSC 8
/// link (ST-terminated), DCS, C1 CSI (U+009B), bare CR, backspace, a bidi
/// override, NUL and DEL.
const HOSTILE: &str = "A\x1b[2JB\x1b]52;c;aGk=\x07C\x1b]8;;http://x\x1b\\D\x1bP1$qm\x1b\\E\u{9b}31mF\rG\x08H\u{202E}I\0J\x7fK";

/// What the placeholders turn `HOSTILE` into (text::sanitize's mapping):
/// the caller checks some contiguous part of this shows on screen.
const SHOWN: &str = "A␛[2JB␛]52;c;aGk=␇C␛]8;;http://x␛\\D␛P1$qm␛\\E\u{FFFD}31mF␍G␈H\u{FFFD}I␀J␡K";

const W: u16 = 100;
const H: u16 = 30;

// ------------------------------------------------------------ the checks

/// The length of the escape sequence at the start of `s` if it is one that
/// ratatui's crossterm backend (and the runtime's synchronized update) emits:
/// `ESC [ row ; col H` (move), `ESC [ params m` (SGR colours and attributes,
/// `:` for underline colour), `ESC [ ? 25 h/l` (cursor) and `ESC [ ? 2026
/// h/l` (synchronized update). Observed on a clean frame by
/// `a_clean_frame_uses_only_the_allowlisted_sequences`.
fn allowed_sequence(s: &[u8]) -> Option<usize> {
    if s.first() != Some(&0x1b) || s.get(1) != Some(&b'[') {
        return None;
    }
    let private = s.get(2) == Some(&b'?');
    let start = if private { 3 } else { 2 };
    let mut j = start;
    while j < s.len() && (s[j].is_ascii_digit() || s[j] == b';' || s[j] == b':') {
        j += 1;
    }
    let params = &s[start..j];
    let fin = *s.get(j)?;
    let ok = if private {
        matches!(params, b"25" | b"2026") && matches!(fin, b'h' | b'l')
    } else {
        matches!(fin, b'H' | b'm')
    };
    ok.then_some(j + 1)
}

/// Asserts the bytes of a frame are inert: valid UTF-8; every ESC starts an
/// allowlisted sequence; no other C0 control, no DEL; no C1 control (U+0080 to
/// U+009F, bytes C2 80 to C2 9F); no bidi control; no CSI 2J, OSC or DCS.
/// Returns the bytes as text for further checks.
fn assert_inert(bytes: &[u8]) -> String {
    let text = std::str::from_utf8(bytes).expect("a frame is valid UTF-8");
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0x1b => {
                let n = allowed_sequence(&bytes[i..]).unwrap_or_else(|| {
                    panic!(
                        "an escape sequence ratatui does not emit at byte {i}: {:?}",
                        String::from_utf8_lossy(&bytes[i..(i + 16).min(bytes.len())])
                    )
                });
                i += n;
            }
            b @ (0x00..=0x1f | 0x7f) => panic!("raw control byte {b:#04x} at {i}"),
            _ => i += 1,
        }
    }
    for c in text.chars() {
        assert!(
            !('\u{80}'..='\u{9f}').contains(&c),
            "C1 control {:#x} reached the terminal",
            c as u32
        );
        assert!(
            !orchat::text::is_bidi_control(c),
            "bidi control {:#x} reached the terminal",
            c as u32
        );
    }
    assert!(!text.contains("\x1b[2J"), "clear screen");
    assert!(!text.contains("\x1b]"), "OSC");
    assert!(!text.contains("\x1bP"), "DCS");
    assert!(!text.contains('\r') && !text.contains('\x08'));
    text.to_string()
}

/// Draws `app` through both backends, asserts the crossterm bytes are inert
/// and the TestBackend cells hold no control or bidi character; returns the
/// screen text (TestBackend) for the caller's placeholder checks.
fn check(app: &App) -> String {
    let bytes = frame_bytes(app, W, H);
    assert_inert(&bytes);
    let s = screen(app, W, H);
    assert!(
        !s.chars()
            .any(|c| (c.is_control() && c != '\n') || orchat::text::is_bidi_control(c)),
        "a control reached the screen buffer:\n{s}"
    );
    s
}

/// Asserts the placeholders of every kind show: ␛ for ESC, ␇ BEL, ␍ CR,
/// ␈ backspace, ␀ NUL, ␡ DEL and � for C1 and the bidi override, in order.
fn assert_placeholders(s: &str) {
    // Wrapping may cut SHOWN across lines; join the screen's lines first.
    let flat: String = s.lines().map(str::trim).collect();
    assert!(flat.contains(SHOWN), "{SHOWN:?} not shown in:\n{s}");
}

/// An app with a turn started for `prompt` (turn 1), no server needed.
fn started(prompt: &str) -> App {
    let mut app = new_app();
    common::type_text(&mut app, prompt);
    let fx = update(&mut app, key(KeyCode::Enter));
    assert_eq!(
        fx.iter()
            .filter(|e| matches!(e, orchat::app::Effect::Start { .. }))
            .count(),
        1,
        "Enter starts a request"
    );
    app
}

fn stream(app: &mut App, event: StreamEvent) {
    update(app, Msg::Stream { turn: 1, event });
}

fn finish(app: &mut App) {
    stream(app, StreamEvent::Done);
    update(app, Msg::Ended { turn: 1 });
    assert!(!app.is_busy());
}

// ------------------------------------------------------------ the tests

#[test]
fn the_allowlist_rejects_each_hostile_sequence_and_accepts_ratatuis() {
    // The checker itself must be able to fail: each raw hostile form is refused.
    for bad in [
        "\x1b[2J",
        "\x1b]52;c;aGk=\x07",
        "\x1b]8;;http://x\x1b\\",
        "\x1bP1$qm\x1b\\",
        "\x1b[?1049l",
        "\x1b[6n",
    ] {
        assert_eq!(allowed_sequence(bad.as_bytes()), None, "{bad:?}");
    }
    for good in [
        "\x1b[3;7H",
        "\x1b[38;5;12m",
        "\x1b[0m",
        "\x1b[?25l",
        "\x1b[?2026h",
    ] {
        assert_eq!(
            allowed_sequence(good.as_bytes()),
            Some(good.len()),
            "{good:?}"
        );
    }
    for raw in [
        "\u{9b}31m",
        "a\rb",
        "a\x08b",
        "\u{202E}x",
        "\0",
        "\x7f",
        "\x1b]0;t\x07",
    ] {
        let r = std::panic::catch_unwind(|| assert_inert(raw.as_bytes()));
        assert!(r.is_err(), "{raw:?} passed the check");
    }
}

#[test]
fn a_clean_frame_uses_only_the_allowlisted_sequences() {
    // Colours, bold, the cursor and borders: what a normal frame emits is
    // what the allowlist was made from.
    let mut app = started("hello **there**");
    stream(
        &mut app,
        StreamEvent::Content("## Title\n\n*a* `b` **c**\n\n```rust\nfn main() {}\n```\n".into()),
    );
    let bytes = frame_bytes(&app, W, H);
    let text = assert_inert(&bytes);
    assert!(text.contains("\x1b[?2026h") && text.contains("\x1b[?2026l"));
    assert!(text.contains('m') && text.contains("Title"), "{text:?}");
    finish(&mut app);
    assert_inert(&frame_bytes(&app, W, H));
}

#[test]
fn answer_text_is_shown_with_placeholders_while_streaming_and_after() {
    let mut app = started("hi");
    stream(&mut app, StreamEvent::Content(HOSTILE.into()));
    assert_placeholders(&check(&app));
    finish(&mut app);
    // The finished answer is rendered again (and cached): still inert.
    assert_placeholders(&check(&app));
    // The text itself is kept as it came (it is what is sent back as context).
    assert_eq!(common::answers(&app)[0].text, HOSTILE);
}

#[test]
fn hostile_sequences_inside_markdown_are_inert_too() {
    // In a heading, a list, a quote, inline code, a code block and a table cell.
    let md = format!(
        "# {HOSTILE}\n\n- {HOSTILE}\n\n> {HOSTILE}\n\n`{HOSTILE}`\n\n```\n{HOSTILE}\n```\n\n| a |\n|---|\n| {HOSTILE} |\n"
    );
    let mut app = started("hi");
    stream(&mut app, StreamEvent::Content(md));
    let s = check(&app);
    assert!(s.contains("␛[2J"), "{s}");
    finish(&mut app);
    check(&app);
}

#[test]
fn character_references_in_markdown_do_not_decode_into_controls() {
    // Markdown decodes `&#x1b;` to ESC and `&#x202E;` to a bidi override
    // after the text was sanitised: they must still come out as placeholders.
    let mut app = started("hi");
    stream(
        &mut app,
        StreamEvent::Content(
            "x&#x1b;[2Jy &#27;]52;c;aGk=&#7;z &#x202E;desrever &#x9b;31m &#13;cr &#8;bs".into(),
        ),
    );
    let s = check(&app);
    assert!(s.contains("x␛[2Jy"), "{s}");
    assert!(s.contains("␛]52;c;aGk=␇z"), "{s}");
    assert!(s.contains("\u{FFFD}desrever"), "{s}");
    finish(&mut app);
    check(&app);
}

#[test]
fn reasoning_text_is_shown_with_placeholders() {
    let mut app = started("think");
    stream(&mut app, StreamEvent::Reasoning(HOSTILE.into()));
    assert_placeholders(&check(&app));
    stream(&mut app, StreamEvent::Content("ok".into()));
    finish(&mut app);
    assert_placeholders(&check(&app));
    // Folded, the reasoning shows as a count only; still inert.
    update(&mut app, ctrl('t'));
    check(&app);
}

#[test]
fn an_error_message_is_shown_with_placeholders() {
    // Straight from a (hostile) provider: the message and provider name.
    let mut app = started("hi");
    update(
        &mut app,
        Msg::Failed {
            turn: 1,
            error: ApiError::Upstream {
                status: 500,
                message: HOSTILE.into(),
                provider: Some(HOSTILE.into()),
            },
        },
    );
    let s = check(&app);
    assert!(!common::errors(&app).is_empty());
    assert_placeholders(&s);

    // The same through the error parser (an HTTP error body), and a mid-stream
    // error chunk after some text, whose message ends up in "answer incomplete".
    let body = serde_json::json!({"error": {"code": 502, "message": HOSTILE}}).to_string();
    let parsed = ApiError::from_response(502, &RateHeaders::default(), &body);
    let mut app = started("hi");
    update(
        &mut app,
        Msg::Failed {
            turn: 1,
            error: parsed,
        },
    );
    assert_placeholders(&check(&app));

    let mut app = started("hi");
    stream(&mut app, StreamEvent::Content("partial".into()));
    stream(
        &mut app,
        StreamEvent::ProviderError(WireError {
            code: None,
            message: HOSTILE.into(),
            metadata: Some(serde_json::json!({"raw": HOSTILE, "provider_name": HOSTILE})),
            ..WireError::default()
        }),
    );
    update(&mut app, Msg::Ended { turn: 1 });
    let s = check(&app);
    assert!(s.contains("answer incomplete"), "{s}");
    assert!(s.contains("A␛[2JB"), "{s}");
}

#[test]
fn a_retry_reason_in_the_countdown_is_inert() {
    let mut app = started("hi");
    stream(
        &mut app,
        StreamEvent::Retrying {
            attempt: 1,
            wait: Duration::from_secs(30),
            reason: ApiError::RateLimited(RateLimit {
                scope: LimitScope::PerMinute,
                message: HOSTILE.into(),
                retry_after: None,
                limit: None,
                remaining: None,
                reset_ms: None,
            }),
        },
    );
    let s = check(&app);
    assert!(s.contains("retrying in 30s"), "{s}");
    assert!(s.contains("A␛[2JB"), "{s}");
}

#[test]
fn a_model_name_reported_by_the_stream_is_inert_in_the_header_and_cost_panel() {
    let mut app = started("hi");
    stream(
        &mut app,
        StreamEvent::Meta {
            id: Some(HOSTILE.into()),
            model: Some(HOSTILE.into()),
            provider: Some(HOSTILE.into()),
        },
    );
    stream(&mut app, StreamEvent::Content("fine".into()));
    let s = check(&app);
    // Too long for the header with its cost: its vendor part gives way, and
    // what shows is inert.
    assert!(s.contains("␛P1$qm"), "header: {s}");
    stream(
        &mut app,
        StreamEvent::Usage(Usage {
            prompt_tokens: 3,
            completion_tokens: 1,
            total_tokens: 4,
            ..Usage::default()
        }),
    );
    finish(&mut app);
    check(&app);
    // The cost panel lists the ledger's models: the reported name is there.
    update(&mut app, ctrl('o'));
    assert_eq!(app.screen.mode, Mode::Cost);
    let s = check(&app);
    assert!(s.contains("A␛[2JB"), "cost panel: {s}");
}

fn hostile_catalog() -> Catalog {
    let body = serde_json::json!({"data": [
        {"id": "google/gemini-2.5-flash", "name": "Gemini 2.5 Flash", "context_length": 1_000_000,
         "pricing": {"prompt": "0.0000003", "completion": "0.0000025"}},
        {"id": HOSTILE, "name": HOSTILE, "description": HOSTILE, "context_length": 1000,
         "pricing": {"prompt": "0.000001", "completion": "0.000002"}},
    ]})
    .to_string();
    Catalog::parse(&body, Source::Live).unwrap()
}

#[test]
fn model_names_from_the_catalog_are_inert_in_the_picker_notice_status_and_empty_screen() {
    let mut app = new_app();
    // A refreshed /models list carries the hostile model.
    update(&mut app, Msg::Catalog(Box::new(hostile_catalog())));
    update(&mut app, ctrl('p'));
    assert!(matches!(app.screen.mode, Mode::Picker(_)));
    let s = check(&app);
    assert!(s.contains("A␛[2JB"), "picker: {s}");
    // Choose it: a notice, then the status bar carry its id.
    update(&mut app, key(KeyCode::Down));
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.chat.model, HOSTILE);
    let s = check(&app);
    assert!(s.contains("A␛[2JB"), "notice and status: {s}");
    // A new conversation shows the empty screen, which names the model.
    common::type_text(&mut app, "/clear");
    update(&mut app, key(KeyCode::Enter));
    assert!(app.conversation.is_empty());
    let s = check(&app);
    assert!(s.contains("model A␛[2JB"), "empty screen: {s}");
    // And the model typed by hand with /model.
    let mut app = new_app();
    update(&mut app, Msg::Paste(format!("/model {HOSTILE}")));
    update(&mut app, key(KeyCode::Enter));
    check(&app);
}

#[test]
fn a_pasted_prompt_is_inert_in_the_input_box_and_the_conversation() {
    let mut app = new_app();
    update(&mut app, Msg::Paste(HOSTILE.into()));
    // In the input box (a paste turns a bare CR into a newline).
    let s = check(&app);
    assert!(s.contains("A␛[2JB"), "input box: {s}");
    update(&mut app, key(KeyCode::Enter));
    assert!(app.is_busy());
    let s = check(&app);
    assert!(s.contains("A␛[2JB"), "conversation: {s}");
    // Typed character by character, and in the picker's filter.
    let mut app = new_app();
    common::type_text(&mut app, HOSTILE);
    check(&app);
    update(&mut app, ctrl('p'));
    update(&mut app, Msg::Paste(HOSTILE.into()));
    check(&app);
}

#[test]
fn attached_file_names_and_urls_are_inert() {
    // A real image file whose name carries every hostile kind a file name can
    // (no NUL, no slash), and an image URL carrying all of them.
    let dir = tempfile::tempdir().unwrap();
    let name = format!("{}.png", HOSTILE.replace(['\0', '/'], "_"));
    let path = dir.path().join(&name);
    let mut png = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png, 1, 1);
        enc.set_color(png::ColorType::Rgb);
        enc.write_header()
            .unwrap()
            .write_image_data(&[1, 2, 3])
            .unwrap();
    }
    std::fs::write(&path, &png).unwrap();
    let file = orchat::chat::attach::load(path.to_str().unwrap()).unwrap();
    let url = orchat::chat::attach::load(&format!("https://example.com/{HOSTILE}.png")).unwrap();
    let mut app = new_app();
    // Waiting to be sent (chips by the input box)…
    app.composer.attachments = vec![file.clone(), url.clone()];
    check(&app);
    // …and sent, in the conversation.
    app.conversation.add_prompt(
        orchat::app::conversation::Prompt {
            text: "look".into(),
            images: vec![file, url],
            model: String::new(),
        },
        None,
        0,
    );
    let s = check(&app);
    assert!(s.contains("␛[2J") || s.contains("A␛["), "{s}");
    // A file that is nothing Gemini reads (binary, no known kind): the
    // refusal names it, inertly.
    let bad = dir
        .path()
        .join(format!("{}.txt", HOSTILE.replace(['\0', '/'], "_")));
    std::fs::write(&bad, b"not\0an image").unwrap();
    let why = orchat::chat::attach::load(bad.to_str().unwrap()).unwrap_err();
    assert!(
        !why.chars()
            .any(|c| c.is_control() || orchat::text::is_bidi_control(c)),
        "{why:?}"
    );
}

#[test]
fn saved_conversations_in_the_session_browser_are_inert() {
    // Titles come from prompts, snippets from answers, models from providers:
    // all of it was once network or pasted text.
    let mut app = new_app();
    update(&mut app, ctrl('s'));
    assert!(
        matches!(app.screen.mode, Mode::Sessions(_)),
        "{:?}",
        app.screen.mode
    );
    let item = SessionItem {
        meta: ConversationMeta {
            id: HOSTILE.into(),
            title: HOSTILE.into(),
            created_ms: 0,
            updated_ms: 0,
            models: vec![HOSTILE.into()],
            messages: 2,
            total_cost: rust_decimal::Decimal::ZERO,
            unknown_costs: 0,
            current: None,
        },
        snippet: Some(format!("«{HOSTILE}»")),
    };
    update(&mut app, Msg::Sessions(Ok(vec![item])));
    let s = check(&app);
    assert!(s.contains("A␛[2JB"), "{s}");
    // A search typed (pasted) into the browser, and a failure to list.
    update(&mut app, Msg::Paste(HOSTILE.into()));
    check(&app);
    update(&mut app, Msg::Sessions(Err(HOSTILE.into())));
    check(&app);
}

/// Asserts plain-text output meant for a terminal carries no escape, C0
/// control but newline and tab, C1 control or bidi control.
fn assert_plain_inert(out: &str) {
    assert!(
        !out.chars().any(|c| (c.is_control() && c != '\n' && c != '\t')
            || orchat::text::is_bidi_control(c)),
        "{out:?}"
    );
}

#[test]
fn the_sessions_command_prints_saved_hostile_text_inertly() {
    use orchat::cli::sessions::{SessionsCommand, run_with};
    use orchat::store::{Store, StoredMessage, StoredRole};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    let store = Store::open(&path).unwrap();
    store.create_conversation("conv-h", HOSTILE, 1_700_000_000_000);
    store.put_message(StoredMessage::new(
        "conv-h",
        0,
        StoredRole::User,
        "say it",
        1,
    ));
    let mut answer = StoredMessage::new("conv-h", 1, StoredRole::Assistant, HOSTILE, 2);
    answer.model_reported = Some(HOSTILE.into());
    answer.reasoning = HOSTILE.into();
    store.put_message(answer);
    store.flush();
    drop(store);
    let run = |cmd: SessionsCommand| {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_with(
            &path,
            cmd,
            &jiff::tz::TimeZone::UTC,
            &mut out,
            &mut err,
            None,
        );
        let (out, err) = (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        );
        assert_eq!(code, 0, "{err}");
        assert_plain_inert(&out);
        assert_plain_inert(&err);
        out
    };
    let listed = run(SessionsCommand::List);
    assert!(listed.contains("conv-h"), "{listed}");
    let shown = run(SessionsCommand::Show {
        id: "conv-h".into(),
    });
    assert!(shown.contains("A␛[2JB"), "{shown}");
    let found = run(SessionsCommand::Search {
        query: vec!["aGk".into()],
    });
    assert!(found.contains("conv-h"), "{found}");
}

#[tokio::test]
async fn the_servers_hostile_answer_end_to_end() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("[[fault:hostile]] hello");
    d.until_idle().await;
    let text = common::answers(&d.app)[0].text.clone();
    assert!(text.contains("\x1b]52;c;"), "the server did send it raw");
    let s = check(&d.app);
    assert!(s.contains("Hostile:␛[2J␛]52;c;aGFja2Vk␇"), "{s}");
    assert!(s.contains("\u{FFFD}desrever\u{FFFD}"), "{s}");
    // A lone CR is a line break (made plain at the edge), never a raw CR.
    assert!(s.contains("red") && s.contains(" over␈"), "{s}");
    assert!(!s.contains('\r') && !s.contains("red␍"), "{s}");
    // The app goes on.
    d.submit("and now?");
    d.until_idle().await;
    assert_eq!(
        common::answers(&d.app)[1].status,
        orchat::chat::answer::Status::Complete
    );
    check(&d.app);
}
