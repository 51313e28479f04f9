//! A saved conversation as Markdown (to read and share), as JSON (to keep
//! and import again; it round-trips field for field), or as a plain
//! transcript for the terminal.

use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::tree::SavedTree;
use super::{ConversationMeta, StoredMessage, StoredRole, format_utc};
use crate::chat::answer::Status;

/// The version of the JSON export format. An importer accepts this and
/// older versions.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Doc {
    orchat_export: u32,
    conversation: ConversationMeta,
    messages: Vec<StoredMessage>,
    /// The ledger (every billed request, replaced answers included), when
    /// the export carries it; without it, importing bills each answer's cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    charges: Option<Vec<crate::chat::pricing::Charge>>,
}

/// A JSON export read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub meta: ConversationMeta,
    pub messages: Vec<StoredMessage>,
    pub charges: Option<Vec<crate::chat::pricing::Charge>>,
}

/// Changes that could not be saved when orchat quit, kept in a file to be
/// applied later (`orchat sessions import FILE`).
#[derive(Serialize, Deserialize)]
struct Unsaved {
    orchat_unsaved: u32,
    /// Why they could not be saved, in words.
    reason: String,
    changes: Vec<super::Change>,
}

/// The file of changes that could not be saved: `{"orchat_unsaved": 1,
/// "reason": …, "changes": […]}`.
pub fn unsaved_json(reason: &str, changes: &[super::Change]) -> String {
    let doc = Unsaved {
        orchat_unsaved: 1,
        reason: reason.to_string(),
        changes: changes.to_vec(),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// The changes in a file `unsaved_json` wrote; `None` when the text is not
/// such a file.
pub fn read_unsaved(text: &str) -> Option<Result<Vec<super::Change>, String>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    v.get("orchat_unsaved")?;
    Some(
        serde_json::from_value::<Unsaved>(v)
            .map(|u| u.changes)
            .map_err(|e| format!("bad file of unsaved changes: {e}")),
    )
}

/// Token and cost totals over a conversation's messages.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Totals {
    pub prompt: u64,
    pub completion: u64,
    pub reasoning: u64,
    pub image: u64,
    pub cost: Decimal,
    /// The cost kinds that occur, in order of first occurrence.
    pub kinds: Vec<&'static str>,
}

pub fn totals(msgs: &[StoredMessage]) -> Totals {
    let (msgs, _) = as_tree(msgs, None);
    let mut t = Totals::default();
    // Every branch's answers: each was asked and billed.
    for m in msgs.iter() {
        t.prompt += m.prompt_tokens.unwrap_or(0);
        t.completion += m.completion_tokens.unwrap_or(0);
        t.reasoning += m.reasoning_tokens.unwrap_or(0);
        t.image += m.image_tokens.unwrap_or(0);
        t.cost += m.cost.unwrap_or_default();
        if let Some(k) = m.cost_kind.map(|k| k.label())
            && !t.kinds.contains(&k)
        {
            t.kinds.push(k);
        }
    }
    t
}

/// Messages as a tree (a flat list from before trees chained, a round
/// saved in one row made sibling answers; borrowed when they already are),
/// and where the current path ends.
fn as_tree(
    msgs: &[StoredMessage],
    current: Option<u32>,
) -> (std::borrow::Cow<'_, [StoredMessage]>, Option<u32>) {
    let flat = msgs.len() > 1 && msgs.iter().all(|m| m.parent.is_none());
    if !flat && msgs.iter().all(|m| m.round.is_none()) {
        return (std::borrow::Cow::Borrowed(msgs), current);
    }
    let mut v = msgs.to_vec();
    let current = super::tree::normalize(&mut v, current);
    (std::borrow::Cow::Owned(v), current)
}

/// A YAML double-quoted scalar (JSON string syntax is a subset of it).
fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Exact USD, never rounded: `$0.0001556`.
fn usd(d: Decimal) -> String {
    crate::chat::pricing::format_usd(d)
}

/// A link target that survives spaces and parentheses in paths.
fn link_target(p: &str) -> String {
    if p.contains([' ', '(', ')', '<', '>']) {
        format!("<{}>", p.replace('<', "%3C").replace('>', "%3E"))
    } else {
        p.to_string()
    }
}

/// The label of an answer: model, tokens, cost and how the cost is known.
pub fn answer_label(m: &StoredMessage) -> String {
    let mut parts = vec![m.model().unwrap_or("assistant").to_string()];
    if let Some(p) = m.prompt_tokens {
        parts.push(format!("{p} in"));
    }
    if let Some(c) = m.completion_tokens {
        parts.push(format!("{c} out"));
    }
    if let Some(r) = m.reasoning_tokens.filter(|r| *r > 0) {
        parts.push(format!("{r} reasoning"));
    }
    if let Some(c) = m.cost {
        let kind = m.cost_kind.map_or("", |k| k.label());
        parts.push(format!("{} {kind}", usd(c)).trim_end().to_string());
    }
    if let Some(fee) = m.search_usd {
        parts.push(format!("web {}", usd(fee)));
    }
    if let Some(s) = m.status.filter(|s| !matches!(s, Status::Complete)) {
        parts.push(status_word(s).to_string());
    }
    parts.join(" · ")
}

fn status_word(s: Status) -> &'static str {
    // Saved while streaming and never finished: orchat ended first.
    if s.is_final() {
        s.label()
    } else {
        Status::Interrupted.label()
    }
}

/// Markdown with YAML front matter (title, id, dates, models, tokens, total
/// cost), a heading per message, reasoning in a collapsible `<details>`, and
/// generated images linked.
pub fn markdown(meta: &ConversationMeta, msgs: &[StoredMessage]) -> String {
    let t = totals(msgs);
    let mut out = String::new();
    let _ = writeln!(out, "---");
    let _ = writeln!(out, "title: {}", yaml_str(&meta.title));
    let _ = writeln!(out, "id: {}", yaml_str(&meta.id));
    let _ = writeln!(out, "created: {}", format_utc(meta.created_ms));
    let _ = writeln!(out, "updated: {}", format_utc(meta.updated_ms));
    if meta.models.is_empty() {
        let _ = writeln!(out, "models: []");
    } else {
        let _ = writeln!(out, "models:");
        for m in &meta.models {
            let _ = writeln!(out, "  - {}", yaml_str(m));
        }
    }
    let _ = writeln!(out, "messages: {}", meta.messages);
    let _ = writeln!(out, "tokens:");
    let _ = writeln!(out, "  in: {}", t.prompt);
    let _ = writeln!(out, "  out: {}", t.completion);
    let _ = writeln!(out, "  reasoning: {}", t.reasoning);
    let _ = writeln!(out, "  images: {}", t.image);
    let _ = writeln!(
        out,
        "total_cost_usd: {}",
        yaml_str(&meta.total_cost.normalize().to_string())
    );
    let _ = writeln!(out, "cost_kinds: [{}]", t.kinds.join(", "));
    let _ = writeln!(out, "---");
    let _ = writeln!(out);
    let title = if meta.title.is_empty() {
        "(untitled)"
    } else {
        &meta.title
    };
    let _ = writeln!(out, "# {title}");
    let (msgs, current) = as_tree(msgs, meta.current);
    let t = SavedTree::new(&msgs);
    for &n in t.notes(None) {
        markdown_message(&mut out, &t, n, "##");
    }
    // The current path; the branches left beside it, folded where they part.
    for seq in t.path(current) {
        markdown_message(&mut out, &t, seq, "##");
        for &n in t.notes(Some(seq)) {
            markdown_message(&mut out, &t, n, "##");
        }
        let others: Vec<u32> = t
            .siblings(seq)
            .iter()
            .copied()
            .filter(|&s| s != seq)
            .collect();
        if others.is_empty() {
            continue;
        }
        let what = match t.get(seq).map(|m| m.role) {
            Some(StoredRole::User) => "other versions of this prompt",
            _ => "other answers to this prompt",
        };
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "<details><summary>{} {what} (branches not on this path)</summary>",
            others.len()
        );
        for o in others {
            for s in t.subtree(o) {
                markdown_message(&mut out, &t, s, "###");
                for &n in t.notes(Some(s)) {
                    markdown_message(&mut out, &t, n, "###");
                }
            }
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "</details>");
    }
    out
}

/// One message under a heading of `level`.
fn markdown_message(out: &mut String, t: &SavedTree<'_>, seq: u32, level: &str) {
    let Some(m) = t.get(seq) else {
        return;
    };
    let _ = writeln!(out);
    match m.role {
        StoredRole::User => {
            let _ = writeln!(out, "{level} You");
            let _ = writeln!(out);
            let _ = writeln!(out, "{}", m.text.trim_end());
            if !m.attachments.is_empty() {
                let _ = writeln!(out);
                let _ = writeln!(out, "Attached:");
                for a in &m.attachments {
                    let (name, target) = attachment_link(a);
                    let _ = writeln!(out, "- [{name}]({})", link_target(&target));
                }
            }
        }
        StoredRole::Assistant => markdown_answer(out, m, level),
        StoredRole::Error => {
            let _ = writeln!(out, "{level} Error");
            let _ = writeln!(out);
            for l in m.text.lines() {
                let _ = writeln!(out, "> {l}");
            }
        }
        StoredRole::Notice => {
            let _ = writeln!(out, "*{}*", m.text.trim());
        }
    }
}

/// One answer under a heading of `level` (`##`): its label, reasoning in a
/// `<details>`, the text, images linked, and how it failed.
fn markdown_answer(out: &mut String, m: &StoredMessage, level: &str) {
    let _ = writeln!(out, "{level} {}", answer_label(m));
    let _ = writeln!(out);
    if !m.reasoning.trim().is_empty() {
        let _ = writeln!(out, "<details><summary>Reasoning</summary>");
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", m.reasoning.trim_end());
        let _ = writeln!(out);
        let _ = writeln!(out, "</details>");
        let _ = writeln!(out);
    }
    if !m.text.is_empty() {
        let _ = writeln!(out, "{}", m.text.trim_end());
    }
    for p in &m.image_paths {
        let _ = writeln!(out);
        let _ = writeln!(out, "![image]({})", link_target(p));
    }
    if !m.sources.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Sources:");
        let _ = writeln!(out);
        for (i, s) in m.sources.iter().enumerate() {
            let title = s.label().replace(['[', ']'], "");
            let _ = writeln!(out, "{}. [{title}]({})", i + 1, link_target(&s.url));
        }
    }
    if let Some(e) = &m.error {
        let _ = writeln!(out);
        let _ = writeln!(out, "> **{}:** {e}", m.status.map_or("error", status_word));
    }
}

/// Pretty JSON: `{"orchat_export": 1, "conversation": …, "messages": […]}`,
/// costs as exact decimal strings.
pub fn json(meta: &ConversationMeta, msgs: &[StoredMessage]) -> String {
    doc_json(Doc {
        orchat_export: JSON_VERSION,
        conversation: meta.clone(),
        messages: msgs.to_vec(),
        charges: None,
    })
}

/// `json`, with the conversation's ledger: importing it keeps every billed
/// request as it was (replaced and stopped answers too).
pub fn json_with_charges(
    meta: &ConversationMeta,
    msgs: &[StoredMessage],
    charges: &[crate::chat::pricing::Charge],
) -> String {
    doc_json(Doc {
        orchat_export: JSON_VERSION,
        conversation: meta.clone(),
        messages: msgs.to_vec(),
        charges: Some(charges.to_vec()),
    })
}

fn doc_json(doc: Doc) -> String {
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// Reads a JSON export back. Every message is put under the conversation's
/// id; two messages with one seq are refused.
pub fn import_json(text: &str) -> Result<Imported, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let version = v
        .get("orchat_export")
        .and_then(|x| x.as_u64())
        .ok_or("not an orchat export (no \"orchat_export\" version)")?;
    if version == 0 || version > u64::from(JSON_VERSION) {
        return Err(format!(
            "export format {version} is not supported by this orchat (it reads 1 to {JSON_VERSION})"
        ));
    }
    let doc: Doc = serde_json::from_value(v).map_err(|e| format!("bad orchat export: {e}"))?;
    let mut msgs = doc.messages;
    let mut seqs = std::collections::BTreeSet::new();
    for m in &mut msgs {
        if !seqs.insert(m.seq) {
            return Err(format!(
                "bad orchat export: two messages numbered {}",
                m.seq
            ));
        }
        m.conversation_id.clone_from(&doc.conversation.id);
    }
    msgs.sort_by_key(|m| m.seq);
    Ok(Imported {
        meta: doc.conversation,
        messages: msgs,
        charges: doc.charges,
    })
}

/// A plain transcript for the terminal (`orchat sessions show`).
pub fn transcript(meta: &ConversationMeta, msgs: &[StoredMessage]) -> String {
    let mut out = String::new();
    let title = if meta.title.is_empty() {
        "(untitled)"
    } else {
        &meta.title
    };
    let _ = writeln!(out, "{title}");
    let _ = writeln!(
        out,
        "{} · {} · {} messages · {} · {}",
        meta.id,
        format_utc(meta.created_ms),
        meta.messages,
        if meta.models.is_empty() {
            "no answers".to_string()
        } else {
            meta.models.join(", ")
        },
        usd(meta.total_cost)
    );
    let (msgs, current) = as_tree(msgs, meta.current);
    let t = SavedTree::new(&msgs);
    let path = t.path(current);
    let mut shown: Vec<u32> = t.notes(None).to_vec();
    for &seq in &path {
        shown.push(seq);
        shown.extend(t.notes(Some(seq)));
    }
    for seq in shown {
        let Some(m) = t.get(seq) else {
            continue;
        };
        let _ = writeln!(out);
        let mut head = match m.role {
            StoredRole::User => "you".to_string(),
            StoredRole::Assistant => answer_label(m),
            StoredRole::Error => "error".to_string(),
            StoredRole::Notice => "notice".to_string(),
        };
        let sib = t.siblings(seq);
        if !matches!(m.role, StoredRole::Error | StoredRole::Notice) && sib.len() > 1 {
            let at = sib.iter().position(|&s| s == seq).unwrap_or(0) + 1;
            head.push_str(&format!(" · ‹{at}/{}›", sib.len()));
        }
        let _ = writeln!(out, "▌ {head}");
        transcript_body(&mut out, m);
    }
    let off_path = msgs
        .iter()
        .filter(|m| matches!(m.role, StoredRole::User | StoredRole::Assistant))
        .count()
        .saturating_sub(path.len());
    if off_path > 0 {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "({off_path} more message{} on other branches: /tree in orchat shows them)",
            if off_path == 1 { "" } else { "s" }
        );
    }
    out
}

/// An attachment as saved (`sha256:<hex>/<name>`, a URL or an old path):
/// its name, and where its bytes are (the copy kept in the data
/// directory's `attachments/`).
fn attachment_link(stored: &str) -> (String, String) {
    match crate::chat::attach::parse_ref(stored) {
        Some((digest, name)) => {
            let target = crate::paths::data_dir()
                .map(|d| d.join("attachments").join(digest).display().to_string())
                .unwrap_or_else(|| format!("attachments/{digest}"));
            (name.to_string(), target)
        }
        None => (stored.to_string(), stored.to_string()),
    }
}

/// A message's reasoning, text, attachments, images and error, indented.
fn transcript_body(out: &mut String, m: &StoredMessage) {
    if !m.reasoning.trim().is_empty() {
        for l in m.reasoning.trim_end().lines() {
            let _ = writeln!(out, "  ┆ {l}");
        }
    }
    for l in m.text.trim_end().lines() {
        let _ = writeln!(out, "  {l}");
    }
    for a in &m.attachments {
        let _ = writeln!(out, "  [attached {}]", attachment_link(a).0);
    }
    for p in &m.image_paths {
        let _ = writeln!(out, "  [image {p}]");
    }
    if let Some(e) = &m.error {
        let _ = writeln!(out, "  ({e})");
    }
}
