//! The money the app shows: this turn's and the conversation's cost, what
//! was spent today against the caps, and the day's `:free` requests.

use rust_decimal::Decimal;

use super::state::{App, Entry};
use crate::chat::pricing::{Cost, CostKind, sat_add};

impl App {
    /// The first spending cap that `input` (USD, estimated) would pass on
    /// top of what was spent: the conversation's, then the day's. Returns
    /// (spent so far, whose cap in words, the cap).
    pub fn cap_passed_by(&self, input: Decimal) -> Option<(Decimal, &'static str, Decimal)> {
        let checks = [
            (
                self.budget.per_conversation,
                self.total_cost(),
                "this conversation's",
            ),
            (self.budget.per_day, self.spent_today(), "today's"),
        ];
        checks.into_iter().find_map(|(cap, spent, which)| {
            let cap = cap?;
            (spent + input > cap).then_some((spent, which, cap))
        })
    }

    /// This turn's cost: final, or the live estimate while streaming.
    pub fn turn_cost(&self) -> Option<Cost> {
        self.entries.iter().rev().find_map(|e| match e {
            Entry::Assistant { answer, cost, .. } => {
                Some(cost.unwrap_or_else(|| answer.cost(&self.catalog)))
            }
            // A round: every column's cost, ≈ while any is estimated.
            Entry::Round(r) => {
                let s = r.summary(&self.catalog);
                let kind = if s.estimated {
                    CostKind::Estimated
                } else if s.unknown && s.total.is_zero() {
                    CostKind::Unknown
                } else {
                    r.columns[0].live_cost(&self.catalog).kind
                };
                Some(Cost::new(s.total, kind))
            }
            _ => None,
        })
    }

    /// What the answers still streaming have cost so far (estimated), USD.
    fn live_usd(&self) -> Decimal {
        let single = self
            .pending_answer()
            .map_or(Decimal::ZERO, |a| a.cost(&self.catalog).usd);
        let round = super::compare::open_round(self)
            .and_then(|i| match &self.entries[i] {
                Entry::Round(r) => Some(
                    r.columns
                        .iter()
                        .filter(|c| c.is_live())
                        .map(|c| c.answer.cost(&self.catalog).usd)
                        .fold(Decimal::ZERO, sat_add),
                ),
                _ => None,
            })
            .unwrap_or_default();
        sat_add(single, round)
    }

    /// The conversation's total: its ledger plus the live estimate.
    pub fn total_cost(&self) -> Decimal {
        sat_add(self.ledger.total(), self.live_usd())
    }

    /// Spent today: before this process, and since (including the live estimate).
    pub fn spent_today(&self) -> Decimal {
        let live = self.live_usd();
        sat_add(
            sat_add(self.budget.spent_before, self.budget.spent_here),
            live,
        )
    }

    /// The cap most used up, as (fraction used ×100, cap, "conversation"/"day").
    pub fn budget_use(&self) -> Option<(Decimal, Decimal, &'static str)> {
        let mut worst: Option<(Decimal, Decimal, &'static str)> = None;
        for (cap, spent, what) in [
            (
                self.budget.per_conversation,
                self.total_cost(),
                "conversation",
            ),
            (self.budget.per_day, self.spent_today(), "day"),
        ] {
            if let Some(cap) = cap.filter(|c| *c > Decimal::ZERO) {
                let pct = spent
                    .checked_mul(Decimal::from(100))
                    .and_then(|x| x.checked_div(cap))
                    .unwrap_or(Decimal::MAX);
                if worst.is_none_or(|w| pct > w.0) {
                    worst = Some((pct, cap, what));
                }
            }
        }
        worst
    }

    /// The `:free` requests counted today, and the cap (50, or 1000 with
    /// $10 of credits bought), for OpenRouter.
    pub fn free_usage(&self) -> Option<(u32, u32)> {
        if !self.openrouter {
            return None;
        }
        let today = crate::store::utc_day(self.epoch_ms());
        let used = if today == self.free_day {
            self.free_today
        } else {
            0
        };
        let cap = self.account.as_ref().map_or(50, |a| a.free_daily_cap());
        Some((used, cap))
    }
}
