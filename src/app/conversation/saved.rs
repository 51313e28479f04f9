//! A conversation's messages as the store keeps them, and back: each
//! message a row under its seq, naming the one it follows (`parent`), an
//! answer its `ask` and its times; the conversation the last message of its
//! current path.

use super::node::{Body, Note, NoteKind, Prompt, Reply, Timing};
use super::{Conversation, NodeId, OpenAsk};
use crate::chat::attach::Attachment;
use crate::chat::catalog::Catalog;
use crate::store::{StoredMessage, StoredRole};

impl Conversation {
    /// Message `id` as the store keeps it. An answer still streaming is
    /// kept with what it cost so far, estimated with `catalog`'s prices.
    pub fn to_stored(&self, id: NodeId, catalog: &Catalog) -> Option<StoredMessage> {
        let tree = self.tree();
        let slot = tree.get(id)?;
        let conv = self.id.as_str();
        let parent = slot.parent.and_then(|p| tree.get(p)).map(|p| p.seq);
        let mut m = match &slot.body {
            Body::Prompt(p) => StoredMessage::user(
                conv,
                slot.seq,
                &p.text,
                p.images.iter().map(Attachment::stored_ref).collect(),
                &p.model,
                slot.created_ms,
            ),
            Body::Reply(r) => {
                let t = &r.timing;
                let mut m = StoredMessage::from_answer(
                    conv,
                    slot.seq,
                    &r.answer,
                    r.cost.or_else(|| {
                        // Saved while it streams: what came so far, estimated.
                        (r.is_live() && r.answer.received()).then(|| r.live_cost(catalog))
                    }),
                    slot.created_ms,
                );
                m.finished_ms = t
                    .finished_ms
                    .map(|f| slot.created_ms + f.saturating_sub(t.started_ms));
                m.ttft_ms = t.ttft_ms();
                m.ask = tree.get(r.ask).map(|a| a.seq);
                m
            }
            Body::Note(n) => {
                let role = match n.kind {
                    NoteKind::Error => StoredRole::Error,
                    NoteKind::Notice => StoredRole::Notice,
                };
                let mut m = StoredMessage::new(conv, slot.seq, role, &n.text, slot.created_ms);
                // A note's hint is kept where an answer keeps its error.
                m.error.clone_from(&n.hint);
                m
            }
        };
        m.parent = parent;
        Some(m)
    }

    /// The seq of the current path's last message (what the store
    /// remembers to reopen on): the open ask's prompt while one is open.
    pub fn current_seq(&self) -> Option<u32> {
        let id = self.open_ask().map(|o| o.prompt).or(self.current())?;
        self.tree().get(id).map(|s| s.seq)
    }
}

/// A saved conversation read back: its messages as they were saved, on the
/// path that was current (`current`, a seq; `None`: the newest message).
/// Answers read back are ended (one saved while it streamed says it was
/// interrupted); the last ask of several, none kept, is open again.
pub fn restore(id: &str, messages: &[StoredMessage], current: Option<u32>) -> Conversation {
    restore_with(id, messages, current, &Media::default())
}

/// What a saved conversation's files were read back as: each attachment
/// by the reference it was saved under (its bytes, or why they could not
/// be read), so they are sent as they were. Generated images are not read
/// here: an answer holds their paths and they are read when drawn or
/// edited.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Media {
    pub attachments: std::collections::HashMap<String, Result<Attachment, String>>,
}

/// `restore`, with the conversation's files read back (`media`).
pub fn restore_with(
    id: &str,
    messages: &[StoredMessage],
    current: Option<u32>,
    media: &Media,
) -> Conversation {
    let mut msgs: Vec<StoredMessage> = messages.to_vec();
    let current = crate::store::tree::normalize(&mut msgs, current);
    msgs.sort_by_key(|m| m.seq);
    let mut c = Conversation::new(id);
    let mut by_seq: std::collections::HashMap<u32, NodeId> = Default::default();
    let mut asks: Vec<(NodeId, u32)> = Vec::new();
    for m in &msgs {
        let parent = m.parent.and_then(|p| by_seq.get(&p).copied());
        let body = match m.role {
            StoredRole::User => Body::Prompt(Prompt {
                text: m.text.clone(),
                images: m
                    .attachments
                    .iter()
                    .map(|r| match media.attachments.get(r) {
                        Some(Ok(a)) => a.clone(),
                        Some(Err(why)) => Attachment::missing(r, why),
                        None => Attachment::missing(r, "not read back"),
                    })
                    .collect(),
                model: m.model_requested.clone().unwrap_or_default(),
            }),
            StoredRole::Assistant => {
                let took = m.finished_ms.map_or(0, |f| f.saturating_sub(m.created_ms));
                let mut answer = m.to_answer();
                // Read back from their files when drawn or edited.
                answer.images = m
                    .image_paths
                    .iter()
                    .map(|p| crate::chat::images::Generated::from_stored(p))
                    .collect();
                Body::Reply(Box::new(Reply {
                    answer,
                    cost: m.cost_value(),
                    ask: 0,
                    timing: Timing {
                        turn: 0,
                        started_ms: 0,
                        first_token_ms: m.ttft_ms,
                        last_event_ms: 0,
                        finished_ms: Some(took),
                        ..Timing::default()
                    },
                }))
            }
            StoredRole::Error => Body::Note(Note::error(m.text.clone(), m.error.clone())),
            StoredRole::Notice => Body::Note(Note::notice(m.text.clone())),
        };
        // A message follows a message; one whose parent is a note follows
        // that note's message.
        let parent = parent.map(|p| c.tree.message_of(p));
        let node = c.tree.add_saved(parent, body, m.created_ms, m.seq);
        by_seq.insert(m.seq, node);
        if m.role == StoredRole::Assistant {
            asks.push((node, m.ask.unwrap_or(m.seq)));
        }
    }
    for (node, ask_seq) in &asks {
        let ask = by_seq.get(ask_seq).copied().unwrap_or(*node);
        if let Some(Body::Reply(r)) = c.tree.get_mut(*node).map(|s| &mut s.body) {
            r.ask = ask;
        }
    }
    let end = current.and_then(|s| by_seq.get(&s).copied()).or_else(|| {
        // The newest message that is no note.
        (0..c.tree.len() as NodeId)
            .rev()
            .find(|&i| c.tree.body(i).is_some_and(|b| !b.is_note()))
    });
    c.tree.set_current(end);
    // A prompt at the end with an ask of several under it, none kept: the
    // columns again.
    if let Some(p) = c.current().filter(|&p| c.prompt(p).is_some()) {
        let children = c
            .tree
            .get(p)
            .map(|s| s.children.clone())
            .unwrap_or_default();
        if let Some(&last) = children.last()
            && let Some(ask) = c.reply(last).map(|r| r.ask)
        {
            let answers: Vec<NodeId> = children
                .iter()
                .copied()
                .filter(|&i| c.reply(i).is_some_and(|r| r.ask == ask))
                .collect();
            if answers.len() >= 2 {
                c.open = Some(OpenAsk {
                    prompt: p,
                    answers,
                    focus: 0,
                });
            } else {
                let down = c.tree.descend(p);
                c.tree.set_current(Some(down));
            }
        }
    }
    c
}
