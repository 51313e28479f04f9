//! One answer as it streams in: text, reasoning, images, who answered, usage,
//! and how it ended. One-shot mode and the TUI both fold stream events into
//! an `Answer`, so they agree on what was received and what it cost.

use serde::{Deserialize, Serialize};

use crate::api::error::ApiError;
use crate::api::sse::StreamEvent;
use crate::api::types::Usage;
use crate::catalog::Catalog;
use crate::pricing::{Cost, TokenEstimate, estimate_tokens};

/// How an answer ended (or that it has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Waiting,
    Streaming,
    /// `[DONE]` arrived.
    Complete,
    /// The stream ended without `[DONE]`.
    Incomplete,
    /// The user stopped it.
    Stopped,
    /// An error ended it; any text received is kept.
    Failed,
}

impl Status {
    pub fn is_final(self) -> bool {
        !matches!(self, Status::Waiting | Status::Streaming)
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
    /// Generated images as data URLs (saved to files by the caller).
    #[serde(skip)]
    pub images: Vec<String>,
    /// Where the generated images were saved (or why one could not be).
    #[serde(default)]
    pub image_paths: Vec<Result<String, String>>,
    pub usage: Option<Usage>,
    pub finish_reason: Option<String>,
    pub status: Status,
    /// What ended it, when something went wrong (one line).
    pub error: Option<String>,
    /// Notes that did not end it: skipped malformed lines, retries.
    pub notes: Vec<String>,
    /// Prompt tokens as estimated before sending.
    pub prompt_estimate: u64,
    /// Input images sent with the prompt.
    pub images_in: u64,
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
            StreamEvent::Image(url) => self.images.push(url.clone()),
            StreamEvent::Usage(u) => self.usage = Some(u.clone()),
            StreamEvent::Finish { reason, .. } => {
                self.finish_reason = Some(reason.clone());
            }
            StreamEvent::ProviderError(e) => {
                self.status = Status::Failed;
                self.error = Some(ApiError::from_wire(200, e, None).to_string());
            }
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
            StreamEvent::Done => {
                if self.status != Status::Failed {
                    self.status = Status::Complete;
                }
            }
            StreamEvent::Truncated => {
                if self.status != Status::Failed {
                    self.status = Status::Incomplete;
                    self.error = Some("the stream ended before the answer was complete".into());
                }
            }
        }
        true
    }

    /// Records a failure of the request itself (HTTP error, network, timeout).
    pub fn fail(&mut self, err: &ApiError) {
        self.status = Status::Failed;
        self.error = Some(err.to_string());
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

    /// The answer's cost: reported, computed from usage, or estimated.
    pub fn cost(&self, catalog: &Catalog) -> Cost {
        let pricing = catalog
            .get(self.model())
            .or_else(|| catalog.get(&self.model_requested))
            .map(|m| &m.pricing);
        Cost::settle(
            self.usage.as_ref(),
            pricing,
            self.images_in,
            &self.estimate(),
        )
    }

    /// Whether the provider's usage for this answer is in.
    pub fn has_usage(&self) -> bool {
        self.usage.is_some()
    }
}
