//! Typed API errors (PROTOCOL.md §3, §6, §7). Each carries the provider's own
//! words; `Display` is one line that says what happened and what to do next.

mod classify;
mod provider_message;
mod rate_limit;

pub use provider_message::loose_error;
pub use rate_limit::{LimitScope, RateHeaders, RateLimit};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("authentication failed ({status}): {message} (check the API key)")]
    Auth { status: u16, message: String },
    #[error("out of credits ({status}): {message} (add credits or choose a free model)")]
    Credits { status: u16, message: String },
    #[error("blocked by moderation ({status}): {message} (rephrase, or try another model)")]
    Moderation {
        status: u16,
        message: String,
        reasons: Vec<String>,
    },
    #[error("model not available ({status}): {message} (choose another model)")]
    NotFound { status: u16, message: String },
    #[error(
        "the conversation is too long for this model: {message} (start a new one or pick a model with a larger context)"
    )]
    ContextTooLong { status: u16, message: String },
    #[error(
        "the file is too large for the provider ({status}): {message} (attach a smaller file, or fewer)"
    )]
    TooLarge { status: u16, message: String },
    /// OpenRouter's 404 "No endpoints found that support input audio"
    /// (PROTOCOL-MEDIA.md §1.9): `kind` is what no endpoint reads
    /// (`audio`, `video`, `image`, `file`).
    #[error(
        "no provider for this model reads {kind} ({status}): {message} (choose a model that does, or /detach it)"
    )]
    InputNotRead {
        status: u16,
        kind: String,
        message: String,
    },
    #[error("{0}")]
    RateLimited(RateLimit),
    /// `status` 0: nothing in the error said which (an error event in a
    /// stream that gave no code); none is made up.
    #[error("the provider failed{}: {message}", in_parens(*status))]
    Upstream {
        status: u16,
        message: String,
        provider: Option<String>,
    },
    #[error("bad request ({status}): {message}")]
    BadRequest { status: u16, message: String },
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("network error: {0}")]
    Network(String),
    #[error("could not read the answer: {0}")]
    Decode(String),
    #[error("refused: {0}")]
    Refused(String),
    /// HTTP 200 and a body with no event in it: llama-cpp-python's server
    /// answers a request it failed this way (a context overflow, an image
    /// it cannot read). Trying again gets the same.
    #[error("the server sent an empty answer — it probably failed; its log says why")]
    EmptyBody,
}

/// " (502)", or nothing for status 0 (unknown).
fn in_parens(status: u16) -> String {
    if status == 0 {
        String::new()
    } else {
        format!(" ({status})")
    }
}

impl ApiError {
    /// Whether trying again may help (only ever before the answer's first byte).
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::RateLimited(r) => r.scope != LimitScope::PerDay,
            ApiError::Upstream { status, .. } => {
                matches!(status, 408 | 500 | 502 | 503 | 504 | 520..=529)
            }
            ApiError::Timeout(_) | ApiError::Network(_) => true,
            _ => false,
        }
    }

    /// A short name for the kind of failure, for logs and `--json`.
    pub fn kind(&self) -> &'static str {
        match self {
            ApiError::Auth { .. } => "auth",
            ApiError::Credits { .. } => "credits",
            ApiError::Moderation { .. } => "moderation",
            ApiError::NotFound { .. } => "not_found",
            ApiError::ContextTooLong { .. } => "context_too_long",
            ApiError::TooLarge { .. } => "too_large",
            ApiError::InputNotRead { .. } => "input_not_read",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Upstream { .. } => "upstream",
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::Timeout(_) => "timeout",
            ApiError::Network(_) => "network",
            ApiError::Decode(_) => "decode",
            ApiError::Refused(_) => "refused",
            ApiError::EmptyBody => "empty_body",
        }
    }
}
