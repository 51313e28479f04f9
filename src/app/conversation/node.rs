//! What a message in the tree is: a prompt, an answer (with its cost and
//! its clock), or a note (an error or something orchat says).

use crate::chat::answer::{Answer, Status};
use crate::chat::attach::Attachment;
use crate::chat::catalog::Catalog;
use crate::chat::pricing::Cost;

/// A message's content.
#[derive(Debug, Clone)]
pub enum Body {
    Prompt(Prompt),
    Reply(Box<Reply>),
    Note(Note),
}

impl Body {
    pub fn is_note(&self) -> bool {
        matches!(self, Body::Note(_))
    }

    pub fn prompt(&self) -> Option<&Prompt> {
        match self {
            Body::Prompt(p) => Some(p),
            _ => None,
        }
    }

    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Body::Reply(r) => Some(r),
            _ => None,
        }
    }

    pub fn reply_mut(&mut self) -> Option<&mut Reply> {
        match self {
            Body::Reply(r) => Some(r),
            _ => None,
        }
    }

    pub fn note(&self) -> Option<&Note> {
        match self {
            Body::Note(n) => Some(n),
            _ => None,
        }
    }
}

/// What the user sent: text, attached images, and the model it went to
/// (the first of an ask of several).
#[derive(Debug, Clone, Default)]
pub struct Prompt {
    pub text: String,
    pub images: Vec<Attachment>,
    pub model: String,
}

/// An answer in the tree. Answers asked together (compare mode) share an
/// `ask`: the id of the first of them.
#[derive(Debug, Clone)]
pub struct Reply {
    pub answer: Answer,
    /// Set once it ended: what it cost and how that is known.
    pub cost: Option<Cost>,
    pub ask: super::NodeId,
    pub timing: Timing,
}

/// An answer's clock (the app's clock, ms) and its retries: when it was
/// asked, its first token, its last event, when it ended; a wait for a
/// retry in progress.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timing {
    /// The tag of its request's events (0: read back from the store).
    pub turn: u64,
    pub started_ms: u64,
    pub first_token_ms: Option<u64>,
    pub last_event_ms: u64,
    pub finished_ms: Option<u64>,
    /// A retry wait in progress: when the client tries again, why, and
    /// whether the provider's rate limit is the reason.
    pub retry_at_ms: Option<u64>,
    pub retry_reason: Option<String>,
    pub rate_limited: bool,
    /// Tries the client made again before the answer began.
    pub retries: u32,
}

impl Timing {
    /// Time to first token, ms.
    pub fn ttft_ms(&self) -> Option<u64> {
        Some(self.first_token_ms?.saturating_sub(self.started_ms))
    }

    /// From the request to its end (or to `now_ms` while it runs), ms.
    pub fn elapsed_ms(&self, now_ms: u64) -> u64 {
        self.finished_ms
            .unwrap_or(now_ms)
            .saturating_sub(self.started_ms)
    }
}

/// Where an answer is, as a column's header says it.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyState {
    Waiting,
    /// Reasoning has come, no answer text yet.
    Thinking,
    Streaming,
    /// Waiting to try again: seconds left, why, and whether a rate limit
    /// is the reason (a 503 is no rate limit).
    Retrying {
        secs: u64,
        reason: String,
        rate_limited: bool,
    },
    /// Ended, and how.
    Ended(Status),
}

impl ReplyState {
    pub fn label(&self) -> String {
        match self {
            ReplyState::Waiting => "waiting".into(),
            ReplyState::Thinking => "thinking".into(),
            ReplyState::Streaming => "streaming".into(),
            ReplyState::Retrying {
                secs,
                rate_limited: true,
                ..
            } => format!("rate limited · retry in {secs}s"),
            ReplyState::Retrying { secs, .. } => format!("retry in {secs}s"),
            ReplyState::Ended(Status::Complete) => "done".into(),
            ReplyState::Ended(s) => s.label().to_string(),
        }
    }
}

impl Reply {
    pub fn new(answer: Answer, ask: super::NodeId, turn: u64, now_ms: u64) -> Reply {
        Reply {
            answer,
            cost: None,
            ask,
            timing: Timing {
                turn,
                started_ms: now_ms,
                last_event_ms: now_ms,
                ..Timing::default()
            },
        }
    }

    /// Still waiting or streaming.
    pub fn is_live(&self) -> bool {
        self.timing.finished_ms.is_none()
    }

    /// An answer that can be kept: it ended with text (or images) in it.
    pub fn keepable(&self) -> bool {
        !self.is_live() && self.answer.received()
    }

    /// Nothing came of it: refused, failed or stopped before any answer.
    pub fn nothing_came(&self) -> bool {
        !self.is_live()
            && !self.answer.received()
            && matches!(self.answer.status, Status::Failed | Status::Stopped)
    }

    /// Its cost: final once it ended, else the live estimate.
    pub fn live_cost(&self, catalog: &Catalog) -> Cost {
        self.cost.unwrap_or_else(|| self.answer.cost(catalog))
    }

    pub fn state(&self, now_ms: u64) -> ReplyState {
        if !self.is_live() {
            return ReplyState::Ended(self.answer.status);
        }
        if let (Some(at), Some(why)) = (self.timing.retry_at_ms, &self.timing.retry_reason) {
            return ReplyState::Retrying {
                secs: at.saturating_sub(now_ms).div_ceil(1000),
                reason: why.clone(),
                rate_limited: self.timing.rate_limited,
            };
        }
        if !self.answer.text.is_empty() {
            ReplyState::Streaming
        } else if !self.answer.reasoning.is_empty() {
            ReplyState::Thinking
        } else {
            ReplyState::Waiting
        }
    }

    /// Output tokens a second since the first token (reasoning included).
    pub fn tokens_per_s(&self, now_ms: u64) -> Option<f64> {
        let first = self.timing.first_token_ms?;
        let ms = self
            .timing
            .finished_ms
            .unwrap_or(now_ms)
            .saturating_sub(first);
        (ms >= 200).then(|| {
            let e = self.answer.estimate();
            let out = self
                .answer
                .usage
                .as_ref()
                .filter(|_| self.answer.implausible_output_count().is_none())
                .map_or(e.output + e.reasoning, |u| u.completion_tokens);
            out as f64 * 1000.0 / ms as f64
        })
    }
}

/// Something shown after a message and never sent: a failure with what to
/// do next, or something orchat says (a model switched, a notice).
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub kind: NoteKind,
    pub text: String,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    Error,
    Notice,
}

impl Note {
    pub fn error(text: impl Into<String>, hint: Option<String>) -> Note {
        Note {
            kind: NoteKind::Error,
            text: text.into(),
            hint,
        }
    }

    pub fn notice(text: impl Into<String>) -> Note {
        Note {
            kind: NoteKind::Notice,
            text: text.into(),
            hint: None,
        }
    }
}
