//! Wire types for OpenAI-compatible chat completions, as OpenRouter speaks them
//! (PROTOCOL.md §1–§2). Requests serialise only what is set; responses accept
//! unknown fields and default every field the wire may omit.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

// ---------------------------------------------------------------- request

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// A message's content: a plain string, or parts (text first, then images).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text {
        text: String,
    },
    ImageUrl {
        image_url: ImageUrl,
    },
    /// A PDF (PROTOCOL-MEDIA.md §1.1): `file_data` a data URL or an https URL.
    File {
        file: FileData,
    },
    /// Audio as bare base64 (no `data:` prefix) and its format (§1.1).
    InputAudio {
        input_audio: InputAudio,
    },
    /// Video: `video_url` is an object `{url}`, never a bare string (§1.1).
    VideoUrl {
        video_url: VideoUrl,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileData {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub filename: Option<String>,
    pub file_data: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputAudio {
    /// Base64 of the file's bytes.
    pub data: String,
    /// `wav`, `mp3`, `aiff`, `aac`, `ogg`, `flac` (§1.2).
    pub format: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoUrl {
    /// A `data:video/…;base64,` URL, or a YouTube link.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    /// An `https://` URL or a `data:<mime>;base64,<payload>` URL.
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: Content,
    /// An answer's `reasoning_details`, sent back unmodified on later turns
    /// to the same model family, as OpenRouter asks for Gemini.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_details: Option<Vec<Value>>,
    /// An answer's file annotations, sent back so OpenRouter does not parse
    /// (and bill) the PDF again (PROTOCOL-MEDIA.md §1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Vec<Value>>,
}

impl Message {
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Message {
            role,
            content: Content::Text(text.into()),
            reasoning_details: None,
            annotations: None,
        }
    }

    /// A user message with images: the text part first, as OpenRouter recommends.
    pub fn with_images(text: impl Into<String>, image_urls: Vec<String>) -> Self {
        Message::with_parts(
            text,
            image_urls
                .into_iter()
                .map(|url| ContentPart::ImageUrl {
                    image_url: ImageUrl { url, detail: None },
                })
                .collect(),
        )
    }

    /// A user message of text and attachments' parts: the text first, as
    /// OpenRouter recommends (PROTOCOL-MEDIA.md §1.1); plain text when
    /// there are none.
    pub fn with_parts(text: impl Into<String>, parts: Vec<ContentPart>) -> Self {
        if parts.is_empty() {
            return Message::text(Role::User, text);
        }
        let mut all = vec![ContentPart::Text { text: text.into() }];
        all.extend(parts);
        Message {
            role: Role::User,
            content: Content::Parts(all),
            reasoning_details: None,
            annotations: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effort {
    /// Thinking off (not honoured by Gemini 2.5 Pro).
    None,
    Minimal,
    Low,
    Medium,
    High,
}

/// `reasoning`: either an effort or a token budget, never both (PROTOCOL.md §1.4).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Reasoning {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effort: Option<Effort>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ProviderPrefs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_fallbacks: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_collection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StreamOptions {
    pub include_usage: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UsageRequest {
    pub include: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<String>>,
    pub messages: Vec<Message>,
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
    /// Google's and OpenAI's spelling of a reasoning effort (not OpenRouter's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<Effort>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modalities: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderPrefs>,
    /// Server tools: `openrouter:web_search` (PROTOCOL-MEDIA.md §5.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Value>>,
    /// The older plugins: `{"id":"web",…}` (PROTOCOL-MEDIA.md §5.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugins: Option<Vec<Value>>,
}

/// Parses a decimal as the wire writes it: `"0.00000125"`, `1.66e-5`, `-1`.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    Decimal::from_str(t)
        .ok()
        .or_else(|| Decimal::from_scientific(t).ok())
}

// ---------------------------------------------------------------- response

/// `error.code` is a number for request-level failures and may be a string
/// (`"server_error"`, OpenAI's `"insufficient_quota"`) mid-stream.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ErrorCode {
    Number(i64),
    Text(String),
}

/// An error object in any of the shapes servers send (PROTOCOL.md §3.1, §6,
/// §7): OpenRouter's `{code, message, metadata}`, OpenAI's `{message, type,
/// code}` and Google's `{code, message, status}`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct WireError {
    #[serde(default)]
    pub code: Option<ErrorCode>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: String,
    #[serde(default)]
    pub metadata: Option<Value>,
    /// Google's status name: `RESOURCE_EXHAUSTED`, `UNAUTHENTICATED`, ….
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_opt_string"
    )]
    pub status: Option<String>,
    /// OpenAI's error type: `insufficient_quota`, `invalid_request_error`, ….
    #[serde(
        default,
        rename = "type",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_opt_string"
    )]
    pub kind: Option<String>,
}

/// `"error"` as an object, or as a bare string (some proxies).
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorField(pub WireError);

impl<'de> Deserialize<'de> for ErrorField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ErrorField(match Value::deserialize(d)? {
            Value::String(message) => WireError {
                message,
                ..WireError::default()
            },
            v @ Value::Object(_) => serde_json::from_value(v).map_err(serde::de::Error::custom)?,
            other => WireError {
                message: other.to_string(),
                ..WireError::default()
            },
        }))
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct PromptTokensDetails {
    #[serde(default, deserialize_with = "null_as_zero")]
    pub cached_tokens: u64,
    /// Prompt tokens that were audio / video (PROTOCOL-MEDIA.md §1.5): a
    /// video sent and 0 here means the provider ignored it.
    #[serde(
        default,
        deserialize_with = "null_as_zero_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub audio_tokens: Option<u64>,
    #[serde(
        default,
        deserialize_with = "null_as_zero_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub video_tokens: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct CompletionTokensDetails {
    #[serde(default, deserialize_with = "null_as_zero")]
    pub reasoning_tokens: u64,
    #[serde(default, deserialize_with = "null_as_zero")]
    pub image_tokens: u64,
}

/// Token counts and, from OpenRouter, the cost actually charged (USD).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct Usage {
    #[serde(default, deserialize_with = "null_as_zero")]
    pub prompt_tokens: u64,
    #[serde(default, deserialize_with = "null_as_zero")]
    pub completion_tokens: u64,
    #[serde(default, deserialize_with = "null_as_zero")]
    pub total_tokens: u64,
    /// Parsed from the decimal text the wire sent, so no float ever touches money.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_decimal"
    )]
    pub cost: Option<WireDecimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
    /// OpenRouter: the request ran on the user's own provider key (BYOK):
    /// `cost` is then only OpenRouter's fee, and the provider bills
    /// `cost_details.upstream_inference_cost` to that key (PROTOCOL.md §5).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_opt_bool"
    )]
    pub is_byok: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_details: Option<CostDetails>,
    /// Server tools run for the answer (`server_tool_use_details`, or the
    /// docs' `server_tool_use`: PROTOCOL-MEDIA.md §6.1).
    #[serde(
        default,
        alias = "server_tool_use",
        skip_serializing_if = "Option::is_none"
    )]
    pub server_tool_use_details: Option<ServerToolUse>,
}

/// How many web searches a request ran (PROTOCOL-MEDIA.md §6.1).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct ServerToolUse {
    #[serde(default, deserialize_with = "null_as_zero")]
    pub web_search_requests: u64,
}

/// What the upstream provider's inference cost, as OpenRouter reports it
/// (USD; `upstream_inference_cost` is null unless BYOK).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct CostDetails {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_decimal"
    )]
    pub upstream_inference_cost: Option<WireDecimal>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_decimal"
    )]
    pub upstream_inference_prompt_cost: Option<WireDecimal>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_decimal"
    )]
    pub upstream_inference_completions_cost: Option<WireDecimal>,
}

/// A bool that a server sent as a string or a number: read liberally, and
/// as absent when it is neither.
fn lenient_opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => match s.as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        _ => None,
    })
}

impl Usage {
    /// With the user's own provider key (BYOK): what the provider billed to
    /// that key (USD), as OpenRouter reports it.
    pub fn byok_upstream(&self) -> Option<rust_decimal::Decimal> {
        if self.is_byok != Some(true) {
            return None;
        }
        let d = self.cost_details.as_ref()?;
        d.upstream_inference_cost.map(|c| c.0).or_else(|| {
            match (
                d.upstream_inference_prompt_cost,
                d.upstream_inference_completions_cost,
            ) {
                (None, None) => None,
                (p, c) => Some(
                    p.map_or_else(Default::default, |p| p.0)
                        + c.map_or_else(Default::default, |c| c.0),
                ),
            }
        })
    }

    pub fn reasoning_tokens(&self) -> u64 {
        self.completion_tokens_details
            .as_ref()
            .map_or(0, |d| d.reasoning_tokens)
    }
    pub fn image_tokens(&self) -> u64 {
        self.completion_tokens_details
            .as_ref()
            .map_or(0, |d| d.image_tokens)
    }
    pub fn cached_tokens(&self) -> u64 {
        self.prompt_tokens_details
            .as_ref()
            .map_or(0, |d| d.cached_tokens)
    }

    /// Makes `completion_tokens` the output tokens billed, as providers really
    /// report them: Google's endpoint and some gateways leave thinking out of
    /// `completion_tokens` (or omit it) while `total_tokens` and
    /// `reasoning_tokens` include it. Billed output is the largest of
    /// `completion_tokens`, `total_tokens − prompt_tokens` and the reasoning
    /// plus image tokens; `total_tokens` is raised to match.
    pub fn normalize(&mut self) {
        let billed = self
            .completion_tokens
            .max(self.total_tokens.saturating_sub(self.prompt_tokens))
            .max(self.reasoning_tokens().saturating_add(self.image_tokens()));
        self.completion_tokens = billed;
        self.total_tokens = self
            .total_tokens
            .max(self.prompt_tokens.saturating_add(billed));
    }
}

/// A decimal read straight from the JSON literal (`0.0000166`, `1.66e-5` or
/// `"0.0000166"`), never through an `f64`, so money stays exact. `null` or an
/// unparseable value reads as absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireDecimal(pub Decimal);

impl<'de> Deserialize<'de> for WireDecimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        parse_decimal(raw.get().trim_matches('"'))
            .map(WireDecimal)
            .ok_or_else(|| serde::de::Error::custom(format!("not a decimal: {}", raw.get())))
    }
}

/// A cost the provider garbled is treated as not reported, not as a broken chunk.
fn lenient_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<WireDecimal>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(d)?;
    Ok(raw.and_then(|r| parse_decimal(r.get().trim_matches('"')).map(WireDecimal)))
}

/// Written back as a JSON number literal (`0.0000166`), as the wire has it.
impl Serialize for WireDecimal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.0.normalize().to_string())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ImageOut {
    #[serde(default)]
    pub image_url: Option<ImageUrlIn>,
}

/// `image_url` as `{"url": …}` or as the bare URL string.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageUrlIn(pub String);

impl<'de> Deserialize<'de> for ImageUrlIn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ImageUrlIn(match Value::deserialize(d)? {
            Value::String(s) => s,
            v => v
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        }))
    }
}

/// `content` as servers send it: a string, or an array of typed parts (text,
/// thinking, images), or one such part on its own. `null` reads as absent.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentIn {
    Text(String),
    /// The parts as sent; `api::interpret` reads them (they are rare, so
    /// they are not given a type of their own).
    Parts(Vec<Value>),
}

impl<'de> Deserialize<'de> for ContentIn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ContentIn;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or an array of content parts")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ContentIn, E> {
                Ok(ContentIn::Text(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<ContentIn, E> {
                Ok(ContentIn::Text(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ContentIn, A::Error> {
                let mut parts = Vec::new();
                while let Some(p) = seq.next_element::<Value>()? {
                    parts.push(p);
                }
                Ok(ContentIn::Parts(parts))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<ContentIn, A::Error> {
                let part = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(ContentIn::Parts(vec![part]))
            }
        }
        d.deserialize_any(V)
    }
}

/// A streamed `delta`, or a whole `message`: the same fields either way.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Delta {
    #[serde(default)]
    pub content: Option<ContentIn>,
    /// OpenRouter's thinking text.
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub reasoning: Option<String>,
    /// llama.cpp's, vLLM's, DeepSeek's and LM Studio's name for it.
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub reasoning_content: Option<String>,
    /// OpenRouter's structured reasoning (`reasoning.text`, `.summary`,
    /// `.encrypted`), kept as sent: it goes back with the answer on later
    /// turns (PROTOCOL.md §1.4, §2.5).
    #[serde(default, deserialize_with = "null_as_default")]
    pub reasoning_details: Vec<Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub images: Vec<ImageOut>,
    /// OpenAI's refusal text: shown as the answer.
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub refusal: Option<String>,
    /// Sources (`url_citation`) and parsed files (`file`), an open union
    /// read as it comes (PROTOCOL-MEDIA.md §1.3, §5.2–5.3).
    #[serde(default, deserialize_with = "null_as_default")]
    pub annotations: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Choice {
    #[serde(default)]
    pub delta: Option<Delta>,
    /// Whole answers (and some servers' chunks) say `message`.
    #[serde(default)]
    pub message: Option<Delta>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub finish_reason: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub native_finish_reason: Option<String>,
    #[serde(default)]
    pub error: Option<ErrorField>,
    /// Some upstreams put annotations on the choice (PROTOCOL-MEDIA.md §5.3).
    #[serde(default, deserialize_with = "null_as_default")]
    pub annotations: Vec<Value>,
}

/// AI/ML API reports cost as `meta.usage.usd_spent` (PROTOCOL.md §6).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct AimlMeta {
    #[serde(default)]
    pub usage: Option<AimlUsage>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct AimlUsage {
    #[serde(default, deserialize_with = "lenient_decimal")]
    pub usd_spent: Option<WireDecimal>,
}

/// One `chat.completion.chunk`, or a whole `chat.completion`, or an error
/// body: every JSON object a chat endpoint answers with reads as one of
/// these. Only what orchat reads; everything else is ignored.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Chunk {
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub model: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub provider: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub object: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub error: Option<ErrorField>,
    #[serde(default)]
    pub meta: Option<AimlMeta>,
    // A flat error: Google's `{"code","message","status"}`, vLLM's
    // `{"object":"error","message","type","code"}`, AI/ML API's
    // `{"message","statusCode"}`.
    #[serde(default)]
    pub code: Option<ErrorCode>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub status: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "lenient_opt_string")]
    pub kind: Option<String>,
    #[serde(default, rename = "statusCode")]
    pub status_code: Option<ErrorCode>,
}

impl Chunk {
    /// The error this object carries, in whichever shape it came: a top-level
    /// `error`, or a flat error object (a `message` beside a code, status or
    /// type, with no choices).
    pub fn take_error(&mut self) -> Option<WireError> {
        if let Some(ErrorField(e)) = self.error.take() {
            return Some(e);
        }
        let flat = self.choices.is_empty()
            && self.message.is_some()
            && (self.object.as_deref() == Some("error")
                || self.code.is_some()
                || self.status.is_some()
                || self.status_code.is_some()
                || self.kind.is_some());
        if !flat {
            return None;
        }
        let code = self.code.take().or_else(|| match self.status_code.take()? {
            ErrorCode::Text(t) => t.parse().ok().map(ErrorCode::Number),
            n => Some(n),
        });
        Some(WireError {
            code,
            message: self.message.take().unwrap_or_default(),
            metadata: None,
            status: self.status.take(),
            kind: self.kind.take(),
        })
    }
}

/// A string field that some server sent as a number or an object: read as
/// its JSON text rather than failing the whole chunk.
fn lenient_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(V)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            let v = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
            Ok(Some(v.to_string()))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let v = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
            Ok(Some(v.to_string()))
        }
    }
    d.deserialize_option(V)
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient_opt_string(d)?.unwrap_or_default())
}

fn null_as_zero<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    // Counts are sometimes null, sometimes floats like 12.0 from lenient servers.
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| n.as_f64().map(|f| f.max(0.0) as u64))
            .unwrap_or(0),
        _ => 0,
    })
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `null_as_zero` for a count that may be absent: absent or null is `None`.
fn null_as_zero_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Number(n)) => Some(
            n.as_u64()
                .or_else(|| n.as_f64().map(|f| f.max(0.0) as u64))
                .unwrap_or(0),
        ),
        _ => None,
    })
}
