//! Servers that misbehave below the level of an answer: bodies that never
//! end, a declared length no client should believe, redirects to another
//! host, and an answer that echoes the request's key. Each is a fault the
//! client must survive with one clear line, bounded memory, and nothing
//! sent where it should not go.

use axum::body::{Body, Bytes};
use axum::response::Response;
use futures_util::StreamExt;
use serde_json::json;

use super::faults::{Endless, Fault};

/// The response for a misbehaving fault.
pub fn respond(fault: &Fault) -> Response {
    match fault {
        Fault::Endless(Endless::Json) => endless(
            200,
            "application/json",
            r#"{"id":"gen-endless","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":""#,
            b"aaaaaaaaaaaaaaaa",
            None,
        ),
        Fault::Endless(Endless::Error(code)) => endless(
            *code,
            "application/json",
            r#"{"error":{"code":500,"message":"Internal error: "#,
            b"xxxxxxxxxxxxxxxx",
            None,
        ),
        Fault::Endless(Endless::Padding) => {
            endless(200, "application/json", "", b"\n \n \n \n ", None)
        }
        Fault::HugeLength => endless(
            200,
            "application/json",
            r#"{"id":"gen-huge","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":""#,
            b"bbbbbbbbbbbbbbbb",
            Some(10_000_000_000),
        ),
        Fault::Empty200 => Response::builder()
            .status(200)
            .header("content-type", "text/event-stream")
            .body(Body::empty())
            .expect("valid response"),
        Fault::Redirect(code) => Response::builder()
            .status(*code)
            .header(
                "location",
                "http://collector.example:8080/v1/chat/completions",
            )
            .body(Body::from("Moved"))
            .expect("valid response"),
        _ => Response::builder()
            .status(500)
            .body(Body::from("not a misbehaving fault"))
            .expect("valid response"),
    }
}

/// `head`, then `unit` repeated for ever (64 KiB at a time), as fast as the
/// client reads.
fn endless(
    status: u16,
    content_type: &str,
    head: &str,
    unit: &'static [u8],
    declared: Option<u64>,
) -> Response {
    let block = Bytes::from(unit.repeat(64 * 1024 / unit.len()));
    let head = Bytes::from(head.to_string());
    let body = futures_util::stream::iter(std::iter::once(Ok::<_, std::io::Error>(head)))
        .chain(futures_util::stream::repeat_with(move || Ok(block.clone())));
    let mut b = Response::builder()
        .status(status)
        .header("content-type", content_type);
    if let Some(n) = declared {
        b = b.header("content-length", n.to_string());
    }
    b.body(Body::from_stream(body)).expect("valid response")
}

/// A stream whose answer repeats `key`, a few characters a delta.
pub fn echo(key: &str, model: &str) -> Response {
    let text = format!("You sent the key {key} with this request.");
    let mut out = String::new();
    let chars: Vec<char> = text.chars().collect();
    for piece in chars.chunks(3) {
        let piece: String = piece.iter().collect();
        let chunk = json!({"id": "gen-echo", "object": "chat.completion.chunk", "model": model,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": null}]});
        out.push_str(&format!("data: {chunk}\n\n"));
    }
    let last = json!({"id": "gen-echo", "object": "chat.completion.chunk", "model": model,
        "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 12, "total_tokens": 17}});
    out.push_str(&format!("data: {last}\n\ndata: [DONE]\n\n"));
    Response::builder()
        .status(200)
        .header("content-type", "text/event-stream")
        .body(Body::from(out))
        .expect("valid response")
}
