//! The conversation's shape: an arena of messages with stable ids, each with
//! its parent, its children and a revision, and the current path from a root
//! to a leaf. Learnt from helix's undo history (revisions in a Vec, parent
//! and last-child links, walking between them).
//!
//! Prompts and answers are the tree: a prompt's children are its answers
//! (every retry and every compared answer, siblings), an answer's children
//! the prompts that followed it (every edit, siblings). Notes (errors and
//! notices) hang off the message they follow; they are shown after it but
//! are no branch of their own. Ids are indices into the arena: stable for
//! the conversation's life, and the sequence numbers it is saved under.

use super::node::Body;

/// A message's id: its index in the arena, and its `seq` in the store.
pub type NodeId = u32;

/// One message and its links.
#[derive(Debug, Clone)]
pub struct Slot {
    pub parent: Option<NodeId>,
    /// Prompts and answers that follow it (its branches), oldest first.
    pub children: Vec<NodeId>,
    /// Notes shown after it, oldest first.
    pub notes: Vec<NodeId>,
    /// The child the path goes through when it comes down here (the last
    /// one visited, else the newest).
    pub last_child: Option<NodeId>,
    /// Bumped whenever the message changes: what was drawn of an older
    /// revision is stale.
    pub revision: u64,
    /// History sent to the model starts here (older messages on the path
    /// no longer fit its context window; they stay on screen).
    pub starts_history: bool,
    /// Wall clock (epoch ms) when it was added.
    pub created_ms: u64,
    /// Its sequence number in the store (its id, unless it was read back
    /// from a store whose numbers have gaps).
    pub seq: u32,
    pub body: Body,
}

/// The arena, the roots, and the current path.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    slots: Vec<Slot>,
    /// First prompts: more than one when the first prompt was edited.
    roots: Vec<NodeId>,
    /// Notes before the first prompt.
    root_notes: Vec<NodeId>,
    /// The last message of the current path.
    current: Option<NodeId>,
    /// From a root to `current`, prompts and answers only.
    path: Vec<NodeId>,
    /// Bumped on every change, by any message.
    revision: u64,
    /// The store's sequence number for the next message.
    next_seq: u32,
}

impl Tree {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn get(&self, id: NodeId) -> Option<&Slot> {
        self.slots.get(id as usize)
    }

    /// The message `id`, changed: its revision moves on.
    pub fn get_mut(&mut self, id: NodeId) -> Option<&mut Slot> {
        self.revision += 1;
        let rev = self.revision;
        let s = self.slots.get_mut(id as usize)?;
        s.revision = rev;
        Some(s)
    }

    pub fn body(&self, id: NodeId) -> Option<&Body> {
        self.get(id).map(|s| &s.body)
    }

    /// Every change so far, counted.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn current(&self) -> Option<NodeId> {
        self.current
    }

    /// The current path: prompts and answers from a root to `current`.
    pub fn path(&self) -> &[NodeId] {
        &self.path
    }

    pub fn roots(&self) -> &[NodeId] {
        &self.roots
    }

    pub fn root_notes(&self) -> &[NodeId] {
        &self.root_notes
    }

    /// Adds a message under `parent` (`None`: at the top). A note is hung
    /// off its parent; a prompt or an answer becomes its newest child. The
    /// current path does not change.
    pub fn add(&mut self, parent: Option<NodeId>, body: Body, created_ms: u64) -> NodeId {
        let seq = self.next_seq;
        self.add_saved(parent, body, created_ms, seq)
    }

    /// `add` for a message read back from the store under `seq`.
    pub fn add_saved(
        &mut self,
        parent: Option<NodeId>,
        body: Body,
        created_ms: u64,
        seq: u32,
    ) -> NodeId {
        let id = self.slots.len() as NodeId;
        self.next_seq = self.next_seq.max(seq.saturating_add(1));
        let is_note = body.is_note();
        self.revision += 1;
        self.slots.push(Slot {
            parent,
            children: Vec::new(),
            notes: Vec::new(),
            last_child: None,
            revision: self.revision,
            starts_history: false,
            created_ms,
            seq,
            body,
        });
        let rev = self.revision;
        // What shows another branch's count (‹1/2›) or a note after it
        // changed too: its parent and its siblings are drawn again.
        if !is_note {
            let siblings = match parent.and_then(|p| self.slots.get(p as usize)) {
                Some(p) => p.children.clone(),
                None => self.roots.clone(),
            };
            for s in siblings {
                self.slots[s as usize].revision = rev;
            }
        }
        let list = match (parent.and_then(|p| self.slots.get_mut(p as usize)), is_note) {
            (Some(p), true) => {
                p.revision = rev;
                &mut p.notes
            }
            (Some(p), false) => {
                p.revision = rev;
                &mut p.children
            }
            (None, true) => &mut self.root_notes,
            (None, false) => &mut self.roots,
        };
        list.push(id);
        id
    }

    /// Makes `id` the end of the current path (`None`: the path is empty).
    /// Each message above it remembers the way down, so walking back to a
    /// branch returns where it was left.
    pub fn set_current(&mut self, id: Option<NodeId>) {
        // A note is not a place on the path: the message it follows is.
        let id = id.map(|i| self.message_of(i));
        self.current = id;
        self.path.clear();
        let mut at = id;
        while let Some(i) = at {
            self.path.push(i);
            at = self.slots[i as usize].parent;
        }
        self.path.reverse();
        for w in 0..self.path.len().saturating_sub(1) {
            let (up, down) = (self.path[w], self.path[w + 1]);
            self.slots[up as usize].last_child = Some(down);
        }
        self.revision += 1;
    }

    /// The message a note follows (a message is its own).
    pub fn message_of(&self, mut id: NodeId) -> NodeId {
        while let Some(s) = self.get(id)
            && s.body.is_note()
            && let Some(p) = s.parent
        {
            id = p;
        }
        id
    }

    /// The messages `id` is one of: its parent's children, or the roots.
    pub fn siblings(&self, id: NodeId) -> &[NodeId] {
        match self.get(id).and_then(|s| s.parent) {
            Some(p) => &self.slots[p as usize].children,
            None => &self.roots,
        }
    }

    /// `id`'s place among its siblings (1-based) and how many there are.
    pub fn place(&self, id: NodeId) -> (usize, usize) {
        let sib = self.siblings(id);
        let at = sib.iter().position(|&s| s == id).unwrap_or(0);
        (at + 1, sib.len())
    }

    /// From `id` down to a leaf, the way the path last went (else by the
    /// newest child).
    pub fn descend(&self, mut id: NodeId) -> NodeId {
        while let Some(s) = self.get(id) {
            match s.last_child.or_else(|| s.children.last().copied()) {
                Some(c) => id = c,
                None => break,
            }
        }
        id
    }

    /// The sibling `step` places from `id` (no wrapping round), if any.
    pub fn sibling(&self, id: NodeId, step: isize) -> Option<NodeId> {
        let sib = self.siblings(id);
        let at = sib.iter().position(|&s| s == id)? as isize + step;
        usize::try_from(at).ok().and_then(|i| sib.get(i).copied())
    }

    /// Every message in depth-first order (each prompt, its answers, what
    /// followed each), with how many branches deep it is: the first child
    /// of a message goes on at its depth, later ones one deeper.
    pub fn depth_first(&self) -> Vec<(NodeId, usize)> {
        let mut out = Vec::with_capacity(self.slots.len());
        let mut stack: Vec<(NodeId, usize)> = self
            .roots
            .iter()
            .enumerate()
            .rev()
            .map(|(i, &r)| (r, usize::from(i > 0)))
            .collect();
        while let Some((id, depth)) = stack.pop() {
            out.push((id, depth));
            let s = &self.slots[id as usize];
            for (i, &c) in s.children.iter().enumerate().rev() {
                stack.push((c, depth + usize::from(i > 0)));
            }
        }
        out
    }

    /// Every message, notes included, in id order.
    pub fn slots(&self) -> impl Iterator<Item = (NodeId, &Slot)> {
        self.slots.iter().enumerate().map(|(i, s)| (i as NodeId, s))
    }
}

#[cfg(test)]
mod tests {
    use super::super::node::{Body, Note, NoteKind, Prompt};
    use super::*;

    fn prompt(t: &str) -> Body {
        Body::Prompt(Prompt {
            text: t.into(),
            ..Prompt::default()
        })
    }

    fn note(t: &str) -> Body {
        Body::Note(Note {
            kind: NoteKind::Notice,
            text: t.into(),
            hint: None,
        })
    }

    #[test]
    fn siblings_walking_and_the_path_remembered() {
        let mut t = Tree::default();
        let p = t.add(None, prompt("p"), 0);
        let a1 = t.add(Some(p), prompt("a1"), 0);
        let q = t.add(Some(a1), prompt("q"), 0);
        let a2 = t.add(Some(p), prompt("a2"), 0);
        t.set_current(Some(q));
        assert_eq!(t.path(), [p, a1, q]);
        assert_eq!(t.place(a1), (1, 2));
        assert_eq!(t.place(a2), (2, 2));
        assert_eq!(t.sibling(a1, 1), Some(a2));
        assert_eq!(t.sibling(a1, -1), None);
        // Walking to a2 and back returns to q, where the path was left.
        t.set_current(Some(t.descend(a2)));
        assert_eq!(t.path(), [p, a2]);
        t.set_current(Some(t.descend(a1)));
        assert_eq!(t.path(), [p, a1, q]);
        let n = t.add(Some(q), note("model switched"), 0);
        assert_eq!(t.get(q).unwrap().notes, [n]);
        assert!(t.get(q).unwrap().children.is_empty(), "a note is no branch");
        t.set_current(Some(n));
        assert_eq!(t.current(), Some(q), "a note is no place on the path");
        assert_eq!(
            t.depth_first(),
            [(p, 0), (a1, 0), (q, 0), (a2, 1)],
            "a second branch is one deeper"
        );
    }

    #[test]
    fn revisions_move_on_with_every_change() {
        let mut t = Tree::default();
        let p = t.add(None, prompt("p"), 0);
        let r = t.get(p).unwrap().revision;
        t.get_mut(p).unwrap();
        assert!(t.get(p).unwrap().revision > r);
    }
}
