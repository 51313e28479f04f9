//! Builds the chat request for a conversation and the user's settings.

use crate::api::types::{
    ChatRequest, Content, ContentPart, Effort, ImageUrl, Message, Reasoning, Role, StreamOptions,
    UsageRequest,
};
use crate::chat::catalog::Model;

/// Puts the image to edit (a data URL) in the last user message, after its
/// text (PROTOCOL-MEDIA.md §4.1). False when there is no user message.
pub fn add_image_to_last_prompt(messages: &mut [Message], url: String) -> bool {
    let Some(m) = messages.iter_mut().rev().find(|m| m.role == Role::User) else {
        return false;
    };
    let content = std::mem::replace(&mut m.content, Content::Parts(Vec::new()));
    let mut parts = match content {
        Content::Text(t) => vec![ContentPart::Text { text: t }],
        Content::Parts(p) => p,
    };
    parts.push(ContentPart::ImageUrl {
        image_url: ImageUrl { url, detail: None },
    });
    m.content = Content::Parts(parts);
    true
}

/// Reasoning as the user sets it: `/reasoning off|low|medium|high|N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReasoningSetting {
    /// The model's default (no `reasoning` field sent).
    #[default]
    Default,
    Off,
    Effort(Effort),
    Budget(u32),
}

impl ReasoningSetting {
    pub fn parse(s: &str) -> Result<ReasoningSetting, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "default" | "auto" => ReasoningSetting::Default,
            "off" | "none" => ReasoningSetting::Off,
            "minimal" => ReasoningSetting::Effort(Effort::Minimal),
            "low" => ReasoningSetting::Effort(Effort::Low),
            "medium" => ReasoningSetting::Effort(Effort::Medium),
            "high" => ReasoningSetting::Effort(Effort::High),
            n => match n.parse::<u32>() {
                Ok(n) => ReasoningSetting::Budget(n),
                Err(_) => {
                    return Err(format!(
                        "reasoning must be off, low, medium, high or a token budget, not '{s}'"
                    ));
                }
            },
        })
    }

    pub fn label(&self) -> String {
        match self {
            ReasoningSetting::Default => "default".into(),
            ReasoningSetting::Off => "off".into(),
            ReasoningSetting::Effort(e) => format!("{e:?}").to_lowercase(),
            ReasoningSetting::Budget(n) => format!("{n} tokens"),
        }
    }

    fn to_wire(self) -> Option<Reasoning> {
        match self {
            ReasoningSetting::Default => None,
            ReasoningSetting::Off => Some(Reasoning {
                effort: Some(Effort::None),
                ..Reasoning::default()
            }),
            ReasoningSetting::Effort(e) => Some(Reasoning {
                effort: Some(e),
                ..Reasoning::default()
            }),
            ReasoningSetting::Budget(n) => Some(Reasoning {
                max_tokens: Some(n),
                ..Reasoning::default()
            }),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub reasoning: ReasoningSetting,
    pub fallbacks: Vec<String>,
    pub stream: bool,
    /// Web search on the next requests (`/web on`, `--web`), as set.
    pub web: Option<WebSearch>,
}

/// How web search is asked for (PROTOCOL-MEDIA.md §5.1): the server tool
/// OpenRouter documents now, or the older web plugin; the config's
/// `[web]` table sets the rest.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSearch {
    /// `tool` (`openrouter:web_search`, the default) or `plugin`
    /// (`plugins:[{"id":"web"}]`).
    pub form: WebForm,
    /// Results a search returns (1–25; the server's default is 5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
    /// `auto`, `native`, `exa`, `firecrawl`, `parallel`, `perplexity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include_domains: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclude_domains: Vec<String>,
    /// USD a search, for estimates before sending (the 2026-08 Exa price,
    /// PROTOCOL-MEDIA.md §5.4); what is billed comes from `usage.cost`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_per_search: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebForm {
    #[default]
    Tool,
    Plugin,
}

/// What a search is assumed to cost before it is sent (USD), and the
/// prompt tokens its results add (PROTOCOL-MEDIA.md §5.4: ~2–8K; 2,300 seen
/// with one Exa search).
pub const SEARCH_FEE: rust_decimal::Decimal = rust_decimal::Decimal::from_parts(7, 0, 0, false, 3);
pub const SEARCH_PROMPT_TOKENS: u64 = 2_300;

impl WebSearch {
    pub fn fee(&self) -> rust_decimal::Decimal {
        self.price_per_search
            .as_deref()
            .and_then(crate::chat::pricing::parse_decimal)
            .unwrap_or(SEARCH_FEE)
    }

    /// The request's `tools` or `plugins` entry.
    fn wire(
        &self,
    ) -> (
        Option<Vec<serde_json::Value>>,
        Option<Vec<serde_json::Value>>,
    ) {
        use serde_json::{Map, Value, json};
        let mut p = Map::new();
        if let Some(n) = self.max_results {
            p.insert("max_results".into(), json!(n));
        }
        if let Some(e) = &self.engine {
            p.insert("engine".into(), json!(e));
        }
        match self.form {
            WebForm::Tool => {
                if !self.include_domains.is_empty() {
                    p.insert("allowed_domains".into(), json!(self.include_domains));
                }
                if !self.exclude_domains.is_empty() {
                    p.insert("excluded_domains".into(), json!(self.exclude_domains));
                }
                let mut tool = Map::new();
                tool.insert("type".into(), json!("openrouter:web_search"));
                if !p.is_empty() {
                    tool.insert("parameters".into(), Value::Object(p));
                }
                (Some(vec![Value::Object(tool)]), None)
            }
            WebForm::Plugin => {
                if !self.include_domains.is_empty() {
                    p.insert("include_domains".into(), json!(self.include_domains));
                }
                if !self.exclude_domains.is_empty() {
                    p.insert("exclude_domains".into(), json!(self.exclude_domains));
                }
                p.insert("id".into(), json!("web"));
                (None, Some(vec![Value::Object(p)]))
            }
        }
    }
}

/// The request for `messages` on `model`. Thinking models get a generous
/// `max_tokens` unless the user set one, since reasoning eats the same budget.
pub fn build(
    model_id: &str,
    model: Option<&Model>,
    messages: Vec<Message>,
    s: &Settings,
) -> ChatRequest {
    let outputs_images = model.is_some_and(Model::outputs_images);
    let (tools, plugins) = s.web.as_ref().map(WebSearch::wire).unwrap_or_default();
    let max_tokens = s.max_tokens.or_else(|| {
        let m = model?;
        m.is_thinking()
            .then(|| m.max_output.unwrap_or(32_768).min(32_768) as u32)
    });
    ChatRequest {
        model: model_id.to_string(),
        models: (!s.fallbacks.is_empty()).then(|| {
            std::iter::once(model_id.to_string())
                .chain(s.fallbacks.iter().cloned())
                .collect()
        }),
        messages,
        stream: s.stream,
        stream_options: s.stream.then_some(StreamOptions {
            include_usage: true,
        }),
        usage: Some(UsageRequest { include: true }),
        max_tokens,
        temperature: s.temperature,
        reasoning: s.reasoning.to_wire(),
        reasoning_effort: None,
        modalities: outputs_images.then(|| vec!["image".into(), "text".into()]),
        provider: None,
        tools,
        plugins,
    }
}

/// The messages of a one-shot prompt (the system prompt, then the prompt
/// with its attachments' parts) and their estimated input tokens (an
/// attachment's upper bound, PROTOCOL-MEDIA.md §3).
pub fn one_shot(
    system_prompt: Option<&str>,
    prompt: String,
    attachments: &[crate::chat::attach::Attachment],
) -> (Vec<Message>, u64) {
    let estimate = crate::chat::pricing::estimate_tokens(system_prompt.unwrap_or(""))
        + crate::chat::pricing::estimate_tokens(&prompt)
        + attachments.iter().map(|a| a.tokens().high).sum::<u64>();
    let mut messages: Vec<Message> = system(system_prompt).into_iter().collect();
    messages.push(Message::with_parts(
        prompt,
        attachments.iter().map(|a| a.part()).collect(),
    ));
    (messages, estimate)
}

/// Loads every `--attach` of a one-shot run, checking each against the
/// limits and all against what one message can carry; or the first
/// refusal, one line.
pub fn load_attachments(args: &[String]) -> Result<Vec<crate::chat::attach::Attachment>, String> {
    let mut out: Vec<crate::chat::attach::Attachment> = Vec::new();
    for arg in args {
        let a = crate::chat::attach::load(arg)?;
        if let Some(why) = crate::chat::attach::too_much_together(&out, &a) {
            return Err(why);
        }
        out.push(a);
    }
    Ok(out)
}

/// Why `model` cannot read one of `attachments` (with models that can),
/// when its list says what it reads.
pub fn unreadable(
    catalog: &crate::chat::catalog::Catalog,
    model_id: &str,
    attachments: &[crate::chat::attach::Attachment],
) -> Option<String> {
    let model = catalog.get(model_id)?;
    let kind = attachments
        .iter()
        .map(|a| a.kind)
        .find(|k| !model.reads(k.modality()))?;
    let readers: Vec<&str> = catalog
        .readers_of(kind.modality())
        .filter(|m| attachments.iter().all(|a| m.reads(a.kind.modality())))
        .map(|m| m.id.as_str())
        .take(5)
        .collect();
    Some(format!(
        "{model_id} does not read {}; {}",
        kind.noun(),
        crate::chat::catalog::Catalog::readers_phrase(&readers)
    ))
}

/// The attachments as `--json` lists them: name, kind, MIME type, size,
/// pages or seconds, and the tokens each adds (a range for a PDF).
pub fn attachments_json(attachments: &[crate::chat::attach::Attachment]) -> serde_json::Value {
    serde_json::Value::Array(
        attachments
            .iter()
            .map(|a| {
                let t = a.tokens();
                serde_json::json!({
                    "name": a.name,
                    "kind": a.kind.modality(),
                    "mime": a.mime,
                    "bytes": a.bytes,
                    "pages": a.pages,
                    "seconds": a.duration_ms.map(|ms| ms as f64 / 1000.0),
                    "tokens_estimate": if t.low == t.high {
                        serde_json::json!(t.low)
                    } else {
                        serde_json::json!([t.low, t.high])
                    },
                })
            })
            .collect(),
    )
}

/// Why a prompt of `estimate` tokens is not sent to `model`: it does not
/// fit its context window (a catalog that gives no window never refuses).
/// One line, with what to do; `None` when it fits.
pub fn too_long_for(model: Option<&crate::chat::catalog::Model>, estimate: u64) -> Option<String> {
    let m = model?;
    (m.context_length > 0 && estimate > m.context_length).then(|| {
        format!(
            "the prompt is ≈{estimate} tokens and {} takes {}: too long for this model; nothing was sent (shorten it, or pick a model with a larger window with -m)",
            m.id, m.context_length
        )
    })
}

/// A system message, when there is a system prompt.
pub fn system(text: Option<&str>) -> Option<Message> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| Message::text(Role::System, t))
}

/// Whether two model ids are of one family (`google/gemini-2.5-pro` and
/// `google/gemini-2.5-flash` are; `openai/gpt-4o-mini` is not): the vendor
/// and the name's first word.
pub fn same_family(a: &str, b: &str) -> bool {
    fn family(id: &str) -> (&str, &str) {
        let (vendor, name) = id.split_once('/').unwrap_or(("", id));
        (vendor, name.split(['-', ':', '.']).next().unwrap_or(name))
    }
    family(a) == family(b)
}
