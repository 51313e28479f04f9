//! One answer as it streams in: text, reasoning, images, who answered, usage,
//! and how it ended. One-shot mode and the TUI both fold stream events into
//! an `Answer`, so they agree on what was received and what it cost.

use serde::{Deserialize, Serialize};

use crate::api::error::ApiError;
use crate::api::sse::StreamEvent;
use crate::api::types::Usage;
use crate::chat::catalog::Catalog;
use crate::chat::pricing::{Cost, TokenEstimate, estimate_tokens};

/// How an answer ended (or that it has not yet). Every final status but
/// `Complete` comes with a one-line `Answer::error` saying why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Waiting,
    Streaming,
    /// The model finished and said so (a finish reason, or `[DONE]`).
    Complete,
    /// The connection closed before the model finished.
    Incomplete,
    /// The model reached the token limit (`finish_reason: "length"`,
    /// Gemini's `MAX_TOKENS`).
    CutShort,
    /// A safety or policy filter stopped it (`content_filter`, Gemini's
    /// `SAFETY`, `RECITATION`, `PROHIBITED_CONTENT`, …).
    Blocked,
    /// The model finished with no text and no image.
    Empty,
    /// The user stopped it.
    Stopped,
    /// An error ended it; any text received is kept.
    Failed,
    /// orchat itself ended while it streamed (killed, crashed, the power
    /// cut): what was saved of it, up to about a second before, is kept.
    Interrupted,
}

impl Status {
    pub fn is_final(self) -> bool {
        !matches!(self, Status::Waiting | Status::Streaming)
    }

    /// How the ending reads in a header or a table: "cut short", "blocked", ….
    pub fn label(self) -> &'static str {
        match self {
            Status::Waiting => "waiting",
            Status::Streaming => "streaming",
            Status::Complete => "complete",
            Status::Incomplete => "incomplete",
            Status::CutShort => "cut short",
            Status::Blocked => "blocked",
            Status::Empty => "empty",
            Status::Stopped => "stopped",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
        }
    }
}

/// What a finish reason says about the ending (PROTOCOL.md §2.2, §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishKind {
    /// `stop`, `tool_calls` and anything else not named below.
    Normal,
    /// The token limit.
    Length,
    /// A safety or policy filter.
    Filter,
    /// `finish_reason: "error"`.
    Error,
}

impl FinishKind {
    /// Reads `finish_reason` and `native_finish_reason` together, in either
    /// case: a filter or a limit named by either one counts.
    pub fn of(reason: Option<&str>, native: Option<&str>) -> FinishKind {
        let kinds = [reason, native].map(|r| r.map(|r| Self::one(&r.to_ascii_lowercase())));
        for k in [FinishKind::Filter, FinishKind::Length, FinishKind::Error] {
            if kinds.contains(&Some(k)) {
                return k;
            }
        }
        FinishKind::Normal
    }

    fn one(r: &str) -> FinishKind {
        match r {
            "length" | "max_tokens" | "max_output_tokens" | "model_length" => FinishKind::Length,
            "content_filter"
            | "safety"
            | "recitation"
            | "prohibited_content"
            | "blocklist"
            | "spii"
            | "image_safety"
            | "image_prohibited_content"
            | "image_recitation"
            | "refusal"
            | "language" => FinishKind::Filter,
            "error" => FinishKind::Error,
            _ => FinishKind::Normal,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The model asked for.
    pub model_requested: String,
    /// The model the provider says answered (fallbacks, permaslugs).
    pub model_reported: Option<String>,
    pub provider: Option<String>,
    pub generation_id: Option<String>,
    pub text: String,
    pub reasoning: String,
    /// `reasoning_details` merged by index and type (text fragments
    /// joined), to send back with this answer on later turns.
    #[serde(default)]
    pub reasoning_details: Vec<serde_json::Value>,
    /// Generated images: data URLs as they came, each replaced by its
    /// file's path once the caller has saved it.
    #[serde(skip)]
    pub images: Vec<crate::chat::images::Generated>,
    /// Where the generated images were saved (or why one could not be).
    #[serde(default)]
    pub image_paths: Vec<Result<String, String>>,
    /// Its sources (`url_citation` annotations), once per URL.
    #[serde(default)]
    pub sources: Vec<crate::chat::sources::Source>,
    /// OpenRouter's parses of attached PDFs (`file` annotations), sent back
    /// with the answer so they are not parsed and paid for again.
    #[serde(default)]
    pub file_annotations: Vec<serde_json::Value>,
    /// Web search was asked for (`/web on`, `--web`).
    #[serde(default)]
    pub web: bool,
    /// What its searches cost, as saved (a reloaded answer has no
    /// `cost_details` to split).
    #[serde(default)]
    pub search_saved: Option<rust_decimal::Decimal>,
    pub usage: Option<Usage>,
    pub finish_reason: Option<String>,
    /// The provider's own finish reason (Gemini's `MAX_TOKENS`, `SAFETY`).
    #[serde(default)]
    pub native_finish_reason: Option<String>,
    pub status: Status,
    /// What ended it, when something went wrong (one line).
    pub error: Option<String>,
    /// Notes that did not end it: skipped malformed lines, retries.
    pub notes: Vec<String>,
    /// Prompt tokens as estimated before sending.
    pub prompt_estimate: u64,
    /// Input images sent with the prompt.
    pub images_in: u64,
    /// The failure, typed, when an error ended it (for hints and offers).
    #[serde(skip)]
    pub failure: Option<ApiError>,
}

impl Answer {
    pub fn new(model: &str, prompt_estimate: u64, images_in: u64) -> Answer {
        Answer {
            model_requested: model.to_string(),
            prompt_estimate,
            images_in,
            ..Answer::default()
        }
    }

    /// The model to label and bill the answer with.
    pub fn model(&self) -> &str {
        self.model_reported
            .as_deref()
            .unwrap_or(&self.model_requested)
    }

    /// Folds one event in. Returns true when the event changed what is shown.
    pub fn apply(&mut self, ev: &StreamEvent) -> bool {
        match ev {
            StreamEvent::Meta {
                id,
                model,
                provider,
            } => {
                self.generation_id.clone_from(id);
                if model.is_some() {
                    self.model_reported.clone_from(model);
                }
                self.provider.clone_from(provider);
            }
            StreamEvent::Content(t) => {
                self.status = Status::Streaming;
                self.text.push_str(t);
            }
            StreamEvent::Reasoning(t) => {
                self.status = Status::Streaming;
                self.reasoning.push_str(t);
            }
            StreamEvent::ReasoningDetails(d) => merge_details(&mut self.reasoning_details, d),
            StreamEvent::Image(url) => self
                .images
                .push(crate::chat::images::Generated::Url(url.clone())),
            StreamEvent::Annotations(a) => {
                crate::chat::sources::merge(&mut self.sources, &mut self.file_annotations, a)
            }
            StreamEvent::Usage(u) => self.usage = Some(u.clone()),
            StreamEvent::Finish { reason, native } => {
                self.finish_reason = Some(reason.clone());
                self.native_finish_reason.clone_from(native);
            }
            StreamEvent::ProviderError(e) => self.fail(&ApiError::from_wire(200, e, None)),
            StreamEvent::Malformed(why) => {
                self.notes.push(format!("skipped a malformed line: {why}"));
            }
            StreamEvent::Retrying {
                attempt,
                wait,
                reason,
            } => {
                self.notes.push(format!(
                    "retry {attempt} in {:.0}s after: {reason}",
                    wait.as_secs_f64()
                ));
            }
            StreamEvent::Done => self.conclude(true),
            StreamEvent::Truncated => self.conclude(false),
        }
        true
    }

    /// Records a failure of the request itself (HTTP error, network, timeout)
    /// or one the provider reported in the stream.
    pub fn fail(&mut self, err: &ApiError) {
        self.status = Status::Failed;
        self.error = Some(err.to_string());
        self.failure = Some(err.clone());
    }

    /// Whether anything of an answer arrived: text, reasoning, an image or usage.
    pub fn received(&self) -> bool {
        !self.text.is_empty()
            || !self.reasoning.is_empty()
            || !self.images.is_empty()
            || self.usage.is_some()
    }

    /// Settles how the answer ended once the stream is over (`done`: it said
    /// `[DONE]`). A finish reason decides; without one, a stream that ended
    /// without `[DONE]` was cut off. A stop with nothing in it is flagged.
    pub fn conclude(&mut self, done: bool) {
        if matches!(
            self.status,
            Status::Failed | Status::Stopped | Status::Interrupted
        ) {
            return;
        }
        let kind = FinishKind::of(
            self.finish_reason.as_deref(),
            self.native_finish_reason.as_deref(),
        );
        let (status, error) = match kind {
            FinishKind::Filter => (
                Status::Blocked,
                format!(
                    "blocked by the provider's safety filter ({})",
                    self.native_finish_reason
                        .as_deref()
                        .or(self.finish_reason.as_deref())
                        .unwrap_or("content_filter")
                ),
            ),
            FinishKind::Length => (Status::CutShort, self.cut_short_reason()),
            FinishKind::Error => (
                Status::Failed,
                "the provider ended the answer with an error".to_string(),
            ),
            FinishKind::Normal if !done && self.finish_reason.is_none() => (
                Status::Incomplete,
                if self.received() {
                    "the connection closed in the middle of the answer"
                } else {
                    "the connection closed before any answer arrived"
                }
                .to_string(),
            ),
            FinishKind::Normal if self.text.trim().is_empty() && self.images.is_empty() => (
                Status::Empty,
                if self.reasoning.trim().is_empty() {
                    "the model sent an empty answer".to_string()
                } else {
                    "the model sent only its reasoning, no answer text".to_string()
                },
            ),
            FinishKind::Normal => {
                self.status = Status::Complete;
                return;
            }
        };
        self.status = status;
        self.error = Some(error);
    }

    /// The provider's output-token count when it is far from what came
    /// (more than eight times the tokens of the text, reasoning and images):
    /// AI/ML API's 2.5 Pro counts run about 21 times high (PROTOCOL.md §6).
    /// Its cost is still what it charged; only the count is not believed.
    pub fn implausible_output_count(&self) -> Option<u64> {
        let u = self.usage.as_ref()?;
        let seen = estimate_tokens(&self.text)
            .saturating_add(u.reasoning_tokens().max(estimate_tokens(&self.reasoning)))
            .saturating_add(u.image_tokens())
            .max(64);
        (u.completion_tokens > seen.saturating_mul(8)).then_some(u.completion_tokens)
    }

    /// What to say about an implausible output count, in one line.
    pub fn count_note(&self) -> Option<String> {
        let n = self.implausible_output_count()?;
        Some(format!(
            "the provider counted {n} output tokens for about {} tokens of text: its count looks off (AI/ML API's 2.5 Pro counts run about 21 times high); the cost shown is what it charged",
            estimate_tokens(&self.text).saturating_add(self.reasoning_tokens())
        ))
    }

    /// With the user's own provider key (BYOK): what the provider billed to
    /// that key and OpenRouter's fee beside it, in one line.
    pub fn byok_note(&self) -> Option<String> {
        let u = self.usage.as_ref()?;
        let upstream = u.byok_upstream()?;
        let fee = u.cost.map_or(rust_decimal::Decimal::ZERO, |c| c.0);
        Some(format!(
            "your own provider key (BYOK): {} billed to it by the provider, plus OpenRouter's fee of {}",
            crate::chat::pricing::format_usd(upstream),
            crate::chat::pricing::format_usd(fee)
        ))
    }

    /// Output tokens that went to reasoning: reported, else estimated.
    pub fn reasoning_tokens(&self) -> u64 {
        self.usage
            .as_ref()
            .map(Usage::reasoning_tokens)
            .filter(|n| *n > 0)
            .unwrap_or_else(|| estimate_tokens(&self.reasoning))
    }

    /// Whether the whole token budget went to reasoning, so no text came:
    /// seen in the reasoning text, or only in usage's `reasoning_tokens`
    /// (a provider that thinks without showing it).
    pub fn spent_on_reasoning(&self) -> bool {
        self.status == Status::CutShort && self.reasoning_ate_the_budget()
    }

    fn reasoning_ate_the_budget(&self) -> bool {
        self.text.trim().is_empty()
            && (!self.reasoning.is_empty()
                || self
                    .usage
                    .as_ref()
                    .is_some_and(|u| u.reasoning_tokens() > 0))
    }

    fn cut_short_reason(&self) -> String {
        if self.reasoning_ate_the_budget() {
            format!(
                "cut short by the token limit: {} tokens went to reasoning and no answer text came",
                self.reasoning_tokens()
            )
        } else {
            "cut short: the answer reached the token limit".to_string()
        }
    }

    /// Tokens known so far, for the live estimate.
    pub fn estimate(&self) -> TokenEstimate {
        TokenEstimate {
            prompt: self.prompt_estimate,
            output: estimate_tokens(&self.text),
            reasoning: estimate_tokens(&self.reasoning),
            images_in: self.images_in,
            images_out: self.images.len() as u64,
        }
    }

    /// The answer's cost: reported, computed from usage, or estimated; a
    /// request that failed before any answer came was not billed: exactly $0.
    pub fn cost(&self, catalog: &Catalog) -> Cost {
        if self.status == Status::Failed && !self.received() {
            return Cost::new(
                rust_decimal::Decimal::ZERO,
                crate::chat::pricing::CostKind::NotBilled,
            );
        }
        let pricing = catalog
            .pricing(self.model())
            .or_else(|| catalog.pricing(&self.model_requested));
        let cost = Cost::settle(
            self.usage.as_ref(),
            pricing,
            self.images_in,
            &self.estimate(),
        );
        // A reported cost has the search in it; one computed or estimated
        // from tokens does not.
        use crate::chat::pricing::CostKind;
        match (cost.kind, self.search_fee()) {
            (CostKind::Computed | CostKind::Estimated, Some(fee)) => {
                Cost::new(crate::chat::pricing::sat_add(cost.usd, fee), cost.kind)
            }
            _ => cost,
        }
    }

    /// What its web searches cost apart from the tokens (USD): split from
    /// the reported cost, or counted at the usual fee (PROTOCOL-MEDIA.md
    /// §6.2); before usage arrives, one search's fee when one was asked.
    pub fn search_fee(&self) -> Option<rust_decimal::Decimal> {
        // Drawn with every header each frame: a constant, no parsing.
        let fee = crate::chat::request::SEARCH_FEE;
        match (&self.usage, self.search_saved) {
            (_, Some(saved)) => Some(saved),
            (Some(u), None) => crate::chat::sources::search_fee(u, fee, self.web),
            (None, None) => self.web.then_some(fee),
        }
    }

    /// Whether the provider's usage for this answer is in.
    pub fn has_usage(&self) -> bool {
        self.usage.is_some()
    }
}

/// Folds streamed `reasoning_details` fragments into whole blocks: the same
/// `index` and `type` is one block, its `text` and `summary` joined, its
/// other fields (signature, data, format) as last sent (PROTOCOL.md §2.5).
pub fn merge_details(into: &mut Vec<serde_json::Value>, new: &[serde_json::Value]) {
    use serde_json::Value;
    for d in new {
        let key = (d.get("index").cloned(), d.get("type").cloned());
        let same = into
            .iter_mut()
            .find(|e| key.0.is_some() && (e.get("index").cloned(), e.get("type").cloned()) == key);
        match (same, d.as_object()) {
            (Some(Value::Object(block)), Some(fields)) => {
                for (k, v) in fields {
                    match (k.as_str(), block.get_mut(k), v) {
                        ("text" | "summary", Some(Value::String(old)), Value::String(more)) => {
                            old.push_str(more)
                        }
                        _ => {
                            block.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            _ => into.push(d.clone()),
        }
    }
}
