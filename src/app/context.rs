//! What the next request sends and how much of the model's context window
//! it takes: the messages (from `sent_from` on), their estimated tokens, and
//! how many of the oldest to leave out when they no longer fit. The status
//! bar asks for the estimate every frame, so settled entries are summed once,
//! at the end of `update`, and kept in a running sum.

use rust_decimal::Decimal;

use super::state::{App, Entry};
use crate::api::types::{Message, Role};
use crate::chat::catalog::Model;
use crate::chat::pricing::{IMAGE_INPUT_TOKENS, estimate_tokens};

/// A running sum of `entry_context` over `entries[from..upto]`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ContextMemo {
    from: usize,
    upto: usize,
    tokens: u64,
    images: u64,
    /// The text length of `entries[upto - 1]`: a cheap check that the
    /// summed entries are still the ones there.
    last_len: usize,
}

impl ContextMemo {
    fn fits(&self, entries: &[Entry], from: usize) -> bool {
        self.from == from
            && self.upto <= entries.len()
            && (self.upto == self.from
                || entries
                    .get(self.upto - 1)
                    .is_some_and(|e| entry_text_len(e) == self.last_len))
    }
}

impl App {
    /// Advances the running sum over entries that can no longer change.
    /// `update` calls it after every message; a test or a benchmark that
    /// builds a conversation by hand may call it too (the estimate is right
    /// either way, only slower without).
    pub fn settle_context(&mut self) {
        let mut memo = self.context;
        if !memo.fits(&self.entries, self.sent_from) {
            memo = ContextMemo {
                from: self.sent_from,
                upto: self.sent_from,
                ..ContextMemo::default()
            };
        }
        while let Some(e) = self.entries.get(memo.upto)
            && self.is_settled(e)
        {
            let (t, i) = entry_context(e);
            memo.tokens = memo.tokens.saturating_add(t);
            memo.images = memo.images.saturating_add(i);
            memo.upto += 1;
            memo.last_len = entry_text_len(e);
        }
        self.context = memo;
    }

    /// Prompt tokens the conversation so far would take (estimated), plus
    /// a draft not yet sent, and the number of images in it.
    pub fn context_estimate(&self, draft: &str) -> (u64, u64) {
        let memo = if self.context.fits(&self.entries, self.sent_from) {
            self.context
        } else {
            ContextMemo {
                from: self.sent_from,
                upto: self.sent_from,
                ..ContextMemo::default()
            }
        };
        let mut tokens = memo
            .tokens
            .saturating_add(estimate_tokens(self.system.as_deref().unwrap_or("")))
            .saturating_add(estimate_tokens(draft));
        // Attachments waiting to be sent count as part of the draft.
        let mut images = memo.images.saturating_add(self.attachments.len() as u64);
        for e in &self.entries[memo.upto..] {
            let (t, i) = entry_context(e);
            tokens = tokens.saturating_add(t);
            images = images.saturating_add(i);
        }
        (
            tokens.saturating_add(images.saturating_mul(IMAGE_INPUT_TOKENS)),
            images,
        )
    }

    /// An entry that will not change any more: everything but an answer
    /// still streaming (or waiting).
    fn is_settled(&self, e: &Entry) -> bool {
        match e {
            Entry::Assistant { turn, answer, .. } => {
                answer.status.is_final() && self.pending.as_ref().is_none_or(|p| p.turn != *turn)
            }
            // Until one is kept, a round may still become history.
            Entry::Round(r) => r.kept.is_some() && !r.is_live(),
            _ => true,
        }
    }

    /// Entries from `i` on were replaced or dropped: sums over them are
    /// stale, and so are the renderings of what is on screen.
    pub fn entries_changed_from(&mut self, i: usize) {
        self.sent_from = self.sent_from.min(i);
        if self.context.upto > i {
            self.context = ContextMemo::default();
        }
        self.redraw_all();
    }

    /// How many of the oldest entries to leave out so the conversation and
    /// `draft` fit in `window` tokens (with a tenth to spare for the answer
    /// and the estimate's error), starting at a prompt; `None` when even the
    /// draft alone does not fit.
    pub fn entries_to_leave_out(&self, draft: &str, window: u64) -> Option<usize> {
        let budget = window - window / 10;
        let fixed = estimate_tokens(self.system.as_deref().unwrap_or(""))
            .saturating_add(estimate_tokens(draft))
            .saturating_add((self.attachments.len() as u64).saturating_mul(IMAGE_INPUT_TOKENS));
        let mut tokens: u64 = self.entries[self.sent_from..]
            .iter()
            .map(|e| {
                let (t, i) = entry_context(e);
                t.saturating_add(i.saturating_mul(IMAGE_INPUT_TOKENS))
            })
            .sum::<u64>()
            .saturating_add(fixed);
        let mut from = self.sent_from;
        while tokens > budget {
            let e = self.entries.get(from)?;
            let (t, i) = entry_context(e);
            tokens = tokens.saturating_sub(t.saturating_add(i.saturating_mul(IMAGE_INPUT_TOKENS)));
            from += 1;
        }
        // Start at a prompt, so no answer is sent without its question.
        while from < self.entries.len() && !matches!(self.entries[from], Entry::User { .. }) {
            from += 1;
        }
        Some(from)
    }

    /// What sending the draft would cost in input (≈) on the current model,
    /// or on every model of compare mode together: `Some(None)` when a price
    /// is unknown, `None` when no model is known at all.
    pub fn send_estimate_all(&self) -> Option<Option<Decimal>> {
        if self.compare.len() >= 2 {
            let mut sum = Decimal::ZERO;
            for id in &self.compare {
                match self.catalog.get(id).and_then(|m| self.send_estimate(m)) {
                    Some(d) => sum = crate::chat::pricing::sat_add(sum, d),
                    None => return Some(None),
                }
            }
            return Some(Some(sum));
        }
        self.current_model().map(|m| self.send_estimate(m))
    }

    /// What sending the conversation plus the draft would cost in input on
    /// `model` (≈); `None` when its price is unknown.
    pub fn send_estimate(&self, model: &Model) -> Option<Decimal> {
        let (tokens, images) = self.context_estimate(&self.draft());
        Some(model.pricing.as_ref()?.input_cost(tokens, images))
    }

    /// The messages sent for the next request: the system prompt, then each
    /// user prompt and each answer's text (errors and notices are not sent),
    /// from `sent_from` on.
    pub fn wire_messages(&self) -> Vec<Message> {
        let mut out: Vec<Message> = crate::chat::request::system(self.system.as_deref())
            .into_iter()
            .collect();
        for e in self.entries.iter().skip(self.sent_from) {
            // A round is history through its kept answer only.
            let e = match e {
                Entry::Round(r) => match r.kept_column() {
                    Some(c) => {
                        out.push(self.answer_message(&c.answer));
                        continue;
                    }
                    None => continue,
                },
                e => e,
            };
            match e {
                Entry::User { text, images } => out.push(Message::with_images(
                    text.clone(),
                    images.iter().map(|a| a.url.clone()).collect(),
                )),
                Entry::Assistant { answer, .. } if !answer.text.is_empty() => {
                    out.push(self.answer_message(answer))
                }
                _ => {}
            }
        }
        out
    }

    /// An answer as history.
    fn answer_message(&self, answer: &crate::chat::answer::Answer) -> Message {
        let mut m = Message::text(Role::Assistant, answer.text.clone());
        // OpenRouter asks for Gemini's reasoning back, unmodified, on later
        // turns to the same family; others never see it.
        if self.openrouter
            && !answer.reasoning_details.is_empty()
            && crate::chat::request::same_family(answer.model(), &self.model)
        {
            m.reasoning_details = Some(answer.reasoning_details.clone());
        }
        m
    }
}

fn entry_text_len(e: &Entry) -> usize {
    match e {
        Entry::User { text, .. } | Entry::Error { text, .. } | Entry::Notice(text) => text.len(),
        Entry::Assistant { answer, .. } => answer.text.len(),
        Entry::Round(r) => r.kept_column().map_or(0, |c| c.answer.text.len()),
    }
}

/// The prompt tokens (estimated) and images one entry adds to the context.
fn entry_context(e: &Entry) -> (u64, u64) {
    match e {
        Entry::User { text, images } => (estimate_tokens(text) + 4, images.len() as u64),
        // The text that is sent back, estimated: a provider's reported count
        // can be far off (AI/ML API's 2.5 Pro counts run 21 times high).
        Entry::Assistant { answer, .. } => (estimate_tokens(&answer.text).saturating_add(4), 0),
        Entry::Round(r) => r.kept_column().map_or((0, 0), |c| {
            (estimate_tokens(&c.answer.text).saturating_add(4), 0)
        }),
        _ => (0, 0),
    }
}
