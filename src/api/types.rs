//! Wire types for OpenAI-compatible chat completions, as OpenRouter speaks them
//! (PROTOCOL.md §1–§2). Requests serialise only what is set; responses accept
//! unknown fields and default every field the wire may omit.

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
    Text { text: String },
    ImageUrl { image_url: ImageUrl },
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
}

impl Message {
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Message {
            role,
            content: Content::Text(text.into()),
        }
    }

    /// A user message with images: the text part first, as OpenRouter recommends.
    pub fn with_images(text: impl Into<String>, image_urls: Vec<String>) -> Self {
        if image_urls.is_empty() {
            return Message::text(Role::User, text);
        }
        let mut parts = vec![ContentPart::Text { text: text.into() }];
        parts.extend(image_urls.into_iter().map(|url| ContentPart::ImageUrl {
            image_url: ImageUrl { url, detail: None },
        }));
        Message {
            role: Role::User,
            content: Content::Parts(parts),
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
}

// ---------------------------------------------------------------- response

/// `error.code` is a number for request-level failures and may be a string
/// (`"server_error"`) mid-stream.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ErrorCode {
    Number(i64),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct WireError {
    #[serde(default)]
    pub code: Option<ErrorCode>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub metadata: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct PromptTokensDetails {
    #[serde(default, deserialize_with = "null_as_zero")]
    pub cached_tokens: u64,
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
}

impl Usage {
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
}

/// A decimal read straight from the JSON literal (`0.0000166`, `1.66e-5` or
/// `"0.0000166"`), never through an `f64`, so money stays exact. `null` or an
/// unparseable value reads as absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireDecimal(pub Decimal);

impl<'de> Deserialize<'de> for WireDecimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        crate::pricing::parse_decimal(raw.get().trim_matches('"'))
            .map(WireDecimal)
            .ok_or_else(|| serde::de::Error::custom(format!("not a decimal: {}", raw.get())))
    }
}

/// A cost the provider garbled is treated as not reported, not as a broken chunk.
fn lenient_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<WireDecimal>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(d)?;
    Ok(raw.and_then(|r| crate::pricing::parse_decimal(r.get().trim_matches('"')).map(WireDecimal)))
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
    pub image_url: Option<ImageUrl>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ReasoningDetail {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Delta {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub reasoning: Option<String>,
    #[serde(default)]
    pub reasoning_details: Option<Vec<ReasoningDetail>>,
    #[serde(default)]
    pub images: Option<Vec<ImageOut>>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ChunkChoice {
    #[serde(default)]
    pub delta: Option<Delta>,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub native_finish_reason: Option<String>,
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

/// One `chat.completion.chunk`. Only what orchat reads; everything else is ignored.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Chunk {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub choices: Vec<ChunkChoice>,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub error: Option<WireError>,
    #[serde(default)]
    pub meta: Option<AimlMeta>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ResponseMessage {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub reasoning: Option<String>,
    #[serde(default)]
    pub images: Option<Vec<ImageOut>>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ResponseChoice {
    #[serde(default)]
    pub message: Option<ResponseMessage>,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub native_finish_reason: Option<String>,
    #[serde(default)]
    pub error: Option<WireError>,
}

/// A non-streaming response body. May be an error object even under HTTP 200.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ChatResponse {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub choices: Vec<ResponseChoice>,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub error: Option<WireError>,
    #[serde(default)]
    pub meta: Option<AimlMeta>,
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
