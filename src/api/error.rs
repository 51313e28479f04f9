//! Typed API errors (PROTOCOL.md §3, §6, §7). Each carries the provider's own
//! words; `Display` is one line that says what happened and what to do next.

use std::time::Duration;

use serde_json::Value;

use super::types::{ErrorCode, WireError};

/// Which limit a 429 hit: it decides whether waiting helps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitScope {
    /// Free-model or per-model requests per minute: wait and retry.
    PerMinute,
    /// Requests per day: waiting minutes does not help; never retried.
    PerDay,
    /// The upstream provider throttled us: retry after a few seconds.
    Upstream,
    /// No hint which; treated like a per-minute limit.
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RateLimit {
    pub scope: LimitScope,
    pub message: String,
    /// From the `Retry-After` header (seconds).
    pub retry_after: Option<Duration>,
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset`, epoch milliseconds.
    pub reset_ms: Option<u64>,
}

impl RateLimit {
    /// How long to wait before retrying, given the time now (epoch ms).
    /// Retry-After wins, then the reset time; otherwise a minute for a
    /// per-minute limit and a few seconds for an upstream one.
    pub fn wait(&self, now_ms: u64) -> Duration {
        if let Some(d) = self.retry_after {
            return d;
        }
        if let Some(reset) = self.reset_ms {
            return Duration::from_millis(reset.saturating_sub(now_ms))
                .min(Duration::from_secs(65));
        }
        match self.scope {
            LimitScope::Upstream => Duration::from_secs(5),
            _ => Duration::from_secs(60),
        }
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.scope {
            LimitScope::PerDay => write!(
                f,
                "daily request limit reached: {} (switch to the paid model or add credits)",
                self.message
            ),
            LimitScope::Upstream => write!(f, "rate limited upstream: {}", self.message),
            LimitScope::PerMinute | LimitScope::Unknown => {
                write!(f, "rate limited: {}", self.message)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("authentication failed ({status}): {message} (check the API key)")]
    Auth { status: u16, message: String },
    #[error("out of credits ({status}): {message} (add credits or choose a free model)")]
    Credits { status: u16, message: String },
    #[error("blocked by moderation ({status}): {message}")]
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
    #[error("the request is too large ({status}): {message} (attach fewer or smaller images)")]
    TooLarge { status: u16, message: String },
    #[error("{0}")]
    RateLimited(RateLimit),
    #[error("the provider failed ({status}): {message}")]
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
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Upstream { .. } => "upstream",
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::Timeout(_) => "timeout",
            ApiError::Network(_) => "network",
            ApiError::Decode(_) => "decode",
            ApiError::Refused(_) => "refused",
        }
    }

    /// Classifies an HTTP error response from its status, rate-limit headers
    /// and body, whatever shape the body has (OpenRouter, AI/ML API, Google).
    pub fn from_response(status: u16, headers: &RateHeaders, body: &str) -> ApiError {
        let wire = parse_error_body(body).unwrap_or_else(|| WireError {
            code: None,
            message: if body.trim().is_empty() {
                status_text(status).to_string()
            } else {
                crate::text::preview(body, 200)
            },
            metadata: None,
        });
        ApiError::from_wire(status, &wire, Some(headers))
    }

    /// Classifies an error object: from a response body, an HTTP 200 body, or
    /// a chunk mid-stream (where `code` may be a string like "server_error").
    pub fn from_wire(http_status: u16, err: &WireError, headers: Option<&RateHeaders>) -> ApiError {
        let status = match &err.code {
            Some(ErrorCode::Number(n)) if (100..600).contains(n) && http_status == 200 => *n as u16,
            Some(ErrorCode::Text(t)) if http_status == 200 => t.parse().unwrap_or(502),
            _ => http_status,
        };
        let meta = err.metadata.as_ref();
        let message = readable_message(err);
        let error_type = meta
            .and_then(|m| m.get("error_type"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let lower = message.to_lowercase();
        let provider = meta
            .and_then(|m| m.get("provider_name"))
            .and_then(Value::as_str)
            .map(str::to_string);

        if status == 429 || error_type == "rate_limit_exceeded" {
            return ApiError::RateLimited(rate_limit(message, meta, headers));
        }
        if error_type == "context_length_exceeded"
            || lower.contains("context length")
            || lower.contains("context window")
            || lower.contains("too many tokens")
        {
            return ApiError::ContextTooLong { status, message };
        }
        match status {
            401 => ApiError::Auth { status, message },
            402 => ApiError::Credits { status, message },
            // AI/ML API answers 403 for an empty balance (OpenRouter uses 402).
            403 if lower.contains("credit") => ApiError::Credits { status, message },
            403 => ApiError::Moderation {
                status,
                reasons: meta
                    .and_then(|m| m.get("reasons"))
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                message,
            },
            404 => ApiError::NotFound { status, message },
            408 => ApiError::Timeout(format!("the provider timed out (408): {message}")),
            413 => ApiError::TooLarge { status, message },
            400..=499 => ApiError::BadRequest { status, message },
            _ => ApiError::Upstream {
                status,
                message,
                provider,
            },
        }
    }
}

/// The rate-limit headers of a response, as text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateHeaders {
    pub retry_after: Option<String>,
    pub limit: Option<String>,
    pub remaining: Option<String>,
    pub reset: Option<String>,
}

impl RateHeaders {
    pub fn from_map(h: &reqwest::header::HeaderMap) -> RateHeaders {
        let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
        RateHeaders {
            retry_after: get("retry-after"),
            limit: get("x-ratelimit-limit"),
            remaining: get("x-ratelimit-remaining"),
            reset: get("x-ratelimit-reset"),
        }
    }
}

fn status_text(status: u16) -> &'static str {
    match status {
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "HTTP error",
    }
}

/// Finds the error object in any of the shapes seen: `{"error":{…}}`,
/// `[{"error":{…}}]` (Google), or AI/ML API's flat `{"message","statusCode"}`.
fn parse_error_body(body: &str) -> Option<WireError> {
    let v: Value = serde_json::from_str(body.trim_start()).ok()?;
    let v = match v {
        Value::Array(mut a) if !a.is_empty() => a.swap_remove(0),
        other => other,
    };
    if let Some(e) = v.get("error") {
        if let Ok(w) = serde_json::from_value::<WireError>(e.clone()) {
            return Some(w);
        }
        if let Some(s) = e.as_str() {
            return Some(WireError {
                message: s.to_string(),
                ..WireError::default()
            });
        }
    }
    let message = v.get("message").and_then(Value::as_str)?;
    let code = v
        .get("statusCode")
        .and_then(|c| c.as_i64().or_else(|| c.as_str()?.parse().ok()))
        .map(ErrorCode::Number);
    Some(WireError {
        code,
        message: message.to_string(),
        metadata: None,
    })
}

/// The provider's own words. `metadata.raw` holds the upstream's error, as a
/// plain string or as JSON inside a string; when the top message is the
/// generic "Provider returned error", the raw one is what the user needs.
fn readable_message(err: &WireError) -> String {
    let top = err.message.trim();
    let raw = err
        .metadata
        .as_ref()
        .and_then(|m| m.get("raw"))
        .and_then(raw_message);
    let msg = match raw {
        Some(r) if top.is_empty() || top == "Provider returned error" => r,
        Some(r) if r != top => format!("{top}: {r}"),
        _ if top.is_empty() => "no message".to_string(),
        _ => top.to_string(),
    };
    crate::text::preview(&msg, 300)
}

fn raw_message(raw: &Value) -> Option<String> {
    match raw {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(inner @ (Value::Object(_) | Value::Array(_))) => {
                message_in(&inner).or_else(|| Some(s.clone()))
            }
            _ => Some(s.clone()),
        },
        Value::Object(_) | Value::Array(_) => message_in(raw),
        _ => None,
    }
}

fn message_in(v: &Value) -> Option<String> {
    let v = match v {
        Value::Array(a) => a.first()?,
        v => v,
    };
    v.pointer("/error/message")
        .or_else(|| v.get("message"))
        .or_else(|| v.get("error").filter(|e| e.is_string()))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn rate_limit(message: String, meta: Option<&Value>, headers: Option<&RateHeaders>) -> RateLimit {
    let body_headers = meta.and_then(|m| m.get("headers"));
    let body_get = |k: &str| {
        body_headers.and_then(|h| h.get(k)).and_then(|v| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| Some(v.to_string()))
        })
    };
    let pick = |from_http: Option<&String>, k: &str| -> Option<u64> {
        from_http
            .cloned()
            .or_else(|| body_get(k))
            .and_then(|s| s.trim().parse::<f64>().ok())
            .map(|f| f as u64)
    };
    let limit = pick(headers.and_then(|h| h.limit.as_ref()), "X-RateLimit-Limit");
    let remaining = pick(
        headers.and_then(|h| h.remaining.as_ref()),
        "X-RateLimit-Remaining",
    );
    let reset_ms = pick(headers.and_then(|h| h.reset.as_ref()), "X-RateLimit-Reset");
    let retry_after = headers
        .and_then(|h| h.retry_after.as_ref())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(Duration::from_secs);

    let lower = message.to_lowercase();
    let has_raw = meta.and_then(|m| m.get("raw")).is_some();
    let scope = if lower.contains("per-day")
        || lower.contains("per_day")
        || lower.contains("limit_rpd")
    {
        LimitScope::PerDay
    } else if lower.contains("per-min") || lower.contains("per_min") || lower.contains("limit_rpm")
    {
        LimitScope::PerMinute
    } else if has_raw || lower.contains("upstream") {
        LimitScope::Upstream
    } else {
        LimitScope::Unknown
    };
    RateLimit {
        scope,
        message,
        retry_after,
        limit,
        remaining,
        reset_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(status: u16, body: &str) -> ApiError {
        ApiError::from_response(status, &RateHeaders::default(), body)
    }

    #[test]
    fn per_day_limit_is_read_from_the_body_and_not_retried() {
        let body = r#"{"error":{"message":"Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day","code":429,"metadata":{"headers":{"X-RateLimit-Limit":"50","X-RateLimit-Remaining":"0","X-RateLimit-Reset":"1752710400000"},"provider_name":null}},"user_id":"user_2xYz"}"#;
        let ApiError::RateLimited(r) = classify(429, body) else {
            panic!("not a rate limit")
        };
        assert_eq!(r.scope, LimitScope::PerDay);
        assert_eq!(
            (r.limit, r.remaining, r.reset_ms),
            (Some(50), Some(0), Some(1752710400000))
        );
        assert!(!ApiError::RateLimited(r).is_retryable());
    }

    #[test]
    fn per_minute_limit_waits_for_retry_after_or_reset() {
        let body = r#"{"error":{"message":"Rate limit exceeded: free-models-per-min.","code":429,"metadata":{"headers":{"X-RateLimit-Reset":"1000030000"}}}}"#;
        let ApiError::RateLimited(r) = classify(429, body) else {
            panic!()
        };
        assert_eq!(r.scope, LimitScope::PerMinute);
        assert_eq!(r.wait(1_000_000_000), Duration::from_secs(30));
        let h = RateHeaders {
            retry_after: Some("7".into()),
            ..RateHeaders::default()
        };
        let ApiError::RateLimited(r) = ApiError::from_response(429, &h, body) else {
            panic!()
        };
        assert_eq!(r.wait(0), Duration::from_secs(7));
    }

    #[test]
    fn raw_json_in_a_string_is_parsed_twice() {
        let body = r#"{"error":{"message":"Provider returned error","code":403,"metadata":{"raw":"{\"error\":{\"message\":\"unsupported_country_region_territory\"}}","provider_name":"OpenAI"}}}"#;
        match classify(403, body) {
            ApiError::Moderation { message, .. } => {
                assert_eq!(message, "unsupported_country_region_territory")
            }
            e => panic!("{e:?}"),
        }
        let up = r#"{"error":{"message":"Provider returned error","code":429,"metadata":{"raw":"google/gemini-2.5-flash-image-preview:free is temporarily rate-limited upstream.","provider_name":"Google AI Studio"}}}"#;
        let ApiError::RateLimited(r) = classify(429, up) else {
            panic!()
        };
        assert_eq!(r.scope, LimitScope::Upstream);
        assert!(r.message.contains("temporarily rate-limited upstream"));
    }

    #[test]
    fn each_status_maps_to_its_kind() {
        let b = |m: &str| format!(r#"{{"error":{{"code":0,"message":"{m}"}}}}"#);
        assert_eq!(
            classify(401, &b("No auth credentials found")).kind(),
            "auth"
        );
        assert_eq!(classify(402, &b("Insufficient credits")).kind(), "credits");
        assert_eq!(
            classify(404, &b("No endpoints found for x.")).kind(),
            "not_found"
        );
        assert_eq!(
            classify(
                400,
                &b("This endpoint's maximum context length is 8192 tokens")
            )
            .kind(),
            "context_too_long"
        );
        assert_eq!(classify(413, &b("too big")).kind(), "too_large");
        assert_eq!(classify(400, &b("bad")).kind(), "bad_request");
        let e = classify(502, &b("Provider returned error"));
        assert_eq!(e.kind(), "upstream");
        assert!(e.is_retryable());
        assert!(!classify(400, &b("bad")).is_retryable());
        assert_eq!(
            classify(500, "<html>oops</html>").to_string(),
            "the provider failed (500): <html>oops</html>"
        );
        assert_eq!(
            classify(503, "").to_string(),
            "the provider failed (503): Service Unavailable"
        );
    }

    #[test]
    fn aiml_and_google_shapes() {
        let aiml = r#"{"message":"You've run out of credits","path":"/v1/chat/completions","requestId":"x","statusCode":"403","timestamp":"2025-03-11T07:13:27.813Z"}"#;
        assert_eq!(classify(403, aiml).kind(), "credits");
        let google = r#"[{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}]"#;
        let e = classify(400, google);
        assert!(e.to_string().contains("API key not valid"), "{e}");
    }

    #[test]
    fn mid_stream_string_codes() {
        let w = WireError {
            code: Some(ErrorCode::Text("server_error".into())),
            message: "Upstream connection closed".into(),
            metadata: None,
        };
        assert_eq!(ApiError::from_wire(200, &w, None).kind(), "upstream");
    }
}
