//! How much of a context window the history takes (estimated tokens and
//! images). The status bar asks for it every frame, so the messages that
//! can no longer change are summed once, at the end of each `update`, and
//! kept in a running sum over the current history.

use super::node::Body;
use super::{Conversation, NodeId};
use crate::chat::pricing::estimate_tokens;

/// A running sum over `history()[..upto]`, taken when `history()` started
/// at `start` and its message `upto - 1` was `last` at `last_rev`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ContextMemo {
    start: Option<NodeId>,
    upto: usize,
    tokens: u64,
    images: u64,
    last: Option<(NodeId, u64)>,
}

impl Conversation {
    /// The prompt tokens (estimated) and images one message adds when it is
    /// sent: a prompt and its images, an answer's text (the text sent back,
    /// estimated: a provider's own count can be far off), nothing else.
    pub fn context_of(&self, id: NodeId) -> (u64, u64) {
        match self.tree.body(id) {
            Some(Body::Prompt(p)) => {
                let (tokens, images) = attachments_estimate(&p.images);
                (
                    estimate_tokens(&p.text)
                        .saturating_add(4)
                        .saturating_add(tokens),
                    images,
                )
            }
            Some(Body::Reply(r)) if !r.answer.text.is_empty() => {
                (estimate_tokens(&r.answer.text).saturating_add(4), 0)
            }
            Some(Body::Reply(r)) if !r.answer.image_paths.is_empty() => (10, 0),
            _ => (0, 0),
        }
    }

    fn memo_fits(&self, m: &ContextMemo) -> bool {
        let h = self.history();
        m.start == h.first().copied()
            && m.upto <= h.len()
            && match m.last {
                None => m.upto == 0,
                Some((id, rev)) => {
                    m.upto > 0
                        && h[m.upto - 1] == id
                        && self.tree.get(id).is_some_and(|s| s.revision == rev)
                }
            }
    }

    /// Advances the running sum over messages that can no longer change
    /// (every one but an answer still streaming).
    pub fn settle_context(&mut self) {
        let mut m = self.context;
        if !self.memo_fits(&m) {
            m = ContextMemo {
                start: self.history().first().copied(),
                ..ContextMemo::default()
            };
        }
        let h = self.history();
        while let Some(&id) = h.get(m.upto)
            && !self.reply(id).is_some_and(|r| r.is_live())
        {
            let (t, i) = self.context_of(id);
            m.tokens = m.tokens.saturating_add(t);
            m.images = m.images.saturating_add(i);
            m.upto += 1;
            m.last = self.tree.get(id).map(|s| (id, s.revision));
        }
        self.context = m;
    }

    /// The history's prompt tokens (estimated) and images, as the next
    /// request would send them (the system prompt and the draft aside).
    pub fn history_estimate(&self) -> (u64, u64) {
        let m = if self.memo_fits(&self.context) {
            self.context
        } else {
            ContextMemo::default()
        };
        let (mut tokens, mut images) = (m.tokens, m.images);
        for &id in &self.history()[m.upto..] {
            let (t, i) = self.context_of(id);
            tokens = tokens.saturating_add(t);
            images = images.saturating_add(i);
        }
        (tokens, images)
    }
}

/// What attachments add to a prompt: the images (each priced per image and
/// counted as `IMAGE_INPUT_TOKENS` by the caller) and the tokens beyond
/// that: an image's further tiles, a PDF's pages at the upper bound, audio,
/// video and text files (PROTOCOL-MEDIA.md §3).
pub fn attachments_estimate(attachments: &[crate::chat::attach::Attachment]) -> (u64, u64) {
    use crate::chat::attach::Kind;
    let mut tokens = 0u64;
    let mut images = 0u64;
    for a in attachments {
        let t = a.tokens().high;
        if a.kind == Kind::Image {
            images += 1;
            tokens =
                tokens.saturating_add(t.saturating_sub(crate::chat::pricing::IMAGE_INPUT_TOKENS));
        } else {
            tokens = tokens.saturating_add(t);
        }
    }
    (tokens, images)
}
