//! Faults the local server can be told to produce, per request: queued by a
//! test through `ServerHandle::push_fault`, or written into a prompt as
//! `[[fault:NAME]]` (so the real binary can be driven into each one). Each is
//! a way real servers behave: the zoo the client is tested against. README's
//! "The local server" lists the names.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// An HTTP error with OpenRouter's body for that status (401, 402, 403,
    /// 404, 408, 413, 500, 502, 503).
    Status(u16),
    /// 429 per-minute, with a `Retry-After` header when given (seconds).
    RateLimitPerMinute { retry_after: Option<u64> },
    /// 429 free-models-per-day.
    RateLimitPerDay,
    /// 429 from the upstream provider, message in `metadata.raw`.
    RateLimitUpstream,
    /// OpenAI's 429 `insufficient_quota`: a billing error, not a rate limit.
    InsufficientQuota,
    /// A 403 whose words say the input was flagged ("No credits were
    /// charged"), with no moderation metadata.
    FlaggedWords,
    /// HTTP 200 whose body is OpenRouter's error object for this code.
    ErrorIn200(u16),
    /// Google's error as a list: `[{"error":{"code":429,…,"status":"RESOURCE_EXHAUSTED"}}]`
    /// under HTTP 429 (a per-day quota).
    GoogleErrorList,
    /// Google's flat `{"code":429,"message":…,"status":"RESOURCE_EXHAUSTED"}`
    /// as a `data:` line of a 200 stream, before any text.
    GoogleFlatInStream,
    /// A JSON error object on a line of its own, no `data:`, inside a 200
    /// stream, before any text (as proxies write it).
    BareErrorLine,
    /// An error chunk after `after` content chunks with this code; the stream
    /// then ends.
    ErrorMidStream { after: usize, code: u16 },
    /// The connection drops after `after` content chunks.
    DropMidStream { after: usize },
    /// The connection drops before any byte of the body.
    DropBeforeFirstByte,
    /// Silence for `secs` after `after` content chunks, then the rest.
    Stall { after: usize, secs: f64 },
    /// A `data:` line that is not JSON, after `after` chunks; the rest follows.
    MalformedLine { after: usize },
    /// Invalid UTF-8 bytes inside a content string.
    InvalidUtf8,
    /// No usage chunk.
    NoUsage,
    /// The stream ends without `[DONE]`.
    NoDone,
    /// Stream at this many tokens (pieces) per second.
    Pace(f64),
    /// This many words in each content piece (one token an event, as many
    /// providers send, is `words:1`).
    WordsPerPiece(usize),
    /// One content chunk of this many bytes.
    HugeLine(usize),
    /// An answer of this many tokens.
    LongAnswer(usize),
    /// A realistic answer of about this many tokens, one an event
    /// (`doc:N`, `server::doc`).
    Doc(usize),
    /// Content laced with escape sequences and controls.
    Hostile,
    /// A stream request answered with one whole `chat.completion` JSON body,
    /// labelled `application/json`, or `text/event-stream` when `sse_label`.
    JsonBody { sse_label: bool },
    /// A non-stream request answered with SSE chunks.
    SseBody,
    /// Thinking as `reasoning_content` (llama.cpp, vLLM, DeepSeek, LM
    /// Studio), even when not asked for.
    ReasoningContent,
    /// `content` as arrays of typed parts: text parts for the answer,
    /// thinking parts for the reasoning.
    ContentParts,
    /// The token limit after `after` content pieces: `finish_reason:
    /// "length"`, `native_finish_reason: "MAX_TOKENS"`.
    Length { after: usize },
    /// A safety filter after `after` content pieces: `finish_reason:
    /// "content_filter"` and this native reason (`SAFETY`, `RECITATION`, …).
    Blocked { native: String, after: usize },
    /// The answer is only whitespace.
    Empty,
    /// Line ends written as CRLF, and a lone CR.
    Crlf,
    /// The generated image as a markdown data-URL image in the content (as
    /// gateways return it), split over several deltas.
    ImageInText,
    /// The generated image as an `image_url` content part.
    ImagePart,
    /// Google's usage: `completion_tokens` without the thinking, which only
    /// `total_tokens` and `reasoning_tokens` count; no cost.
    GoogleUsage,
    /// A body that never ends, as a broken proxy or server sends: a whole
    /// JSON answer (`endless-body`), an error body under this status
    /// (`endless-error:500`), or blank padding (`endless-padding`).
    Endless(Endless),
    /// HTTP 200 declaring a body of 10 GB (`Content-Length`), then a JSON
    /// answer that never ends.
    HugeLength,
    /// A redirect (`307`, `301`, …) to another host, as a misconfigured
    /// proxy or a hijacked DNS name would send.
    Redirect(u16),
    /// The answer repeats the request's bearer key, split over deltas, as a
    /// server echoing its input might.
    EchoKey,
    /// The response (stream, whole answer or error) compressed with this
    /// content coding, whatever the client asked for: `gzip`, `br`,
    /// `deflate`, `zstd`.
    Compressed(super::compress::Coding),
    /// Keep-alives in every form between the chunks: comments, `data:` that
    /// is a comment, `event: ping`, empty data (`keepalives`).
    KeepAliveForms,
    /// Perplexity's chunks: a `delta` and a growing whole `message`
    /// together (`delta-and-message`).
    DeltaAndMessage,
    /// The thinking inside the content as `<think>…</think>`, its tags cut
    /// across deltas, and no reasoning field (`think-tags`).
    ThinkTags,
    /// `event: error` after the first piece, its data in this shape
    /// (`error-event:error|message|text|plain`).
    ErrorEvent(ErrorEventShape),
    /// HTTP 200 with an empty body (llama-cpp-python's server failing).
    Empty200,
    /// A context overflow in this server's words, HTTP 400
    /// (`context:llama|litellm|openai|openrouter|gemini`).
    ContextOverflow(OverflowDialect),
    /// FastAPI's `{"detail": "Invalid API key"}` under this status
    /// (`fastapi-error[:401]`).
    FastApiError(u16),
    /// The generated image's base64 wrapped every 76 characters
    /// (`image-wrapped`), in the URL-safe alphabet (`image-urlsafe`) or
    /// without padding (`image-unpadded`).
    ImageBase64(ImageBase64),
    /// OpenRouter with the user's own provider key: `cost` 0, `is_byok`,
    /// the upstream's cost in `cost_details` (`byok`).
    Byok,
    /// Reasoning tokens counted in usage but no reasoning text sent
    /// (`hidden-reasoning`; with `length:0`, thinking ate the budget).
    HiddenReasoning,
    /// OpenRouter's 404 for a model with no endpoint reading this input
    /// kind: "No endpoints found that support input audio"
    /// (`no-endpoint:audio|video|image|file`, PROTOCOL-MEDIA.md §1.9).
    NoEndpointFor(String),
    /// Google refusing the inline payload, wrapped by OpenRouter: 400
    /// "Request payload size exceeds the limit: 314572800 bytes."
    /// (`payload-limit`, §1.9).
    PayloadLimit,
    /// HTTP 200, the video silently ignored: `video_tokens` 0
    /// (`video-ignored`, §1.1).
    VideoIgnored,
    /// Where a search's sources come (PROTOCOL-MEDIA.md §5.2–5.3), asked
    /// for or not: `web-early` (annotation-only deltas before the text,
    /// offsets 0, one title empty, one URL twice: Exa's), `web-late` (on
    /// the last text delta), `web-choice` (on the choice, beside the
    /// delta), `web-native` (one, real offsets, no content, a $0.01 native
    /// fee counted only as `web_search_requests`). A request asking for
    /// web search gets `web-early` unless another is written.
    Web(WebShape),
    /// OpenRouter's parse of an attached PDF: a `file` annotation with the
    /// answer (`pdf-annotations`, §1.3).
    PdfAnnotations,
    /// This many prompt tokens read from the provider's cache
    /// (`prompt_tokens_details.cached_tokens`, at most the prompt), billed
    /// at the cache-read price (`cached:N`).
    Cached(u64),
}

/// Where the local server puts a search's sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebShape {
    Early,
    Late,
    Choice,
    Native,
}

/// The data of an `event: error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorEventShape {
    /// `{"error": {"message": …}}`
    Error,
    /// `{"message": …}`
    Message,
    /// `{"text": …}`
    Text,
    /// Plain text.
    Plain,
}

/// Whose words a context overflow comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverflowDialect {
    Llama,
    LiteLlm,
    OpenAi,
    OpenRouter,
    Gemini,
}

/// How a generated image's base64 is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageBase64 {
    Wrapped,
    UrlSafe,
    Unpadded,
}

/// What an endless body looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endless {
    Json,
    Error(u16),
    Padding,
}

impl Fault {
    /// Parses a fault name as written in a prompt (`[[fault:429]]`).
    pub fn parse(name: &str) -> Option<Fault> {
        let mut args = name.split(':');
        let head = args.next()?;
        let arg = args.next();
        let arg2 = args.next();
        let num = |a: Option<&str>, d: usize| a.and_then(|a| a.parse().ok()).unwrap_or(d);
        Some(match head {
            "429" => Fault::RateLimitPerMinute {
                retry_after: arg.and_then(|a| a.parse().ok()),
            },
            "429-day" => Fault::RateLimitPerDay,
            "429-upstream" => Fault::RateLimitUpstream,
            "insufficient-quota" => Fault::InsufficientQuota,
            "403-flagged-words" => Fault::FlaggedWords,
            "error-in-200" => Fault::ErrorIn200(num(arg, 400) as u16),
            "google-error-list" => Fault::GoogleErrorList,
            "google-error-flat" => Fault::GoogleFlatInStream,
            "bare-error-line" => Fault::BareErrorLine,
            "midstream-error" => Fault::ErrorMidStream {
                after: num(arg, 3),
                code: num(arg2, 502) as u16,
            },
            "drop" => Fault::DropMidStream { after: num(arg, 3) },
            "drop-early" => Fault::DropBeforeFirstByte,
            "stall" => Fault::Stall {
                after: 2,
                secs: arg.and_then(|a| a.parse().ok()).unwrap_or(5.0),
            },
            "malformed" => Fault::MalformedLine { after: num(arg, 2) },
            "bad-utf8" => Fault::InvalidUtf8,
            "no-usage" => Fault::NoUsage,
            "no-done" => Fault::NoDone,
            "pace" => Fault::Pace(arg.and_then(|a| a.parse().ok()).unwrap_or(20.0)),
            "words" => Fault::WordsPerPiece(num(arg, 1).max(1)),
            "huge" => Fault::HugeLine(num(arg, 10 * 1024 * 1024)),
            "long" => Fault::LongAnswer(num(arg, 20_000)),
            "doc" => Fault::Doc(num(arg, 2_000)),
            "hostile" => Fault::Hostile,
            "json-body" => Fault::JsonBody { sse_label: false },
            "json-body-sse" => Fault::JsonBody { sse_label: true },
            "sse-body" => Fault::SseBody,
            "reasoning-content" => Fault::ReasoningContent,
            "content-parts" => Fault::ContentParts,
            "length" => Fault::Length { after: num(arg, 4) },
            "blocked" => Fault::Blocked {
                native: arg.unwrap_or("SAFETY").to_string(),
                after: num(arg2, 0),
            },
            "empty" => Fault::Empty,
            "crlf" => Fault::Crlf,
            "image-in-text" => Fault::ImageInText,
            "image-part" => Fault::ImagePart,
            "google-usage" => Fault::GoogleUsage,
            "endless-body" => Fault::Endless(Endless::Json),
            "endless-error" => Fault::Endless(Endless::Error(num(arg, 500) as u16)),
            "endless-padding" => Fault::Endless(Endless::Padding),
            "huge-length" => Fault::HugeLength,
            "redirect" => Fault::Redirect(num(arg, 307) as u16),
            "echo-key" => Fault::EchoKey,
            "keepalives" => Fault::KeepAliveForms,
            "delta-and-message" => Fault::DeltaAndMessage,
            "think-tags" => Fault::ThinkTags,
            "error-event" => Fault::ErrorEvent(match arg {
                Some("message") => ErrorEventShape::Message,
                Some("text") => ErrorEventShape::Text,
                Some("plain") => ErrorEventShape::Plain,
                _ => ErrorEventShape::Error,
            }),
            "empty-200" => Fault::Empty200,
            "context" => Fault::ContextOverflow(match arg {
                Some("llama") => OverflowDialect::Llama,
                Some("litellm") => OverflowDialect::LiteLlm,
                Some("openrouter") => OverflowDialect::OpenRouter,
                Some("gemini") => OverflowDialect::Gemini,
                _ => OverflowDialect::OpenAi,
            }),
            "fastapi-error" => Fault::FastApiError(num(arg, 401) as u16),
            "image-wrapped" => Fault::ImageBase64(ImageBase64::Wrapped),
            "image-urlsafe" => Fault::ImageBase64(ImageBase64::UrlSafe),
            "image-unpadded" => Fault::ImageBase64(ImageBase64::Unpadded),
            "byok" => Fault::Byok,
            "hidden-reasoning" => Fault::HiddenReasoning,
            "no-endpoint" => Fault::NoEndpointFor(arg.unwrap_or("audio").to_string()),
            "payload-limit" => Fault::PayloadLimit,
            "video-ignored" => Fault::VideoIgnored,
            "web-early" => Fault::Web(WebShape::Early),
            "web-late" => Fault::Web(WebShape::Late),
            "web-choice" => Fault::Web(WebShape::Choice),
            "web-native" => Fault::Web(WebShape::Native),
            "pdf-annotations" => Fault::PdfAnnotations,
            "cached" => Fault::Cached(num(arg, 1000) as u64),
            name if super::compress::Coding::parse(name).is_some() => {
                Fault::Compressed(super::compress::Coding::parse(name)?)
            }
            s => match s.parse::<u16>() {
                Ok(code) if (400..600).contains(&code) => Fault::Status(code),
                _ => return None,
            },
        })
    }

    /// Every `[[fault:NAME]]` written in `text`.
    pub fn scan(text: &str) -> Vec<Fault> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find("[[fault:") {
            rest = &rest[i + 8..];
            if let Some(end) = rest.find("]]") {
                if let Some(f) = Fault::parse(&rest[..end]) {
                    out.push(f);
                }
                rest = &rest[end..];
            }
        }
        out
    }
}

/// How thinking is written on the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReasoningField {
    /// OpenRouter: `reasoning` and `reasoning_details` with the same text.
    #[default]
    OpenRouter,
    /// `reasoning_content`.
    ReasoningContent,
    /// Thinking parts in `content`.
    Parts,
}

/// Where a generated image goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ImageShape {
    /// `images[]` (OpenRouter).
    #[default]
    Images,
    /// A markdown data-URL image in the text.
    InText,
    /// An `image_url` content part.
    Part,
}

/// How the answer ends, when it does not simply stop.
#[derive(Debug, Clone, PartialEq)]
pub struct Ending {
    pub after: usize,
    pub reason: &'static str,
    pub native: String,
}

/// An error written into a 200 stream before any text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamError {
    Bare,
    GoogleFlat,
}

/// How a set of faults shapes one answer.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub status: Option<Fault>,
    pub error_after: Option<(usize, u16)>,
    pub stream_error: Option<StreamError>,
    pub drop_after: Option<usize>,
    pub drop_early: bool,
    pub stall: Option<(usize, Duration)>,
    pub malformed_after: Option<usize>,
    pub bad_utf8: bool,
    pub no_usage: bool,
    pub no_done: bool,
    pub pace: Option<f64>,
    pub words_per_piece: Option<usize>,
    pub huge: Option<usize>,
    pub long: Option<usize>,
    pub doc: Option<usize>,
    pub hostile: bool,
    /// `Some(sse_label)`: a whole JSON body for a stream request.
    pub json_body: Option<bool>,
    pub sse_body: bool,
    pub reasoning_field: ReasoningField,
    /// Think even when not asked to.
    pub force_reasoning: bool,
    pub content_parts: bool,
    pub ending: Option<Ending>,
    pub empty: bool,
    pub crlf: bool,
    pub image: ImageShape,
    pub google_usage: bool,
    /// Answered by `server::misbehave` instead of as an answer.
    pub misbehave: Option<Fault>,
    pub echo_key: bool,
    pub compressed: Option<super::compress::Coding>,
    pub keep_alive_forms: bool,
    pub delta_and_message: bool,
    pub think_tags: bool,
    pub error_event: Option<ErrorEventShape>,
    pub image_base64: Option<ImageBase64>,
    pub byok: bool,
    pub hidden_reasoning: bool,
    pub video_ignored: bool,
    pub web: Option<WebShape>,
    pub pdf_annotations: bool,
    pub cached: Option<u64>,
}

impl Plan {
    pub fn from_faults(faults: &[Fault]) -> Plan {
        let mut p = Plan::default();
        for f in faults {
            match f {
                Fault::Status(_)
                | Fault::RateLimitPerMinute { .. }
                | Fault::RateLimitPerDay
                | Fault::RateLimitUpstream
                | Fault::InsufficientQuota
                | Fault::FlaggedWords
                | Fault::ErrorIn200(_)
                | Fault::GoogleErrorList
                | Fault::ContextOverflow(_)
                | Fault::FastApiError(_)
                | Fault::NoEndpointFor(_)
                | Fault::PayloadLimit => p.status = Some(f.clone()),
                Fault::VideoIgnored => p.video_ignored = true,
                Fault::Web(w) => p.web = Some(*w),
                Fault::PdfAnnotations => p.pdf_annotations = true,
                Fault::Cached(n) => p.cached = Some(*n),
                Fault::GoogleFlatInStream => p.stream_error = Some(StreamError::GoogleFlat),
                Fault::BareErrorLine => p.stream_error = Some(StreamError::Bare),
                Fault::ErrorMidStream { after, code } => p.error_after = Some((*after, *code)),
                Fault::DropMidStream { after } => p.drop_after = Some(*after),
                Fault::DropBeforeFirstByte => p.drop_early = true,
                Fault::Stall { after, secs } => {
                    p.stall = Some((*after, Duration::from_secs_f64(secs.max(0.0))))
                }
                Fault::MalformedLine { after } => p.malformed_after = Some(*after),
                Fault::InvalidUtf8 => p.bad_utf8 = true,
                Fault::NoUsage => p.no_usage = true,
                Fault::NoDone => p.no_done = true,
                Fault::Pace(t) => p.pace = Some(*t),
                Fault::WordsPerPiece(n) => p.words_per_piece = Some(*n),
                Fault::HugeLine(n) => p.huge = Some(*n),
                Fault::LongAnswer(n) => p.long = Some(*n),
                Fault::Doc(n) => p.doc = Some(*n),
                Fault::Hostile => p.hostile = true,
                Fault::JsonBody { sse_label } => p.json_body = Some(*sse_label),
                Fault::SseBody => p.sse_body = true,
                Fault::ReasoningContent => {
                    p.reasoning_field = ReasoningField::ReasoningContent;
                    p.force_reasoning = true;
                }
                Fault::ContentParts => {
                    p.content_parts = true;
                    p.reasoning_field = ReasoningField::Parts;
                }
                Fault::Length { after } => {
                    p.ending = Some(Ending {
                        after: *after,
                        reason: "length",
                        native: "MAX_TOKENS".into(),
                    })
                }
                Fault::Blocked { native, after } => {
                    p.ending = Some(Ending {
                        after: *after,
                        reason: "content_filter",
                        native: native.clone(),
                    })
                }
                Fault::Empty => p.empty = true,
                Fault::Crlf => p.crlf = true,
                Fault::ImageInText => p.image = ImageShape::InText,
                Fault::ImagePart => p.image = ImageShape::Part,
                Fault::GoogleUsage => p.google_usage = true,
                Fault::Endless(_) | Fault::HugeLength | Fault::Redirect(_) | Fault::Empty200 => {
                    p.misbehave = Some(f.clone())
                }
                Fault::KeepAliveForms => p.keep_alive_forms = true,
                Fault::DeltaAndMessage => p.delta_and_message = true,
                Fault::ThinkTags => {
                    p.think_tags = true;
                    p.force_reasoning = true;
                }
                Fault::ErrorEvent(shape) => p.error_event = Some(*shape),
                Fault::ImageBase64(b) => p.image_base64 = Some(*b),
                Fault::Byok => p.byok = true,
                Fault::HiddenReasoning => {
                    p.hidden_reasoning = true;
                    p.force_reasoning = true;
                }
                Fault::EchoKey => p.echo_key = true,
                Fault::Compressed(c) => p.compressed = Some(*c),
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_directives_parse() {
        assert_eq!(
            Fault::scan("hi [[fault:429:2]] and [[fault:drop]] [[fault:nope]]"),
            vec![
                Fault::RateLimitPerMinute {
                    retry_after: Some(2)
                },
                Fault::DropMidStream { after: 3 }
            ]
        );
        assert_eq!(Fault::parse("503"), Some(Fault::Status(503)));
        assert_eq!(Fault::parse("long:100"), Some(Fault::LongAnswer(100)));
        assert_eq!(
            Fault::parse("midstream-error:0:429"),
            Some(Fault::ErrorMidStream {
                after: 0,
                code: 429
            })
        );
        assert_eq!(
            Fault::parse("blocked:RECITATION:2"),
            Some(Fault::Blocked {
                native: "RECITATION".into(),
                after: 2
            })
        );
    }
}
