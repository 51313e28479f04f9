//! The database layout, its migrations, and how a file is checked before
//! orchat writes anything to it.
//!
//! The schema version lives in `PRAGMA user_version`: 0 is an empty file,
//! N means `MIGRATIONS[..N]` have run. A release that changes the layout
//! appends a migration; it never edits or removes one, so every database
//! ever written can be brought forward and nothing saved is lost.

use std::io::Read;
use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// `PRAGMA application_id`: marks the file as orchat's ("orch"), so a stray
/// SQLite file of another program is recognised and left alone.
pub const APPLICATION_ID: i32 = 0x6f72_6368;

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Migrations, in order. `MIGRATIONS[i]` takes the schema from version `i`
/// to `i + 1`.
pub const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6];

/// Version 1, the first release. Costs are TEXT so decimals stay exact;
/// lists (attachments, image paths, models) are JSON arrays. The per-
/// conversation summary columns are kept up to date by the writer so the
/// list is one cheap query.
const V1: &str = r#"
CREATE TABLE conversations (
    id           TEXT PRIMARY KEY NOT NULL,
    -- Set by /rename; NULL or '' means: the first prompt.
    title        TEXT,
    created_ms   INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL,
    -- Summary of the messages, refreshed by every write.
    first_prompt TEXT NOT NULL DEFAULT '',
    models       TEXT NOT NULL DEFAULT '[]',
    messages     INTEGER NOT NULL DEFAULT 0,
    total_cost   TEXT NOT NULL DEFAULT '0'
);

CREATE TABLE messages (
    conversation_id   TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq               INTEGER NOT NULL,
    role              TEXT NOT NULL,
    text              TEXT NOT NULL,
    attachments       TEXT NOT NULL DEFAULT '[]',
    image_paths       TEXT NOT NULL DEFAULT '[]',
    reasoning         TEXT NOT NULL DEFAULT '',
    model_requested   TEXT,
    model_reported    TEXT,
    provider          TEXT,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    reasoning_tokens  INTEGER,
    image_tokens      INTEGER,
    cost              TEXT,
    cost_kind         TEXT,
    generation_id     TEXT,
    status            TEXT,
    finish_reason     TEXT,
    error             TEXT,
    created_ms        INTEGER NOT NULL,
    finished_ms       INTEGER,
    UNIQUE (conversation_id, seq)
);

CREATE INDEX conversations_by_update ON conversations(updated_ms);

-- Full-text index over what was said and thought, kept in step by triggers.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, reasoning,
    content = 'messages', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, text, reasoning)
        VALUES (new.rowid, new.text, new.reasoning);
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text, reasoning)
        VALUES ('delete', old.rowid, old.text, old.reasoning);
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text, reasoning)
        VALUES ('delete', old.rowid, old.text, old.reasoning);
    INSERT INTO messages_fts(rowid, text, reasoning)
        VALUES (new.rowid, new.text, new.reasoning);
END;
"#;

/// Version 2: the billing ledger, kept apart from the visible messages so
/// an answer replaced by /retry or /edit, a stopped answer or a billed
/// failure stays in the conversation's money after a reload; the daily
/// count of requests to `:free` models. Existing answers with a cost become
/// the ledger's first rows.
const V2: &str = r#"
CREATE TABLE charges (
    id                TEXT PRIMARY KEY NOT NULL,
    -- Not a foreign key: deleting a conversation does not unbill it.
    conversation_id   TEXT NOT NULL,
    model             TEXT NOT NULL,
    cost              TEXT NOT NULL,
    cost_kind         TEXT NOT NULL,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens  INTEGER NOT NULL DEFAULT 0,
    image_tokens      INTEGER NOT NULL DEFAULT 0,
    images_in         INTEGER NOT NULL DEFAULT 0,
    computed          TEXT,
    estimate          TEXT,
    generation_id     TEXT,
    outcome           TEXT NOT NULL DEFAULT 'answer',
    created_ms        INTEGER NOT NULL
);

CREATE INDEX charges_by_conversation ON charges(conversation_id, created_ms);
CREATE INDEX charges_by_time ON charges(created_ms);

INSERT INTO charges (id, conversation_id, model, cost, cost_kind, prompt_tokens,
        completion_tokens, reasoning_tokens, image_tokens, generation_id, created_ms)
    SELECT conversation_id || '/' || seq, conversation_id,
           coalesce(model_reported, model_requested, ''), cost,
           coalesce(cost_kind, 'estimated'), coalesce(prompt_tokens, 0),
           coalesce(completion_tokens, 0), coalesce(reasoning_tokens, 0),
           coalesce(image_tokens, 0), generation_id, coalesce(finished_ms, created_ms)
    FROM messages WHERE role = 'assistant' AND cost IS NOT NULL;

ALTER TABLE conversations ADD COLUMN unknown_costs INTEGER NOT NULL DEFAULT 0;

-- An answer's reasoning_details (JSON), sent back with it on later turns.
ALTER TABLE messages ADD COLUMN reasoning_details TEXT NOT NULL DEFAULT '[]';

-- Requests to `:free` models per UTC day (YYYY-MM-DD), errors included.
CREATE TABLE free_requests (
    day      TEXT PRIMARY KEY NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0
);
"#;

/// Version 3: compare mode. A round is saved at one position: the row holds
/// the kept answer (the first while none is kept), and `round` every
/// model's answer as JSON with which one was kept.
const V3: &str = r#"
ALTER TABLE messages ADD COLUMN round TEXT;
"#;

/// Version 4: an answer's input as estimated before sending, and the
/// images sent with it, so its header after a reload says "≈332 in" when
/// the provider reported no usage (not "≈0 in").
const V4: &str = r#"
ALTER TABLE messages ADD COLUMN prompt_estimate INTEGER;
ALTER TABLE messages ADD COLUMN images_in INTEGER;
"#;

/// Version 5: the conversation is a tree. Each message names the one it
/// follows (`parent`; the chains saved so far follow the message before),
/// answers asked together share an `ask`, an answer keeps its time to first
/// token, and the conversation remembers the last message of its current
/// path. Rounds saved in one row become sibling answers (`tree.rs`, run
/// after this script by `migrate`).
const V5: &str = r#"
ALTER TABLE messages ADD COLUMN parent INTEGER;
ALTER TABLE messages ADD COLUMN ask INTEGER;
ALTER TABLE messages ADD COLUMN ttft_ms INTEGER;
ALTER TABLE conversations ADD COLUMN current_seq INTEGER;
UPDATE messages SET parent = seq - 1 WHERE seq > 0;
UPDATE messages SET ask = seq WHERE role = 'assistant';
UPDATE conversations SET current_seq =
    (SELECT max(seq) FROM messages m WHERE m.conversation_id = conversations.id);
"#;

/// Version 6: an answer's sources (`url_citation` annotations, JSON), its
/// file annotations (OpenRouter's PDF parses, sent back with it), whether
/// web search was asked and what the search cost apart from the tokens
/// (USD, exact), in the message and in the ledger; and a charge's prompt
/// tokens read from the provider's cache.
const V6: &str = r#"
ALTER TABLE messages ADD COLUMN sources TEXT NOT NULL DEFAULT '[]';
ALTER TABLE messages ADD COLUMN file_annotations TEXT NOT NULL DEFAULT '[]';
ALTER TABLE messages ADD COLUMN web INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN search_usd TEXT;
ALTER TABLE charges ADD COLUMN search_usd TEXT;
ALTER TABLE charges ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0;
"#;

/// The schema version this build writes.
pub fn latest() -> u32 {
    MIGRATIONS.len() as u32
}

/// Looks at the file's first bytes before SQLite touches it: a non-empty
/// file that does not start like a SQLite database is refused, so it is never
/// opened for writing, let alone overwritten.
pub fn check_header(path: &Path) -> Result<bool, StoreError> {
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(StoreError::from_io(path, &e)),
    };
    let mut head = Vec::with_capacity(16);
    if let Err(e) = (&mut f).take(16).read_to_end(&mut head) {
        return Err(StoreError::from_io(path, &e));
    }
    if !head.is_empty() && head.as_slice() != SQLITE_MAGIC {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
        });
    }
    Ok(true)
}

/// Reads the file's identity marks and refuses a database that is not
/// orchat's (another program's) or was written by a newer orchat. Only reads.
/// Returns the schema version.
pub fn check_ours(conn: &Connection, path: &Path) -> Result<u32, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(err)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    // Reading the schema table makes SQLite parse the file, so a damaged
    // one fails here rather than at the first write.
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(err)?;
    let foreign = if app_id == 0 {
        version != 0 || objects != 0
    } else {
        app_id != APPLICATION_ID
    };
    if foreign || version < 0 {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
        });
    }
    let version = version as u32;
    if version > latest() {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            version,
        });
    }
    Ok(version)
}

/// Brings the schema to `latest()`. Each step and the version bump commit
/// together, under a write lock taken up front, and the version is read again
/// under that lock, so two processes opening a new file at once migrate it
/// once. Returns how many migrations ran (0 for an up-to-date file).
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<u32, StoreError> {
    let err = |e| StoreError::from_sqlite(path, e);
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    if current as u32 == latest() {
        // Up to date: no write lock, so opening never waits on another
        // orchat that is busy writing.
        return Ok(0);
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    let current: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    let current = current.max(0) as u32;
    if current > latest() {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            version: current,
        });
    }
    for step in MIGRATIONS.iter().skip(current as usize) {
        tx.execute_batch(step).map_err(err)?;
    }
    // V5's data step: rounds saved in one row become sibling answers. It
    // reads and writes rows as this build does, so it runs once every
    // column exists.
    if current < 5 {
        super::tree::migrate_rounds(&tx).map_err(err)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(err)?;
    tx.pragma_update(None, "user_version", latest())
        .map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(latest() - current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_build_a_schema_with_fts5() {
        // The bundled SQLite must have FTS5, or search cannot work.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(check_ours(&conn, &path).unwrap(), 0);
        assert_eq!(migrate(&mut conn, &path).unwrap(), latest());
        assert_eq!(check_ours(&conn, &path).unwrap(), latest());
        // A second run finds nothing to do.
        assert_eq!(migrate(&mut conn, &path).unwrap(), 0);
        let fts: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'messages_fts'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(fts, 1);
    }

    #[test]
    fn a_version_1_store_gets_its_answers_as_the_ledgers_first_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        let mut conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO conversations (id, created_ms, updated_ms) VALUES ('c', 1, 1);
             INSERT INTO messages (conversation_id, seq, role, text, created_ms)
                 VALUES ('c', 0, 'user', 'hi', 1);
             INSERT INTO messages (conversation_id, seq, role, text, model_requested,
                 prompt_tokens, completion_tokens, cost, cost_kind, created_ms, finished_ms)
                 VALUES ('c', 1, 'assistant', 'hello', 'google/gemini-2.5-flash',
                         7, 62, '0.00029485', 'computed', 2, 3);
             INSERT INTO messages (conversation_id, seq, role, text, cost, created_ms)
                 VALUES ('c', 2, 'assistant', 'partial', '0.0000001', 4);",
        )
        .unwrap();
        assert_eq!(migrate(&mut conn, &path).unwrap(), latest() - 1);
        let rows: Vec<(String, String, String, i64)> = conn
            .prepare("SELECT id, cost, cost_kind, created_ms FROM charges ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                ("c/1".into(), "0.00029485".into(), "computed".into(), 3),
                ("c/2".into(), "0.0000001".into(), "estimated".into(), 4),
            ]
        );
        let details: String = conn
            .query_row(
                "SELECT reasoning_details FROM messages WHERE seq = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(details, "[]");
    }

    #[test]
    fn another_programs_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        assert!(matches!(
            check_ours(&conn, &path),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "user_version", latest() + 1)
            .unwrap();
        assert!(matches!(
            check_ours(&conn, &path),
            Err(StoreError::TooNew { version, .. }) if version == latest() + 1
        ));
    }
}
