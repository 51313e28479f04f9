//! The wallet: every billed request (the ledger), the spending caps and
//! what was spent against them, the account behind the key, and the day's
//! requests to `:free` models.

use rust_decimal::Decimal;

use crate::chat::pricing::{Charge, Ledger};

/// Spending caps and what has been spent against them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Budget {
    pub per_conversation: Option<Decimal>,
    pub per_day: Option<Decimal>,
    /// Spent today before this process started (from the ledger).
    pub spent_before: Decimal,
    /// Spent by answers finished in this process (reported, computed or estimated).
    pub spent_here: Decimal,
}

#[derive(Debug, Clone, Default)]
pub struct Wallet {
    /// What this conversation was billed, request by request (the store's
    /// ledger), and its per-model sums.
    pub charges: Vec<Charge>,
    pub ledger: Ledger,
    pub budget: Budget,
    /// The account, once read (refreshed after answers, at most once a minute).
    pub account: Option<crate::api::account::Account>,
    /// When the account was last asked for (app clock, ms).
    pub account_asked_ms: Option<u64>,
    /// Requests to `:free` models on `free_day` (UTC), errors included.
    pub free_today: u32,
    pub free_day: String,
}

impl Wallet {
    /// A conversation's ledger in place of this one's (another opened, or
    /// cleared); the caps, the account and the day stay.
    pub fn set_charges(&mut self, charges: Vec<Charge>) {
        self.ledger = Ledger::of(&charges);
        self.charges = charges;
    }

    /// Whether the account is due to be read again (a minute old, or never).
    pub fn account_due(&self, now_ms: u64) -> bool {
        self.account_asked_ms
            .is_none_or(|t| now_ms.saturating_sub(t) >= 60_000)
    }
}
