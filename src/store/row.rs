//! How rows map to and from Rust values: the column lists read back, and
//! the helpers that read integers and enum names leniently.

use serde::Serialize;

use rusqlite::{Transaction, params};

use super::{ConversationMeta, StoredMessage, StoredRole};

pub(super) const META_SELECT: &str = "SELECT id, title, first_prompt, created_ms, updated_ms, models, messages, total_cost, unknown_costs, current_seq FROM conversations";

pub(super) fn meta_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConversationMeta> {
    let title: Option<String> = r.get(1)?;
    let first: String = r.get(2)?;
    let models: String = r.get(5)?;
    let cost: String = r.get(7)?;
    Ok(ConversationMeta {
        id: r.get(0)?,
        title: title.filter(|t| !t.is_empty()).unwrap_or(first),
        created_ms: get_u64(r, 3)?,
        updated_ms: get_u64(r, 4)?,
        models: serde_json::from_str(&models).unwrap_or_default(),
        messages: r.get::<_, i64>(6)?.clamp(0, u32::MAX as i64) as u32,
        total_cost: cost.parse().unwrap_or_default(),
        unknown_costs: r.get::<_, i64>(8)?.clamp(0, u32::MAX as i64) as u32,
        current: get_opt_u32(r, 9)?,
    })
}

pub(super) const MESSAGE_SELECT: &str =
    "SELECT conversation_id, seq, role, text, attachments, image_paths, reasoning,
        model_requested, model_reported, provider,
        prompt_tokens, completion_tokens, reasoning_tokens, image_tokens,
        cost, cost_kind, generation_id, status, finish_reason, error, created_ms, finished_ms,
        reasoning_details, round, prompt_estimate, images_in, parent, ask, ttft_ms,
        sources, file_annotations, web, search_usd
 FROM messages";

pub(super) fn get_u64(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(r.get::<_, i64>(i)?.max(0) as u64)
}

fn get_opt_u64(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<u64>> {
    Ok(r.get::<_, Option<i64>>(i)?.map(|v| v.max(0) as u64))
}

fn get_opt_u32(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<u32>> {
    Ok(r.get::<_, Option<i64>>(i)?
        .map(|v| v.clamp(0, i64::from(u32::MAX)) as u32))
}

/// Reads a lowercase enum name as serde spells it; an unknown one (written
/// by a newer orchat) reads as absent rather than failing the whole load.
pub(super) fn parse_enum<T: serde::de::DeserializeOwned>(s: Option<String>) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s?)).ok()
}

pub(super) fn enum_name<T: Serialize>(v: &Option<T>) -> Option<String> {
    match serde_json::to_value(v.as_ref()?) {
        Ok(serde_json::Value::String(s)) => Some(s),
        _ => None,
    }
}

pub(super) fn message_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredMessage> {
    let list = |i: usize| -> rusqlite::Result<Vec<String>> {
        Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or_default())
    };
    Ok(StoredMessage {
        conversation_id: r.get(0)?,
        seq: r.get::<_, i64>(1)?.clamp(0, u32::MAX as i64) as u32,
        role: StoredRole::parse(&r.get::<_, String>(2)?).unwrap_or(StoredRole::Notice),
        text: r.get(3)?,
        attachments: list(4)?,
        image_paths: list(5)?,
        reasoning: r.get(6)?,
        model_requested: r.get(7)?,
        model_reported: r.get(8)?,
        provider: r.get(9)?,
        prompt_tokens: get_opt_u64(r, 10)?,
        completion_tokens: get_opt_u64(r, 11)?,
        reasoning_tokens: get_opt_u64(r, 12)?,
        image_tokens: get_opt_u64(r, 13)?,
        cost: r.get::<_, Option<String>>(14)?.and_then(|s| s.parse().ok()),
        cost_kind: parse_enum(r.get(15)?),
        generation_id: r.get(16)?,
        status: parse_enum(r.get(17)?),
        finish_reason: r.get(18)?,
        error: r.get(19)?,
        created_ms: get_u64(r, 20)?,
        finished_ms: get_opt_u64(r, 21)?,
        reasoning_details: serde_json::from_str(&r.get::<_, String>(22)?).unwrap_or_default(),
        ttft_ms: get_opt_u64(r, 28)?,
        round: r
            .get::<_, Option<String>>(23)?
            .and_then(|s| serde_json::from_str(&s).ok()),
        prompt_estimate: get_opt_u64(r, 24)?,
        images_in: get_opt_u64(r, 25)?,
        parent: get_opt_u32(r, 26)?,
        ask: get_opt_u32(r, 27)?,
        sources: serde_json::from_str(&r.get::<_, String>(29)?).unwrap_or_default(),
        file_annotations: serde_json::from_str(&r.get::<_, String>(30)?).unwrap_or_default(),
        web: r.get::<_, i64>(31)? != 0,
        search_usd: r
            .get::<_, Option<String>>(32)?
            .and_then(|s| crate::chat::pricing::parse_decimal(&s)),
    })
}

fn opt_i64(v: Option<u64>) -> Option<i64> {
    v.map(|v| v.min(i64::MAX as u64) as i64)
}

pub(super) fn upsert(tx: &Transaction<'_>, m: &StoredMessage) -> rusqlite::Result<()> {
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "INSERT INTO messages (conversation_id, seq, role, text, attachments, image_paths,
             reasoning, model_requested, model_reported, provider,
             prompt_tokens, completion_tokens, reasoning_tokens, image_tokens,
             cost, cost_kind, generation_id, status, finish_reason, error,
             created_ms, finished_ms, reasoning_details, round, prompt_estimate, images_in,
             parent, ask, ttft_ms, sources, file_annotations, web, search_usd)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                 ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31,
                 ?32, ?33)
         ON CONFLICT (conversation_id, seq) DO UPDATE SET
             role = excluded.role, text = excluded.text,
             attachments = excluded.attachments, image_paths = excluded.image_paths,
             reasoning = excluded.reasoning, model_requested = excluded.model_requested,
             model_reported = excluded.model_reported, provider = excluded.provider,
             prompt_tokens = excluded.prompt_tokens,
             completion_tokens = excluded.completion_tokens,
             reasoning_tokens = excluded.reasoning_tokens,
             image_tokens = excluded.image_tokens, cost = excluded.cost,
             cost_kind = excluded.cost_kind, generation_id = excluded.generation_id,
             status = excluded.status, finish_reason = excluded.finish_reason,
             error = excluded.error, created_ms = excluded.created_ms,
             finished_ms = excluded.finished_ms,
             reasoning_details = excluded.reasoning_details, round = excluded.round,
             prompt_estimate = excluded.prompt_estimate, images_in = excluded.images_in,
             parent = excluded.parent, ask = excluded.ask, ttft_ms = excluded.ttft_ms,
             sources = excluded.sources, file_annotations = excluded.file_annotations,
             web = excluded.web, search_usd = excluded.search_usd",
        params![
            m.conversation_id,
            m.seq as i64,
            m.role.as_str(),
            m.text,
            json(&m.attachments),
            json(&m.image_paths),
            m.reasoning,
            m.model_requested,
            m.model_reported,
            m.provider,
            opt_i64(m.prompt_tokens),
            opt_i64(m.completion_tokens),
            opt_i64(m.reasoning_tokens),
            opt_i64(m.image_tokens),
            m.cost.map(|c| c.to_string()),
            enum_name(&m.cost_kind),
            m.generation_id,
            enum_name(&m.status),
            m.finish_reason,
            m.error,
            opt_i64(Some(m.created_ms)),
            opt_i64(m.finished_ms),
            serde_json::to_string(&m.reasoning_details).unwrap_or_else(|_| "[]".into()),
            m.round.as_ref().and_then(|r| serde_json::to_string(r).ok()),
            opt_i64(m.prompt_estimate),
            opt_i64(m.images_in),
            m.parent.map(i64::from),
            m.ask.map(i64::from),
            opt_i64(m.ttft_ms),
            serde_json::to_string(&m.sources).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&m.file_annotations).unwrap_or_else(|_| "[]".into()),
            i64::from(m.web),
            m.search_usd.map(|d| d.to_string()),
        ],
    )?;
    Ok(())
}
