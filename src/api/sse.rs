//! The stream decoder: bytes off the wire in, typed events out.
//!
//! Three stages. `LineFramer` hands eventsource-stream only whole lines, decoded
//! as UTF-8 with invalid bytes replaced (an event split anywhere, even inside a
//! UTF-8 sequence, is reassembled; a multi-megabyte image line is scanned once,
//! not once per network read). eventsource-stream does the SSE framing
//! (comments, CRLF/CR, multi-line data). `ChunkInterpreter` (in
//! `api::interpret`) turns each `data:` payload into `StreamEvent`s,
//! following PROTOCOL.md §2 and §9. A JSON object on a line of its own, with
//! no `data:` (an error some gateways write into a 200 stream), is read as
//! if it had one.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};

use super::error::ApiError;
pub use super::interpret::ChunkInterpreter;
use super::types::{Usage, WireError};

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
    /// `reasoning_details` as sent (their text also came as `Reasoning`):
    /// kept to send back with the answer (PROTOCOL.md §2.5).
    ReasoningDetails(Vec<serde_json::Value>),
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
        Ok(Some(data_for_bare_json(into_text(out))))
    }

    /// At end of input: adds a blank line so an event missing its blank line
    /// still dispatches. A last unterminated line is kept only if it looks
    /// whole (ends like JSON or `[DONE]`); one cut off mid-way is dropped.
    pub fn finish(&mut self) -> String {
        let last = into_text(std::mem::take(&mut self.pending));
        let trimmed = last.trim_end();
        if trimmed.ends_with('}') || trimmed.ends_with(']') {
            data_for_bare_json(format!("{last}\n\n"))
        } else {
            "\n\n".to_string()
        }
    }
}

/// Lines that are a bare JSON object or array (no `data:`) become events of
/// their own: `data: ` in front, a blank line before and after.
fn data_for_bare_json(text: String) -> String {
    let bare = |line: &str| matches!(line.trim_start().as_bytes().first(), Some(b'{' | b'['));
    if !text.split(['\n', '\r']).any(bare) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive(['\n', '\r']) {
        if bare(line) {
            out.push_str("\ndata: ");
            out.push_str(line.trim_end_matches(['\n', '\r']));
            out.push_str("\n\n");
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Bytes to text, replacing invalid UTF-8 with U+FFFD. Cuts are made at ASCII
/// terminators, so a valid multi-byte character is never split here.
fn into_text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
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
                    let mut out = Vec::new();
                    this.interp.end(&mut out);
                    this.queue.extend(out.into_iter().map(Ok));
                    this.queue.push_back(Err(match e {
                        EventStreamError::Transport(e) => e,
                        other => ApiError::Decode(other.to_string()),
                    }));
                }
                Poll::Ready(None) => {
                    this.state = DecoderState::Ended;
                    if !this.interp.done {
                        let mut out = Vec::new();
                        this.interp.end(&mut out);
                        this.queue.extend(out.into_iter().map(Ok));
                        this.queue.push_back(Ok(StreamEvent::Truncated));
                    }
                }
            }
        }
    }
}
