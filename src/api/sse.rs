//! The stream decoder: bytes off the wire in, typed events out.
//!
//! Two stages. `EventParser` frames the bytes into SSE events (the WHATWG
//! event-stream rules: LF, CRLF or CR line ends, comments, `data:` lines
//! joined, a blank line dispatching), decoding each line as UTF-8 with invalid
//! bytes replaced; an event split anywhere, even inside a UTF-8 sequence, is
//! reassembled, and every byte is scanned once (a multi-megabyte image line
//! too). `ChunkInterpreter` (in `api::interpret`) turns each event's data
//! into `StreamEvent`s, following PROTOCOL.md §2 and §9. A JSON object or
//! array on a line of its own, with no `data:` (an error some gateways write
//! into a 200 stream), is read as an event of its own.
//!
//! Our own parser rather than eventsource-stream's: that crate copies the rest
//! of its buffer after every line, so a network read holding hundreds of
//! one-token events cost time quadratic in its size (BENCHMARKS.md, "Per
//! event"); only `data` matters to a chat stream.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;

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
    /// Annotations as sent (`url_citation` sources, `file` parses), from a
    /// delta, a choice or a whole message (PROTOCOL-MEDIA.md §5.3).
    Annotations(Vec<serde_json::Value>),
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

// ------------------------------------------------------------ event framing

/// Where `EventParser` hands each event: its type (`""` when it named
/// none) and its data.
pub type Emit<'a> = dyn FnMut(&str, &str) + 'a;

/// Frames bytes into SSE events and hands over each event's type (its
/// `event:` field, empty when none came) and data (its `data:` lines joined
/// by `\n`). `id`, `retry` and comments are read and dropped: a chat stream
/// carries everything in its data, but some servers name an error or a
/// keep-alive by its event type (`event: error`, `event: ping`).
#[derive(Debug, Default)]
pub struct EventParser {
    /// Bytes of a line not yet ended.
    pending: Vec<u8>,
    /// The data of the event being read.
    data: String,
    /// Whether a `data` field came since the last dispatch (an event whose
    /// only data line is empty still dispatches as empty).
    has_data: bool,
    /// The `event` field of the event being read.
    event: String,
    /// The last line ended with CR: a LF first in the next read belongs to it.
    after_cr: bool,
    /// The first line was read (a byte-order mark opening it is skipped).
    started: bool,
}

impl EventParser {
    /// Adds bytes; `emit` gets the type and data of every event they
    /// complete. Errors: a line longer than `MAX_LINE_BYTES` (the parser is
    /// then reset; the caller stops reading).
    pub fn push(&mut self, mut bytes: &[u8], emit: &mut Emit<'_>) -> Result<(), ApiError> {
        if self.after_cr && !bytes.is_empty() {
            self.after_cr = false;
            if bytes[0] == b'\n' {
                bytes = &bytes[1..];
            }
        }
        let Some(first) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') else {
            self.pending.extend_from_slice(bytes);
            return self.check_pending();
        };
        // The line begun in an earlier read ends here.
        let mut rest = if self.pending.is_empty() {
            bytes
        } else {
            let mut line = std::mem::take(&mut self.pending);
            line.extend_from_slice(&bytes[..first]);
            if line.len() > MAX_LINE_BYTES {
                return Err(self.too_long());
            }
            self.line(&line, emit);
            line.clear();
            self.pending = line; // keeps its capacity
            self.skip_terminator(&bytes[first..])
        };
        // Whole lines, read in place.
        while let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            if end > MAX_LINE_BYTES {
                return Err(self.too_long());
            }
            self.line(&rest[..end], emit);
            rest = self.skip_terminator(&rest[end..]);
        }
        self.pending.extend_from_slice(rest);
        self.check_pending()
    }

    /// The line not yet ended must stay under the limit.
    fn check_pending(&mut self) -> Result<(), ApiError> {
        if self.pending.len() > MAX_LINE_BYTES {
            return Err(self.too_long());
        }
        Ok(())
    }

    /// The error for a line over the limit; the parser starts over (the
    /// caller stops reading).
    fn too_long(&mut self) -> ApiError {
        *self = EventParser {
            started: self.started,
            ..EventParser::default()
        };
        ApiError::Decode(format!(
            "a line of the stream is longer than {} MB",
            MAX_LINE_BYTES / (1024 * 1024)
        ))
    }

    /// At the end of the input: a last unterminated line is kept only if it
    /// looks whole (ends like JSON or `[DONE]`); one cut off mid-way is
    /// dropped. Then the event being read dispatches, as if a blank line
    /// had come.
    pub fn finish(&mut self, emit: &mut Emit<'_>) {
        let last = std::mem::take(&mut self.pending);
        let trimmed = last.trim_ascii_end();
        if trimmed.ends_with(b"}") || trimmed.ends_with(b"]") {
            self.line(&last, emit);
        }
        self.dispatch(emit);
    }

    /// Past one line terminator (CRLF counts as one), remembering a CR at
    /// the very end so a LF opening the next read is not a blank line.
    fn skip_terminator<'a>(&mut self, at: &'a [u8]) -> &'a [u8] {
        match at {
            [b'\r', b'\n', rest @ ..] => rest,
            [b'\r'] => {
                self.after_cr = true;
                &[]
            }
            [_, rest @ ..] => rest,
            [] => at,
        }
    }

    fn line(&mut self, raw: &[u8], emit: &mut Emit<'_>) {
        // A byte-order mark opens the stream's first line only (checked on
        // the whole line, so a mark split across reads is still found).
        let raw = if self.started {
            raw
        } else {
            self.started = true;
            raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
        };
        if raw.is_empty() {
            return self.dispatch(emit);
        }
        if raw[0] == b':' {
            return; // a comment (`: OPENROUTER PROCESSING`)
        }
        // Valid UTF-8 is checked at memory speed; only a bad line is copied.
        let line: Cow<str> = match std::str::from_utf8(raw) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(raw),
        };
        if matches!(line.trim_start().as_bytes().first(), Some(b'{' | b'[')) {
            // A bare JSON object or array: an event of its own.
            self.dispatch(emit);
            emit("", line.trim_end());
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (&*line, ""),
        };
        match field {
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            "event" => {
                self.event.clear();
                self.event.push_str(value.trim());
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, emit: &mut Emit<'_>) {
        if self.has_data {
            let data = self.data.strip_suffix('\n').unwrap_or(&self.data);
            emit(&self.event, data);
        }
        self.data.clear();
        self.has_data = false;
        self.event.clear();
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
    Decoder {
        bytes: Box::pin(bytes),
        parser: EventParser::default(),
        interp: ChunkInterpreter::default(),
        queue: VecDeque::new(),
        ended: false,
    }
}

/// The stream `decode` returns: reads bytes only when the events of the
/// last read are all taken.
pub struct Decoder {
    bytes: ByteStream,
    parser: EventParser,
    interp: ChunkInterpreter,
    queue: VecDeque<Result<StreamEvent, ApiError>>,
    ended: bool,
}

impl Decoder {
    /// Interprets the events `bytes` complete (`None`: the input ended).
    /// Nothing after `[DONE]` matters: the rest is not read.
    fn read(&mut self, bytes: Option<&[u8]>) -> Result<(), ApiError> {
        let Decoder {
            parser,
            interp,
            queue,
            ..
        } = self;
        let mut out = Vec::new();
        let mut emit = |event: &str, data: &str| {
            if !interp.done {
                interp.interpret_event(event, data, &mut out);
            }
        };
        let result = match bytes {
            Some(b) => parser.push(b, &mut emit),
            None => {
                parser.finish(&mut emit);
                Ok(())
            }
        };
        queue.extend(out.into_iter().map(Ok));
        if interp.done {
            self.ended = true;
        }
        result
    }

    /// Ends the stream on `error` (or at the end of the input when `None`):
    /// what was held back is released, then the error or `Truncated`.
    fn end(&mut self, error: Option<ApiError>) {
        self.ended = true;
        let mut out = Vec::new();
        self.interp.end(&mut out);
        self.queue.extend(out.into_iter().map(Ok));
        self.queue.push_back(match error {
            Some(e) => Err(e),
            None => Ok(StreamEvent::Truncated),
        });
    }
}

impl Stream for Decoder {
    type Item = Result<StreamEvent, ApiError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.queue.pop_front() {
                return Poll::Ready(Some(item));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            match this.bytes.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(b))) => {
                    if let Err(e) = this.read(Some(&b)) {
                        this.end(Some(e));
                    }
                }
                Poll::Ready(Some(Err(e))) => this.end(Some(e)),
                Poll::Ready(None) => {
                    let _ = this.read(None);
                    if !this.ended {
                        this.end(None);
                    }
                }
            }
        }
    }
}
