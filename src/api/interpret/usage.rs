//! Usage as the answer reports it: AI/ML API's cost folded in, normalized.

use crate::api::types::{AimlMeta, Usage, WireDecimal};

/// AI/ML API sends its cost as `meta.usage.usd_spent`; fold it into usage.
/// Usage is normalized to the output tokens billed (`Usage::normalize`).
pub(super) fn merge_usage(usage: Option<Usage>, meta: Option<AimlMeta>) -> Option<Usage> {
    let spent: Option<WireDecimal> = meta.and_then(|m| m.usage).and_then(|u| u.usd_spent);
    let mut u = match (usage, spent) {
        (Some(mut u), Some(s)) => {
            u.cost.get_or_insert(s);
            u
        }
        (Some(u), None) => u,
        (None, Some(s)) => Usage {
            cost: Some(s),
            ..Usage::default()
        },
        (None, None) => return None,
    };
    u.normalize();
    Some(u)
}
