//! A comparison round: one prompt asked of 2 to 4 models at once, each
//! answer in a column of its own with its own clock, cost and scroll; then
//! one kept as the reply (the others stay, as alternatives, never sent).
//! Plain data and what can be read off it (a column's state, the summary);
//! `compare` changes it.

use rust_decimal::Decimal;

use super::state::ScrollRequest;
use crate::chat::answer::{Answer, Status};
use crate::chat::catalog::Catalog;
use crate::chat::pricing::{Cost, CostKind};
use crate::store::{StoredMessage, StoredRound};

/// The most models a round asks at once.
pub const MAX_COLUMNS: usize = 4;

/// One model's answer in a round.
#[derive(Debug, Clone)]
pub struct Column {
    /// Tags the column's stream events (`Msg::Stream { turn, .. }`).
    pub turn: u64,
    pub answer: Box<Answer>,
    /// What it cost, once it ended.
    pub cost: Option<Cost>,
    /// App clock (ms): when it was asked, its first token, its last event
    /// and when it ended.
    pub started_ms: u64,
    pub first_token_ms: Option<u64>,
    pub last_event_ms: u64,
    pub finished_ms: Option<u64>,
    /// A rate-limit wait in progress: when the client tries again, and why.
    pub retry_at_ms: Option<u64>,
    pub retry_reason: Option<String>,
    /// Tries the client made again before the answer began.
    pub retries: u32,
    /// What the column's own scroll is asked to do (the view applies it).
    pub scroll: ScrollRequest,
}

/// Where a column is, as its header says it.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnState {
    Waiting,
    /// Reasoning has come, no answer text yet.
    Thinking,
    Streaming,
    /// Waiting out a rate limit: seconds left, and why.
    RateLimited {
        secs: u64,
        reason: String,
    },
    /// Ended, and how.
    Ended(Status),
}

impl ColumnState {
    pub fn label(&self) -> String {
        match self {
            ColumnState::Waiting => "waiting".into(),
            ColumnState::Thinking => "thinking".into(),
            ColumnState::Streaming => "streaming".into(),
            ColumnState::RateLimited { secs, .. } => format!("rate limited · retry in {secs}s"),
            ColumnState::Ended(Status::Complete) => "done".into(),
            ColumnState::Ended(s) => s.label().to_string(),
        }
    }
}

impl Column {
    pub fn new(turn: u64, answer: Answer, now_ms: u64) -> Column {
        Column {
            turn,
            answer: Box::new(answer),
            cost: None,
            started_ms: now_ms,
            first_token_ms: None,
            last_event_ms: now_ms,
            finished_ms: None,
            retry_at_ms: None,
            retry_reason: None,
            retries: 0,
            scroll: ScrollRequest::default(),
        }
    }

    /// A column read back from a saved round: ended, with its cost and,
    /// when they were saved, its times (`ttft_ms`, `took_ms`).
    pub fn saved(
        turn: u64,
        answer: Answer,
        cost: Option<Cost>,
        ttft_ms: Option<u64>,
        took_ms: u64,
    ) -> Column {
        Column {
            cost,
            first_token_ms: ttft_ms,
            finished_ms: Some(took_ms),
            ..Column::new(turn, answer, 0)
        }
    }

    /// Still waiting or streaming.
    pub fn is_live(&self) -> bool {
        self.finished_ms.is_none()
    }

    /// An answer that can be kept: it ended with text (or images) in it.
    pub fn keepable(&self) -> bool {
        !self.is_live() && self.answer.received()
    }

    pub fn state(&self, now_ms: u64) -> ColumnState {
        if !self.is_live() {
            return ColumnState::Ended(self.answer.status);
        }
        if let (Some(at), Some(why)) = (self.retry_at_ms, &self.retry_reason) {
            return ColumnState::RateLimited {
                secs: at.saturating_sub(now_ms).div_ceil(1000),
                reason: why.clone(),
            };
        }
        if !self.answer.text.is_empty() {
            ColumnState::Streaming
        } else if !self.answer.reasoning.is_empty() {
            ColumnState::Thinking
        } else {
            ColumnState::Waiting
        }
    }

    /// Its cost: final once it ended, else the live estimate.
    pub fn live_cost(&self, catalog: &Catalog) -> Cost {
        self.cost.unwrap_or_else(|| self.answer.cost(catalog))
    }

    /// Time to first token, ms.
    pub fn ttft_ms(&self) -> Option<u64> {
        Some(self.first_token_ms?.saturating_sub(self.started_ms))
    }

    /// From the request to the end (or to `now_ms` while live), ms.
    pub fn elapsed_ms(&self, now_ms: u64) -> u64 {
        self.finished_ms
            .unwrap_or(now_ms)
            .saturating_sub(self.started_ms)
    }

    /// Output tokens a second since the first token (reasoning included).
    pub fn tokens_per_s(&self, now_ms: u64) -> Option<f64> {
        let first = self.first_token_ms?;
        let ms = self.finished_ms.unwrap_or(now_ms).saturating_sub(first);
        (ms >= 200).then(|| {
            let e = self.answer.estimate();
            let out = self
                .answer
                .usage
                .as_ref()
                .filter(|_| self.answer.implausible_output_count().is_none())
                .map_or(e.output + e.reasoning, |u| u.completion_tokens);
            out as f64 * 1000.0 / ms as f64
        })
    }
}

/// A prompt asked of several models: their columns, the one with the
/// focus, and the one kept as the reply.
#[derive(Debug, Clone)]
pub struct Round {
    pub columns: Vec<Column>,
    pub focus: usize,
    pub kept: Option<usize>,
}

/// The round's summary line: who was cheapest, first to answer, first to
/// finish, and what the round cost in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// (column, USD) of the cheapest that answered.
    pub cheapest: Option<(usize, Decimal)>,
    /// (column, ms) of the first token.
    pub first_token: Option<(usize, u64)>,
    /// (column, ms) of the first to end complete.
    pub first_done: Option<(usize, u64)>,
    /// Every column's cost added up (live estimates included).
    pub total: Decimal,
    /// Some of the total is estimated (≈), or unknown.
    pub estimated: bool,
    pub unknown: bool,
}

impl Round {
    pub fn new(columns: Vec<Column>) -> Round {
        Round {
            columns,
            focus: 0,
            kept: None,
        }
    }

    pub fn is_live(&self) -> bool {
        self.columns.iter().any(Column::is_live)
    }

    pub fn column_of_turn(&self, turn: u64) -> Option<usize> {
        self.columns.iter().position(|c| c.turn == turn)
    }

    /// The kept answer, with its cost.
    pub fn kept_column(&self) -> Option<&Column> {
        self.columns.get(self.kept?)
    }

    pub fn summary(&self, catalog: &Catalog) -> Summary {
        let mut s = Summary {
            cheapest: None,
            first_token: None,
            first_done: None,
            total: Decimal::ZERO,
            estimated: false,
            unknown: false,
        };
        for (i, c) in self.columns.iter().enumerate() {
            let cost = c.live_cost(catalog);
            match cost.kind {
                CostKind::Unknown => s.unknown = true,
                CostKind::Estimated => s.estimated = true,
                _ => {}
            }
            s.total = crate::chat::pricing::sat_add(s.total, cost.usd);
            if c.answer.received()
                && cost.kind != CostKind::Unknown
                && s.cheapest.is_none_or(|(_, usd)| cost.usd < usd)
            {
                s.cheapest = Some((i, cost.usd));
            }
            if let Some(t) = c.ttft_ms()
                && s.first_token.is_none_or(|(_, best)| t < best)
            {
                s.first_token = Some((i, t));
            }
            if !c.is_live()
                && c.answer.status == Status::Complete
                && let Some(end) = c.finished_ms
            {
                let took = end.saturating_sub(c.started_ms);
                if s.first_done.is_none_or(|(_, best)| took < best) {
                    s.first_done = Some((i, took));
                }
            }
        }
        s
    }
}

impl Round {
    /// The round as saved at position `seq`: the kept answer's fields (the
    /// first's while none is kept), and every answer with which was kept and
    /// its times (`base_ms`: the wall clock when the app clock was 0).
    /// A column still streaming is saved with its estimated cost so far.
    pub fn to_stored(
        &self,
        conversation_id: &str,
        seq: u32,
        now_ms: u64,
        base_ms: u64,
        catalog: &Catalog,
    ) -> StoredMessage {
        let answers: Vec<StoredMessage> = self
            .columns
            .iter()
            .map(|c| {
                let cost = c
                    .cost
                    .or_else(|| (c.is_live() && c.answer.received()).then(|| c.live_cost(catalog)));
                StoredMessage {
                    created_ms: base_ms + c.started_ms,
                    finished_ms: c.finished_ms.map(|f| base_ms + f),
                    ttft_ms: c.ttft_ms(),
                    ..StoredMessage::from_answer(conversation_id, seq, &c.answer, cost, now_ms)
                }
            })
            .collect();
        let mut main = answers[self.kept.unwrap_or(0)].clone();
        main.round = Some(StoredRound {
            kept: self.kept,
            answers,
        });
        main
    }

    /// A saved round read back, each answer ended as it was; turns are
    /// taken from `next_turn`.
    pub fn from_stored(saved: &StoredRound, next_turn: &mut u64) -> Round {
        let columns = saved
            .answers
            .iter()
            .map(|m| {
                let turn = *next_turn;
                *next_turn += 1;
                let took = m.finished_ms.map_or(0, |f| f.saturating_sub(m.created_ms));
                Column::saved(turn, m.to_answer(), m.cost_value(), m.ttft_ms, took)
            })
            .collect();
        Round {
            columns,
            focus: saved.kept.unwrap_or(0),
            kept: saved.kept,
        }
    }
}
