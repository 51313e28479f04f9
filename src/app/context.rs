//! What the next request sends and how much of the model's context window
//! it takes: the messages of the current path's history, their estimated
//! tokens, and where to start history when the oldest no longer fit.

use rust_decimal::Decimal;

use super::conversation::Cut;
use super::state::App;
use crate::api::types::{Message, Role};
use crate::chat::catalog::Model;
use crate::chat::pricing::{IMAGE_INPUT_TOKENS, estimate_tokens};

impl App {
    /// Prompt tokens the history would take (estimated), plus a draft not
    /// yet sent and the system prompt, and the number of images in it.
    pub fn context_estimate(&self, draft: &str) -> (u64, u64) {
        let (history, images) = self.conversation.history_estimate();
        let tokens = history
            .saturating_add(estimate_tokens(self.chat.system.as_deref().unwrap_or("")))
            .saturating_add(estimate_tokens(draft));
        // Attachments waiting to be sent count as part of the draft.
        let (more, draft_images) =
            super::conversation::attachments_estimate(&self.composer.attachments);
        let images = images.saturating_add(draft_images);
        (
            tokens
                .saturating_add(more)
                .saturating_add(images.saturating_mul(IMAGE_INPUT_TOKENS)),
            images,
        )
    }

    /// Advances the running sum behind the estimate. `update` calls it after
    /// every message; a test or a benchmark that builds a conversation by
    /// hand may call it too (the estimate is right either way, only slower).
    pub fn settle_context(&mut self) {
        self.conversation.settle_context();
    }

    /// Where history should start so it and `draft` fit in `window` tokens
    /// (with a tenth to spare for the answer and the estimate's error), at a
    /// prompt; `None` when even the draft alone does not fit.
    pub fn history_to_leave_out(&self, draft: &str, window: u64) -> Option<Cut> {
        let budget = window - window / 10;
        let c = &self.conversation;
        let with_images =
            |(t, i): (u64, u64)| t.saturating_add(i.saturating_mul(IMAGE_INPUT_TOKENS));
        let fixed = estimate_tokens(self.chat.system.as_deref().unwrap_or(""))
            .saturating_add(estimate_tokens(draft))
            .saturating_add(with_images(super::conversation::attachments_estimate(
                &self.composer.attachments,
            )));
        let history = c.history();
        let mut tokens: u64 = history
            .iter()
            .map(|&id| with_images(c.context_of(id)))
            .sum::<u64>()
            .saturating_add(fixed);
        let mut from = 0;
        while tokens > budget {
            let &id = history.get(from)?;
            tokens = tokens.saturating_sub(with_images(c.context_of(id)));
            from += 1;
        }
        // Start at a prompt, so no answer is sent without its question.
        while from < history.len() && c.prompt(history[from]).is_none() {
            from += 1;
        }
        match history.get(from) {
            Some(&id) => Some(Cut::At(id)),
            // Nothing of the history is left: only the draft goes.
            None if fixed <= budget => Some(Cut::All),
            None => None,
        }
    }

    /// What sending the draft would cost in input (≈) on the current model,
    /// or on every model of compare mode together: `Some(None)` when a price
    /// is unknown, `None` when no model is known at all.
    pub fn send_estimate_all(&self) -> Option<Option<Decimal>> {
        let asked = self.chat.asked();
        if asked.len() >= 2 {
            let mut sum = Decimal::ZERO;
            for id in &asked {
                match self.env.catalog.get(id).and_then(|m| self.send_estimate(m)) {
                    Some(d) => sum = crate::chat::pricing::sat_add(sum, d),
                    None => return Some(None),
                }
            }
            return Some(Some(sum));
        }
        self.current_model().map(|m| self.send_estimate(m))
    }

    /// What sending the history plus the draft would cost in input on
    /// `model` (≈); `None` when its price is unknown.
    pub fn send_estimate(&self, model: &Model) -> Option<Decimal> {
        let (tokens, images) = self.context_estimate(&self.draft());
        // Audio waiting to be sent is priced at the model's audio rate
        // where it has one (PROTOCOL-MEDIA.md §3).
        let audio: u64 = self
            .composer
            .attachments
            .iter()
            .map(|a| a.tokens().audio)
            .sum();
        let pricing = model.pricing.as_ref()?;
        let cost = pricing.input_cost_with_audio(tokens, images, audio);
        // A search: its fee, and the results it adds to the prompt
        // (PROTOCOL-MEDIA.md §5.4).
        Some(match &self.chat.settings.web {
            Some(w) => {
                cost + w.fee()
                    + rust_decimal::Decimal::from(crate::chat::request::SEARCH_PROMPT_TOKENS)
                        * pricing.prompt
            }
            None => cost,
        })
    }

    /// The messages sent for the next request: the system prompt, then the
    /// current path's history, each prompt with its images and each answer
    /// with text (notes are never sent, nor any other branch).
    pub fn wire_messages(&self) -> Vec<Message> {
        let mut out: Vec<Message> = crate::chat::request::system(self.chat.system.as_deref())
            .into_iter()
            .collect();
        let c = &self.conversation;
        for &id in c.history() {
            if let Some(p) = c.prompt(id) {
                out.push(Message::with_parts(
                    p.text.clone(),
                    p.images.iter().map(|a| a.part()).collect(),
                ));
            } else if let Some(r) = c.reply(id)
                && (!r.answer.text.is_empty() || !r.answer.image_paths.is_empty())
            {
                out.push(self.answer_message(&r.answer));
            }
        }
        out
    }

    /// The image an image model is to edit: the latest one generated on
    /// the path before the last prompt, when that prompt attached no image
    /// of its own (PROTOCOL-MEDIA.md §4.1: it goes in the new user message).
    pub fn image_to_edit(&self) -> Option<crate::chat::images::Generated> {
        let c = &self.conversation;
        let history = c.history();
        let last = history.iter().rposition(|&id| c.prompt(id).is_some())?;
        let p = c.prompt(history[last])?;
        if p.images
            .iter()
            .any(|a| a.kind == crate::chat::attach::Kind::Image)
        {
            return None;
        }
        history[..last]
            .iter()
            .rev()
            .find_map(|&id| c.reply(id)?.answer.images.last().cloned())
    }

    /// The image `model` is to edit, when it draws and there is one
    /// (`image_to_edit`): it goes in the last user message, read from its
    /// file by the runtime as the request is sent (PROTOCOL-MEDIA.md §4.1).
    pub fn edit_image_for(&self, model: &str) -> Option<crate::chat::images::Generated> {
        let draws = self
            .env
            .catalog
            .get(model)
            .is_some_and(Model::outputs_images);
        draws.then(|| self.image_to_edit()).flatten()
    }

    /// An answer as history.
    fn answer_message(&self, answer: &crate::chat::answer::Answer) -> Message {
        // An answer that was only a picture still had its turn: history
        // keeps the turns alternating (the picture itself goes back in the
        // next user message, `edit_image_for`).
        let text = if answer.text.trim().is_empty() {
            let n = answer.image_paths.len().max(answer.images.len());
            format!("(generated {n} image{})", if n == 1 { "" } else { "s" })
        } else {
            answer.text.clone()
        };
        let mut m = Message::text(Role::Assistant, text);
        // OpenRouter's parse of a PDF goes back with the answer, so the PDF
        // is not parsed (and paid for) again (PROTOCOL-MEDIA.md §1.3).
        if self.env.openrouter && !answer.file_annotations.is_empty() {
            m.annotations = Some(answer.file_annotations.clone());
        }
        // OpenRouter asks for Gemini's reasoning back, unmodified, on later
        // turns to the same family; others never see it.
        if self.env.openrouter
            && !answer.reasoning_details.is_empty()
            && crate::chat::request::same_family(answer.model(), &self.chat.model)
        {
            m.reasoning_details = Some(answer.reasoning_details.clone());
        }
        m
    }
}
