//! The local server's account endpoints (PROTOCOL.md §3.5, §4.2): `/key`
//! (credits used, the limit and what is left), `/credits` (what was bought),
//! and `/generation` (what an answer cost, written a moment after it, so it
//! answers 404 until then, as OpenRouter's does).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::json;

use super::errors::error_response;
use super::{Shared, check_auth};

/// The account `/key` and `/credits` describe.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// The key's credit limit (USD); `None` is no limit.
    pub limit: Option<Decimal>,
    /// Never bought credits: 50 free requests a day, not 1000.
    pub is_free_tier: bool,
    /// Credits ever bought (USD).
    pub credits_purchased: Decimal,
}

impl Default for Account {
    fn default() -> Self {
        Account {
            limit: None,
            is_free_tier: true,
            credits_purchased: Decimal::ZERO,
        }
    }
}

/// What the answers so far cost, exactly.
fn used(s: &Shared) -> Decimal {
    s.generations
        .lock()
        .unwrap()
        .values()
        .map(|g| g.total_cost.0)
        .sum()
}

fn json_response(body: String) -> Response {
    ([("content-type", "application/json")], body).into_response()
}

pub(super) async fn key(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(r) = check_auth(&s, &headers) {
        return r;
    }
    let a = &s.opts.account;
    let usage = used(&s);
    let num = |d: Option<Decimal>| d.map_or("null".to_string(), |d| d.normalize().to_string());
    // Numbers written as the decimal text, so they stay exact on the wire.
    json_response(format!(
        r#"{{"data":{{"label":"orchat-local","limit":{},"usage":{},"limit_remaining":{},"is_free_tier":{},"is_provisioning_key":false}}}}"#,
        num(a.limit),
        usage.normalize(),
        num(a.limit.map(|l| l - usage)),
        a.is_free_tier,
    ))
}

pub(super) async fn credits(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(r) = check_auth(&s, &headers) {
        return r;
    }
    json_response(format!(
        r#"{{"data":{{"total_credits":{},"total_usage":{}}}}}"#,
        s.opts.account.credits_purchased.normalize(),
        used(&s).normalize()
    ))
}

#[derive(serde::Deserialize)]
pub(super) struct GenQuery {
    id: String,
}

pub(super) async fn generation(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<GenQuery>,
) -> Response {
    if let Some(r) = check_auth(&s, &headers) {
        return r;
    }
    let delay = s.opts.generation_delay;
    match s.generations.lock().unwrap().get(&q.id) {
        Some(g) if g.written.is_none_or(|w| w.elapsed() >= delay) => {
            axum::Json(json!({ "data": g })).into_response()
        }
        _ => error_response(404, "Generation not found", None, None),
    }
}
