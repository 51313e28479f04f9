//! The SSE decoder against PROTOCOL.md's transcripts and the edge cases of
//! §2 and §9: however the bytes are cut, the same events come out.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use futures_util::StreamExt;
use orchat::api::ApiError;
use orchat::api::body::{decode_body, parse_response};
use orchat::api::sse::{EventParser, MAX_LINE_BYTES, StreamEvent, decode};
use orchat::api::types::{
    CompletionTokensDetails, ErrorCode, PromptTokensDetails, Usage, WireDecimal, WireError,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;

type Item = Result<StreamEvent, ApiError>;

const A: &str = include_str!("fixtures/transcript_a_text.sse");
const B: &str = include_str!("fixtures/transcript_b_reasoning.sse");
const C: &str = include_str!("fixtures/transcript_c_image.sse");
const D: &str = include_str!("fixtures/transcript_d_midstream_error.sse");

/// Transcript A with CJK, Hangul and emoji content, so cuts land inside
/// multi-byte UTF-8 sequences.
const CJK: &str = ": OPENROUTER PROCESSING\n\n\
data: {\"id\":\"gen-cjk\",\"provider\":\"Google\",\"model\":\"google/gemini-2.0-flash-001\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"日本語のテキスト🚀\"},\"finish_reason\":null}]}\n\n\
data: {\"id\":\"gen-cjk\",\"provider\":\"Google\",\"model\":\"google/gemini-2.0-flash-001\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"中文也可以。한국어도 됩니다 👍🏽✨ café\"},\"finish_reason\":\"stop\",\"native_finish_reason\":\"STOP\"}]}\n\n\
data: {\"id\":\"gen-cjk\",\"provider\":\"Google\",\"model\":\"google/gemini-2.0-flash-001\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":30,\"total_tokens\":33,\"cost\":0.0000123}}\n\n\
data: [DONE]\n\n";

// ------------------------------------------------------------ helpers

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Decodes the stream made of exactly these pieces, in order.
fn decode_pieces<I>(pieces: I) -> Vec<Item>
where
    I: IntoIterator<Item = Bytes>,
{
    let items: Vec<Result<Bytes, ApiError>> = pieces.into_iter().map(Ok).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // The body decides the decoder: every transcript goes through the sniffer
    // the client uses, so SSE and whole JSON bodies are cut the same way.
    rt.block_on(decode_body(None, futures_util::stream::iter(items)).collect::<Vec<_>>())
}

fn decode_bytes(bytes: &[u8]) -> Vec<Item> {
    decode_pieces([Bytes::copy_from_slice(bytes)])
}

fn decode_str(s: &str) -> Vec<Item> {
    decode_bytes(s.as_bytes())
}

/// The events, panicking on any error item.
fn ok(items: Vec<Item>) -> Vec<StreamEvent> {
    items
        .into_iter()
        .map(|i| i.unwrap_or_else(|e| panic!("unexpected error item: {e:?}")))
        .collect()
}

/// Cuts `bytes` at the given offsets (sorted, deduplicated, in range).
fn cut(bytes: &[u8], offsets: &[usize]) -> Vec<Bytes> {
    let mut points: Vec<usize> = offsets.iter().map(|&o| o.min(bytes.len())).collect();
    points.sort_unstable();
    points.dedup();
    let mut out = Vec::new();
    let mut start = 0;
    for p in points {
        out.push(Bytes::copy_from_slice(&bytes[start..p]));
        start = p;
    }
    out.push(Bytes::copy_from_slice(&bytes[start..]));
    out
}

fn meta(id: &str, model: &str, provider: &str) -> StreamEvent {
    StreamEvent::Meta {
        id: Some(id.into()),
        model: Some(model.into()),
        provider: Some(provider.into()),
    }
}

fn content(s: &str) -> StreamEvent {
    StreamEvent::Content(s.into())
}

fn finish(reason: &str, native: Option<&str>) -> StreamEvent {
    StreamEvent::Finish {
        reason: reason.into(),
        native: native.map(str::to_string),
    }
}

fn usage(prompt: u64, completion: u64, reasoning: u64, image: u64, cost: &str) -> Usage {
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        cost: Some(WireDecimal(dec(cost))),
        prompt_tokens_details: Some(PromptTokensDetails {
            cached_tokens: 0,
            ..Default::default()
        }),
        completion_tokens_details: Some(CompletionTokensDetails {
            reasoning_tokens: reasoning,
            image_tokens: image,
        }),
        ..Default::default()
    }
}

/// OpenRouter's usage as the 2025 captures have it: not BYOK, with the
/// upstream's prompt and completion costs (PROTOCOL.md §2.3).
/// The audio and video counts a transcript's `prompt_tokens_details` gives.
fn media_counts(mut u: Usage, audio: Option<u64>, video: Option<u64>) -> Usage {
    if let Some(d) = u.prompt_tokens_details.as_mut() {
        d.audio_tokens = audio;
        d.video_tokens = video;
    }
    u
}

fn openrouter_usage(u: Usage, prompt_cost: &str, completions_cost: &str) -> Usage {
    Usage {
        is_byok: Some(false),
        cost_details: Some(orchat::api::types::CostDetails {
            upstream_inference_cost: None,
            upstream_inference_prompt_cost: Some(WireDecimal(dec(prompt_cost))),
            upstream_inference_completions_cost: Some(WireDecimal(dec(completions_cost))),
        }),
        ..u
    }
}

fn chunk(content: &str) -> String {
    format!(
        "data: {}\n\n",
        json!({"id":"gen-x","model":"m/x","provider":"P","choices":[{"index":0,"delta":{"role":"assistant","content":content},"finish_reason":null}]})
    )
}

fn contents(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Content(c) => Some(c.as_str()),
            _ => None,
        })
        .collect()
}

// ------------------------------------------------------------ expected events

fn expected_a() -> Vec<StreamEvent> {
    vec![
        meta(
            "gen-1752611201-Qm3xTt7pLw0aZcVb9Rk2",
            "google/gemini-2.0-flash-001",
            "Google AI Studio",
        ),
        content("The borrow checker"),
        content(
            " tracks who owns each value and rejects code that could leave a dangling reference.",
        ),
        finish("stop", Some("STOP")),
        StreamEvent::Usage(openrouter_usage(
            media_counts(usage(14, 38, 0, 0, "0.0000166"), Some(0), None),
            "0.0000014",
            "0.0000152",
        )),
        StreamEvent::Done,
    ]
}

/// Gemini's `reasoning_details` as transcript B sends them (kept to send back).
fn details(text: &str) -> StreamEvent {
    StreamEvent::ReasoningDetails(vec![
        json!({"type": "reasoning.text", "text": text, "format": "google-gemini-v1", "index": 0}),
    ])
}

fn expected_b() -> Vec<StreamEvent> {
    vec![
        meta(
            "gen-1752700000-R2aK9vXq0Lw3mNb7Tt1c",
            "google/gemini-2.5-pro",
            "Google",
        ),
        details("**Weighing the two options**\n\nThe user wants a quick comparison, so I'll"),
        StreamEvent::Reasoning(
            "**Weighing the two options**\n\nThe user wants a quick comparison, so I'll".into(),
        ),
        details(" contrast latency and cost before recommending one."),
        StreamEvent::Reasoning(" contrast latency and cost before recommending one.".into()),
        content("Use Flash for interactive chat;"),
        content(" reserve Pro for long, hard prompts."),
        finish("stop", Some("STOP")),
        StreamEvent::Usage(openrouter_usage(
            usage(21, 412, 356, 0, "0.00414625"),
            "0.00002625",
            "0.00412",
        )),
        StreamEvent::Done,
    ]
}

fn expected_c() -> Vec<StreamEvent> {
    vec![
        meta(
            "gen-1756300000-Nb4nA7aPq2Xc9Vd1Lm5k",
            "google/gemini-2.5-flash-image-preview",
            "Google AI Studio",
        ),
        content("Here is a red fox in fresh snow."),
        StreamEvent::Image(
            "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAABAAAAAQACAIAAADwf7zU…(≈1.5 MB elided)…AAAAAElFTkSuQmCC"
                .into(),
        ),
        finish("stop", Some("STOP")),
        StreamEvent::Usage(openrouter_usage(
            media_counts(usage(9, 1298, 0, 1290, "0.0387227"), Some(0), Some(0)),
            "0.0000027",
            "0.03872",
        )),
        StreamEvent::Done,
    ]
}

fn expected_d() -> Vec<StreamEvent> {
    vec![
        meta(
            "gen-1752800000-Lp0Xz8QwErTy5uIo3Pa1",
            "google/gemini-2.5-pro",
            "Google",
        ),
        content("The three main causes were"),
        StreamEvent::ProviderError(WireError {
            code: Some(ErrorCode::Number(502)),
            message: "Upstream connection closed before the response completed".into(),
            metadata: Some(json!({"error_type": "provider_unavailable"})),
            ..WireError::default()
        }),
        finish("error", None),
        StreamEvent::Truncated,
    ]
}

fn expected_cjk() -> Vec<StreamEvent> {
    vec![
        meta("gen-cjk", "google/gemini-2.0-flash-001", "Google"),
        content("日本語のテキスト🚀"),
        content("中文也可以。한국어도 됩니다 👍🏽✨ café"),
        finish("stop", Some("STOP")),
        StreamEvent::Usage(Usage {
            prompt_tokens: 3,
            completion_tokens: 30,
            total_tokens: 33,
            cost: Some(WireDecimal(dec("0.0000123"))),
            prompt_tokens_details: None,
            completion_tokens_details: None,
            ..Default::default()
        }),
        StreamEvent::Done,
    ]
}

// ------------------------------------------------------------ the wild's shapes

/// llama.cpp / vLLM / DeepSeek: `reasoning_content`, CRLF cut between two
/// deltas, a length finish, and Google-style usage (thinking left out of
/// `completion_tokens`).
const E: &str = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"qwen3\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"reasoning_content\":\"Let me think.\\r\\nOK.\"}}]}\n\n\
data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"qwen3\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"```rust\\r\"}}]}\n\n\
data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"qwen3\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\nfn main() {}\\r\\n```\"}}]}\n\n\
data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"qwen3\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":0,\"total_tokens\":81,\"completion_tokens_details\":{\"reasoning_tokens\":60}}}\n\n\
data: [DONE]\n\n";

fn expected_e() -> Vec<StreamEvent> {
    vec![
        StreamEvent::Meta {
            id: Some("chatcmpl-1".into()),
            model: Some("qwen3".into()),
            provider: None,
        },
        StreamEvent::Reasoning("Let me think.\nOK.".into()),
        content("```rust\n"),
        content("fn main() {}\n```"),
        finish("length", None),
        // Billed output: total − prompt, the thinking included.
        StreamEvent::Usage(Usage {
            prompt_tokens: 21,
            completion_tokens: 60,
            total_tokens: 81,
            completion_tokens_details: Some(CompletionTokensDetails {
                reasoning_tokens: 60,
                image_tokens: 0,
            }),
            ..Usage::default()
        }),
        StreamEvent::Done,
    ]
}

/// Content as typed parts: thinking, text, an image.
const F: &str = "data: {\"id\":\"x\",\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":[{\"type\":\"thinking\",\"thinking\":\"hmm\"}]}}]}\n\n\
data: {\"id\":\"x\",\"choices\":[{\"delta\":{\"content\":[{\"type\":\"text\",\"text\":\"Hi \"},{\"type\":\"text\",\"text\":\"there\"}]}}]}\n\n\
data: {\"id\":\"x\",\"choices\":[{\"delta\":{\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}]},\"finish_reason\":\"stop\"}]}\n\n\
data: [DONE]\n\n";

fn expected_f() -> Vec<StreamEvent> {
    vec![
        StreamEvent::Meta {
            id: Some("x".into()),
            model: Some("m".into()),
            provider: None,
        },
        StreamEvent::Reasoning("hmm".into()),
        content("Hi "),
        content("there"),
        StreamEvent::Image("data:image/png;base64,AAAA".into()),
        finish("stop", None),
        StreamEvent::Done,
    ]
}

/// A proxy's error as a bare JSON line (no `data:`) inside a 200 stream.
const G: &str = ": OPENROUTER PROCESSING\n\n\
{\"error\":{\"code\":503,\"message\":\"upstream connect error\",\"status\":\"UNAVAILABLE\"}}\n\n";

/// Google's flat error as a `data:` line.
const H: &str =
    "data: {\"code\":429,\"message\":\"Quota exceeded\",\"status\":\"RESOURCE_EXHAUSTED\"}\n\n";

fn google_error(code: i64, message: &str, status: &str) -> Vec<StreamEvent> {
    vec![
        StreamEvent::ProviderError(WireError {
            code: Some(ErrorCode::Number(code)),
            message: message.into(),
            status: Some(status.into()),
            ..WireError::default()
        }),
        StreamEvent::Truncated,
    ]
}

/// A gateway's generated image as a markdown data URL across three deltas.
fn image_in_text() -> (String, Vec<StreamEvent>) {
    let payload = "iVBORw0KGgo".repeat(12);
    let text = [
        "Here: ![fox](data:image/png;base64,".to_string(),
        payload.clone(),
        ") done".to_string(),
    ]
    .iter()
    .map(|c| chunk(c))
    .collect::<String>()
        + "data: [DONE]\n\n";
    let mut expected = vec![
        meta_no_provider(),
        content("Here: "),
        StreamEvent::Image(format!("data:image/png;base64,{payload}")),
        content(" done"),
        StreamEvent::Done,
    ];
    expected[0] = StreamEvent::Meta {
        id: Some("gen-x".into()),
        model: Some("m/x".into()),
        provider: Some("P".into()),
    };
    (text, expected)
}

fn meta_no_provider() -> StreamEvent {
    StreamEvent::Meta {
        id: None,
        model: None,
        provider: None,
    }
}

/// A stream request answered with one whole JSON body (the issue's example),
/// padded with whitespace.
const J: &str = "\n   \n{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Paris is the capital of France.\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7,\"total_tokens\":19}}";

fn expected_j() -> Vec<StreamEvent> {
    vec![
        content("Paris is the capital of France."),
        finish("stop", None),
        StreamEvent::Usage(Usage {
            prompt_tokens: 12,
            completion_tokens: 7,
            total_tokens: 19,
            ..Usage::default()
        }),
        StreamEvent::Done,
    ]
}

/// A whole message with parts and `reasoning_content`, pretty-printed as LM
/// Studio writes it.
const L: &str = "{\n  \"id\": \"lm-1\",\n  \"choices\": [\n    {\n      \"message\": {\n        \"content\": [{\"type\": \"text\", \"text\": \"A\\r\\nB\"}],\n        \"reasoning_content\": \"R\"\n      },\n      \"finish_reason\": \"stop\"\n    }\n  ]\n}\n";

fn expected_l() -> Vec<StreamEvent> {
    vec![
        StreamEvent::Meta {
            id: Some("lm-1".into()),
            model: None,
            provider: None,
        },
        StreamEvent::Reasoning("R".into()),
        content("A\nB"),
        finish("stop", None),
        StreamEvent::Done,
    ]
}

/// Keep-alives in every form a server sends them, between real chunks.
const M: &str = ": OPENROUTER PROCESSING\n\n\
data: : OPENROUTER PROCESSING\n\n\
event: ping\ndata: ping\n\n\
event: ping\ndata: {\"type\":\"ping\"}\n\n\
data:\n\n\
data: {\"id\":\"k\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n\
event: keep-alive\ndata:\n\n\
data: : still here\n\n\
data: {\"id\":\"k\",\"choices\":[{\"delta\":{\"content\":\" there\"},\"finish_reason\":\"stop\"}]}\n\n\
data: [DONE]\n\n";

fn expected_m() -> Vec<StreamEvent> {
    vec![
        StreamEvent::Meta {
            id: Some("k".into()),
            model: None,
            provider: None,
        },
        content("Hi"),
        content(" there"),
        finish("stop", None),
        StreamEvent::Done,
    ]
}

/// Perplexity-style chunks: a `delta` and a growing `message` together,
/// with citations and annotations beside them.
const N: &str = "data: {\"id\":\"p\",\"citations\":[\"https://example.com\"],\"choices\":[{\"index\":0,\"finish_reason\":null,\"message\":{\"role\":\"assistant\",\"content\":\"Paris\"},\"delta\":{\"role\":\"assistant\",\"content\":\"Paris\"}}]}\n\n\
data: {\"id\":\"p\",\"choices\":[{\"index\":0,\"finish_reason\":null,\"message\":{\"role\":\"assistant\",\"content\":\"Paris is\"},\"delta\":{\"role\":\"assistant\",\"content\":\" is\",\"annotations\":[{\"type\":\"url_citation\",\"url_citation\":{\"url\":\"https://example.com\",\"title\":\"\",\"start_index\":0,\"end_index\":0}}]}}]}\n\n\
data: {\"id\":\"p\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\",\"content\":\"Paris is the capital of France.\"},\"delta\":{\"role\":\"assistant\",\"content\":\" the capital of France.\"}}]}\n\n\
data: [DONE]\n\n";

fn expected_n() -> Vec<StreamEvent> {
    vec![
        StreamEvent::Meta {
            id: Some("p".into()),
            model: None,
            provider: None,
        },
        content("Paris"),
        content(" is"),
        // Perplexity's source, on the delta: kept (issue 23).
        StreamEvent::Annotations(vec![annotation("https://example.com", "", None)]),
        content(" the capital of France."),
        finish("stop", None),
        StreamEvent::Done,
    ]
}

/// Thinking inside the content (a DeepSeek-R1 distill without a reasoning
/// parser), its tags split across deltas.
const O: &str = "data: {\"id\":\"d\",\"choices\":[{\"delta\":{\"content\":\"<thi\"}}]}\n\n\
data: {\"id\":\"d\",\"choices\":[{\"delta\":{\"content\":\"nk>\\nWeigh it.\\n</th\"}}]}\n\n\
data: {\"id\":\"d\",\"choices\":[{\"delta\":{\"content\":\"ink>\\n\\n\"}}]}\n\n\
data: {\"id\":\"d\",\"choices\":[{\"delta\":{\"content\":\"It is 4.\"},\"finish_reason\":\"stop\"}]}\n\n\
data: [DONE]\n\n";

fn expected_o() -> Vec<StreamEvent> {
    vec![
        StreamEvent::Meta {
            id: Some("d".into()),
            model: None,
            provider: None,
        },
        StreamEvent::Reasoning("\nWeigh it.\n".into()),
        content("It is 4."),
        finish("stop", None),
        StreamEvent::Done,
    ]
}

/// Errors named by their event type, in the shapes servers use.
const P: &str = "data: {\"id\":\"e\",\"choices\":[{\"delta\":{\"content\":\"Start\"}}]}\n\n\
event: error\ndata: {\"text\":\"the model crashed while loading\"}\n\n";

fn expected_p() -> Vec<StreamEvent> {
    vec![
        StreamEvent::Meta {
            id: Some("e".into()),
            model: None,
            provider: None,
        },
        content("Start"),
        StreamEvent::ProviderError(WireError {
            message: "the model crashed while loading".into(),
            ..WireError::default()
        }),
        StreamEvent::Truncated,
    ]
}

const Q: &str = "event: error\ndata: upstream worker out of memory\n\n";

fn expected_q() -> Vec<StreamEvent> {
    vec![
        StreamEvent::ProviderError(WireError {
            message: "upstream worker out of memory".into(),
            ..WireError::default()
        }),
        StreamEvent::Truncated,
    ]
}

/// A web search's stream (PROTOCOL-MEDIA.md §5.3): a keep-alive, sources
/// in annotation-only deltas before any text (offsets 0, a title empty),
/// one on the choice, the text, usage with the search's counters.
const R: &str = ": OPENROUTER PROCESSING\n\n\
data: {\"id\":\"gen-w\",\"model\":\"google/gemini-2.5-flash\",\"provider\":\"Google AI Studio\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\",\"role\":\"assistant\",\"annotations\":[{\"type\":\"url_citation\",\"url_citation\":{\"url\":\"https://www.rust-lang.org/\",\"title\":\"Rust Programming Language\",\"start_index\":0,\"end_index\":0,\"content\":\"A language empowering everyone\"}}]},\"finish_reason\":null}]}\n\n\
data: {\"id\":\"gen-w\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"annotations\":[{\"type\":\"url_citation\",\"url_citation\":{\"url\":\"https://blog.rust-lang.org/releases/\",\"title\":\"\",\"start_index\":0,\"end_index\":0}}],\"finish_reason\":null}]}\n\n\
data: {\"id\":\"gen-w\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"See [rust-lang.org](https://blog.rust-lang.org/releases/).\"},\"finish_reason\":\"stop\"}]}\n\n\
data: {\"id\":\"gen-w\",\"choices\":[],\"usage\":{\"prompt_tokens\":2310,\"completion_tokens\":60,\"total_tokens\":2370,\"cost\":0.007843,\"cost_details\":{\"upstream_inference_prompt_cost\":0.000693,\"upstream_inference_completions_cost\":0.00015},\"server_tool_use_details\":{\"web_search_requests\":1,\"tool_calls_requested\":1,\"tool_calls_executed\":1}}}\n\n\
data: [DONE]\n\n";

fn annotation(url: &str, title: &str, content: Option<&str>) -> serde_json::Value {
    let mut c = serde_json::json!({"url": url, "title": title, "start_index": 0, "end_index": 0});
    if let Some(t) = content {
        c["content"] = serde_json::json!(t);
    }
    serde_json::json!({"type": "url_citation", "url_citation": c})
}

fn expected_r() -> Vec<StreamEvent> {
    vec![
        meta("gen-w", "google/gemini-2.5-flash", "Google AI Studio"),
        StreamEvent::Annotations(vec![annotation(
            "https://www.rust-lang.org/",
            "Rust Programming Language",
            Some("A language empowering everyone"),
        )]),
        StreamEvent::Annotations(vec![annotation(
            "https://blog.rust-lang.org/releases/",
            "",
            None,
        )]),
        content("See [rust-lang.org](https://blog.rust-lang.org/releases/)."),
        finish("stop", None),
        StreamEvent::Usage(Usage {
            prompt_tokens: 2310,
            completion_tokens: 60,
            total_tokens: 2370,
            cost: Some(WireDecimal(dec("0.007843"))),
            cost_details: Some(orchat::api::types::CostDetails {
                upstream_inference_cost: None,
                upstream_inference_prompt_cost: Some(WireDecimal(dec("0.000693"))),
                upstream_inference_completions_cost: Some(WireDecimal(dec("0.00015"))),
            }),
            server_tool_use_details: Some(orchat::api::types::ServerToolUse {
                web_search_requests: 1,
            }),
            ..Default::default()
        }),
        StreamEvent::Done,
    ]
}

/// A whole answer with its sources on the message (§5.2).
const S: &str = "{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Ruby 3.4.\",\"annotations\":[{\"type\":\"url_citation\",\"url_citation\":{\"url\":\"https://www.ruby-lang.org/en/downloads/\",\"title\":\"Download Ruby | Ruby\",\"start_index\":0,\"end_index\":9}}]},\"finish_reason\":\"stop\"}]}";

fn expected_s() -> Vec<StreamEvent> {
    vec![
        content("Ruby 3.4."),
        StreamEvent::Annotations(vec![
            serde_json::json!({"type": "url_citation", "url_citation": {
            "url": "https://www.ruby-lang.org/en/downloads/", "title": "Download Ruby | Ruby",
            "start_index": 0, "end_index": 9}}),
        ]),
        finish("stop", None),
        StreamEvent::Done,
    ]
}

fn all_transcripts() -> Vec<(&'static str, String, Vec<StreamEvent>)> {
    let (img_text, img_expected) = image_in_text();
    vec![
        ("E-reasoning-content", E.to_string(), expected_e()),
        ("F-content-parts", F.to_string(), expected_f()),
        (
            "G-bare-error-line",
            G.to_string(),
            google_error(503, "upstream connect error", "UNAVAILABLE"),
        ),
        (
            "H-google-flat",
            H.to_string(),
            google_error(429, "Quota exceeded", "RESOURCE_EXHAUSTED"),
        ),
        ("I-image-in-text", img_text, img_expected),
        ("J-whole-json", J.to_string(), expected_j()),
        ("J-whole-json-crlf", J.replace('\n', "\r\n"), expected_j()),
        ("L-pretty-whole", L.to_string(), expected_l()),
        ("M-keep-alives", M.to_string(), expected_m()),
        ("M-keep-alives-crlf", M.replace('\n', "\r\n"), expected_m()),
        ("N-delta-and-message", N.to_string(), expected_n()),
        ("O-think-tags", O.to_string(), expected_o()),
        ("P-error-event-text", P.to_string(), expected_p()),
        ("Q-error-event-plain", Q.to_string(), expected_q()),
        ("R-web-search", R.to_string(), expected_r()),
        ("R-web-search-crlf", R.replace('\n', "\r\n"), expected_r()),
        ("S-whole-with-sources", S.to_string(), expected_s()),
        ("A", A.to_string(), expected_a()),
        ("B", B.to_string(), expected_b()),
        ("C", C.to_string(), expected_c()),
        ("D", D.to_string(), expected_d()),
        ("CJK", CJK.to_string(), expected_cjk()),
        ("A-crlf", A.replace('\n', "\r\n"), expected_a()),
        ("A-cr", A.replace('\n', "\r"), expected_a()),
        ("B-crlf", B.replace('\n', "\r\n"), expected_b()),
        ("CJK-cr", CJK.replace('\n', "\r"), expected_cjk()),
    ]
}

// ------------------------------------------------------------ transcripts

#[test]
fn transcript_a_decodes_to_the_expected_events() {
    let events = ok(decode_str(A));
    assert_eq!(events, expected_a());
    // The cost is the exact decimal the wire wrote, never an f64 round trip.
    let StreamEvent::Usage(u) = &events[4] else {
        panic!("{events:?}")
    };
    assert_eq!(u.cost.unwrap().0.to_string(), "0.0000166");
}

#[test]
fn transcript_b_shows_reasoning_once_not_twice() {
    let events = ok(decode_str(B));
    assert_eq!(events, expected_b());
    let reasoning: String = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Reasoning(r) => Some(r.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasoning,
        "**Weighing the two options**\n\nThe user wants a quick comparison, so I'll contrast latency and cost before recommending one."
    );
    let Some(StreamEvent::Usage(u)) = events.iter().find(|e| matches!(e, StreamEvent::Usage(_)))
    else {
        panic!()
    };
    assert_eq!(u.cost.unwrap().0.to_string(), "0.00414625");
}

#[test]
fn transcript_c_gives_the_image_as_a_data_url() {
    assert_eq!(ok(decode_str(C)), expected_c());
}

#[test]
fn transcript_d_keeps_the_text_and_reports_the_provider_error() {
    let events = ok(decode_str(D));
    assert_eq!(events, expected_d());
    let StreamEvent::ProviderError(e) = &events[2] else {
        panic!()
    };
    assert_eq!(ApiError::from_wire(200, e, None).kind(), "upstream");
}

#[test]
fn cjk_transcript_decodes() {
    assert_eq!(ok(decode_str(CJK)), expected_cjk());
}

#[test]
fn crlf_and_bare_cr_line_endings_give_the_same_events() {
    assert_eq!(ok(decode_str(&A.replace('\n', "\r\n"))), expected_a());
    assert_eq!(ok(decode_str(&A.replace('\n', "\r"))), expected_a());
    assert_eq!(ok(decode_str(&D.replace('\n', "\r\n"))), expected_d());
    assert_eq!(ok(decode_str(&D.replace('\n', "\r"))), expected_d());
}

#[test]
fn every_two_way_split_gives_identical_events() {
    for (name, text, expected) in all_transcripts() {
        let bytes = text.as_bytes();
        for at in 0..=bytes.len() {
            let got = ok(decode_pieces(cut(bytes, &[at])));
            assert_eq!(got, expected, "transcript {name} split at byte {at}");
        }
    }
}

#[test]
fn one_byte_pieces_give_identical_events() {
    for (name, text, expected) in all_transcripts() {
        let pieces = text
            .as_bytes()
            .iter()
            .map(|b| Bytes::copy_from_slice(&[*b]));
        assert_eq!(ok(decode_pieces(pieces)), expected, "transcript {name}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_many_piece_splits_give_identical_events(
        which in any::<prop::sample::Index>(),
        raw_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..200),
        // Runs of adjacent cuts make 1-byte pieces.
        run_start in any::<prop::sample::Index>(),
        run_len in 0usize..24,
    ) {
        let mut all = all_transcripts();
        let (name, text, expected) = all.swap_remove(which.index(all.len()));
        let bytes = text.as_bytes();
        let mut cuts: Vec<usize> = raw_cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        let s = run_start.index(bytes.len() + 1);
        cuts.extend(s..(s + run_len).min(bytes.len()));
        let got = ok(decode_pieces(cut(bytes, &cuts)));
        prop_assert_eq!(got, expected, "transcript {}", name);
    }
}

#[test]
fn cuts_inside_multibyte_characters_are_reassembled() {
    // Every cut that lands strictly inside a UTF-8 sequence, plus its neighbour.
    let bytes = CJK.as_bytes();
    let inside: Vec<usize> = (1..bytes.len())
        .filter(|&i| !CJK.is_char_boundary(i))
        .collect();
    assert!(
        inside.len() > 50,
        "the transcript has multi-byte characters"
    );
    assert_eq!(ok(decode_pieces(cut(bytes, &inside))), expected_cjk());
    for &i in &inside {
        assert_eq!(ok(decode_pieces(cut(bytes, &[i, i + 1]))), expected_cjk());
    }
}

// ------------------------------------------------------------ edge cases

#[test]
fn usage_chunk_with_empty_or_null_choices() {
    let body = "data: {\"id\":\"g\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3,\"cost\":0.5}}\n\n\
                data: {\"id\":\"g\",\"choices\":null,\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":4,\"total_tokens\":5,\"cost\":\"0.75\"}}\n\n\
                data: [DONE]\n\n";
    let events = ok(decode_str(body));
    let u = |c: u64, t: u64, cost: &str| {
        StreamEvent::Usage(Usage {
            prompt_tokens: 1,
            completion_tokens: c,
            total_tokens: t,
            cost: Some(WireDecimal(dec(cost))),
            ..Usage::default()
        })
    };
    assert_eq!(
        events,
        vec![
            StreamEvent::Meta {
                id: Some("g".into()),
                model: None,
                provider: None
            },
            u(2, 3, "0.5"),
            u(4, 5, "0.75"),
            StreamEvent::Done,
        ]
    );
}

#[test]
fn only_the_first_non_null_finish_reason_is_reported() {
    // Shape (c) of §2.3: "stop" repeated on the usage chunk.
    let body = "data: {\"id\":\"g\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n\
                data: {\"id\":\"g\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"length\",\"native_finish_reason\":\"MAX_TOKENS\"}]}\n\n\
                data: {\"id\":\"g\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\",\"native_finish_reason\":\"STOP\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}\n\n\
                data: [DONE]\n\n";
    let events = ok(decode_str(body));
    let finishes: Vec<&StreamEvent> = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Finish { .. }))
        .collect();
    assert_eq!(finishes, vec![&finish("length", Some("MAX_TOKENS"))]);
    assert!(matches!(events.last(), Some(StreamEvent::Done)));
    // A usage without cost is reported as such.
    let usage = events.iter().find_map(|e| match e {
        StreamEvent::Usage(u) => Some(u),
        _ => None,
    });
    assert_eq!(usage.unwrap().cost, None);
}

#[test]
fn usage_on_a_middle_chunk_is_emitted_each_time() {
    let body = "data: {\"id\":\"g\",\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}\n\n\
                data: {\"id\":\"g\",\"choices\":[{\"delta\":{\"content\":\"b\"}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n\
                data: [DONE]\n\n";
    let events = ok(decode_str(body));
    let usages: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Usage(u) => Some(u.completion_tokens),
            _ => None,
        })
        .collect();
    assert_eq!(usages, vec![1, 2]);
    assert_eq!(contents(&events), "ab");
}

#[test]
fn keep_alives_only_then_eof_is_truncated() {
    let body = ": OPENROUTER PROCESSING\n\n".repeat(5);
    assert_eq!(ok(decode_str(&body)), vec![StreamEvent::Truncated]);
    assert_eq!(ok(decode_str("")), vec![StreamEvent::Truncated]);
    assert_eq!(ok(decode_pieces([])), vec![StreamEvent::Truncated]);
}

#[test]
fn eof_without_done_keeps_the_content_and_is_truncated() {
    let body = format!("{}{}", chunk("Hello"), chunk(", world"));
    let events = ok(decode_str(&body));
    assert_eq!(contents(&events), "Hello, world");
    assert_eq!(events.last(), Some(&StreamEvent::Truncated));

    // A whole last line without its terminator still counts.
    let unterminated = format!("{}{}", chunk("Hello"), chunk(" there").trim_end());
    let events = ok(decode_str(&unterminated));
    assert_eq!(contents(&events), "Hello there");
    assert_eq!(events.last(), Some(&StreamEvent::Truncated));

    // A line cut off mid-way is dropped, not shown half-parsed.
    let full = chunk(" cut off");
    let cut_off = format!("{}{}", chunk("Hello"), &full[..full.len() - 12]);
    let events = ok(decode_str(&cut_off));
    assert_eq!(contents(&events), "Hello");
    assert_eq!(events.last(), Some(&StreamEvent::Truncated));
}

#[test]
fn nothing_after_done_is_read() {
    let body = format!("{}data: [DONE]\n\n{}", chunk("a"), chunk("after"));
    let events = ok(decode_str(&body));
    assert_eq!(contents(&events), "a");
    assert_eq!(events.last(), Some(&StreamEvent::Done));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, StreamEvent::Done))
            .count(),
        1
    );
}

#[test]
fn a_five_megabyte_image_line_in_16k_pieces_decodes() {
    let payload = "A".repeat(5 * 1024 * 1024);
    let url = format!("data:image/png;base64,{payload}");
    let line = format!(
        "data: {}\n\n",
        json!({"id":"gen-img","model":"google/gemini-2.5-flash-image-preview","provider":"Google","choices":[{"index":0,"delta":{"content":"","images":[{"type":"image_url","image_url":{"url":url},"index":0}]},"finish_reason":"stop"}]})
    );
    let body = format!(": OPENROUTER PROCESSING\n\n{line}data: [DONE]\n\n");
    let pieces: Vec<Bytes> = body
        .as_bytes()
        .chunks(16 * 1024)
        .map(Bytes::copy_from_slice)
        .collect();
    assert!(pieces.len() > 300);
    let events = ok(decode_pieces(pieces));
    assert_eq!(events.len(), 4, "{:?}", &events[..1]);
    assert!(matches!(events[0], StreamEvent::Meta { .. }));
    match &events[1] {
        StreamEvent::Image(u) => assert!(*u == url, "image URL differs"),
        other => panic!("expected an image, got {other:?}"),
    }
    assert_eq!(events[2], finish("stop", None));
    assert_eq!(events[3], StreamEvent::Done);
}

#[test]
fn a_line_over_the_limit_is_a_decode_error_not_a_hang() {
    // 1 MiB pieces of 'x' with no line terminator, far more than the limit.
    let piece = Bytes::from(vec![b'x'; 1024 * 1024]);
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let total = MAX_LINE_BYTES / (1024 * 1024) + 40;
    let stream = futures_util::stream::iter(0..total).map(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok::<_, ApiError>(piece.clone())
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let items: Vec<Item> = rt.block_on(decode(stream).collect());
    assert_eq!(items.len(), 1, "one error, then the stream ends");
    match &items[0] {
        Err(ApiError::Decode(m)) => assert!(m.contains("longer than"), "{m}"),
        other => panic!("expected a decode error, got {other:?}"),
    }
    // It stopped reading soon after the limit instead of buffering everything.
    let n = pulled.load(Ordering::SeqCst);
    assert!(
        n <= MAX_LINE_BYTES / (1024 * 1024) + 2,
        "read {n} pieces of a {total}-piece endless line"
    );
}

/// Every event's data, as `EventParser` hands it over.
fn events_of(p: &mut EventParser, bytes: &[u8]) -> Vec<String> {
    let mut got = Vec::new();
    p.push(bytes, &mut |_, d| got.push(d.to_string())).unwrap();
    got
}

#[test]
fn event_parser_releases_only_whole_events() {
    let mut p = EventParser::default();
    assert!(events_of(&mut p, b"data: {\"a\"").is_empty());
    assert!(events_of(&mut p, b":1}").is_empty());
    assert_eq!(events_of(&mut p, b"\n\ndata: [DO"), ["{\"a\":1}"]);
    assert!(events_of(&mut p, b"NE]\n").is_empty());
    assert_eq!(events_of(&mut p, b"\n"), ["[DONE]"]);
    // A cut inside a UTF-8 sequence is held back until the line ends.
    let s = "data: é日".as_bytes();
    assert!(events_of(&mut p, &s[..7]).is_empty());
    assert!(events_of(&mut p, &s[7..9]).is_empty());
    assert!(events_of(&mut p, &[s[9], s[10], b'\r']).is_empty());
    // CR then LF in the next read is one line end; then CR alone ends one.
    assert!(events_of(&mut p, b"\n").is_empty());
    assert_eq!(events_of(&mut p, b"\r"), ["é日"]);
    // Data lines join with LF; comments and other fields are dropped; an
    // empty data line still makes an event.
    assert_eq!(
        events_of(
            &mut p,
            b": ping\r\nevent: x\r\nid: 7\r\ndata: a\r\ndata:b\r\n\r\ndata\n\n"
        ),
        ["a\nb", ""]
    );
    // A bare JSON line is an event of its own, after the one being read.
    assert_eq!(
        events_of(&mut p, b"data: x\n  {\"error\":1}  \n"),
        ["x", "  {\"error\":1}"]
    );
    // At the end a whole-looking last line is kept, a cut one dropped.
    let mut got = Vec::new();
    p.push(b"data: [DONE]", &mut |_, d| got.push(d.to_string()))
        .unwrap();
    p.finish(&mut |_, d| got.push(d.to_string()));
    assert_eq!(got, ["[DONE]"]);
    let mut got = Vec::new();
    p.push(b"data: {\"choices\":[{\"del", &mut |_, d| {
        got.push(d.to_string())
    })
    .unwrap();
    p.finish(&mut |_, d| got.push(d.to_string()));
    assert!(got.is_empty(), "{got:?}");
    // A byte-order mark at the very start is skipped.
    let mut p = EventParser::default();
    assert_eq!(events_of(&mut p, b"\xEF\xBB\xBFdata: 1\n\n"), ["1"]);
}

#[test]
fn a_byte_order_mark_split_across_reads_is_still_skipped() {
    let wire = b"\xEF\xBB\xBFdata: 1\n\n";
    for at in 0..=wire.len() {
        let mut p = EventParser::default();
        let mut got = events_of(&mut p, &wire[..at]);
        got.extend(events_of(&mut p, &wire[at..]));
        assert_eq!(got, ["1"], "split at {at}");
    }
    // Only at the very start: later it is part of the line.
    let mut p = EventParser::default();
    assert_eq!(
        events_of(&mut p, b"\ndata: a\xEF\xBB\xBF\n\n"),
        ["a\u{FEFF}"]
    );
}

#[test]
fn a_line_over_the_limit_fails_however_the_reads_fall() {
    let over = |p: &mut EventParser, bytes: &[u8]| p.push(bytes, &mut |_, _| {}).is_err();
    // Its start after a line end in one read, the rest later.
    let mut p = EventParser::default();
    let mut first = b"data: x\n\ndata: ".to_vec();
    first.resize(first.len() + MAX_LINE_BYTES + 10, b'a');
    assert!(over(&mut p, &first), "the unended tail is checked");
    // Exactly at the limit, then ended by the next read with more.
    let mut p = EventParser::default();
    let mut line = b"data: ".to_vec();
    line.resize(MAX_LINE_BYTES, b'a');
    assert!(!over(&mut p, &line));
    assert!(over(&mut p, b"bbbb\n\n"), "the joined line is checked");
    // A whole line inside one read.
    let mut p = EventParser::default();
    line.extend_from_slice(b"cc\n\n");
    assert!(over(&mut p, &line));
}

#[test]
fn invalid_utf8_in_content_is_replaced_and_the_stream_continues() {
    let first = chunk("Hello");
    let pos = first.find("Hello").unwrap();
    let mut bytes = first.into_bytes();
    // A lone continuation byte and a truncated three-byte sequence.
    bytes.splice(pos..pos, [0x80u8, 0xE6, 0x97]);
    bytes.extend_from_slice(chunk(" world").as_bytes());
    bytes.extend_from_slice(b"data: [DONE]\n\n");
    let events = ok(decode_bytes(&bytes));
    let text = contents(&events);
    assert!(text.starts_with('\u{FFFD}'), "{text:?}");
    assert!(text.ends_with("Hello world"), "{text:?}");
    assert!(!text.contains('\u{80}'));
    assert_eq!(events.last(), Some(&StreamEvent::Done));
    // Cut anywhere, including between the bad bytes, the result is the same.
    for at in 0..bytes.len() {
        assert_eq!(
            ok(decode_pieces(cut(&bytes, &[at]))),
            events,
            "split at {at}"
        );
    }
}

#[test]
fn a_malformed_line_is_reported_and_later_chunks_still_decode() {
    let body = format!(
        "{}data: {{\"id\":\"gen-broken\",\"choices\":[{{\"delta\":{{\"content\":\"unterminated\n\ndata: not json at all\n\n{}data: [DONE]\n\n",
        chunk("before"),
        chunk(" after")
    );
    let events = ok(decode_str(&body));
    let malformed = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Malformed(_)))
        .count();
    assert_eq!(malformed, 2, "{events:?}");
    assert_eq!(contents(&events), "before after");
    assert_eq!(events.last(), Some(&StreamEvent::Done));
    // The malformed notes come between the two pieces of text.
    let pos = |p: &dyn Fn(&StreamEvent) -> bool| events.iter().position(p).unwrap();
    let first_bad = pos(&|e| matches!(e, StreamEvent::Malformed(_)));
    assert!(pos(&|e| *e == content("before")) < first_bad);
    assert!(first_bad < pos(&|e| *e == content(" after")));
}

#[test]
fn data_without_a_space_and_other_fields_are_handled() {
    let body = "event: message\nid: 42\nretry: 1000\ndata:{\"id\":\"g\",\"choices\":[{\"delta\":{\"content\":\"no space\"}}]}\n\n\
                id: 43\nevent: ping\ndata: {\"id\":\"g\",\"choices\":[{\"delta\":{\"content\":\"; fields\"}}]}\n\n\
                data:[DONE]\n\n";
    let events = ok(decode_str(body));
    assert_eq!(contents(&events), "no space; fields");
    assert_eq!(events.last(), Some(&StreamEvent::Done));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, StreamEvent::Malformed(_)))
    );
}

#[test]
fn multi_line_data_fields_are_joined() {
    // Per the SSE spec the data lines join with a newline; JSON allows it.
    let body = "data: {\"id\":\"g\",\n\
                data: \"choices\":[{\"delta\":\n\
                data: {\"content\":\"joined\"}}]}\n\n\
                data: [DONE]\n\n";
    let events = ok(decode_str(body));
    assert_eq!(contents(&events), "joined");
    assert_eq!(events.last(), Some(&StreamEvent::Done));
}

#[test]
fn string_error_codes_and_reasoning_details_only() {
    let body = "data: {\"id\":\"g\",\"model\":\"a/b\",\"choices\":[{\"delta\":{\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"think \"},{\"type\":\"reasoning.summary\",\"summary\":\"more\"}]}}]}\n\n\
                data: {\"id\":\"g\",\"model\":\"a/c\",\"error\":{\"code\":\"server_error\",\"message\":\"boom\"},\"choices\":[{\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}\n\n";
    let events = ok(decode_str(body));
    assert_eq!(
        events,
        vec![
            StreamEvent::Meta {
                id: Some("g".into()),
                model: Some("a/b".into()),
                provider: None
            },
            StreamEvent::ReasoningDetails(vec![
                json!({"type": "reasoning.text", "text": "think "}),
                json!({"type": "reasoning.summary", "summary": "more"}),
            ]),
            StreamEvent::Reasoning("think more".into()),
            // A changed model (a fallback answered) is announced again.
            StreamEvent::Meta {
                id: Some("g".into()),
                model: Some("a/c".into()),
                provider: None
            },
            StreamEvent::ProviderError(WireError {
                code: Some(ErrorCode::Text("server_error".into())),
                message: "boom".into(),
                ..WireError::default()
            }),
            finish("error", None),
            StreamEvent::Truncated,
        ]
    );
}

#[test]
fn a_transport_error_ends_the_stream_after_the_text_so_far() {
    let items: Vec<Result<Bytes, ApiError>> = vec![
        Ok(Bytes::from(chunk("partial"))),
        Err(ApiError::Network("the connection broke".into())),
        Ok(Bytes::from(chunk("never"))),
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let got: Vec<Item> = rt.block_on(decode(futures_util::stream::iter(items)).collect());
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[1], Ok(content("partial")));
    assert_eq!(
        got[2],
        Err(ApiError::Network("the connection broke".into()))
    );
}

// ------------------------------------------------------------ non-streaming

#[test]
fn parse_response_tolerates_leading_whitespace() {
    let body = "\n         \n\n{\"id\":\"gen-1\",\"provider\":\"Google\",\"model\":\"google/gemini-2.5-flash\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi there\",\"reasoning\":\"short\"},\"finish_reason\":\"stop\",\"native_finish_reason\":\"STOP\"}],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":3,\"total_tokens\":7,\"cost\":0.0000087}}";
    let events = parse_response(body.as_bytes()).unwrap();
    assert_eq!(
        events,
        vec![
            meta("gen-1", "google/gemini-2.5-flash", "Google"),
            StreamEvent::Reasoning("short".into()),
            content("Hi there"),
            finish("stop", Some("STOP")),
            StreamEvent::Usage(Usage {
                prompt_tokens: 4,
                completion_tokens: 3,
                total_tokens: 7,
                cost: Some(WireDecimal(dec("0.0000087"))),
                ..Usage::default()
            }),
            StreamEvent::Done,
        ]
    );
}

#[test]
fn parse_response_error_object_under_http_200() {
    let credits = r#"{"error":{"code":402,"message":"Insufficient credits"},"user_id":"u"}"#;
    assert_eq!(
        parse_response(credits.as_bytes()).unwrap_err(),
        ApiError::Credits {
            status: 402,
            message: "Insufficient credits".into()
        }
    );
    let upstream = r#"
        {"error":{"code":429,"message":"Provider returned error","metadata":{"raw":"google/gemini-2.5-flash-image-preview:free is temporarily rate-limited upstream.","provider_name":"Google AI Studio"}}}"#;
    match parse_response(upstream.as_bytes()).unwrap_err() {
        ApiError::RateLimited(r) => {
            assert_eq!(r.scope, orchat::api::LimitScope::Upstream);
            assert!(r.message.contains("temporarily rate-limited upstream"));
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn parse_response_choice_error() {
    let body = r#"{"id":"gen-2","choices":[{"index":0,"error":{"code":502,"message":"Provider returned error","metadata":{"raw":"{\"error\":{\"message\":\"model overloaded\"}}","provider_name":"Google"}},"finish_reason":"error"}]}"#;
    assert_eq!(
        parse_response(body.as_bytes()).unwrap_err(),
        ApiError::Upstream {
            status: 502,
            message: "model overloaded".into(),
            provider: Some("Google".into())
        }
    );
}

#[test]
fn parse_response_images_and_garbage() {
    let body = r#"{"id":"gen-3","model":"google/gemini-2.5-flash-image-preview","choices":[{"message":{"content":"","images":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},{"type":"image_url","image_url":{"url":"data:image/png;base64,BBBB"}}]},"finish_reason":"stop"}]}"#;
    let events = parse_response(body.as_bytes()).unwrap();
    let images: Vec<&StreamEvent> = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Image(_)))
        .collect();
    assert_eq!(
        images,
        vec![
            &StreamEvent::Image("data:image/png;base64,AAAA".into()),
            &StreamEvent::Image("data:image/png;base64,BBBB".into())
        ]
    );
    assert!(!events.iter().any(|e| matches!(e, StreamEvent::Content(_))));
    assert_eq!(events.last(), Some(&StreamEvent::Done));

    assert_eq!(
        parse_response(b"<html>502 Bad Gateway</html>")
            .unwrap_err()
            .kind(),
        "decode"
    );
}

// ------------------------------------------------------------ errors as whole bodies

#[test]
fn an_error_list_or_error_body_is_the_same_error_however_it_is_cut() {
    let bodies = [
        (
            "google list",
            r#"[{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}]"#,
            "rate_limited",
        ),
        (
            "openai quota",
            r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
            "credits",
        ),
        (
            "vllm flat",
            r#"{"object":"error","message":"This model's maximum context length is 4096 tokens","type":"BadRequestError","param":null,"code":400}"#,
            "context_too_long",
        ),
        (
            "string error",
            r#"{"error":"Internal server error"}"#,
            "upstream",
        ),
    ];
    for (name, body, kind) in bodies {
        for at in 0..=body.len() {
            let got = decode_pieces(cut(body.as_bytes(), &[at]));
            assert_eq!(got.len(), 1, "{name} at {at}: {got:?}");
            let Err(e) = &got[0] else {
                panic!("{name} at {at}: {got:?}")
            };
            assert_eq!(e.kind(), kind, "{name} at {at}: {e}");
        }
    }
}

#[test]
fn finish_reasons_name_the_ending_in_either_field_and_either_case() {
    use orchat::chat::answer::FinishKind;
    assert_eq!(
        FinishKind::of(Some("stop"), Some("SAFETY")),
        FinishKind::Filter
    );
    assert_eq!(FinishKind::of(Some("safety"), None), FinishKind::Filter);
    assert_eq!(
        FinishKind::of(Some("content_filter"), None),
        FinishKind::Filter
    );
    for native in ["RECITATION", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII"] {
        assert_eq!(
            FinishKind::of(None, Some(native)),
            FinishKind::Filter,
            "{native}"
        );
    }
    assert_eq!(FinishKind::of(None, Some("MAX_TOKENS")), FinishKind::Length);
    assert_eq!(
        FinishKind::of(Some("length"), Some("MAX_TOKENS")),
        FinishKind::Length
    );
    assert_eq!(
        FinishKind::of(Some("stop"), Some("STOP")),
        FinishKind::Normal
    );
    assert_eq!(FinishKind::of(Some("tool_calls"), None), FinishKind::Normal);
    assert_eq!(FinishKind::of(Some("error"), None), FinishKind::Error);
}

#[test]
fn a_native_finish_reason_alone_stands_in_for_the_finish_reason() {
    let body = "data: {\"id\":\"g\",\"choices\":[{\"delta\":{\"content\":\"cut\"},\"native_finish_reason\":\"MAX_TOKENS\"}]}\n\n";
    let events = ok(decode_str(body));
    assert!(
        events.contains(&finish("max_tokens", Some("MAX_TOKENS"))),
        "{events:?}"
    );
}
