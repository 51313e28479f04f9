//! The conversation: its messages as a tree (`tree`), the answers still
//! streaming, the ask of several answers none of which is kept yet, and how
//! it is saved (`saved`). Only this module touches messages: the rest of
//! the app asks it to add, change, walk or keep them.

mod context;
mod node;
mod saved;
mod tree;

pub use context::attachments_estimate;
pub use node::{Body, Note, NoteKind, Prompt, Reply, ReplyState, Timing};
pub use saved::{Media, restore, restore_with};
pub use tree::{NodeId, Slot, Tree};

use crate::chat::answer::Answer;

/// The most answers one ask asks for at once (compare mode).
pub const MAX_ANSWERS: usize = 4;

/// An ask of several answers none of which is kept yet: shown as columns
/// until one is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAsk {
    pub prompt: NodeId,
    pub answers: Vec<NodeId>,
    /// The column with the keyboard.
    pub focus: usize,
}

/// Where history is to start when older messages no longer fit: at a
/// message of the current path, or with the next prompt (everything
/// before it left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    At(NodeId),
    All,
}

/// One item of the current path, in the order it is shown: notes before
/// the first prompt, then each message and the notes after it.
#[derive(Debug, Clone, Copy)]
pub enum Shown<'a> {
    Prompt(NodeId, &'a Prompt),
    Reply(NodeId, &'a Reply),
    Note(NodeId, &'a Note),
}

#[derive(Debug, Clone, Default)]
pub struct Conversation {
    /// Names the saved conversation and its folder of images.
    pub id: String,
    tree: Tree,
    /// Answers waiting or streaming, by the tag of their request.
    live: Vec<(u64, NodeId)>,
    /// Every answer asked in this process, by its request's tag (images
    /// are saved after it ended).
    turns: std::collections::HashMap<u64, NodeId>,
    /// The next request's tag: unique for the process, so a stopped
    /// request's late events never reach another answer.
    next_turn: u64,
    open: Option<OpenAsk>,
    /// The running sum behind `history_estimate`.
    context: context::ContextMemo,
    /// When the streaming answers were last saved, and whether they
    /// changed since.
    pub checkpoint: Checkpoint,
    /// The current path's end as last saved (its seq).
    pub saved_current: Option<u32>,
}

/// Answers are saved while they stream, at most once a second (app clock,
/// ms), so a kill, a crash or a power cut loses at most the last second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checkpoint {
    pub saved_ms: u64,
    /// A stream event changed an answer since the last save.
    pub dirty: bool,
}

impl Conversation {
    pub fn new(id: &str) -> Conversation {
        Conversation {
            id: id.to_string(),
            next_turn: 1,
            ..Conversation::default()
        }
    }

    /// The tree, to read.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// The current path: prompts and answers from the first prompt on.
    pub fn path(&self) -> &[NodeId] {
        self.tree.path()
    }

    pub fn current(&self) -> Option<NodeId> {
        self.tree.current()
    }

    pub fn prompt(&self, id: NodeId) -> Option<&Prompt> {
        self.tree.body(id)?.prompt()
    }

    pub fn reply(&self, id: NodeId) -> Option<&Reply> {
        self.tree.body(id)?.reply()
    }

    pub fn note(&self, id: NodeId) -> Option<&Note> {
        self.tree.body(id)?.note()
    }

    /// The last prompt on the current path.
    pub fn last_prompt(&self) -> Option<NodeId> {
        self.path()
            .iter()
            .rev()
            .copied()
            .find(|&i| self.prompt(i).is_some())
    }

    /// The last answer on the current path.
    pub fn last_reply(&self) -> Option<NodeId> {
        self.path()
            .iter()
            .rev()
            .copied()
            .find(|&i| self.reply(i).is_some())
    }

    /// Answers are waiting or streaming.
    pub fn is_busy(&self) -> bool {
        !self.live.is_empty()
    }

    /// The answers waiting or streaming.
    pub fn live(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.live.iter().map(|&(_, id)| id)
    }

    /// The answer still streaming whose request is tagged `turn`.
    pub fn live_of_turn(&self, turn: u64) -> Option<NodeId> {
        self.live.iter().find(|&&(t, _)| t == turn).map(|&(_, i)| i)
    }

    /// The answer asked in this process under `turn`, streaming or not.
    pub fn node_of_turn(&self, turn: u64) -> Option<NodeId> {
        self.turns.get(&turn).copied()
    }

    /// The ask of several answers none of which is kept yet.
    pub fn open_ask(&self) -> Option<&OpenAsk> {
        self.open.as_ref()
    }

    /// The open ask's column with the keyboard.
    pub fn focus_column(&mut self, focus: usize) {
        if let Some(o) = &mut self.open {
            o.focus = focus.min(o.answers.len().saturating_sub(1));
        }
    }

    /// The current path as shown: notes before the first prompt, then each
    /// message followed by its notes.
    pub fn shown(&self) -> Vec<Shown<'_>> {
        let mut out = Vec::new();
        let note = |id: NodeId| self.note(id).map(|n| Shown::Note(id, n));
        out.extend(self.tree.root_notes().iter().filter_map(|&i| note(i)));
        for &id in self.path() {
            let Some(slot) = self.tree.get(id) else {
                continue;
            };
            match &slot.body {
                Body::Prompt(p) => out.push(Shown::Prompt(id, p)),
                Body::Reply(r) => out.push(Shown::Reply(id, r)),
                Body::Note(_) => {}
            }
            out.extend(slot.notes.iter().filter_map(|&i| note(i)));
        }
        out
    }

    /// What is sent as history: the current path from the last message
    /// marked as where history starts.
    pub fn history(&self) -> &[NodeId] {
        let path = self.path();
        let from = path
            .iter()
            .rposition(|&i| self.tree.get(i).is_some_and(|s| s.starts_history))
            .unwrap_or(0);
        &path[from..]
    }

    /// Where history starts on the current path (the first message sent).
    pub fn history_start(&self) -> Option<NodeId> {
        self.history().first().copied()
    }

    // ------------------------------------------------------------ changes

    /// A prompt after the current message, or in place of `instead` (an
    /// edit: a sibling of the prompt edited). It becomes the current one.
    pub fn add_prompt(&mut self, prompt: Prompt, instead: Option<NodeId>, epoch_ms: u64) -> NodeId {
        let parent = match instead {
            Some(p) => self.tree.get(p).and_then(|s| s.parent),
            None => self.current(),
        };
        let id = self.tree.add(parent, Body::Prompt(prompt), epoch_ms);
        self.tree.set_current(Some(id));
        id
    }

    /// Makes `prompt` the end of the current path, as it is before it is
    /// asked (again): what is sent is the history up to it.
    pub fn end_at(&mut self, prompt: NodeId) {
        self.tree.set_current(Some(prompt));
    }

    /// Asks `prompt` of each model in `answers` at once: one answer each,
    /// siblings under it, sharing one ask. Returns each answer's request
    /// tag and id. One answer becomes the current one; several are an open
    /// ask until one is kept.
    pub fn ask(
        &mut self,
        prompt: NodeId,
        answers: Vec<Answer>,
        now_ms: u64,
        epoch_ms: u64,
    ) -> Vec<(u64, NodeId)> {
        let mut out = Vec::new();
        let mut ask = None;
        for answer in answers {
            let turn = self.next_turn;
            self.next_turn += 1;
            let first = ask.unwrap_or(self.tree.len() as NodeId);
            ask = Some(first);
            let reply = Reply::new(answer, first, turn, now_ms);
            let id = self
                .tree
                .add(Some(prompt), Body::Reply(Box::new(reply)), epoch_ms);
            self.live.push((turn, id));
            self.turns.insert(turn, id);
            out.push((turn, id));
        }
        match out.as_slice() {
            [(_, one)] => {
                // One answer asked again under an open ask's prompt closes it.
                if self.open.as_ref().is_some_and(|o| o.prompt == prompt) {
                    self.open = None;
                }
                self.tree.set_current(Some(*one));
            }
            many => {
                self.tree.set_current(Some(prompt));
                self.open = Some(OpenAsk {
                    prompt,
                    answers: many.iter().map(|&(_, i)| i).collect(),
                    focus: 0,
                });
            }
        }
        out
    }

    /// The answer `id`, to change (its revision moves on).
    pub fn reply_mut(&mut self, id: NodeId) -> Option<&mut Reply> {
        self.tree.get_mut(id)?.body.reply_mut()
    }

    /// The answer `id` no longer streams.
    pub fn ended(&mut self, id: NodeId) {
        self.live.retain(|&(_, i)| i != id);
    }

    /// A note after the current message (or before the first prompt).
    pub fn add_note(&mut self, note: Note, epoch_ms: u64) -> NodeId {
        let after = self.open.as_ref().map(|o| o.prompt).or(self.current());
        self.tree.add(after, Body::Note(note), epoch_ms)
    }

    /// A note after message `id`.
    pub fn add_note_after(&mut self, id: NodeId, note: Note, epoch_ms: u64) -> NodeId {
        self.tree.add(Some(id), Body::Note(note), epoch_ms)
    }

    /// Ends the open ask with `answer` as the reply: the current path goes
    /// through it.
    pub fn keep(&mut self, answer: NodeId) {
        self.open = None;
        self.tree.set_current(Some(answer));
    }

    /// Makes `id` (or, for a prompt with answers, the way down from it)
    /// the end of the current path; an open ask elsewhere is left open.
    pub fn go_to(&mut self, id: NodeId) {
        let id = self.tree.message_of(id);
        let to = if self.prompt(id).is_some() {
            self.tree.descend(id)
        } else {
            id
        };
        if self.open.as_ref().is_some_and(|o| o.prompt != to) {
            self.open = None;
        }
        self.tree.set_current(Some(to));
    }

    /// Steps from `id` to its sibling `step` places away and down the way
    /// it was left; returns the sibling, or `None` at the end of the row.
    pub fn walk(&mut self, id: NodeId, step: isize) -> Option<NodeId> {
        let to = self.tree.sibling(self.tree.message_of(id), step)?;
        self.open = None;
        self.tree.set_current(Some(self.tree.descend(to)));
        Some(to)
    }

    /// History sent to the model starts at `id` from now on (older
    /// messages on this path stay on screen).
    pub fn start_history_at(&mut self, id: NodeId) {
        if let Some(s) = self.tree.get_mut(id) {
            s.starts_history = true;
        }
    }

    /// Another conversation in this one's place (read back from the store,
    /// forked); request tags go on counting, so a late event of a request
    /// stopped here never reaches it.
    pub fn replace_with(&mut self, other: Conversation) {
        let next_turn = self.next_turn.max(other.next_turn);
        *self = other;
        self.next_turn = next_turn;
    }

    /// A new, empty conversation under `id` (request tags go on counting).
    pub fn clear(&mut self, id: &str) {
        let next_turn = self.next_turn;
        *self = Conversation::new(id);
        self.next_turn = next_turn;
    }

    /// A new conversation under `id` whose messages are the current path
    /// (and their notes), in order: what `/fork` starts from.
    pub fn fork(&self, id: &str) -> Conversation {
        let mut out = Conversation::new(id);
        out.next_turn = self.next_turn;
        let mut parent = None;
        for &n in self.tree.root_notes() {
            if let Some(s) = self.tree.get(n) {
                out.tree.add(None, s.body.clone(), s.created_ms);
            }
        }
        for &id in self.path() {
            let Some(s) = self.tree.get(id) else {
                continue;
            };
            let mut body = s.body.clone();
            if let Body::Reply(r) = &mut body {
                r.timing.turn = 0;
            }
            let new = out.tree.add(parent, body, s.created_ms);
            if let Body::Reply(r) = &mut out.tree.get_mut(new).expect("added").body {
                r.ask = new;
            }
            for &n in &s.notes {
                if let Some(ns) = self.tree.get(n) {
                    out.tree.add(Some(new), ns.body.clone(), ns.created_ms);
                }
            }
            parent = Some(new);
        }
        out.tree.set_current(parent);
        out
    }

    /// How much of each branch cost: the sum of its answers' costs, USD,
    /// and whether one of them is unknown or still estimated.
    pub fn cost_below(&self, id: NodeId) -> (rust_decimal::Decimal, bool) {
        use crate::chat::pricing::{CostKind, sat_add};
        let mut total = rust_decimal::Decimal::ZERO;
        let mut unknown = false;
        let mut stack = vec![id];
        while let Some(i) = stack.pop() {
            let Some(s) = self.tree.get(i) else {
                continue;
            };
            if let Some(c) = s.body.reply().and_then(|r| r.cost) {
                total = sat_add(total, c.usd);
                unknown |= c.kind == CostKind::Unknown;
            }
            stack.extend(&s.children);
        }
        (total, unknown)
    }

    /// The current path's answers' costs added up, USD (final ones), and
    /// whether one of them is unknown.
    pub fn path_cost(&self) -> (rust_decimal::Decimal, bool) {
        use crate::chat::pricing::{CostKind, sat_add};
        let mut total = rust_decimal::Decimal::ZERO;
        let mut unknown = false;
        for &i in self.path() {
            if let Some(c) = self.reply(i).and_then(|r| r.cost) {
                total = sat_add(total, c.usd);
                unknown |= c.kind == CostKind::Unknown;
            }
        }
        (total, unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(t: &str) -> Prompt {
        Prompt {
            text: t.into(),
            ..Prompt::default()
        }
    }

    #[test]
    fn retries_edits_and_a_kept_round_are_siblings_on_one_tree() {
        let mut c = Conversation::new("c");
        let p = c.add_prompt(prompt("q"), None, 0);
        let [(t1, a1)] = c.ask(p, vec![Answer::new("m", 1, 0)], 0, 0)[..] else {
            panic!()
        };
        assert_eq!(c.path(), [p, a1]);
        assert!(c.is_busy() && c.live_of_turn(t1) == Some(a1));
        c.ended(a1);
        // A retry: a sibling, the current one.
        let [(_, a2)] = c.ask(p, vec![Answer::new("m", 1, 0)], 0, 0)[..] else {
            panic!()
        };
        c.ended(a2);
        assert_eq!(c.path(), [p, a2]);
        assert_eq!(c.tree().place(a1), (1, 2));
        // A round of two: columns until one is kept.
        let round = c.ask(
            p,
            vec![Answer::new("x", 1, 0), Answer::new("y", 1, 0)],
            0,
            0,
        );
        assert_eq!(c.path(), [p]);
        assert_eq!(c.open_ask().unwrap().answers.len(), 2);
        let kept = round[1].1;
        c.keep(kept);
        assert_eq!(c.path(), [p, kept]);
        assert_eq!(c.tree().place(kept), (4, 4));
        assert_eq!(c.reply(round[0].1).unwrap().ask, round[0].1);
        assert_eq!(c.reply(kept).unwrap().ask, round[0].1, "one ask");
        // An edit: a sibling prompt, the path goes through it.
        let q = c.add_prompt(prompt("q edited"), Some(p), 0);
        assert_eq!(c.path(), [q]);
        assert_eq!(c.tree().place(q), (2, 2));
        // Walking back finds the kept answer where it was left.
        c.walk(q, -1);
        assert_eq!(c.path(), [p, kept]);
    }

    #[test]
    fn history_starts_where_it_was_cut_on_this_path_only() {
        let mut c = Conversation::new("c");
        let p1 = c.add_prompt(prompt("one"), None, 0);
        let [(_, a1)] = c.ask(p1, vec![Answer::new("m", 1, 0)], 0, 0)[..] else {
            panic!()
        };
        let p2 = c.add_prompt(prompt("two"), None, 0);
        c.start_history_at(p2);
        assert_eq!(c.history(), [p2]);
        // Another branch from a1 is not cut.
        c.go_to(a1);
        let p3 = c.add_prompt(prompt("three"), None, 0);
        assert_eq!(c.history(), [p1, a1, p3]);
    }

    #[test]
    fn a_fork_is_the_path_alone() {
        let mut c = Conversation::new("c");
        let p = c.add_prompt(prompt("q"), None, 0);
        c.ask(p, vec![Answer::new("m", 1, 0)], 0, 0);
        let [(_, a2)] = c.ask(p, vec![Answer::new("m", 1, 0)], 0, 0)[..] else {
            panic!()
        };
        c.add_note(Note::notice("hello"), 0);
        let f = c.fork("d");
        assert_eq!(f.tree().len(), 3, "prompt, the chosen answer, its note");
        assert_eq!(f.path().len(), 2);
        assert_eq!(f.id, "d");
        assert_eq!(
            f.reply(f.path()[1]).unwrap().answer.model_requested,
            c.reply(a2).unwrap().answer.model_requested
        );
        assert!(!f.is_busy());
    }
}
