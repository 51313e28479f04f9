//! Error responses of the local server: OpenRouter's `{"error":{…}}` for each
//! status it scripts (PROTOCOL.md §3), and the other shapes real servers use
//! (OpenAI's `insufficient_quota`, Google's list, an error under HTTP 200).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::faults::Fault;

/// A context overflow as each server words it (HTTP 400).
fn overflow(d: super::faults::OverflowDialect, model: &str) -> Response {
    use super::faults::OverflowDialect as D;
    let body = match d {
        // llama.cpp's server (tools/server/server.cpp).
        D::Llama => {
            json!({"error": {"code": 400, "message": "the request exceeds the available context size, try increasing it",
            "type": "exceed_context_size_error", "n_prompt_tokens": 9000, "n_ctx": 8192}})
        }
        // LiteLLM's proxy in front of any of them.
        D::LiteLlm => {
            json!({"error": {"message": format!("litellm.ContextWindowExceededError: litellm.BadRequestError: ContextWindowExceededError: OpenAIException - This model's maximum context length is 8192 tokens. Received 9000 tokens. model={model}"),
            "type": null, "param": null, "code": "400"}})
        }
        D::OpenAi => {
            json!({"error": {"message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.",
            "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}})
        }
        D::OpenRouter => {
            json!({"error": {"code": 400, "message": "This endpoint's maximum context length is 1048576 tokens. However, you requested about 1100000 tokens (1100000 of text input). Please reduce the length of either one, or use the \"middle-out\" transform to compress your prompt automatically.",
            "metadata": {"provider_name": null}}})
        }
        D::Gemini => {
            json!([{"error": {"code": 400, "message": "The input token count (1100000) exceeds the maximum number of tokens allowed (1048576).",
            "status": "INVALID_ARGUMENT"}}])
        }
    };
    with_status(400, body.to_string(), Vec::new())
}

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
        413 => (
            "Payload too large",
            Some(json!({"error_type": "payload_too_large"})),
        ),
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
        Fault::NoEndpointFor(kind) => error_response(
            404,
            &match kind.as_str() {
                "image" => "No endpoints found that support image input".to_string(),
                k => format!("No endpoints found that support input {k}"),
            },
            None,
            None,
        ),
        Fault::PayloadLimit => error_response(
            400,
            "Provider returned error",
            Some(json!({
                "provider_name": "Google AI Studio",
                "raw": "{\"error\":{\"code\":400,\"message\":\"Request payload size exceeds the limit: 314572800 bytes.\",\"status\":\"INVALID_ARGUMENT\"}}"
            })),
            None,
        ),
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
        Fault::ContextOverflow(d) => overflow(*d, model),
        Fault::FastApiError(code) => with_status(
            *code,
            json!({"detail": "Invalid API key"}).to_string(),
            Vec::new(),
        ),
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
