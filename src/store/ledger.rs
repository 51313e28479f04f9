//! The billing ledger on disk: one row per billed request (`Charge`), kept
//! apart from the messages so what was billed stays billed after /retry,
//! /edit, a stop or a failure, and after a reload. Totals, per-model
//! subtotals and the daily budget read it. Also the day's count of requests
//! to `:free` models. Costs are decimal text, summed exactly in Rust
//! (SQLite's SUM would go through floats).

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rust_decimal::Decimal;

use super::row::{enum_name, get_u64, parse_enum};
use super::{Store, StoreError};
use crate::chat::pricing::{Charge, Cost, CostKind};

const CHARGE_SELECT: &str = "SELECT id, conversation_id, model, cost, cost_kind, prompt_tokens,
    completion_tokens, reasoning_tokens, image_tokens, images_in, computed, estimate,
    generation_id, outcome, created_ms, search_usd, cached_tokens FROM charges";

fn decimal(s: Option<String>) -> Option<Decimal> {
    s.and_then(|s| crate::chat::pricing::parse_decimal(&s))
}

fn charge_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Charge> {
    Ok(Charge {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        model: r.get(2)?,
        cost: Cost::new(
            decimal(r.get(3)?).unwrap_or_default(),
            parse_enum(r.get(4)?).unwrap_or_default(),
        ),
        prompt_tokens: get_u64(r, 5)?,
        completion_tokens: get_u64(r, 6)?,
        reasoning_tokens: get_u64(r, 7)?,
        image_tokens: get_u64(r, 8)?,
        images_in: get_u64(r, 9)?,
        computed: decimal(r.get(10)?),
        estimate: decimal(r.get(11)?),
        generation_id: r.get(12)?,
        outcome: parse_enum(r.get(13)?).unwrap_or_default(),
        created_ms: get_u64(r, 14)?,
        search: decimal(r.get(15)?),
        cached_tokens: get_u64(r, 16)?,
    })
}

/// A conversation's charges, oldest first, inside a transaction (the
/// schema's migration reads them).
pub(super) fn charges_in(
    tx: &Transaction<'_>,
    conversation_id: &str,
) -> rusqlite::Result<Vec<Charge>> {
    tx.prepare(&format!(
        "{CHARGE_SELECT} WHERE conversation_id = ?1 ORDER BY created_ms, id"
    ))?
    .query_map([conversation_id], charge_from_row)?
    .collect()
}

fn i64_of(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

/// Writes a charge (again, when it changes: a settlement replaces it).
pub(super) fn put(tx: &Transaction<'_>, c: &Charge) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO charges (id, conversation_id, model, cost, cost_kind, prompt_tokens,
             completion_tokens, reasoning_tokens, image_tokens, images_in, computed,
             estimate, generation_id, outcome, created_ms, search_usd, cached_tokens)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
         ON CONFLICT (id) DO UPDATE SET
             model = excluded.model, cost = excluded.cost, cost_kind = excluded.cost_kind,
             prompt_tokens = excluded.prompt_tokens,
             completion_tokens = excluded.completion_tokens,
             reasoning_tokens = excluded.reasoning_tokens,
             image_tokens = excluded.image_tokens, images_in = excluded.images_in,
             computed = excluded.computed, estimate = excluded.estimate,
             generation_id = excluded.generation_id, outcome = excluded.outcome,
             search_usd = excluded.search_usd, cached_tokens = excluded.cached_tokens",
        params![
            c.id,
            c.conversation_id,
            c.model,
            c.cost.usd.to_string(),
            enum_name(&Some(c.cost.kind)),
            i64_of(c.prompt_tokens),
            i64_of(c.completion_tokens),
            i64_of(c.reasoning_tokens),
            i64_of(c.image_tokens),
            i64_of(c.images_in),
            c.computed.map(|d| d.to_string()),
            c.estimate.map(|d| d.to_string()),
            c.generation_id,
            enum_name(&Some(c.outcome)),
            i64_of(c.created_ms),
            c.search.map(|d| d.to_string()),
            i64_of(c.cached_tokens),
        ],
    )?;
    Ok(())
}

/// Counts one request to a `:free` model on `day` (UTC, YYYY-MM-DD).
pub(super) fn count_free(tx: &Transaction<'_>, day: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO free_requests (day, requests) VALUES (?1, 1)
         ON CONFLICT (day) DO UPDATE SET requests = requests + 1",
        [day],
    )?;
    Ok(())
}

/// A conversation's billed total and how many of its charges are unknown.
pub(super) fn totals(c: &Connection, id: &str) -> rusqlite::Result<(Decimal, i64)> {
    let mut st = c.prepare("SELECT cost, cost_kind FROM charges WHERE conversation_id = ?1")?;
    let mut rows = st.query([id])?;
    let (mut total, mut unknown) = (Decimal::ZERO, 0i64);
    while let Some(r) = rows.next()? {
        if let Some(d) = decimal(r.get(0)?) {
            total = crate::chat::pricing::sat_add(total, d);
        }
        if parse_enum::<CostKind>(r.get(1)?) == Some(CostKind::Unknown) {
            unknown += 1;
        }
    }
    Ok((total, unknown))
}

/// Gives an imported conversation the charges its answers record.
pub(super) fn charges_from_messages(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO charges (id, conversation_id, model, cost, cost_kind,
             prompt_tokens, completion_tokens, reasoning_tokens, image_tokens,
             generation_id, created_ms)
         SELECT conversation_id || '/' || seq, conversation_id,
                coalesce(model_reported, model_requested, ''), cost,
                coalesce(cost_kind, 'estimated'), coalesce(prompt_tokens, 0),
                coalesce(completion_tokens, 0), coalesce(reasoning_tokens, 0),
                coalesce(image_tokens, 0), generation_id, coalesce(finished_ms, created_ms)
         FROM messages WHERE conversation_id = ?1 AND role = 'assistant' AND cost IS NOT NULL",
        [id],
    )?;
    Ok(())
}

impl Store {
    /// Records a billed request (or its settlement, under the same id).
    pub fn put_charge(&self, charge: Charge) {
        self.change(super::writer::Change::Charge(Box::new(charge)));
    }

    /// Counts a request to a `:free` model today (UTC).
    pub fn count_free_request(&self, day: &str) {
        self.change(super::writer::Change::CountFree(day.to_string()));
    }

    /// Every charge of a conversation, oldest first.
    pub fn charges(&self, conversation_id: &str) -> Result<Vec<Charge>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "{CHARGE_SELECT} WHERE conversation_id = ?1 ORDER BY created_ms, id"
            ))?;
            st.query_map([conversation_id], charge_from_row)?.collect()
        })
    }

    /// Everything billed since `since_ms` (epoch ms), in every conversation,
    /// deleted ones included, summed exactly.
    pub fn spent_since(&self, since_ms: u64) -> Result<Decimal, StoreError> {
        self.read(|c| {
            let mut st = c.prepare("SELECT cost FROM charges WHERE created_ms >= ?1")?;
            let rows = st.query_map([i64_of(since_ms)], |r| r.get::<_, Option<String>>(0))?;
            let mut total = Decimal::ZERO;
            for r in rows {
                if let Some(d) = decimal(r?) {
                    total = crate::chat::pricing::sat_add(total, d);
                }
            }
            Ok(total)
        })
    }

    /// Requests to `:free` models on `day` (UTC, YYYY-MM-DD).
    pub fn free_requests(&self, day: &str) -> Result<u32, StoreError> {
        self.read(|c| {
            let n: Option<i64> = c
                .query_row(
                    "SELECT requests FROM free_requests WHERE day = ?1",
                    [day],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(n.unwrap_or(0).clamp(0, u32::MAX as i64) as u32)
        })
    }
}

/// The UTC day of `ms` as `YYYY-MM-DD`, the key of the `:free` count.
pub fn utc_day(ms: u64) -> String {
    crate::time::utc_day(ms)
}
