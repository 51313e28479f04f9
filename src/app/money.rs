//! The money the app shows: this turn's and the conversation's cost, the
//! current path's, what was spent today against the caps, and the day's
//! `:free` requests.

use rust_decimal::Decimal;

use super::state::App;
use crate::chat::pricing::{Cost, CostKind, sat_add};

impl App {
    /// The first spending cap that `input` (USD, estimated) would pass on
    /// top of what was spent: the conversation's, then the day's. Returns
    /// (spent so far, whose cap in words, the cap).
    pub fn cap_passed_by(&self, input: Decimal) -> Option<(Decimal, &'static str, Decimal)> {
        let b = &self.wallet.budget;
        let checks = [
            (b.per_conversation, self.total_cost(), "this conversation's"),
            (b.per_day, self.spent_today(), "today's"),
        ];
        checks.into_iter().find_map(|(cap, spent, which)| {
            let cap = cap?;
            (spent + input > cap).then_some((spent, which, cap))
        })
    }

    /// This turn's cost: the last answer's (final, or the live estimate
    /// while it streams); an open round's answers together.
    pub fn turn_cost(&self) -> Option<Cost> {
        let c = &self.conversation;
        let catalog = &self.env.catalog;
        if let Some(open) = c.open_ask() {
            let mut total = Decimal::ZERO;
            let (mut estimated, mut unknown) = (false, false);
            let mut kind = None;
            for r in open.answers.iter().filter_map(|&i| c.reply(i)) {
                let cost = r.live_cost(catalog);
                match cost.kind {
                    CostKind::Estimated => estimated = true,
                    CostKind::Unknown => unknown = true,
                    k => {
                        kind.get_or_insert(k);
                    }
                }
                total = sat_add(total, cost.usd);
            }
            let kind = if estimated {
                CostKind::Estimated
            } else if unknown && total.is_zero() {
                CostKind::Unknown
            } else {
                kind.unwrap_or(CostKind::Estimated)
            };
            return Some(Cost::new(total, kind));
        }
        let r = c.reply(c.last_reply()?)?;
        // Refused before any answer: no turn to cost.
        (!r.nothing_came()).then(|| r.live_cost(catalog))
    }

    /// What the answers still streaming have cost so far (estimated), USD.
    fn live_usd(&self) -> Decimal {
        let c = &self.conversation;
        c.live()
            .filter_map(|i| c.reply(i))
            .map(|r| r.answer.cost(&self.env.catalog).usd)
            .fold(Decimal::ZERO, sat_add)
    }

    /// The conversation's total, every branch: its ledger plus the live
    /// estimate.
    pub fn total_cost(&self) -> Decimal {
        sat_add(self.wallet.ledger.total(), self.live_usd())
    }

    /// Spent today: before this process, and since (including the live estimate).
    pub fn spent_today(&self) -> Decimal {
        let b = &self.wallet.budget;
        sat_add(sat_add(b.spent_before, b.spent_here), self.live_usd())
    }

    /// The cap most used up, as (fraction used ×100, cap, "conversation"/"day").
    pub fn budget_use(&self) -> Option<(Decimal, Decimal, &'static str)> {
        let b = &self.wallet.budget;
        let mut worst: Option<(Decimal, Decimal, &'static str)> = None;
        for (cap, spent, what) in [
            (b.per_conversation, self.total_cost(), "conversation"),
            (b.per_day, self.spent_today(), "day"),
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
        if !self.env.openrouter {
            return None;
        }
        let w = &self.wallet;
        let today = crate::store::utc_day(self.epoch_ms());
        let used = if today == w.free_day { w.free_today } else { 0 };
        let cap = w.account.as_ref().map_or(50, |a| a.free_daily_cap());
        Some((used, cap))
    }
}
