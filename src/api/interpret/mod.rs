//! From decoded JSON objects to `StreamEvent`s, whatever dialect the server
//! speaks (PROTOCOL.md §2.2–§2.7, §6, §7): reasoning under any of its names,
//! content as a string or as typed parts, errors in any shape, images in
//! `images[]`, in content parts or inside the text as data URLs, and line
//! endings made plain. One interpreter serves a stream and a whole body, so
//! both read the same.

mod line_ends;
mod text_filter;
mod think;
mod usage;

use serde_json::Value;

pub use line_ends::LineEnds;
pub use text_filter::TextFilter;
pub use think::ThinkSplit;

use super::sse::StreamEvent;
use super::types::{Chunk, ContentIn, Delta};
use usage::merge_usage;

/// Turns chunks into events, remembering what a stream has shown.
#[derive(Debug, Default)]
pub struct ChunkInterpreter {
    meta: (Option<String>, Option<String>, Option<String>),
    finished: bool,
    /// `[DONE]` was read.
    pub done: bool,
    content: TextFilter,
    reasoning: LineEnds,
    /// `<think>…</think>` opening the content is reasoning.
    think: ThinkSplit,
    /// A `delta` came: from then on a `message` beside it is not the text
    /// (Perplexity and some gateways send both, the message growing).
    saw_delta: bool,
    /// The text that whole `message`s gave so far: a message that grows
    /// from chunk to chunk adds only what is new.
    message_text: String,
    message_reasoning: String,
}

/// Event types that only keep a connection alive.
const KEEP_ALIVE_EVENTS: [&str; 4] = ["ping", "keepalive", "keep-alive", "heartbeat"];

impl ChunkInterpreter {
    /// Reads one SSE event of type `event` (`""` when it named none): a
    /// keep-alive (`event: ping`) says nothing unless its data is a chunk,
    /// and is never "malformed"; `event: error` is an error whatever its
    /// data looks like; anything else is its data.
    pub fn interpret_event(&mut self, event: &str, data: &str, out: &mut Vec<StreamEvent>) {
        if KEEP_ALIVE_EVENTS.contains(&event.to_ascii_lowercase().as_str()) {
            let before = out.len();
            self.interpret(data, out);
            let mut i = before;
            while i < out.len() {
                if matches!(out[i], StreamEvent::Malformed(_)) {
                    out.remove(i);
                } else {
                    i += 1;
                }
            }
            return;
        }
        if event.eq_ignore_ascii_case("error") {
            self.end(out);
            out.push(StreamEvent::ProviderError(error_event(data)));
            return;
        }
        self.interpret(data, out);
    }

    /// Reads one `data:` payload: `[DONE]`, one JSON object, or an array of them.
    pub fn interpret(&mut self, data: &str, out: &mut Vec<StreamEvent>) {
        let data = data.trim();
        // Empty, or a comment sent as data (`data: : OPENROUTER PROCESSING`):
        // a keep-alive either way.
        if data.is_empty() || data.starts_with(':') {
            return;
        }
        if data == "[DONE]" {
            self.end(out);
            self.done = true;
            out.push(StreamEvent::Done);
            return;
        }
        // One object is the usual event: read without a Vec around it.
        let parsed = if data.starts_with('[') {
            serde_json::from_str::<Vec<Chunk>>(data).map(|chunks| {
                for c in chunks {
                    self.chunk(c, out);
                }
            })
        } else {
            serde_json::from_str::<Chunk>(data).map(|c| self.chunk(c, out))
        };
        match parsed {
            Ok(()) => {}
            Err(e) => out.push(StreamEvent::Malformed(format!(
                "{e} in `{}`",
                crate::text::preview(data, 60)
            ))),
        }
    }

    /// Reads one decoded object.
    pub fn chunk(&mut self, mut chunk: Chunk, out: &mut Vec<StreamEvent>) {
        self.note_meta(
            chunk.id.take(),
            chunk.model.take(),
            chunk.provider.take(),
            out,
        );
        // The error is checked before the choices (PROTOCOL.md §2.7).
        if let Some(err) = chunk.take_error() {
            self.end(out);
            out.push(StreamEvent::ProviderError(err));
        }
        for mut choice in chunk.choices {
            if !choice.annotations.is_empty() {
                out.push(StreamEvent::Annotations(std::mem::take(
                    &mut choice.annotations,
                )));
            }
            if let Some(d) = choice.delta {
                self.saw_delta = true;
                self.delta(d, out);
            }
            // A whole message is the text only when no delta ever came;
            // its annotations count either way (repeats are merged by URL).
            match choice.message {
                Some(m) if !self.saw_delta => {
                    let m = self.new_in_message(m);
                    self.delta(m, out);
                }
                Some(m) if !m.annotations.is_empty() => {
                    out.push(StreamEvent::Annotations(m.annotations));
                }
                _ => {}
            }
            if let Some(err) = choice.error {
                self.end(out);
                out.push(StreamEvent::ProviderError(err.0));
            }
            self.note_finish(choice.finish_reason, choice.native_finish_reason, out);
        }
        if let Some(u) = merge_usage(chunk.usage, chunk.meta) {
            out.push(StreamEvent::Usage(u));
        }
    }

    /// The stream is over: text held back (a possible thinking tag or
    /// image, a lone CR) goes out.
    pub fn end(&mut self, out: &mut Vec<StreamEvent>) {
        let ChunkInterpreter {
            think,
            content,
            reasoning,
            ..
        } = self;
        let mut thought = String::new();
        let mut answer = String::new();
        think.finish(&mut |r| thought.push_str(r), &mut |a| answer.push_str(a));
        push_reasoning(reasoning, &thought, out);
        if !answer.is_empty() {
            content.push(&answer, out);
        }
        content.flush(out);
    }

    /// What a whole `message` adds to those before it: one that grows from
    /// chunk to chunk gives only its new end; one that does not, all of it.
    fn new_in_message(&mut self, mut m: Delta) -> Delta {
        fn added(so_far: &mut String, now: String) -> String {
            match now.strip_prefix(so_far.as_str()) {
                Some(rest) if !so_far.is_empty() => {
                    let rest = rest.to_string();
                    *so_far = now;
                    rest
                }
                _ => {
                    so_far.push_str(&now);
                    now
                }
            }
        }
        if let Some(ContentIn::Text(t)) = m.content.take_if(|c| matches!(c, ContentIn::Text(_))) {
            m.content = Some(ContentIn::Text(added(&mut self.message_text, t)));
        }
        for r in [&mut m.reasoning, &mut m.reasoning_content] {
            if let Some(t) = r.take() {
                *r = Some(added(&mut self.message_reasoning, t));
            }
        }
        m
    }

    fn delta(&mut self, d: Delta, out: &mut Vec<StreamEvent>) {
        // One reasoning text per delta: the fields duplicate each other.
        let reasoning = d
            .reasoning
            .filter(|r| !r.is_empty())
            .or_else(|| d.reasoning_content.filter(|r| !r.is_empty()))
            .or_else(|| {
                let text: String = d
                    .reasoning_details
                    .iter()
                    .filter_map(|r| {
                        r.get("text")
                            .or_else(|| r.get("summary"))
                            .and_then(Value::as_str)
                    })
                    .collect();
                (!text.is_empty()).then_some(text)
            });
        if !d.reasoning_details.is_empty() {
            out.push(StreamEvent::ReasoningDetails(d.reasoning_details));
        }
        if let Some(r) = reasoning {
            self.push_reasoning(&r, out);
        }
        match d.content {
            Some(ContentIn::Text(t)) => self.answer_text(&t, out),
            Some(ContentIn::Parts(parts)) => {
                for p in &parts {
                    self.part(p, out);
                }
            }
            None => {}
        }
        if let Some(r) = d.refusal.filter(|r| !r.is_empty()) {
            self.answer_text(&r, out);
        }
        for img in d.images {
            if let Some(u) = img.image_url.filter(|u| !u.0.is_empty()) {
                out.push(StreamEvent::Image(u.0));
            }
        }
        if !d.annotations.is_empty() {
            out.push(StreamEvent::Annotations(d.annotations));
        }
    }

    fn push_reasoning(&mut self, text: &str, out: &mut Vec<StreamEvent>) {
        push_reasoning(&mut self.reasoning, text, out);
    }

    /// Answer text: thinking tags opening it go to reasoning, the rest
    /// through the content filter.
    fn answer_text(&mut self, text: &str, out: &mut Vec<StreamEvent>) {
        // Nearly every delta: past the start, no copy.
        if self.think.past_start() {
            return self.content.push(text, out);
        }
        // Within one push, reasoning always comes before answer text.
        let (mut thought, mut answer) = (String::new(), String::new());
        self.think
            .push(text, &mut |r| thought.push_str(r), &mut |a| {
                answer.push_str(a)
            });
        push_reasoning(&mut self.reasoning, &thought, out);
        if !answer.is_empty() {
            self.content.push(&answer, out);
        }
    }

    /// One typed content part: text, thinking, or an image.
    fn part(&mut self, p: &Value, out: &mut Vec<StreamEvent>) {
        let kind = p.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "thinking" | "reasoning" | "reasoning_text" | "thought" | "summary_text" => {
                let text = ["thinking", "reasoning", "text", "summary"]
                    .iter()
                    .find_map(|k| p.get(*k).map(text_of))
                    .unwrap_or_default();
                self.push_reasoning(&text, out);
            }
            "image_url" | "image" | "output_image" | "input_image" => {
                if let Some(url) = image_of(p) {
                    out.push(StreamEvent::Image(url));
                }
            }
            "" | "text" | "output_text" | "input_text" => {
                let text = p.get("text").map(text_of).unwrap_or_default();
                // Gemini marks thought summaries with `thought: true`.
                if p.get("thought").and_then(Value::as_bool) == Some(true) {
                    self.push_reasoning(&text, out);
                } else {
                    self.answer_text(&text, out);
                }
            }
            _ => {}
        }
    }

    fn note_meta(
        &mut self,
        id: Option<String>,
        model: Option<String>,
        provider: Option<String>,
        out: &mut Vec<StreamEvent>,
    ) {
        if id.is_none() && model.is_none() && provider.is_none() {
            return;
        }
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

    /// The first finish reason wins. Some gateways send only the native one
    /// (`MAX_TOKENS`, `SAFETY`): it stands in, lower-cased.
    fn note_finish(
        &mut self,
        reason: Option<String>,
        native: Option<String>,
        out: &mut Vec<StreamEvent>,
    ) {
        let native = native.filter(|n| !n.is_empty());
        let reason = reason
            .filter(|r| !r.is_empty())
            .or_else(|| native.as_ref().map(|n| n.to_lowercase()));
        if let Some(reason) = reason
            && !self.finished
        {
            self.finished = true;
            self.end(out);
            out.push(StreamEvent::Finish { reason, native });
        }
    }
}

fn push_reasoning(ends: &mut LineEnds, text: &str, out: &mut Vec<StreamEvent>) {
    if text.is_empty() {
        return;
    }
    let t = ends.plain(text);
    if !t.is_empty() {
        out.push(StreamEvent::Reasoning(t.into_owned()));
    }
}

/// The error an `event: error` carries, whatever its data: an OpenAI or
/// OpenRouter error object, `{"message"}`, `{"text"}`, FastAPI's
/// `{"detail"}`, or plain text. Its status is what its fields say, and none
/// when they say nothing.
fn error_event(data: &str) -> super::types::WireError {
    let data = data.trim();
    let parsed = serde_json::from_str::<Value>(data)
        .ok()
        .and_then(|v| crate::api::error::loose_error(&v));
    parsed.unwrap_or_else(|| super::types::WireError {
        message: if data.is_empty() {
            "the server sent an error event with no words".into()
        } else {
            crate::text::preview(data, 300)
        },
        ..Default::default()
    })
}

/// One JSON object, or an array of them (Google wraps errors in a list).
pub fn parse_objects(data: &str) -> Result<Vec<Chunk>, serde_json::Error> {
    if data.starts_with('[') {
        serde_json::from_str(data)
    } else {
        serde_json::from_str(data).map(|c| vec![c])
    }
}

/// Text as a string, or as parts that carry text.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(text_of).collect(),
        Value::Object(_) => v.get("text").map(text_of).unwrap_or_default(),
        _ => String::new(),
    }
}

/// An image part's URL: `image_url` as an object or a string, a bare `url`,
/// or base64 `source` data (Anthropic's shape), made a data URL.
fn image_of(p: &Value) -> Option<String> {
    let url = match p.get("image_url") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(o) => o.get("url").and_then(Value::as_str).map(str::to_string),
        None => p.get("url").and_then(Value::as_str).map(str::to_string),
    };
    url.or_else(|| {
        let src = p.get("source")?;
        let data = src.get("data").and_then(Value::as_str)?;
        let mime = src
            .get("media_type")
            .and_then(Value::as_str)
            .unwrap_or("image/png");
        Some(format!("data:{mime};base64,{data}"))
    })
    .filter(|u| !u.is_empty())
}
