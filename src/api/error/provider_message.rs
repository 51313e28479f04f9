//! The error object in a response body, whatever its shape, and the
//! provider's own words in it.

use serde_json::Value;

use crate::api::types::WireError;

pub(super) fn status_text(status: u16) -> &'static str {
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
/// `{"error":"…"}`, `[{"error":{…}}]`, and the flat shapes of Google
/// (`{"code","message","status"}`), vLLM and AI/ML API (`statusCode`).
pub(super) fn parse_error_body(body: &str) -> Option<WireError> {
    let objects = crate::api::interpret::parse_objects(body.trim()).ok()?;
    objects.into_iter().find_map(|mut o| {
        o.take_error().or_else(|| {
            o.choices
                .iter_mut()
                .find_map(|c| c.error.take().map(|e| e.0))
        })
    })
}

/// The provider's own words. `metadata.raw` holds the upstream's error, as a
/// plain string or as JSON inside a string; when the top message is the
/// generic "Provider returned error", the raw one is what the user needs.
pub(super) fn readable_message(err: &WireError) -> String {
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
