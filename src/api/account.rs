//! OpenRouter's account endpoints, as the client reads them: what an answer
//! cost once it is settled (`GET /generation?id=`, PROTOCOL.md §4.2), the
//! key's credits used, limit and what is left (`GET /key`, §3.5), and the
//! credits ever bought (`GET /credits`), which sets the daily cap on `:free`
//! requests. Amounts are read from the JSON text, never through a float.

use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;

use super::client::ChatClient;
use super::error::ApiError;
use super::types::WireDecimal;

/// The account behind the key, as `/key` (and `/credits`) describe it. USD.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Account {
    /// Credits used so far.
    pub usage: Option<Decimal>,
    /// The key's limit; `None` when it has none.
    pub limit: Option<Decimal>,
    /// What is left under the limit.
    pub remaining: Option<Decimal>,
    /// Never bought credits.
    pub is_free_tier: bool,
    /// Credits ever bought, when `/credits` answered (it may want a
    /// management key).
    pub credits_purchased: Option<Decimal>,
}

impl Account {
    /// Requests a day all `:free` models allow together: 50, or 1000 once
    /// $10 of credits were bought (PROTOCOL.md §3.4). Bought credits of an
    /// unknown amount count as enough.
    pub fn free_daily_cap(&self) -> u32 {
        let bought_enough = match self.credits_purchased {
            Some(c) => c >= Decimal::from(10),
            None => !self.is_free_tier,
        };
        if bought_enough { 1000 } else { 50 }
    }
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct KeyData {
    #[serde(default)]
    usage: Option<WireDecimal>,
    #[serde(default)]
    limit: Option<WireDecimal>,
    #[serde(default)]
    limit_remaining: Option<WireDecimal>,
    #[serde(default)]
    is_free_tier: bool,
}

#[derive(Deserialize)]
struct CreditsData {
    #[serde(default)]
    total_credits: Option<WireDecimal>,
}

#[derive(Deserialize)]
struct GenerationData {
    #[serde(default)]
    total_cost: Option<WireDecimal>,
}

fn parse<T: for<'de> Deserialize<'de>>(body: &str, what: &str) -> Result<T, ApiError> {
    serde_json::from_str::<Data<T>>(body)
        .map(|d| d.data)
        .map_err(|e| ApiError::Decode(format!("{what} is not what OpenRouter sends: {e}")))
}

/// How long to wait before each ask for a settlement: `/generation` answers
/// 404 for a while after the answer; about a minute in all.
pub const SETTLE_WAITS: [Duration; 9] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
    Duration::from_secs(8),
    Duration::from_secs(12),
    Duration::from_secs(12),
    Duration::from_secs(12),
];

impl ChatClient {
    /// What OpenRouter charged for generation `id`: `Ok(None)` while the
    /// record is not written yet (404).
    pub async fn generation_cost(&self, id: &str) -> Result<Option<Decimal>, ApiError> {
        let q: String = id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
            .collect();
        match self.get(&format!("generation?id={q}")).await {
            Ok(body) => Ok(parse::<GenerationData>(&body, "the generation record")?
                .total_cost
                .map(|d| d.0)),
            Err(ApiError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Asks `/generation` until it answers, backing off, for about a minute.
    /// `None` when it never did.
    pub async fn settle(&self, id: &str, waits: &[Duration]) -> Option<Decimal> {
        for wait in waits {
            tokio::time::sleep(*wait).await;
            match self.generation_cost(id).await {
                Ok(Some(cost)) => return Some(cost),
                Ok(None) => continue,
                Err(e) => {
                    tracing::info!(error = %e, "cannot settle {id}");
                    return None;
                }
            }
        }
        None
    }

    /// The account behind the key: `/key`, then `/credits` when it answers.
    pub async fn account(&self) -> Result<Account, ApiError> {
        let k: KeyData = parse(&self.get("key").await?, "the key's record")?;
        let credits_purchased = match self.get("credits").await {
            Ok(body) => parse::<CreditsData>(&body, "the credits record")
                .ok()
                .and_then(|c| c.total_credits)
                .map(|d| d.0),
            Err(_) => None,
        };
        Ok(Account {
            usage: k.usage.map(|d| d.0),
            limit: k.limit.map(|d| d.0),
            remaining: k.limit_remaining.map(|d| d.0),
            is_free_tier: k.is_free_tier,
            credits_purchased,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daily_free_cap_follows_the_credits_bought() {
        let mut a = Account {
            is_free_tier: true,
            ..Account::default()
        };
        assert_eq!(a.free_daily_cap(), 50);
        a.is_free_tier = false;
        assert_eq!(a.free_daily_cap(), 1000, "bought some, amount unknown");
        a.credits_purchased = Some(Decimal::new(5, 0));
        assert_eq!(a.free_daily_cap(), 50);
        a.credits_purchased = Some(Decimal::new(10, 0));
        assert_eq!(a.free_daily_cap(), 1000);
    }
}
