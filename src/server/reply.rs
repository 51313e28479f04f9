//! What one answer of the local server will say, before any of it is written:
//! the text and reasoning in pieces (cut by the token limit and shaped by the
//! faults), the images, and the usage and cost in the dialect it plays.

use serde_json::{Value, json};

use super::answer::{self, Ask};
use super::faults::Plan;
use crate::api::types::{
    ChatRequest, CompletionTokensDetails, PromptTokensDetails, Usage, WireDecimal,
};
use crate::chat::catalog::Model;
use crate::chat::pricing::{IMAGE_INPUT_TOKENS, estimate_tokens};

/// Everything one answer will say.
pub struct Reply {
    pub id: String,
    pub created: u64,
    pub model: String,
    pub reasoning: Vec<String>,
    pub content: Vec<String>,
    pub images: Vec<String>,
    pub usage: Usage,
    /// `finish_reason` and `native_finish_reason` of the last chunk.
    pub finish: (&'static str, String),
    /// AI/ML API's `meta`: the cost as `usage.usd_spent`.
    pub(super) meta: Option<Value>,
    /// What the answer cost, whatever the dialect says of it.
    billed: Option<WireDecimal>,
    pub(super) plan: Plan,
    /// A search's sources and where they go, and PDF parses.
    pub(super) annotations: Vec<Value>,
    pub(super) web: Option<super::faults::WebShape>,
    pub(super) file_annotations: Vec<Value>,
}

/// Whether the request asks for web search: the server tool or the plugin
/// (PROTOCOL-MEDIA.md §5.1).
fn asks_web(req: &ChatRequest) -> bool {
    let tool = req
        .tools
        .iter()
        .flatten()
        .any(|t| t.get("type").and_then(Value::as_str) == Some("openrouter:web_search"));
    let plugin = req
        .plugins
        .iter()
        .flatten()
        .any(|p| p.get("id").and_then(Value::as_str) == Some("web"));
    tool || plugin
}

/// The sources a scripted search finds, as Exa gives them (offsets 0, a
/// title left empty, one URL twice) or as a native search does (one, with
/// the offsets of the text it cites).
fn web_annotations(shape: super::faults::WebShape, text: &str) -> Vec<Value> {
    use super::faults::WebShape;
    let cite = |url: &str, title: &str, content: &str| {
        json!({"type": "url_citation", "url_citation": {
            "url": url, "title": title, "start_index": 0, "end_index": 0, "content": content}})
    };
    match shape {
        WebShape::Native => {
            let end = text.chars().take(40).count();
            vec![json!({"type": "url_citation", "url_citation": {
                "url": "https://www.ruby-lang.org/en/downloads/", "title": "Download Ruby | Ruby",
                "start_index": 0, "end_index": end}})]
        }
        _ => vec![
            cite(
                "https://www.rust-lang.org/",
                "Rust Programming Language",
                "A language empowering everyone to build reliable and efficient software.\n[...]\nRust 1.91 is the latest stable release, with faster builds and new lints.",
            ),
            cite(
                "https://blog.rust-lang.org/releases/",
                "",
                "Announcing Rust 1.91.0 | The Rust Programming Language Blog. The Rust team is happy to announce a new version of Rust.",
            ),
            cite("https://www.rust-lang.org/", "", ""),
        ],
    }
}

impl Reply {
    pub fn build(
        req: &ChatRequest,
        model: &Model,
        ask: &Ask,
        plan: Plan,
        (id, created): (String, u64),
        wpp: usize,
        dialect: super::Dialect,
    ) -> Reply {
        let mut text = answer::answer_text(ask, model.accepts_images());
        if let Some(n) = plan.long {
            text = long_text(n);
        }
        if plan.hostile {
            text = format!(
                "Hostile:\x1b[2J\x1b]52;c;aGFja2Vk\x07 \x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ \x1bP1$qm\x1b\\ \u{9b}31m red\r over\x08 \u{202E}desrever\u{202C} end\n{text}"
            );
        }
        if plan.empty {
            text = "\n\n   \n".to_string();
        }
        let mut content = match plan.doc {
            // Already one token a piece.
            Some(n) => super::doc::doc_tokens(n),
            None => answer::pieces(&text, wpp),
        };
        if plan.crlf {
            content = crlf_pieces(&content);
        }
        if let Some(n) = plan.huge {
            content.insert(0, "x".repeat(n));
        }
        // OpenRouter's `reasoning`, or the `reasoning_effort` of Google's
        // and OpenAI's dialect.
        let effort = req
            .reasoning_effort
            .is_some_and(|e| e != crate::api::types::Effort::None);
        let wants_reasoning = plan.force_reasoning
            || effort
            || req
                .reasoning
                .as_ref()
                .is_some_and(|r| r.exclude != Some(true))
            || (model.thinking_mandatory()
                && req
                    .reasoning
                    .as_ref()
                    .is_none_or(|r| r.exclude != Some(true)));
        let mut reasoning = if wants_reasoning {
            answer::pieces(&answer::reasoning_text(ask), wpp)
        } else {
            Vec::new()
        };
        let mut finish = ("stop", "STOP".to_string());
        if let Some(e) = &plan.ending {
            content.truncate(e.after);
            finish = (e.reason, e.native.clone());
        }
        // The token limit covers reasoning and text, as Gemini counts it.
        // The size faults (`huge`, `long`) stand for answers past any limit.
        let sized = plan.huge.is_some() || plan.long.is_some() || plan.doc.is_some();
        if let Some(budget) = req.max_tokens.map(u64::from).filter(|_| !sized) {
            let (r, left) = within(&reasoning, budget);
            let (c, _) = within(&content, left);
            if r.len() < reasoning.len() || c.len() < content.len() {
                reasoning = r;
                content = c;
                finish = ("length", "MAX_TOKENS".to_string());
            }
        }
        let images = if model.outputs_images() && finish.0 == "stop" {
            let (png, _, _) = answer::make_png(ask);
            vec![image_url(&png, plan.image_base64)]
        } else {
            Vec::new()
        };
        // A server with no reasoning parser: the thinking is in the
        // content, between tags cut across deltas.
        if plan.think_tags && !reasoning.is_empty() {
            let mut tagged = vec!["<thi".to_string(), "nk>\n".to_string()];
            tagged.append(&mut reasoning);
            tagged.push("\n</th".into());
            tagged.push("ink>\n\n".into());
            tagged.append(&mut content);
            content = tagged;
        }
        let image_tokens = images.len() as u64 * crate::chat::pricing::IMAGE_OUTPUT_TOKENS;
        let reasoning_tokens = estimate_tokens(&reasoning.concat());
        let text_tokens = estimate_tokens(&content.concat());
        let ignores_video = plan.video_ignored;
        let media_tokens = if ignores_video {
            ask.media_tokens - ask.video_tokens
        } else {
            ask.media_tokens
        };
        let prompt_tokens = estimate_tokens(&ask.prompt_text_all)
            + IMAGE_INPUT_TOKENS * ask.images_in
            + media_tokens;
        let completion_tokens = text_tokens + reasoning_tokens + image_tokens;
        let mut usage = Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
            cost: None,
            prompt_tokens_details: Some(PromptTokensDetails {
                cached_tokens: plan.cached.unwrap_or(0).min(prompt_tokens),
                audio_tokens: Some(ask.audio_tokens),
                video_tokens: Some(if ignores_video { 0 } else { ask.video_tokens }),
            }),
            completion_tokens_details: Some(CompletionTokensDetails {
                reasoning_tokens,
                image_tokens,
            }),
            ..Usage::default()
        };
        let billed = model
            .pricing
            .as_ref()
            .map(|p| WireDecimal(p.compute(&usage, ask.images_in)));
        let mut meta = None;
        match dialect {
            _ if plan.google_usage => {
                // Google leaves the thinking out of completion_tokens; there is no cost.
                usage.completion_tokens = text_tokens + image_tokens;
            }
            super::Dialect::OpenRouter => usage.cost = billed,
            super::Dialect::AimlApi => {
                meta = billed.map(|b| json!({"usage": {"credits_used": 1, "usd_spent": b}}));
                if model.id.contains("gemini-2.5-pro") {
                    // As AI/ML API's own examples show (PROTOCOL.md §6).
                    usage.completion_tokens *= 21;
                    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
                }
            }
            super::Dialect::Plain => {}
        }
        if plan.byok {
            // The user's own provider key: OpenRouter's fee (here none) is the
            // cost; the provider bills the rest to that key.
            let prompt = model
                .pricing
                .as_ref()
                .map(|p| WireDecimal(p.prompt * rust_decimal::Decimal::from(usage.prompt_tokens)));
            usage.cost = Some(WireDecimal(rust_decimal::Decimal::ZERO));
            usage.is_byok = Some(true);
            usage.cost_details = Some(crate::api::types::CostDetails {
                upstream_inference_cost: billed,
                upstream_inference_prompt_cost: prompt,
                upstream_inference_completions_cost: billed
                    .zip(prompt)
                    .map(|(b, p)| WireDecimal(b.0 - p.0)),
            });
        }
        if plan.hidden_reasoning {
            // Counted and billed, never shown.
            reasoning.clear();
        }
        // A search: its sources, the results in the prompt, its fee in the
        // cost beside the model's (PROTOCOL-MEDIA.md §5.4, §6.1-6.2).
        let web = plan
            .web
            .or(asks_web(req).then_some(super::faults::WebShape::Early));
        let mut annotations = Vec::new();
        if let Some(shape) = web {
            annotations = web_annotations(shape, &content.concat());
            let (fee, extra_prompt) = match shape {
                super::faults::WebShape::Native => ("0.01", 0),
                _ => ("0.007", 2_300u64),
            };
            let asked = asks_web(req);
            if asked {
                usage.prompt_tokens += extra_prompt;
                usage.total_tokens += extra_prompt;
                usage.server_tool_use_details = Some(crate::api::types::ServerToolUse {
                    web_search_requests: 1,
                });
                if dialect == super::Dialect::OpenRouter && !plan.byok {
                    let p = model.pricing.as_ref();
                    let prompt_cost =
                        p.map(|p| p.prompt * rust_decimal::Decimal::from(usage.prompt_tokens));
                    let model_cost = p.map(|p| p.compute(&usage, ask.images_in));
                    let fee: rust_decimal::Decimal = fee.parse().expect("a fee");
                    if let (Some(pc), Some(mc)) = (prompt_cost, model_cost) {
                        usage.cost = Some(WireDecimal(mc + fee));
                        usage.cost_details = Some(crate::api::types::CostDetails {
                            upstream_inference_cost: None,
                            upstream_inference_prompt_cost: Some(WireDecimal(pc)),
                            upstream_inference_completions_cost: Some(WireDecimal(mc - pc)),
                        });
                    }
                }
            }
        }
        let billed = match (&usage.cost, dialect) {
            (Some(c), super::Dialect::OpenRouter) => Some(*c),
            _ => billed,
        };
        // OpenRouter's parse of an attached PDF (not for a native reader,
        // but scripted here for any).
        let file_annotations = if plan.pdf_annotations {
            req.messages
                .iter()
                .filter_map(|m| match &m.content {
                    crate::api::types::Content::Parts(p) => Some(p),
                    _ => None,
                })
                .flatten()
                .filter_map(|p| match p {
                    crate::api::types::ContentPart::File { file } => Some(json!({
                        "type": "file",
                        "file": {
                            "hash": crate::chat::attach::digest(file.file_data.as_bytes()),
                            "name": file.filename,
                            "content": [{"type": "text", "text": "<file name=\"report.pdf\">"},
                                        {"type": "text", "text": "# Parsed text of the PDF"},
                                        {"type": "text", "text": "</file>"}],
                        }
                    })),
                    _ => None,
                })
                .collect()
        } else {
            Vec::new()
        };
        Reply {
            id,
            created,
            model: model.id.clone(),
            reasoning,
            content,
            images,
            usage,
            finish,
            meta,
            billed,
            plan,
            annotations,
            web,
            file_annotations,
        }
    }

    /// What `/generation` reports for this answer (the cost as billed).
    pub fn billed(&self) -> WireDecimal {
        self.billed.unwrap_or(WireDecimal(Default::default()))
    }
}

/// A PNG as a data URL, its base64 written as some servers write it.
fn image_url(png: &[u8], how: Option<super::faults::ImageBase64>) -> String {
    use super::faults::ImageBase64 as B;
    use base64::Engine;
    let b64 = match how {
        None => base64::engine::general_purpose::STANDARD.encode(png),
        Some(B::Wrapped) => {
            let plain = base64::engine::general_purpose::STANDARD.encode(png);
            plain
                .as_bytes()
                .chunks(76)
                .map(|c| std::str::from_utf8(c).expect("ASCII"))
                .collect::<Vec<_>>()
                .join("\n")
        }
        Some(B::UrlSafe) => base64::engine::general_purpose::URL_SAFE.encode(png),
        Some(B::Unpadded) => base64::engine::general_purpose::STANDARD_NO_PAD.encode(png),
    };
    format!("data:image/png;base64,{b64}")
}

/// The pieces that fit in `budget` tokens, and the budget left.
fn within(pieces: &[String], budget: u64) -> (Vec<String>, u64) {
    let mut left = budget;
    let mut out = Vec::new();
    for p in pieces {
        let t = estimate_tokens(p);
        if t > left {
            break;
        }
        left -= t;
        out.push(p.clone());
    }
    (out, left)
}

/// Line ends as CRLF, a CRLF cut between two deltas, and one lone CR.
fn crlf_pieces(pieces: &[String]) -> Vec<String> {
    let mut out: Vec<String> = pieces.iter().map(|p| p.replace('\n', "\r\n")).collect();
    if let Some(first) = out.iter_mut().find(|p| p.contains("\r\n")) {
        *first = first.replacen("\r\n", "\r", 1);
    }
    for i in 0..out.len().saturating_sub(1) {
        if out[i].ends_with("\r\n") {
            out[i].pop();
            out[i + 1].insert(0, '\n');
        }
    }
    out
}

fn long_text(tokens: usize) -> String {
    let words = [
        "stream ", "token ", "orchat ", "gemini ", "cost ", "meter ", "flash ", "pro ",
    ];
    let mut s = String::with_capacity(tokens * 7);
    for i in 0..tokens {
        s.push_str(words[i % words.len()]);
        if i % 16 == 15 {
            s.push('\n');
        }
    }
    s
}
