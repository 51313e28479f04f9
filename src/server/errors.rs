//! Error responses of the local server: OpenRouter's `{"error":{…}}` for each
//! status it scripts (PROTOCOL.md §3), and the other shapes real servers use
//! (OpenAI's `insufficient_quota`, Google's list, an error under HTTP 200).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::faults::Fault;

/// OpenRouter's error body with `status` as the HTTP status.
pub fn error_response(
    status: u16,
    message: &str,
    metadata: Option<serde_json::Value>,
    extra_headers: Option<Vec<(&'static str, String)>>,
) -> Response {
    let mut err = json!({"code": status, "message": message});
    if let Some(m) = metadata {
        err["metadata"] = m;
    }
    let body = json!({"error": err, "user_id": "user_local"}).to_string();
    with_status(status, body, extra_headers.unwrap_or_default())
}

fn with_status(status: u16, body: String, headers: Vec<(&'static str, String)>) -> Response {
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [("content-type", "application/json")],
        body,
    )
        .into_response();
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

/// The message and metadata OpenRouter sends with each status.
fn status_words(code: u16, model: &str) -> (&'static str, Option<serde_json::Value>) {
    match code {
        401 => ("No auth credentials found", None),
        402 => (
            "Insufficient credits. Add more using https://openrouter.ai/credits",
            None,
        ),
        403 => (
            "Your input was flagged by the moderation system. No credits were charged.",
            Some(
                json!({"reasons": ["harassment"], "flagged_input": "…", "provider_name": "Local", "model_slug": model}),
            ),
        ),
        404 => ("No endpoints found for this model.", None),
        408 => ("Request timed out", None),
        413 => ("Payload too large", None),
        500 => ("Internal Server Error", None),
        502 => (
            "Provider returned error",
            Some(
                json!({"provider_name": "Local", "raw": "{\"error\":{\"message\":\"upstream model is overloaded\"}}"}),
            ),
        ),
        503 => (
            "No available providers satisfy the routing constraints",
            None,
        ),
        _ => ("Scripted error", None),
    }
}

/// The response for a fault that answers before any stream.
pub fn status_fault_response(f: &Fault, model: &str) -> Response {
    let now_ms = crate::api::client::now_ms();
    match f {
        Fault::Status(code) => {
            let (msg, meta) = status_words(*code, model);
            error_response(*code, msg, meta, None)
        }
        Fault::RateLimitPerMinute { retry_after } => {
            let reset = now_ms + retry_after.unwrap_or(60) * 1000;
            let mut headers = vec![
                ("x-ratelimit-limit", "1".to_string()),
                ("x-ratelimit-remaining", "0".to_string()),
                ("x-ratelimit-reset", reset.to_string()),
            ];
            if let Some(s) = retry_after {
                headers.push(("retry-after", s.to_string()));
            }
            error_response(
                429,
                "Rate limit exceeded: free-models-per-min.",
                Some(
                    json!({"headers": {"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset.to_string()}, "provider_name": null}),
                ),
                Some(headers),
            )
        }
        Fault::RateLimitPerDay => error_response(
            429,
            "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day",
            Some(
                json!({"headers": {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": (now_ms + 86_400_000).to_string()}, "provider_name": null}),
            ),
            None,
        ),
        Fault::InsufficientQuota => with_status(
            429,
            json!({"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}).to_string(),
            Vec::new(),
        ),
        Fault::FlaggedWords => with_status(
            403,
            json!({"error": {"code": 403, "message": "Your input was flagged by moderation. No credits were charged."}}).to_string(),
            Vec::new(),
        ),
        Fault::ErrorIn200(code) => {
            let (msg, meta) = status_words(*code, model);
            let mut err = json!({"code": code, "message": msg});
            if let Some(m) = meta {
                err["metadata"] = m;
            }
            // Padded like a whole answer, as OpenRouter pads while it works.
            let body = format!("\n   \n{}", json!({"error": err, "user_id": "user_local"}));
            with_status(200, body, Vec::new())
        }
        Fault::GoogleErrorList => with_status(
            429,
            json!([{"error": {"code": 429, "message": "You exceeded your current quota. Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 50, quota id GenerateRequestsPerDayPerProjectPerModel-FreeTier", "status": "RESOURCE_EXHAUSTED"}}]).to_string(),
            Vec::new(),
        ),
        _ => error_response(
            429,
            "Provider returned error",
            Some(
                json!({"raw": format!("{model} is temporarily rate-limited upstream. Please retry shortly."), "provider_name": "Local"}),
            ),
            None,
        ),
    }
}
