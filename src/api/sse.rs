//! The stream decoder: bytes off the wire in, typed events out.
//!
//! Three stages. `LineFramer` hands eventsource-stream only whole lines, decoded
//! as UTF-8 with invalid bytes replaced (an event split anywhere, even inside a
//! UTF-8 sequence, is reassembled; a multi-megabyte image line is scanned once,
//! not once per network read). eventsource-stream does the SSE framing
//! (comments, CRLF/CR, multi-line data). `ChunkInterpreter` turns each
//! `data:` payload into `StreamEvent`s, following PROTOCOL.md §2 and §9.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};

use super::error::ApiError;
use super::types::{ChatResponse, Chunk, Usage, WireDecimal, WireError};

/// The longest line accepted (an image chunk is 1–2 MB; this leaves room for
/// 4K images while keeping a hostile endless line from eating memory).
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// What a stream tells the app, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// Who answered: emitted with the first chunk and again if it changes.
    Meta {
        id: Option<String>,
        model: Option<String>,
        provider: Option<String>,
    },
    Content(String),
    /// Thinking text: from `delta.reasoning`, or `reasoning_details` when only
    /// those came (they duplicate each other; shown once).
    Reasoning(String),
    /// A generated image as a complete data URL.
    Image(String),
    /// Usage may come on any chunk; the last one wins.
    Usage(Usage),
    /// The first non-null finish reason; later ones are ignored.
    Finish {
        reason: String,
        native: Option<String>,
    },
    /// The provider failed mid-stream; the text so far stays.
    ProviderError(WireError),
    /// A `data:` line that was not a chunk; it was skipped.
    Malformed(String),
    /// The client is waiting to try again (before any byte of an answer).
    Retrying {
        attempt: u32,
        wait: std::time::Duration,
        reason: ApiError,
    },
    /// `data: [DONE]`.
    Done,
    /// The stream ended without `[DONE]`: the answer may be incomplete.
    Truncated,
}

// ------------------------------------------------------------ line framing

/// Accumulates bytes and releases text only up to the last line terminator.
#[derive(Debug, Default)]
pub struct LineFramer {
    pending: Vec<u8>,
}

impl LineFramer {
    /// Adds bytes; returns the complete lines now available, if any.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Option<String>, ApiError> {
        // Search only the new bytes: the old ones held no terminator.
        let Some(pos) = bytes.iter().rposition(|&b| b == b'\n' || b == b'\r') else {
            self.pending.extend_from_slice(bytes);
            if self.pending.len() > MAX_LINE_BYTES {
                self.pending = Vec::new();
                return Err(ApiError::Decode(format!(
                    "a line of the stream is longer than {} MB",
                    MAX_LINE_BYTES / (1024 * 1024)
                )));
            }
            return Ok(None);
        };
        let (head, tail) = bytes.split_at(pos + 1);
        let mut out = std::mem::take(&mut self.pending);
        out.extend_from_slice(head);
        self.pending.extend_from_slice(tail);
        Ok(Some(into_text(out)))
    }

    /// At end of input: adds a blank line so an event missing its blank line
    /// still dispatches. A last unterminated line is kept only if it looks
    /// whole (ends like JSON or `[DONE]`); one cut off mid-way is dropped.
    pub fn finish(&mut self) -> String {
        let last = into_text(std::mem::take(&mut self.pending));
        let trimmed = last.trim_end();
        if trimmed.ends_with('}') || trimmed.ends_with(']') {
            format!("{last}\n\n")
        } else {
            "\n\n".to_string()
        }
    }
}

/// Bytes to text, replacing invalid UTF-8 with U+FFFD. Cuts are made at ASCII
/// terminators, so a valid multi-byte character is never split here.
fn into_text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

// ------------------------------------------------------------ interpreting

/// Turns `data:` payloads into events, remembering what a stream has shown.
#[derive(Debug, Default)]
pub struct ChunkInterpreter {
    meta: (Option<String>, Option<String>, Option<String>),
    finished: bool,
    pub done: bool,
}

impl ChunkInterpreter {
    pub fn interpret(&mut self, data: &str, out: &mut Vec<StreamEvent>) {
        let data = data.trim();
        if data.is_empty() {
            return;
        }
        if data == "[DONE]" {
            self.done = true;
            out.push(StreamEvent::Done);
            return;
        }
        let chunk: Chunk = match serde_json::from_str(data) {
            Ok(c) => c,
            Err(e) => {
                out.push(StreamEvent::Malformed(format!(
                    "{e} in `{}`",
                    crate::text::preview(data, 60)
                )));
                return;
            }
        };
        self.note_meta(chunk.id, chunk.model, chunk.provider, out);
        // The error is checked before the choices (PROTOCOL.md §2.7).
        if let Some(err) = chunk.error {
            out.push(StreamEvent::ProviderError(err));
        }
        for choice in chunk.choices {
            if let Some(delta) = choice.delta {
                push_text(
                    delta.reasoning,
                    delta.reasoning_details,
                    delta.content,
                    delta.images,
                    out,
                );
            }
            self.note_finish(choice.finish_reason, choice.native_finish_reason, out);
        }
        if let Some(u) = merge_usage(chunk.usage, chunk.meta) {
            out.push(StreamEvent::Usage(u));
        }
    }

    fn note_meta(
        &mut self,
        id: Option<String>,
        model: Option<String>,
        provider: Option<String>,
        out: &mut Vec<StreamEvent>,
    ) {
        let new = (
            id.or_else(|| self.meta.0.clone()),
            model.or_else(|| self.meta.1.clone()),
            provider.or_else(|| self.meta.2.clone()),
        );
        if new != self.meta {
            self.meta = new.clone();
            out.push(StreamEvent::Meta {
                id: new.0,
                model: new.1,
                provider: new.2,
            });
        }
    }

    fn note_finish(
        &mut self,
        reason: Option<String>,
        native: Option<String>,
        out: &mut Vec<StreamEvent>,
    ) {
        if let Some(reason) = reason.filter(|r| !r.is_empty())
            && !self.finished
        {
            self.finished = true;
            out.push(StreamEvent::Finish { reason, native });
        }
    }
}

fn push_text(
    reasoning: Option<String>,
    details: Option<Vec<super::types::ReasoningDetail>>,
    content: Option<String>,
    images: Option<Vec<super::types::ImageOut>>,
    out: &mut Vec<StreamEvent>,
) {
    match reasoning.filter(|r| !r.is_empty()) {
        Some(r) => out.push(StreamEvent::Reasoning(r)),
        None => {
            // Only when `reasoning` is absent: rebuild it from the details.
            let text: String = details
                .unwrap_or_default()
                .into_iter()
                .filter_map(|d| d.text.or(d.summary))
                .collect();
            if !text.is_empty() {
                out.push(StreamEvent::Reasoning(text));
            }
        }
    }
    if let Some(c) = content.filter(|c| !c.is_empty()) {
        out.push(StreamEvent::Content(c));
    }
    for img in images.unwrap_or_default() {
        if let Some(u) = img.image_url {
            out.push(StreamEvent::Image(u.url));
        }
    }
}

/// AI/ML API sends its cost as `meta.usage.usd_spent`; fold it into usage.
fn merge_usage(usage: Option<Usage>, meta: Option<super::types::AimlMeta>) -> Option<Usage> {
    let spent: Option<WireDecimal> = meta.and_then(|m| m.usage).and_then(|u| u.usd_spent);
    match (usage, spent) {
        (Some(mut u), Some(s)) => {
            u.cost.get_or_insert(s);
            Some(u)
        }
        (Some(u), None) => Some(u),
        (None, Some(s)) => Some(Usage {
            cost: Some(s),
            ..Usage::default()
        }),
        (None, None) => None,
    }
}

// ------------------------------------------------------------ the stream

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, ApiError>> + Send>>;

/// Decodes an SSE byte stream into events. Ends with `Done`, or `Truncated`
/// when the bytes ran out without `[DONE]`; transport errors pass through.
pub fn decode<S>(bytes: S) -> Decoder
where
    S: Stream<Item = Result<Bytes, ApiError>> + Send + 'static,
{
    let framed = futures_util::stream::unfold(
        (Box::pin(bytes) as ByteStream, LineFramer::default(), false),
        |(mut inner, mut framer, ended)| async move {
            if ended {
                return None;
            }
            loop {
                match inner.next().await {
                    Some(Ok(b)) => match framer.push(&b) {
                        Ok(Some(text)) => return Some((Ok(text), (inner, framer, false))),
                        Ok(None) => continue,
                        Err(e) => return Some((Err(e), (inner, framer, true))),
                    },
                    Some(Err(e)) => return Some((Err(e), (inner, framer, true))),
                    None => {
                        let tail = framer.finish();
                        return Some((Ok(tail), (inner, framer, true)));
                    }
                }
            }
        },
    );
    Decoder {
        events: Box::pin(framed.eventsource()),
        interp: ChunkInterpreter::default(),
        queue: VecDeque::new(),
        state: DecoderState::Running,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum DecoderState {
    Running,
    Ended,
}

type SseStream = Pin<
    Box<dyn Stream<Item = Result<eventsource_stream::Event, EventStreamError<ApiError>>> + Send>,
>;

pub struct Decoder {
    events: SseStream,
    interp: ChunkInterpreter,
    queue: VecDeque<Result<StreamEvent, ApiError>>,
    state: DecoderState,
}

impl Stream for Decoder {
    type Item = Result<StreamEvent, ApiError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.queue.pop_front() {
                return Poll::Ready(Some(item));
            }
            if this.state == DecoderState::Ended {
                return Poll::Ready(None);
            }
            match this.events.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(ev))) => {
                    let mut out = Vec::new();
                    this.interp.interpret(&ev.data, &mut out);
                    this.queue.extend(out.into_iter().map(Ok));
                    if this.interp.done {
                        // Nothing after [DONE] matters; stop reading.
                        this.state = DecoderState::Ended;
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    this.state = DecoderState::Ended;
                    this.queue.push_back(Err(match e {
                        EventStreamError::Transport(e) => e,
                        other => ApiError::Decode(other.to_string()),
                    }));
                }
                Poll::Ready(None) => {
                    this.state = DecoderState::Ended;
                    if !this.interp.done {
                        this.queue.push_back(Ok(StreamEvent::Truncated));
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------ non-streaming

/// Reads a non-streaming body (leading whitespace allowed, an error object
/// under HTTP 200 detected) as the same events a stream would give.
pub fn parse_response(body: &[u8]) -> Result<Vec<StreamEvent>, ApiError> {
    let resp: ChatResponse = serde_json::from_slice(body).map_err(|e| {
        ApiError::Decode(format!(
            "the answer is not valid JSON ({e}): `{}`",
            crate::text::preview(&String::from_utf8_lossy(body), 60)
        ))
    })?;
    if let Some(err) = resp.error {
        return Err(ApiError::from_wire(200, &err, None));
    }
    let mut out = Vec::new();
    let mut interp = ChunkInterpreter::default();
    interp.note_meta(resp.id, resp.model, resp.provider, &mut out);
    for choice in resp.choices {
        if let Some(err) = choice.error {
            return Err(ApiError::from_wire(200, &err, None));
        }
        if let Some(m) = choice.message {
            push_text(m.reasoning, None, m.content, m.images, &mut out);
        }
        interp.note_finish(choice.finish_reason, choice.native_finish_reason, &mut out);
    }
    if let Some(u) = merge_usage(resp.usage, resp.meta) {
        out.push(StreamEvent::Usage(u));
    }
    out.push(StreamEvent::Done);
    Ok(out)
}
