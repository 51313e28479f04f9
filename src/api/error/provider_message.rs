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
    let objects = crate::api::interpret::parse_objects(body.trim()).ok();
    let found = objects.into_iter().flatten().find_map(|mut o| {
        o.take_error().or_else(|| {
            o.choices
                .iter_mut()
                .find_map(|c| c.error.take().map(|e| e.0))
        })
    });
    found.or_else(|| {
        let v: Value = serde_json::from_str(body.trim()).ok()?;
        loose_error(&v)
    })
}

/// An error in the looser shapes other servers use, read as one: FastAPI's
/// `{"detail": "…"}` or `{"detail": [{"msg": "…"}]}`, a bare `{"message"}`,
/// `{"text"}`, `{"msg"}`, `{"error_message"}`; with a `code` or `status`
/// when one is there. `None` when nothing in it reads as words.
pub fn loose_error(v: &Value) -> Option<WireError> {
    let v = match v {
        Value::Array(a) => a.first()?,
        v => v,
    };
    if let Some(e) = v.get("error") {
        return match e {
            Value::String(s) => Some(WireError {
                message: s.clone(),
                ..WireError::default()
            }),
            Value::Object(_) => serde_json::from_value::<WireError>(e.clone())
                .ok()
                .filter(|w| !w.message.is_empty())
                .or_else(|| loose_error(e)),
            _ => None,
        };
    }
    let words = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let detail = match v.get("detail") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(items)) => {
            let msgs: Vec<String> = items
                .iter()
                .filter_map(|i| i.get("msg").and_then(Value::as_str).map(str::to_string))
                .collect();
            (!msgs.is_empty()).then(|| msgs.join("; "))
        }
        _ => None,
    };
    let message = detail
        .or_else(|| words("message"))
        .or_else(|| words("text"))
        .or_else(|| words("msg"))
        .or_else(|| words("error_message"))?;
    let code = match v
        .get("code")
        .or_else(|| v.get("status_code"))
        .or_else(|| v.get("statusCode"))
    {
        Some(Value::Number(n)) => n.as_i64().map(crate::api::types::ErrorCode::Number),
        Some(Value::String(s)) => Some(crate::api::types::ErrorCode::Text(s.clone())),
        _ => None,
    };
    Some(WireError {
        code,
        message,
        status: v.get("status").and_then(Value::as_str).map(str::to_string),
        kind: words("type"),
        ..WireError::default()
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
