//! Reading saved conversations: list, load, the last one, ids by prefix,
//! and full-text search.

use rusqlite::{Connection, OptionalExtension, params};

use super::error::one_line;
use super::row::{MESSAGE_SELECT, META_SELECT, message_from_row, meta_from_row};
use super::{
    ConversationMeta, MATCH_END, MATCH_START, SearchHit, Store, StoreError, StoredMessage,
};

/// Turns what the user typed into an FTS5 query that cannot be a syntax
/// error: each word is quoted (so `AND`, `-` or `"` are just text) and
/// matches as a prefix; all words must occur.
fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

impl Store {
    pub(super) fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let conn = self.inner.read.lock().unwrap_or_else(|p| p.into_inner());
        f(&conn).map_err(|e| StoreError::from_sqlite(&self.inner.path, e))
    }

    /// Every conversation, most recently changed first.
    pub fn list(&self) -> Result<Vec<ConversationMeta>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "{META_SELECT} ORDER BY updated_ms DESC, created_ms DESC, id"
            ))?;
            st.query_map([], meta_from_row)?.collect()
        })
    }

    /// A conversation and its messages in order, if it exists.
    pub fn load(
        &self,
        id: &str,
    ) -> Result<Option<(ConversationMeta, Vec<StoredMessage>)>, StoreError> {
        self.read(|c| {
            let meta = c
                .query_row(&format!("{META_SELECT} WHERE id = ?1"), [id], meta_from_row)
                .optional()?;
            let Some(meta) = meta else { return Ok(None) };
            let mut st = c.prepare(&format!(
                "{MESSAGE_SELECT} WHERE conversation_id = ?1 ORDER BY seq"
            ))?;
            let msgs = st
                .query_map([id], message_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some((meta, msgs)))
        })
    }

    /// The most recently changed conversation (to continue where the user
    /// left off).
    pub fn last_id(&self) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT id FROM conversations ORDER BY updated_ms DESC, created_ms DESC, id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// Ids that start with `prefix`; an exact match alone when there is one.
    pub fn ids_with_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let exact: Option<String> = c
                .query_row(
                    "SELECT id FROM conversations WHERE id = ?1",
                    [prefix],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = exact {
                return Ok(vec![id]);
            }
            // substr, not LIKE: ids are compared as typed, with no wildcards.
            let mut st = c.prepare(
                "SELECT id FROM conversations WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id",
            )?;
            st.query_map([prefix], |r| r.get(0))?.collect()
        })
    }

    /// Full-text search over every message's text and reasoning, best
    /// matches first (at most 100). Every word must occur; each matches as a
    /// prefix (`borrow` finds "borrowing").
    pub fn search(&self, query: &str) -> Result<Vec<SearchHit>, StoreError> {
        let Some(q) = fts_query(query) else {
            return Ok(Vec::new());
        };
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT m.conversation_id, m.seq,
                        snippet(messages_fts, -1, ?2, ?3, '…', 12),
                        c.title, c.first_prompt
                 FROM messages_fts
                 JOIN messages m ON m.rowid = messages_fts.rowid
                 JOIN conversations c ON c.id = m.conversation_id
                 WHERE messages_fts MATCH ?1
                 ORDER BY rank, m.conversation_id, m.seq
                 LIMIT 100",
            )?;
            st.query_map(params![q, MATCH_START, MATCH_END], |r| {
                let title: Option<String> = r.get(3)?;
                let first: String = r.get(4)?;
                Ok(SearchHit {
                    conversation_id: r.get(0)?,
                    seq: r.get::<_, i64>(1)? as u32,
                    snippet: one_line(&r.get::<_, String>(2)?),
                    title: title.filter(|t| !t.is_empty()).unwrap_or(first),
                })
            })?
            .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_input_never_becomes_fts_syntax() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("- ( *"), None);
        assert_eq!(
            fts_query(r#"borrow AND "x"#).as_deref(),
            Some(r#""borrow"* "AND"* """x"*"#)
        );
    }
}
