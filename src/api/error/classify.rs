//! Classifying a failure into an `ApiError` kind: structured fields first,
//! then the HTTP status, and the provider's words only last.

use std::time::Duration;

use serde_json::Value;

use super::ApiError;
use super::provider_message::{parse_error_body, readable_message, status_text};
use super::rate_limit::{LimitScope, RateHeaders, RateLimit};
use crate::api::types::{ErrorCode, WireError};

impl ApiError {
    /// Classifies an HTTP error response from its status, rate-limit headers
    /// and body, whatever shape the body has (OpenRouter, OpenAI, AI/ML API,
    /// Google's object, flat or in a list).
    pub fn from_response(status: u16, headers: &RateHeaders, body: &str) -> ApiError {
        let wire = parse_error_body(body).unwrap_or_else(|| WireError {
            message: if body.trim().is_empty() {
                status_text(status).to_string()
            } else {
                crate::text::preview(body, 200)
            },
            ..WireError::default()
        });
        ApiError::from_wire(status, &wire, Some(headers))
    }

    /// Classifies an error object: from a response body, an HTTP 200 body, or
    /// a chunk mid-stream (where `code` may be a string like "server_error").
    /// Structured fields decide first (OpenRouter's `metadata.error_type`,
    /// OpenAI's `code` and `type`, Google's `status`, moderation metadata),
    /// then the status code, and the provider's words only last.
    pub fn from_wire(http_status: u16, err: &WireError, headers: Option<&RateHeaders>) -> ApiError {
        let meta = err.metadata.as_ref();
        let named = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_str);
        let code_text = match &err.code {
            Some(ErrorCode::Text(t)) => Some(t.as_str()),
            _ => None,
        };
        let code_number = match &err.code {
            Some(ErrorCode::Number(n)) => Some(*n),
            Some(ErrorCode::Text(t)) => t.trim().parse().ok(),
            None => None,
        }
        .filter(|n| (100..600).contains(n))
        .map(|n| n as u16);
        // Under HTTP 200 (a body or a stream event), the error's own fields
        // give the status; when none does, it is unknown (0), not made up.
        let status = if (200..300).contains(&http_status) {
            code_number
                .or_else(|| err.status.as_deref().and_then(google_status_code))
                .unwrap_or(0)
        } else {
            http_status
        };
        let message = readable_message(err);
        let provider = named("provider_name").map(str::to_string);
        let flagged =
            meta.is_some_and(|m| m.get("reasons").is_some() || m.get("flagged_input").is_some());

        let structured = [
            named("error_type"),
            code_text,
            err.kind.as_deref(),
            err.status.as_deref(),
        ]
        .into_iter()
        .flatten()
        .find_map(category)
        .or(flagged.then_some(Category::Moderation));
        let category = match structured {
            Some(c) if c != Category::Invalid => c,
            _ => match status {
                429 => Category::RateLimited,
                401 => Category::Auth,
                402 => Category::Credits,
                403 => by_words_403(&message),
                404 => Category::NotFound,
                408 => Category::Timeout,
                413 => Category::TooLarge,
                400..=499 => Category::Invalid,
                _ => Category::Upstream,
            },
        };
        let category = match category {
            // "Invalid" with words that say what is wrong.
            Category::Invalid => by_words(&message).unwrap_or(Category::Invalid),
            // A context overflow is said in many dialects, under many
            // statuses (llama-server 400, LiteLLM 400, an event in a 200).
            _ if structured.is_none() && by_words(&message) == Some(Category::ContextTooLong) => {
                Category::ContextTooLong
            }
            c => c,
        };
        match category {
            Category::RateLimited => ApiError::RateLimited(rate_limit(message, meta, headers)),
            Category::Credits => ApiError::Credits { status, message },
            Category::Auth => ApiError::Auth { status, message },
            Category::Moderation => ApiError::Moderation {
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
            Category::NotFound => match input_not_read(&message) {
                Some(kind) => ApiError::InputNotRead {
                    status,
                    kind: kind.to_string(),
                    message,
                },
                None => ApiError::NotFound { status, message },
            },
            Category::ContextTooLong => ApiError::ContextTooLong { status, message },
            Category::TooLarge => ApiError::TooLarge { status, message },
            Category::Timeout => {
                ApiError::Timeout(format!("the provider timed out ({status}): {message}"))
            }
            Category::Invalid => ApiError::BadRequest { status, message },
            Category::Upstream => ApiError::Upstream {
                status: if (500..600).contains(&status) || status == 0 {
                    status
                } else {
                    502
                },
                message,
                provider,
            },
        }
    }
}

/// Kinds of failure, as the structured fields name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    RateLimited,
    Credits,
    Auth,
    Moderation,
    NotFound,
    ContextTooLong,
    TooLarge,
    Timeout,
    /// A bad request of no more specific kind.
    Invalid,
    Upstream,
}

/// OpenRouter's `error_type` (PROTOCOL.md §3.3), OpenAI's `code` and `type`,
/// and Google's `status` names.
fn category(name: &str) -> Option<Category> {
    Some(match name {
        "rate_limit_exceeded" | "rate_limit_error" | "RESOURCE_EXHAUSTED" | "too_many_requests" => {
            Category::RateLimited
        }
        "insufficient_quota"
        | "payment_required"
        | "billing_hard_limit_reached"
        | "insufficient_credits"
        | "billing_not_active" => Category::Credits,
        "authentication"
        | "authentication_error"
        | "invalid_api_key"
        | "UNAUTHENTICATED"
        | "permission_denied"
        | "permission_error"
        | "PERMISSION_DENIED" => Category::Auth,
        "content_policy_violation"
        | "content_filter"
        | "moderation"
        | "refusal"
        | "invalid_prompt"
        | "guardrail" => Category::Moderation,
        "model_not_found" | "not_found_error" | "NOT_FOUND" => Category::NotFound,
        "context_length_exceeded"
        | "string_above_max_length"
        | "exceed_context_size_error"
        | "ContextWindowExceededError"
        | "context_window_exceeded" => Category::ContextTooLong,
        "image_too_large" | "request_too_large" | "payload_too_large" => Category::TooLarge,
        "timeout" | "DEADLINE_EXCEEDED" => Category::Timeout,
        "provider_overloaded"
        | "provider_unavailable"
        | "server"
        | "server_error"
        | "api_error"
        | "overloaded_error"
        | "UNAVAILABLE"
        | "INTERNAL" => Category::Upstream,
        "invalid_request"
        | "invalid_request_error"
        | "INVALID_ARGUMENT"
        | "FAILED_PRECONDITION"
        | "max_tokens_exceeded"
        | "invalid_image"
        | "unsupported_image_format"
        | "image_download_failed" => Category::Invalid,
        _ => return None,
    })
}

/// The HTTP status a Google status name stands for (under an HTTP 200).
fn google_status_code(name: &str) -> Option<u16> {
    Some(match name {
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => 400,
        "UNAUTHENTICATED" => 401,
        "PERMISSION_DENIED" => 403,
        "NOT_FOUND" => 404,
        "RESOURCE_EXHAUSTED" => 429,
        "INTERNAL" | "UNKNOWN" | "DATA_LOSS" => 500,
        "UNAVAILABLE" => 503,
        "DEADLINE_EXCEEDED" => 504,
        _ => return None,
    })
}

/// The words, when nothing structured said: only for what they make clear.
/// What "No endpoints found that support input audio" (or "… image
/// input") says no endpoint reads, in a user's words.
fn input_not_read(message: &str) -> Option<&'static str> {
    let lower = message.to_lowercase();
    let rest = &lower[lower.find("no endpoints found that support")? + 31..];
    if rest.contains("output modalit") {
        return None;
    }
    [
        ("audio", "audio"),
        ("video", "video"),
        ("image", "images"),
        ("file", "PDFs"),
        ("pdf", "PDFs"),
    ]
    .into_iter()
    .find(|(w, _)| rest.contains(w))
    .map(|(_, k)| k)
}

fn by_words(message: &str) -> Option<Category> {
    let lower = message.to_lowercase();
    // Gemini refusing the inline payload (PROTOCOL-MEDIA.md §1.9), and the
    // gateways' "Request Entity Too Large".
    if lower.contains("payload size exceeds") || lower.contains("entity too large") {
        return Some(Category::TooLarge);
    }
    let context = [
        "context length",
        "context window",
        "too many tokens",
        "maximum context",
        // llama-server: "the request exceeds the available context size"
        "context size",
        // LiteLLM: "litellm.ContextWindowExceededError: …"
        "contextwindowexceeded",
        // OpenRouter: "… or use the \"middle-out\" transform to compress"
        "middle-out",
        // Gemini: "The input token count (1234567) exceeds the maximum …"
        "input token count",
        "prompt is too long",
    ];
    if context.iter().any(|w| lower.contains(w)) {
        Some(Category::ContextTooLong)
    } else if lower.contains("api key not valid") || lower.contains("invalid api key") {
        Some(Category::Auth)
    } else {
        None
    }
}

/// A 403 with nothing structured: OpenRouter says it for flagged input, a
/// guardrail or a region block (PROTOCOL.md §3.2), AI/ML API for an empty
/// balance. Flagging words win over the word "credits" ("flagged … No
/// credits were charged").
fn by_words_403(message: &str) -> Category {
    let lower = message.to_lowercase();
    if lower.contains("flagged") || lower.contains("moderat") || lower.contains("policy") {
        Category::Moderation
    } else if lower.contains("credit") || lower.contains("balance") || lower.contains("quota") {
        Category::Credits
    } else {
        by_words(message).unwrap_or(Category::Moderation)
    }
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
        || lower.contains("perday")
        || lower.contains("limit_rpd")
    {
        LimitScope::PerDay
    } else if lower.contains("per-min")
        || lower.contains("per_min")
        || lower.contains("perminute")
        || lower.contains("limit_rpm")
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
            ..WireError::default()
        };
        assert_eq!(ApiError::from_wire(200, &w, None).kind(), "upstream");
    }
}
