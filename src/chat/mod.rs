//! The domain: one answer as it streams in, the request a conversation
//! makes, exact money (prices, costs, the ledger), the model catalog, and
//! images going in (attachments) and coming out (saved files).

pub mod answer;
pub mod attach;
pub mod catalog;
pub mod images;
pub mod pricing;
pub mod request;
pub mod sources;
