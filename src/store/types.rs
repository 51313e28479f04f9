//! What the store saves and hands back: messages and who they are from,
//! conversation summaries, and search hits.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::chat::answer::{Answer, Status};
use crate::chat::pricing::{Cost, CostKind};

/// Who a saved message is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StoredRole {
    #[default]
    User,
    Assistant,
    /// A failure shown in the conversation (not sent back to the model).
    Error,
    /// Something orchat said (model switched…).
    Notice,
}

impl StoredRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StoredRole::User => "user",
            StoredRole::Assistant => "assistant",
            StoredRole::Error => "error",
            StoredRole::Notice => "notice",
        }
    }

    pub fn parse(s: &str) -> Option<StoredRole> {
        Some(match s {
            "user" => StoredRole::User,
            "assistant" => StoredRole::Assistant,
            "error" => StoredRole::Error,
            "notice" => StoredRole::Notice,
            _ => return None,
        })
    }
}

/// One message of a conversation as saved. `(conversation_id, seq)` is its
/// key: writing the same key again replaces it (an answer is written when it
/// ends; writing it again after a retry updates it).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StoredMessage {
    pub conversation_id: String,
    pub seq: u32,
    pub role: StoredRole,
    pub text: String,
    /// What the user attached, as given: a URL or a file path (never the
    /// encoded bytes).
    #[serde(default)]
    pub attachments: Vec<String>,
    /// Files the generated images were saved to.
    #[serde(default)]
    pub image_paths: Vec<String>,
    #[serde(default)]
    pub reasoning: String,
    /// The answer's `reasoning_details`, to send back on later turns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasoning_details: Vec<serde_json::Value>,
    #[serde(default)]
    pub model_requested: Option<String>,
    #[serde(default)]
    pub model_reported: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub prompt_tokens: Option<u64>,
    #[serde(default)]
    pub completion_tokens: Option<u64>,
    #[serde(default)]
    pub reasoning_tokens: Option<u64>,
    #[serde(default)]
    pub image_tokens: Option<u64>,
    /// USD, exact (a decimal string in JSON and in the database).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub cost: Option<Decimal>,
    #[serde(default)]
    pub cost_kind: Option<CostKind>,
    #[serde(default)]
    pub generation_id: Option<String>,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    pub created_ms: u64,
    #[serde(default)]
    pub finished_ms: Option<u64>,
    /// Milliseconds from the request to the first token, when known (kept
    /// for a round's answers, whose speed is compared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_ms: Option<u64>,
    /// A comparison round saved here: every model's answer and which was
    /// kept (this message's own fields are the kept one's, or the first's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<StoredRound>,
    /// An answer's input as estimated before sending (tokens), and the
    /// images sent with it: its header and cost estimate after a reload
    /// when the provider reported no usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_estimate: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images_in: Option<u64>,
    /// The message it follows in the conversation's tree: a prompt's
    /// answer, an answer's prompt, the message a note is shown after
    /// (`None`: a first prompt, or a note before any). Schema V5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<u32>,
    /// Answers asked together (compare mode) share the seq of the first of
    /// them; a single answer has its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask: Option<u32>,
    /// An answer's sources (schema V6).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<crate::chat::sources::Source>,
    /// OpenRouter's parses of its PDFs, sent back with it (schema V6).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub file_annotations: Vec<serde_json::Value>,
    /// Web search was asked for (schema V6).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub web: bool,
    /// What its searches cost apart from the tokens (USD; schema V6).
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub search_usd: Option<rust_decimal::Decimal>,
}

/// The answers of a comparison round, as saved (PROTOCOL-independent:
/// orchat's own). None of them but the kept one is ever sent as history.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StoredRound {
    /// Which answer is the reply (0-based); `None` while none is kept.
    #[serde(default)]
    pub kept: Option<usize>,
    pub answers: Vec<StoredMessage>,
}

impl StoredMessage {
    /// A message with only the essentials set.
    pub fn new(
        conversation_id: &str,
        seq: u32,
        role: StoredRole,
        text: &str,
        created_ms: u64,
    ) -> StoredMessage {
        StoredMessage {
            conversation_id: conversation_id.to_string(),
            seq,
            role,
            text: text.to_string(),
            created_ms,
            ..StoredMessage::default()
        }
    }

    /// A prompt as sent: its text and what was attached (URLs or paths).
    pub fn user(
        conversation_id: &str,
        seq: u32,
        text: &str,
        attachments: Vec<String>,
        model: &str,
        now_ms: u64,
    ) -> StoredMessage {
        StoredMessage {
            attachments,
            model_requested: Some(model.to_string()),
            ..StoredMessage::new(conversation_id, seq, StoredRole::User, text, now_ms)
        }
    }

    /// An answer as it ended. Generated images are kept as the files they
    /// were saved to (`Answer::image_paths`); their data URLs are never
    /// stored (an image that is already a path or an http(s) URL is kept as
    /// is). `created_ms` and `finished_ms` are `now_ms`; set `created_ms` to
    /// when the request started if that is known.
    pub fn from_answer(
        conversation_id: &str,
        seq: u32,
        answer: &Answer,
        cost: Option<Cost>,
        now_ms: u64,
    ) -> StoredMessage {
        let usage = answer.usage.as_ref();
        StoredMessage {
            conversation_id: conversation_id.to_string(),
            seq,
            role: StoredRole::Assistant,
            text: answer.text.clone(),
            attachments: Vec::new(),
            image_paths: answer
                .image_paths
                .iter()
                .filter_map(|p| p.as_ref().ok())
                .chain(answer.images.iter().filter_map(|g| match g {
                    crate::chat::images::Generated::Url(u) if !u.starts_with("data:") => Some(u),
                    _ => None,
                }))
                .cloned()
                .collect(),
            reasoning: answer.reasoning.clone(),
            reasoning_details: answer.reasoning_details.clone(),
            model_requested: Some(answer.model_requested.clone()),
            model_reported: answer.model_reported.clone(),
            provider: answer.provider.clone(),
            prompt_tokens: usage.map(|u| u.prompt_tokens),
            completion_tokens: usage.map(|u| u.completion_tokens),
            reasoning_tokens: usage.map(|u| u.reasoning_tokens()),
            image_tokens: usage.map(|u| u.image_tokens()),
            cost: cost.map(|c| c.usd),
            cost_kind: cost.map(|c| c.kind),
            generation_id: answer.generation_id.clone(),
            status: Some(answer.status),
            finish_reason: answer.finish_reason.clone(),
            error: answer.error.clone(),
            created_ms: now_ms,
            finished_ms: answer.status.is_final().then_some(now_ms),
            ttft_ms: None,
            round: None,
            prompt_estimate: Some(answer.prompt_estimate),
            images_in: Some(answer.images_in),
            parent: None,
            ask: None,
            sources: answer.sources.clone(),
            file_annotations: answer.file_annotations.clone(),
            web: answer.web,
            search_usd: answer.search_fee(),
        }
    }

    /// The charge an answer with a cost stands for, under the id `conv/seq`
    /// (as existing answers became the ledger's first rows, and as an
    /// imported conversation's answers do). The app records its own charges,
    /// one per billed request.
    pub fn charge(&self) -> Option<crate::chat::pricing::Charge> {
        if self.role != StoredRole::Assistant {
            return None;
        }
        Some(crate::chat::pricing::Charge {
            id: format!("{}/{}", self.conversation_id, self.seq),
            conversation_id: self.conversation_id.clone(),
            model: self.model().unwrap_or_default().to_string(),
            cost: self
                .cost_value()
                .or_else(|| self.cost.map(|c| Cost::new(c, CostKind::Estimated)))?,
            prompt_tokens: self.prompt_tokens.unwrap_or(0),
            completion_tokens: self.completion_tokens.unwrap_or(0),
            reasoning_tokens: self.reasoning_tokens.unwrap_or(0),
            image_tokens: self.image_tokens.unwrap_or(0),
            generation_id: self.generation_id.clone(),
            created_ms: self.finished_ms.unwrap_or(self.created_ms),
            search: self.search_usd,
            ..Default::default()
        })
    }

    /// The saved cost with its kind, when both are known.
    pub fn cost_value(&self) -> Option<Cost> {
        Some(Cost::new(self.cost?, self.cost_kind?))
    }

    /// The model to label the message with: the one that answered, else the
    /// one asked for.
    pub fn model(&self) -> Option<&str> {
        self.model_reported
            .as_deref()
            .or(self.model_requested.as_deref())
    }

    /// Rebuilds an `Answer` for a resumed conversation: text, reasoning, who
    /// answered, usage, saved image files and how it ended.
    pub fn to_answer(&self) -> Answer {
        use crate::api::types::{CompletionTokensDetails, Usage, WireDecimal};
        let has_usage = self.prompt_tokens.is_some() || self.completion_tokens.is_some();
        let usage = has_usage.then(|| {
            let prompt = self.prompt_tokens.unwrap_or(0);
            let completion = self.completion_tokens.unwrap_or(0);
            Usage {
                prompt_tokens: prompt,
                completion_tokens: completion,
                total_tokens: prompt + completion,
                cost: match (self.cost, self.cost_kind) {
                    (Some(c), Some(CostKind::Reported)) => Some(WireDecimal(c)),
                    _ => None,
                },
                prompt_tokens_details: None,
                completion_tokens_details: Some(CompletionTokensDetails {
                    reasoning_tokens: self.reasoning_tokens.unwrap_or(0),
                    image_tokens: self.image_tokens.unwrap_or(0),
                }),
                ..Usage::default()
            }
        });
        // Saved while it streamed and never finished: orchat ended first.
        let (status, error) = match self.status {
            Some(s) if !s.is_final() => (
                Status::Interrupted,
                Some(
                    self.error
                        .clone()
                        .unwrap_or_else(|| INTERRUPTED.to_string()),
                ),
            ),
            s => (s.unwrap_or(Status::Complete), self.error.clone()),
        };
        Answer {
            model_requested: self.model_requested.clone().unwrap_or_default(),
            model_reported: self.model_reported.clone(),
            provider: self.provider.clone(),
            generation_id: self.generation_id.clone(),
            text: self.text.clone(),
            reasoning: self.reasoning.clone(),
            reasoning_details: self.reasoning_details.clone(),
            image_paths: self.image_paths.iter().cloned().map(Ok).collect(),
            sources: self.sources.clone(),
            file_annotations: self.file_annotations.clone(),
            web: self.web,
            search_saved: self.search_usd,
            usage,
            finish_reason: self.finish_reason.clone(),
            status,
            error,
            prompt_estimate: self.prompt_estimate.unwrap_or(0),
            images_in: self.images_in.unwrap_or(0),
            ..Answer::default()
        }
    }
}

/// What an answer saved while it streamed, and never finished, says.
pub const INTERRUPTED: &str = "interrupted: orchat ended while it streamed; what was saved of it is kept (all but about the last second)";

/// A conversation as listed: its title (set with /rename, else the first
/// prompt), when it began and last changed, the models that answered (in
/// order of first use), how many prompts and answers it has, and their
/// total cost (exact).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConversationMeta {
    pub id: String,
    pub title: String,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub models: Vec<String>,
    /// Prompts and answers (errors and notices are not counted).
    pub messages: u32,
    /// Everything billed in the conversation (its ledger), exact.
    #[serde(with = "rust_decimal::serde::str")]
    pub total_cost: Decimal,
    /// Billed requests whose cost is unknown (not in `total_cost`).
    #[serde(default)]
    pub unknown_costs: u32,
    /// The last message of the path that was current (its seq): where the
    /// conversation reopens. `None`: its last message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<u32>,
}

/// One message that matched a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub conversation_id: String,
    pub title: String,
    pub seq: u32,
    /// A few words around the match, each match wrapped in
    /// [`MATCH_START`] and [`MATCH_END`].
    pub snippet: String,
}

/// Marks around a matched word in [`SearchHit::snippet`].
pub const MATCH_START: &str = "«";
pub const MATCH_END: &str = "»";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_answer_keeps_paths_but_not_image_data() {
        let mut a = Answer::new("m", 0, 0);
        // The first saved (its data dropped), the second a server's URL.
        a.images = vec![
            crate::chat::images::Generated::Url("data:image/png;base64,AAAA".into()),
            crate::chat::images::Generated::Url("https://example.com/b.png".into()),
        ];
        a.image_paths = vec![Ok("/tmp/a.png".into()), Err("disk full".into())];
        a.status = Status::Stopped;
        let m = StoredMessage::from_answer("c", 2, &a, None, 7);
        assert_eq!(m.image_paths, ["/tmp/a.png", "https://example.com/b.png"]);
        assert_eq!(
            m.to_answer().image_paths,
            [
                Ok("/tmp/a.png".to_string()),
                Ok("https://example.com/b.png".to_string())
            ]
        );
        assert_eq!(m.finished_ms, Some(7));
        assert_eq!(m.status, Some(Status::Stopped));
        assert_eq!(m.prompt_tokens, None);
    }
}
