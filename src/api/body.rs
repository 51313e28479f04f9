//! The body picks the decoder, not the request. A stream request can be
//! answered with one whole JSON `chat.completion` (or an error object), and a
//! `--no-stream` request with SSE chunks; OpenRouter pads whole bodies with
//! whitespace while it works (PROTOCOL.md §2.9). So a 200 body is read by its
//! first non-whitespace byte, then by its Content-Type: `{` or `[` is one
//! JSON document, `data:`, `:` and the other SSE fields are an event stream.

use std::pin::Pin;

use bytes::Bytes;
use futures_util::{FutureExt, Stream, StreamExt};

use super::error::ApiError;
use super::interpret::{ChunkInterpreter, parse_objects};
use super::sse::{StreamEvent, decode};

/// The largest body read whole (a `chat.completion`, an error object under
/// HTTP 200): generated images come base64 inside it, as on a stream line
/// (`sse::MAX_LINE_BYTES`). Past it the answer is refused in one line.
pub const MAX_BODY_BYTES: usize = super::sse::MAX_LINE_BYTES;

/// The most of an error body read (HTTP 4xx/5xx): what it says is in its
/// first words; the rest is dropped with the connection.
pub const MAX_ERROR_BYTES: usize = 1 << 20;

/// Blank padding allowed before the first byte of an answer (OpenRouter
/// pads whole bodies with whitespace while the model works; a few bytes a
/// second, never megabytes).
pub const MAX_PADDING_BYTES: usize = 1 << 20;

/// The error for a body over `limit` bytes.
pub fn too_large(limit: usize) -> ApiError {
    ApiError::Decode(format!(
        "the server's answer is larger than {}; orchat stopped reading it",
        crate::paths::human_size(limit as u64)
    ))
}

/// How a 200 body is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// One JSON document: a whole answer, or an error object or list.
    Json,
    /// Server-sent events.
    EventStream,
}

/// Decides from the first non-whitespace byte of the body, then from the
/// Content-Type when that byte says nothing (an HTML error page, say).
pub fn body_kind(content_type: Option<&str>, first: u8) -> BodyKind {
    match first {
        b'{' | b'[' => BodyKind::Json,
        // `data:`, a `:` comment, `event:`, `id:`, `retry:`.
        b'd' | b':' | b'e' | b'i' | b'r' => BodyKind::EventStream,
        _ if content_type.is_some_and(|c| c.contains("event-stream")) => BodyKind::EventStream,
        _ => BodyKind::Json,
    }
}

/// A body stream, as the client reads it.
pub type Bytestream = Pin<Box<dyn Stream<Item = Result<Bytes, ApiError>> + Send>>;

/// The body with its kind decided: the bytes read to decide it are put back
/// in front.
pub struct Sniffed {
    pub kind: BodyKind,
    pub body: Bytestream,
}

/// Reads until the first byte that is not whitespace (or a byte-order mark).
/// `None` when the body ended with none; a transport error while sniffing
/// is returned as it is.
pub async fn sniff<S>(content_type: Option<&str>, bytes: S) -> Result<Option<Sniffed>, ApiError>
where
    S: Stream<Item = Result<Bytes, ApiError>> + Send + 'static,
{
    let mut bytes: Bytestream = Box::pin(bytes);
    let mut seen: Vec<Bytes> = Vec::new();
    let mut padding = 0usize;
    let first = loop {
        match bytes.next().await {
            Some(Ok(b)) => {
                let first = b
                    .iter()
                    .copied()
                    .find(|c| !c.is_ascii_whitespace() && !matches!(c, 0xEF | 0xBB | 0xBF));
                padding += b.len();
                if first.is_some() {
                    seen.push(b);
                    break first;
                }
                if padding > MAX_PADDING_BYTES {
                    return Err(ApiError::Decode(format!(
                        "the server sent more than {} of blank padding and no answer",
                        crate::paths::human_size(MAX_PADDING_BYTES as u64)
                    )));
                }
                // Blank: kept for the decoders (a byte-order mark opens the
                // first line) until it grows; then only its last byte (a CR
                // whose LF may follow), as the decoders skip blanks anyway.
                if padding > 64 * 1024 {
                    seen.clear();
                    seen.push(b.slice(b.len().saturating_sub(1)..));
                } else {
                    seen.push(b);
                }
            }
            Some(Err(e)) => return Err(e),
            None => break None,
        }
    };
    let Some(first) = first else {
        return Ok(None);
    };
    let body = futures_util::stream::iter(seen.into_iter().map(Ok)).chain(bytes);
    Ok(Some(Sniffed {
        kind: body_kind(content_type, first),
        body: Box::pin(body),
    }))
}

/// Reads a whole body as the events a stream would give: one JSON document
/// (leading whitespace allowed; an error object, even under HTTP 200, is an
/// `Err`), or, when it is not one, the same bytes read as an event stream.
/// Ends with `Done` (a whole document has no `[DONE]`).
pub fn parse_response(body: &[u8]) -> Result<Vec<StreamEvent>, ApiError> {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let json_error = match parse_objects(trimmed.trim_end()) {
        Ok(objects) => return whole(objects),
        Err(e) => e,
    };
    // Not one JSON document: perhaps SSE, or bare JSON lines.
    let events = decode_in_memory(body);
    let meaningful = events.iter().any(|e| {
        matches!(
            e,
            Ok(StreamEvent::Content(_)
                | StreamEvent::Reasoning(_)
                | StreamEvent::Image(_)
                | StreamEvent::Usage(_)
                | StreamEvent::ProviderError(_)
                | StreamEvent::Finish { .. }
                | StreamEvent::Done)
        )
    });
    if meaningful {
        return events.into_iter().collect();
    }
    Err(ApiError::Decode(format!(
        "the server's answer is neither JSON nor an event stream ({json_error}): `{}`",
        crate::text::preview(trimmed, 60)
    )))
}

/// Events of whole objects. An error in any of them is the answer's error.
fn whole(objects: Vec<super::types::Chunk>) -> Result<Vec<StreamEvent>, ApiError> {
    let mut out = Vec::new();
    let mut interp = ChunkInterpreter::default();
    for mut o in objects {
        if let Some(err) = o.take_error() {
            return Err(ApiError::from_wire(200, &err, None));
        }
        if let Some(err) = o.choices.iter_mut().find_map(|c| c.error.take()) {
            return Err(ApiError::from_wire(200, &err.0, None));
        }
        interp.chunk(o, &mut out);
    }
    interp.end(&mut out);
    out.push(StreamEvent::Done);
    Ok(out)
}

/// Runs the stream decoder over bytes already in memory.
fn decode_in_memory(body: &[u8]) -> Vec<Result<StreamEvent, ApiError>> {
    let bytes = Bytes::copy_from_slice(body);
    decode(futures_util::stream::iter([Ok(bytes)]))
        .collect::<Vec<_>>()
        .now_or_never()
        .unwrap_or_default()
}

/// A whole 200 body, as a stream request's events: sniffs, then decodes an
/// event stream as it arrives or reads a JSON document whole. This is what
/// the client does, in one piece, for tests and tools.
pub fn decode_body<S>(
    content_type: Option<String>,
    bytes: S,
) -> Pin<Box<dyn Stream<Item = Result<StreamEvent, ApiError>> + Send>>
where
    S: Stream<Item = Result<Bytes, ApiError>> + Send + 'static,
{
    let fut = async move {
        let sniffed = match sniff(content_type.as_deref(), bytes).await {
            Ok(Some(s)) => s,
            Ok(None) => {
                return futures_util::stream::iter(vec![Ok(StreamEvent::Truncated)]).boxed();
            }
            Err(e) => return futures_util::stream::iter(vec![Err(e)]).boxed(),
        };
        match sniffed.kind {
            BodyKind::EventStream => decode(sniffed.body).boxed(),
            BodyKind::Json => {
                let items = match read_whole(sniffed.body).await {
                    Ok(events) => events.into_iter().map(Ok).collect(),
                    Err(e) => vec![Err(e)],
                };
                futures_util::stream::iter(items).boxed()
            }
        }
    };
    Box::pin(futures_util::stream::once(fut).flatten())
}

/// Collects a JSON body and reads it whole.
pub async fn read_whole(body: Bytestream) -> Result<Vec<StreamEvent>, ApiError> {
    let all = collect_at_most(body, MAX_BODY_BYTES).await?;
    parse_response(&all)
}

/// Collects a body of at most `limit` bytes; more is `too_large`, and
/// nothing past the limit is held.
pub async fn collect_at_most(mut body: Bytestream, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut all = Vec::new();
    while let Some(part) = body.next().await {
        let part = part?;
        if all.len() + part.len() > limit {
            return Err(too_large(limit));
        }
        all.extend_from_slice(&part);
    }
    Ok(all)
}
