//! Conversations saved as trees (schema V5): each message names the one it
//! follows (`parent`), answers asked together share an `ask`, and the
//! conversation remembers the last message of its current path. Older
//! shapes are brought forward here: a flat list becomes a chain, and a
//! comparison round saved in one row (V3) becomes sibling answers.

use std::collections::{BTreeMap, HashMap};

use super::{StoredMessage, StoredRole};

/// A flat list (no message names a parent: an export or a database from
/// before V5) becomes a chain, each message after the one before.
pub fn chain_if_flat(msgs: &mut [StoredMessage]) {
    if msgs.len() < 2 || msgs.iter().any(|m| m.parent.is_some()) {
        return;
    }
    msgs.sort_by_key(|m| m.seq);
    for i in 1..msgs.len() {
        msgs[i].parent = Some(msgs[i - 1].seq);
    }
}

/// Every comparison round saved in one row (V3, V4) becomes sibling
/// answers: the row keeps its kept answer (or its first), the others are
/// added after the last seq, under the same prompt, in one ask. Returns
/// the seq to reopen on when the last round had none kept (its prompt, so
/// it reopens as columns).
pub fn explode_rounds(msgs: &mut Vec<StoredMessage>) -> Option<u32> {
    let mut next = msgs.iter().map(|m| m.seq).max().map_or(0, |s| s + 1);
    let last_prompt = msgs
        .iter()
        .filter(|m| m.role == StoredRole::User)
        .map(|m| m.seq)
        .max();
    let mut added = Vec::new();
    let mut open = None;
    for m in msgs.iter_mut() {
        let Some(round) = m.round.take() else {
            continue;
        };
        let k = round
            .kept
            .unwrap_or(0)
            .min(round.answers.len().saturating_sub(1));
        m.ask = Some(m.seq);
        if let Some(a) = round.answers.get(k) {
            m.ttft_ms = a.ttft_ms;
        }
        for (j, a) in round.answers.iter().enumerate() {
            if j == k {
                continue;
            }
            let mut x = a.clone();
            x.conversation_id.clone_from(&m.conversation_id);
            x.seq = next;
            next += 1;
            x.parent = m.parent;
            x.ask = Some(m.seq);
            x.round = None;
            added.push(x);
        }
        if round.kept.is_none() && last_prompt.is_none_or(|p| p < m.seq) {
            open = m.parent;
        }
    }
    msgs.extend(added);
    msgs.sort_by_key(|m| m.seq);
    open
}

/// Schema V5's data step, conversation by conversation: a round saved in
/// one row becomes sibling answers (one none was kept reopens at its
/// prompt), and an answer /retry or /edit replaced, whose text is gone but
/// whose charge is on the ledger, comes back as a sibling that says so.
/// Runs inside the migration's transaction.
pub(super) fn migrate_rounds(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let convs: Vec<String> = tx
        .prepare("SELECT DISTINCT conversation_id FROM messages")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in convs {
        let mut msgs: Vec<StoredMessage> = tx
            .prepare(&format!(
                "{} WHERE conversation_id = ?1 ORDER BY seq",
                super::row::MESSAGE_SELECT
            ))?
            .query_map([&id], super::row::message_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        let had_round = msgs.iter().any(|m| m.round.is_some());
        let open = explode_rounds(&mut msgs);
        let charges = super::ledger::charges_in(tx, &id)?;
        let replaced = replaced_answers(&mut msgs, &charges);
        if !had_round && replaced == 0 {
            continue;
        }
        for m in &msgs {
            super::row::upsert(tx, m)?;
        }
        super::writer::refresh_summary(tx, &id)?;
        if let Some(seq) = open {
            tx.execute(
                "UPDATE conversations SET current_seq = ?2 WHERE id = ?1",
                rusqlite::params![id, seq],
            )?;
        }
    }
    Ok(())
}

/// What a replaced answer brought back from the ledger says.
pub const REPLACED: &str = "an answer /retry or /edit replaced before orchat kept every branch: it was billed (above), its text was not kept";

/// Charges on the ledger that no saved answer stands for (answers /retry or
/// /edit replaced, when a replaced answer was deleted) become sibling
/// answers under the prompt they answered (the last one asked before the
/// charge), with their model, tokens and cost and a note that their text
/// is gone: the tree's branches then add up to what was billed. Returns
/// how many were added.
pub fn replaced_answers(
    msgs: &mut Vec<StoredMessage>,
    charges: &[crate::chat::pricing::Charge],
) -> usize {
    let mut taken = vec![false; msgs.len()];
    let same = |m: &StoredMessage, c: &crate::chat::pricing::Charge| {
        if let (Some(a), Some(b)) = (&m.generation_id, &c.generation_id) {
            return a == b;
        }
        m.model() == Some(c.model.as_str()) && m.cost == Some(c.cost.usd)
    };
    let mut orphans = Vec::new();
    for c in charges.iter().filter(|c| !c.id.ends_with("/title")) {
        let hit = msgs
            .iter()
            .enumerate()
            .find(|(i, m)| !taken[*i] && m.role == StoredRole::Assistant && same(m, c))
            .map(|(i, _)| i);
        match hit {
            Some(i) => taken[i] = true,
            None => orphans.push(c),
        }
    }
    let mut next = msgs.iter().map(|m| m.seq).max().map_or(0, |s| s + 1);
    let conv = msgs.first().map(|m| m.conversation_id.clone());
    let mut added = 0;
    for c in orphans {
        let Some(prompt) = msgs
            .iter()
            .filter(|m| m.role == StoredRole::User && m.created_ms <= c.created_ms)
            .max_by_key(|m| (m.created_ms, m.seq))
            .or_else(|| msgs.iter().find(|m| m.role == StoredRole::User))
            .map(|m| m.seq)
        else {
            continue;
        };
        let conv = conv.clone().unwrap_or_else(|| c.conversation_id.clone());
        let answer = StoredMessage {
            model_requested: Some(c.model.clone()),
            model_reported: Some(c.model.clone()),
            prompt_tokens: Some(c.prompt_tokens),
            completion_tokens: Some(c.completion_tokens),
            reasoning_tokens: Some(c.reasoning_tokens),
            image_tokens: Some(c.image_tokens),
            cost: Some(c.cost.usd),
            cost_kind: Some(c.cost.kind),
            generation_id: c.generation_id.clone(),
            status: Some(crate::chat::answer::Status::Complete),
            finished_ms: Some(c.created_ms),
            parent: Some(prompt),
            ask: Some(next),
            ..StoredMessage::new(&conv, next, StoredRole::Assistant, "", c.created_ms)
        };
        let note = StoredMessage {
            parent: Some(next),
            ..StoredMessage::new(&conv, next + 1, StoredRole::Notice, REPLACED, c.created_ms)
        };
        msgs.push(answer);
        msgs.push(note);
        next += 2;
        added += 1;
    }
    added
}

/// Messages brought to the tree shape (a flat list chained, rounds made
/// siblings); returns where the current path ends: `current`, else the
/// newest message before any round was taken apart (alternatives get the
/// newest numbers, but were never the path), or a round none was kept of.
pub fn normalize(msgs: &mut Vec<StoredMessage>, current: Option<u32>) -> Option<u32> {
    chain_if_flat(msgs);
    let end = current.or_else(|| msgs.iter().filter(|m| !is_note(m)).map(|m| m.seq).max());
    explode_rounds(msgs).or(end)
}

/// A saved conversation's messages as a tree, to read.
pub struct SavedTree<'a> {
    by_seq: BTreeMap<u32, &'a StoredMessage>,
    /// Prompts and answers under each message (`None`: the first prompts).
    children: HashMap<Option<u32>, Vec<u32>>,
    /// Notes after each message (`None`: before the first prompt).
    notes: HashMap<Option<u32>, Vec<u32>>,
}

fn is_note(m: &StoredMessage) -> bool {
    matches!(m.role, StoredRole::Error | StoredRole::Notice)
}

impl<'a> SavedTree<'a> {
    pub fn new(msgs: &'a [StoredMessage]) -> SavedTree<'a> {
        let by_seq: BTreeMap<u32, &StoredMessage> = msgs.iter().map(|m| (m.seq, m)).collect();
        let mut t = SavedTree {
            by_seq,
            children: HashMap::new(),
            notes: HashMap::new(),
        };
        let seqs: Vec<u32> = t.by_seq.keys().copied().collect();
        for seq in seqs {
            let m = t.by_seq[&seq];
            let parent = t.message_of(m.parent);
            let list = if is_note(m) {
                t.notes.entry(parent)
            } else {
                t.children.entry(parent)
            };
            list.or_default().push(seq);
        }
        t
    }

    pub fn get(&self, seq: u32) -> Option<&'a StoredMessage> {
        self.by_seq.get(&seq).copied()
    }

    /// The message a parent link means: a note's own message, a missing
    /// one's nothing.
    fn message_of(&self, mut seq: Option<u32>) -> Option<u32> {
        let mut hops = 0;
        while let Some(s) = seq {
            match self.by_seq.get(&s) {
                Some(m) if is_note(m) && hops < self.by_seq.len() => {
                    seq = m.parent;
                    hops += 1;
                }
                Some(_) => return Some(s),
                None => return None,
            }
        }
        None
    }

    pub fn children(&self, seq: Option<u32>) -> &[u32] {
        self.children.get(&seq).map_or(&[], Vec::as_slice)
    }

    pub fn notes(&self, seq: Option<u32>) -> &[u32] {
        self.notes.get(&seq).map_or(&[], Vec::as_slice)
    }

    /// The path from a first prompt to `current` (a note stands for the
    /// message it follows; `None`: the newest message, down the newest
    /// branches).
    pub fn path(&self, current: Option<u32>) -> Vec<u32> {
        let end = current
            .and_then(|c| self.message_of(Some(c)))
            .or_else(|| self.newest_leaf());
        let mut path = Vec::new();
        let mut at = end;
        while let Some(s) = at {
            if path.len() > self.by_seq.len() {
                break; // A loop in damaged links: what was found so far.
            }
            path.push(s);
            at = self.message_of(self.by_seq.get(&s).and_then(|m| m.parent));
        }
        path.reverse();
        path
    }

    /// The newest message that is no note.
    fn newest_leaf(&self) -> Option<u32> {
        self.by_seq
            .values()
            .rev()
            .find(|m| !is_note(m))
            .map(|m| m.seq)
    }

    /// Every message under `seq` (it included), depth first.
    pub fn subtree(&self, seq: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut stack = vec![seq];
        while let Some(s) = stack.pop() {
            if out.len() > self.by_seq.len() {
                break;
            }
            out.push(s);
            stack.extend(self.children(Some(s)).iter().rev());
        }
        out
    }

    /// `seq`'s siblings (itself included).
    pub fn siblings(&self, seq: u32) -> &[u32] {
        let parent = self.message_of(self.by_seq.get(&seq).and_then(|m| m.parent));
        self.children(parent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoredRound;

    fn msg(seq: u32, role: StoredRole, text: &str) -> StoredMessage {
        StoredMessage::new("c", seq, role, text, u64::from(seq))
    }

    #[test]
    fn a_flat_list_chains_and_a_round_becomes_siblings() {
        let mut alt = msg(1, StoredRole::Assistant, "from y");
        alt.model_requested = Some("y".into());
        let mut kept = msg(1, StoredRole::Assistant, "from x");
        kept.model_requested = Some("x".into());
        kept.ttft_ms = Some(40);
        let mut row = kept.clone();
        row.round = Some(StoredRound {
            kept: Some(0),
            answers: vec![kept.clone(), alt.clone()],
        });
        let mut msgs = vec![
            msg(0, StoredRole::User, "q"),
            row,
            msg(2, StoredRole::Notice, "model → x"),
            msg(3, StoredRole::User, "next"),
        ];
        assert_eq!(normalize(&mut msgs, None), Some(3));
        assert_eq!(msgs[3].parent, Some(2));
        assert_eq!(msgs.len(), 5);
        let t = SavedTree::new(&msgs);
        assert_eq!(t.children(Some(0)), [1, 4], "two sibling answers");
        assert_eq!(t.get(4).unwrap().text, "from y");
        assert_eq!(t.get(4).unwrap().ask, Some(1));
        assert_eq!(t.get(1).unwrap().ttft_ms, Some(40));
        assert_eq!(t.notes(Some(1)), [2]);
        assert_eq!(
            t.children(Some(1)),
            [3],
            "a note's follower follows its message"
        );
        assert_eq!(t.path(Some(3)), [0, 1, 3]);
        assert_eq!(t.path(Some(4)), [0, 4]);
        assert_eq!(t.siblings(4), [1, 4]);
    }

    #[test]
    fn a_round_none_was_kept_reopens_at_its_prompt() {
        let a = msg(1, StoredRole::Assistant, "a");
        let mut row = a.clone();
        row.round = Some(StoredRound {
            kept: None,
            answers: vec![a.clone(), msg(1, StoredRole::Assistant, "b")],
        });
        let mut msgs = vec![msg(0, StoredRole::User, "q"), row];
        chain_if_flat(&mut msgs);
        assert_eq!(explode_rounds(&mut msgs), Some(0));
    }
}
