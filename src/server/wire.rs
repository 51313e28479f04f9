//! How the local server writes one answer on the wire: as OpenRouter's event
//! stream (PROTOCOL.md §2.4–§2.7) or a whole `chat.completion` (§2.9), in the
//! dialect its faults ask for (reasoning under another name, content as
//! parts, images in the text, Google's usage, endings and errors).
//! What the answer says, and what it costs, is `reply`'s to work out.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::faults::{ImageShape, ReasoningField, StreamError};
pub use super::reply::Reply;
use crate::api::types::Usage;

/// Pace and keep-alives: the server's options that shape a stream.
pub struct StreamShape {
    pub pace: Option<f64>,
    pub keep_alives: usize,
}

impl Reply {
    fn chunk(&self, delta: OutDelta<'_>, finish: bool) -> String {
        let c = OutChunk {
            id: &self.id,
            provider: "Local",
            model: &self.model,
            object: "chat.completion.chunk",
            created: self.created,
            choices: [OutChoice {
                index: 0,
                delta,
                finish_reason: finish.then_some(self.finish.0),
                native_finish_reason: finish.then_some(self.finish.1.as_str()),
                logprobs: None,
            }],
        };
        format!(
            "data: {}\n\n",
            serde_json::to_string(&c).expect("chunk serialises")
        )
    }

    fn usage_chunk(&self) -> String {
        let c = UsageChunk {
            id: &self.id,
            provider: "Local",
            model: &self.model,
            object: "chat.completion.chunk",
            created: self.created,
            choices: [],
            usage: &self.usage,
            meta: self.meta.as_ref(),
        };
        format!(
            "data: {}\n\n",
            serde_json::to_string(&c).expect("chunk serialises")
        )
    }

    fn reasoning_delta(&self, r: &str) -> OutDelta<'static> {
        OutDelta::Other(match self.plan.reasoning_field {
            ReasoningField::OpenRouter => json!({
                "role": "assistant", "content": "", "reasoning": r,
                "reasoning_details": [{"type": "reasoning.text", "text": r, "format": "google-gemini-v1", "index": 0}],
            }),
            ReasoningField::ReasoningContent => {
                json!({"role": "assistant", "content": null, "reasoning_content": r})
            }
            ReasoningField::Parts => {
                json!({"role": "assistant", "content": [{"type": "thinking", "thinking": r}]})
            }
        })
    }

    fn content_delta<'a>(&self, text: &'a str) -> OutDelta<'a> {
        if self.plan.content_parts {
            OutDelta::Other(
                json!({"role": "assistant", "content": [{"type": "text", "text": text}]}),
            )
        } else {
            OutDelta::Text {
                role: "assistant",
                content: text,
            }
        }
    }

    /// The generated images, as this dialect carries them: deltas to send.
    fn image_deltas(&self) -> Vec<Value> {
        if self.images.is_empty() {
            return Vec::new();
        }
        match self.plan.image {
            ImageShape::Images => vec![json!({
                "role": "assistant", "content": "",
                "images": self.images.iter().enumerate()
                    .map(|(i, u)| json!({"type": "image_url", "image_url": {"url": u}, "index": i}))
                    .collect::<Vec<_>>(),
            })],
            ImageShape::Part => self
                .images
                .iter()
                .map(|u| json!({"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": u}}]}))
                .collect(),
            ImageShape::InText => {
                // A gateway writes the image into the text, in pieces.
                let md = self
                    .images
                    .iter()
                    .map(|u| format!("\n\n![image]({u})\n"))
                    .collect::<String>();
                let bytes = md.as_bytes();
                bytes
                    .chunks(4096)
                    .map(|c| json!({"role": "assistant", "content": std::str::from_utf8(c).expect("ASCII")}))
                    .collect()
            }
        }
    }

    /// Gemini on OpenRouter ends its reasoning with an encrypted block, to be
    /// sent back with the answer on later turns (PROTOCOL.md §2.5).
    fn sealed_reasoning(&self) -> Option<Value> {
        (!self.reasoning.is_empty() && self.plan.reasoning_field == ReasoningField::OpenRouter)
            .then(|| {
                json!({"type": "reasoning.encrypted", "data": format!("sealed-{}", self.id),
                       "format": "google-gemini-v1", "index": 1})
            })
    }

    /// The whole answer as one message (for `--no-stream`, or a JSON body).
    fn message(&self) -> Value {
        let reasoning = self.reasoning.concat();
        let text = self.content.concat();
        let mut m = json!({"role": "assistant"});
        match self.plan.reasoning_field {
            ReasoningField::Parts => {
                let mut parts = Vec::new();
                if !reasoning.is_empty() {
                    parts.push(json!({"type": "thinking", "thinking": reasoning}));
                }
                parts.push(json!({"type": "text", "text": text}));
                m["content"] = json!(parts);
            }
            field => {
                m["content"] = json!(text);
                if !reasoning.is_empty() {
                    let key = if field == ReasoningField::ReasoningContent {
                        "reasoning_content"
                    } else {
                        "reasoning"
                    };
                    m[key] = json!(reasoning);
                }
                if let Some(sealed) = self.sealed_reasoning() {
                    m["reasoning_details"] = json!([
                        {"type": "reasoning.text", "text": reasoning, "format": "google-gemini-v1", "index": 0},
                        sealed
                    ]);
                }
            }
        }
        let notes: Vec<Value> = self
            .file_annotations
            .iter()
            .chain(&self.annotations)
            .cloned()
            .collect();
        if !notes.is_empty() {
            m["annotations"] = json!(notes);
        }
        if !self.images.is_empty() {
            match self.plan.image {
                ImageShape::Images => {
                    m["images"] = json!(
                        self.images
                            .iter()
                            .map(|u| json!({"type": "image_url", "image_url": {"url": u}}))
                            .collect::<Vec<_>>()
                    );
                }
                ImageShape::Part | ImageShape::InText => {
                    let mut parts = match m["content"].take() {
                        Value::String(t) => vec![json!({"type": "text", "text": t})],
                        Value::Array(a) => a,
                        _ => Vec::new(),
                    };
                    parts.extend(
                        self.images
                            .iter()
                            .map(|u| json!({"type": "image_url", "image_url": {"url": u}})),
                    );
                    m["content"] = json!(parts);
                }
            }
        }
        m
    }

    /// A whole `chat.completion` body, padded with whitespace as OpenRouter
    /// pads it while the model works (PROTOCOL.md §2.9).
    pub fn whole_body(&self) -> String {
        let head = json!({
            "id": self.id, "provider": "Local", "model": self.model, "object": "chat.completion", "created": self.created,
            "choices": [{"index": 0, "message": self.message(), "finish_reason": self.finish.0, "native_finish_reason": self.finish.1}],
        })
        .to_string();
        // Splice the usage in as text so its cost stays an exact decimal literal.
        let usage = serde_json::to_string(&self.usage).expect("usage serialises");
        let meta = self
            .meta
            .as_ref()
            .map(|m| format!(",\"meta\":{m}"))
            .unwrap_or_default();
        format!(
            "\n         \n\n{},\"usage\":{usage}{meta}}}",
            &head[..head.len() - 1]
        )
    }
}

#[derive(Serialize)]
struct OutChunk<'a> {
    id: &'a str,
    provider: &'static str,
    model: &'a str,
    object: &'static str,
    created: u64,
    choices: [OutChoice<'a>; 1],
}

#[derive(Serialize)]
struct OutChoice<'a> {
    index: u32,
    delta: OutDelta<'a>,
    finish_reason: Option<&'static str>,
    native_finish_reason: Option<&'a str>,
    logprobs: Option<()>,
}

/// A delta: plain text (typed, the common case, written fast), or any shape.
#[derive(Serialize)]
#[serde(untagged)]
enum OutDelta<'a> {
    Text {
        role: &'static str,
        content: &'a str,
    },
    Other(Value),
}

#[derive(Serialize)]
struct UsageChunk<'a> {
    id: &'a str,
    provider: &'static str,
    model: &'a str,
    object: &'static str,
    created: u64,
    choices: [(); 0],
    usage: &'a Usage,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<&'a Value>,
}

type Frame = Result<Bytes, std::io::Error>;

/// Answers with an event stream written by a task of its own.
pub fn stream_reply(reply: Reply, shape: StreamShape) -> Response {
    let (tx, rx) = mpsc::channel::<Frame>(64);
    tokio::spawn(async move {
        let _ = write_stream(&tx, reply, shape).await;
    });
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|f| (f, rx))
    }));
    Response::builder()
        .status(200)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(body)
        .expect("valid response")
}

/// Answers with one whole JSON body; labelled as an event stream when asked.
pub fn whole_reply(reply: &Reply, sse_label: bool) -> Response {
    let ct = if sse_label {
        "text/event-stream"
    } else {
        "application/json"
    };
    ([("content-type", ct)], reply.whole_body()).into_response()
}

/// An `event: error` frame, its data in one of the shapes servers use.
fn error_event(shape: super::faults::ErrorEventShape) -> String {
    use super::faults::ErrorEventShape as S;
    let words = "the model crashed while generating (out of memory)";
    let data = match shape {
        S::Error => json!({"error": {"message": words, "type": "server_error"}}).to_string(),
        S::Message => json!({"message": words}).to_string(),
        S::Text => json!({"text": words}).to_string(),
        S::Plain => words.to_string(),
    };
    format!("event: error\ndata: {data}\n\n")
}

fn error_chunk(reply: &Reply, code: u16) -> String {
    let (message, meta) = match code {
        429 => (
            "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day".to_string(),
            json!({"error_type": "rate_limit_exceeded"}),
        ),
        _ => (
            "Upstream connection closed before the response completed".to_string(),
            json!({"error_type": "provider_unavailable"}),
        ),
    };
    format!(
        "data: {}\n\n",
        json!({"id": reply.id, "object": "chat.completion.chunk", "created": reply.created, "model": reply.model, "provider": "Local",
               "error": {"code": code, "message": message, "metadata": meta},
               "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}]})
    )
}

/// Writes one answer as SSE. Returns early (the error is the client leaving).
async fn write_stream(
    tx: &mpsc::Sender<Frame>,
    reply: Reply,
    shape: StreamShape,
) -> Result<(), ()> {
    let plan = &reply.plan;
    let send = |b: Bytes| async move { tx.send(Ok(b)).await.map_err(|_| ()) };
    let broken = || std::io::Error::new(std::io::ErrorKind::ConnectionReset, "scripted drop");
    if plan.drop_early {
        return tx.send(Err(broken())).await.map_err(|_| ());
    }
    for _ in 0..shape.keep_alives {
        send(Bytes::from_static(b": OPENROUTER PROCESSING\n\n")).await?;
    }
    match plan.stream_error {
        Some(StreamError::Bare) => {
            let line = json!({"error": {"code": 503, "message": "upstream connect error or disconnect/reset before headers", "status": "UNAVAILABLE"}});
            return send(Bytes::from(format!("{line}\n\n"))).await;
        }
        Some(StreamError::GoogleFlat) => {
            let line = json!({"code": 429, "message": "Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 50, quota id GenerateRequestsPerDayPerProjectPerModel-FreeTier", "status": "RESOURCE_EXHAUSTED"});
            return send(Bytes::from(format!("data: {line}\n\n"))).await;
        }
        None => {}
    }
    let delay = plan
        .pace
        .or(shape.pace)
        .filter(|p| *p > 0.0)
        .map(|p| Duration::from_secs_f64(1.0 / p));
    for r in &reply.reasoning {
        send(Bytes::from(reply.chunk(reply.reasoning_delta(r), false))).await?;
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
    }
    if let Some(sealed) = reply.sealed_reasoning() {
        let delta = json!({"role": "assistant", "content": "", "reasoning_details": [sealed]});
        send(Bytes::from(reply.chunk(OutDelta::Other(delta), false))).await?;
    }
    // Sources before the text, one a chunk (Exa's), and PDF parses.
    let early = matches!(reply.web, Some(super::faults::WebShape::Early));
    for a in reply
        .file_annotations
        .iter()
        .chain(reply.annotations.iter().filter(|_| early))
    {
        let delta = json!({"role": "assistant", "content": "", "annotations": [a]});
        send(Bytes::from(reply.chunk(OutDelta::Other(delta), false))).await?;
    }
    // The whole message so far, for `delta-and-message`.
    let mut so_far = String::new();
    for (i, piece) in reply.content.iter().enumerate() {
        if let Some((after, code)) = plan.error_after
            && after == i
        {
            return send(Bytes::from(error_chunk(&reply, code))).await;
        }
        if let Some(shape) = plan.error_event
            && i == 1
        {
            return send(Bytes::from(error_event(shape))).await;
        }
        if plan.keep_alive_forms {
            // Every form at once, between two pieces.
            send(Bytes::from_static(
                b": OPENROUTER PROCESSING\n\ndata: : OPENROUTER PROCESSING\n\nevent: ping\ndata: ping\n\nevent: ping\ndata: {\"type\":\"ping\"}\n\ndata:\n\n",
            ))
            .await?;
        }
        if plan.delta_and_message {
            so_far.push_str(piece);
            let delta = json!({"role": "assistant", "content": piece});
            let c = json!({"id": reply.id, "object": "chat.completion.chunk", "created": reply.created, "model": reply.model,
                "choices": [{"index": 0, "finish_reason": null,
                    "message": {"role": "assistant", "content": so_far}, "delta": delta}]});
            send(Bytes::from(format!("data: {c}\n\n"))).await?;
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            continue;
        }
        if plan.drop_after == Some(i) {
            flushed(tx).await;
            return tx.send(Err(broken())).await.map_err(|_| ());
        }
        if let Some((after, secs)) = plan.stall
            && after == i
        {
            tokio::time::sleep(secs).await;
        }
        if plan.malformed_after == Some(i) {
            send(Bytes::from_static(b"data: {\"id\":\"gen-broken\",\"choices\":[{\"delta\":{\"content\":\"unterminated\n\n")).await?;
        }
        let chunk = reply.chunk(reply.content_delta(piece), false);
        if plan.bad_utf8 && i == 0 {
            // Invalid bytes inside the JSON string: a lone continuation byte and a cut sequence.
            let pos = chunk.find("\"content\":\"").map(|p| p + 11).unwrap_or(0);
            let mut bytes = chunk.into_bytes();
            bytes.splice(pos..pos, [0x80u8, 0xE6, 0x97]);
            send(Bytes::from(bytes)).await?;
        } else {
            send(Bytes::from(chunk)).await?;
        }
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
    }
    if let Some((after, code)) = plan.error_after
        && after >= reply.content.len()
    {
        return send(Bytes::from(error_chunk(&reply, code))).await;
    }
    for d in reply.image_deltas() {
        send(Bytes::from(reply.chunk(OutDelta::Other(d), false))).await?;
    }
    use super::faults::WebShape;
    match reply.web {
        Some(WebShape::Late) => {
            let delta =
                json!({"role": "assistant", "content": "", "annotations": reply.annotations});
            send(Bytes::from(reply.chunk(OutDelta::Other(delta), false))).await?;
        }
        Some(WebShape::Choice) => {
            let c = json!({"id": reply.id, "object": "chat.completion.chunk", "created": reply.created,
                "model": reply.model, "choices": [{"index": 0, "delta": {"content": ""},
                "annotations": reply.annotations, "finish_reason": null}]});
            send(Bytes::from(format!("data: {c}\n\n"))).await?;
        }
        _ => {}
    }
    if let Some(WebShape::Native) = reply.web {
        // In the last chunk, with the finish reason.
        let delta = json!({"role": "assistant", "content": "", "annotations": reply.annotations});
        send(Bytes::from(reply.chunk(OutDelta::Other(delta), true))).await?;
    } else {
        let last = OutDelta::Text {
            role: "assistant",
            content: "",
        };
        send(Bytes::from(reply.chunk(last, true))).await?;
    }
    if !plan.no_usage {
        send(Bytes::from(reply.usage_chunk())).await?;
    }
    if !plan.no_done {
        send(Bytes::from_static(b"data: [DONE]\n\n")).await?;
    }
    Ok(())
}

/// Waits until hyper has taken every frame sent so far and had a moment to
/// write them out: a body error makes it close the connection at once,
/// discarding whatever it still buffers, so a "drop after N chunks" would
/// otherwise drop before the client saw any of them.
async fn flushed(tx: &mpsc::Sender<Frame>) {
    while tx.capacity() < tx.max_capacity() && !tx.is_closed() {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
}
