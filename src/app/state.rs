//! Everything the app knows. The screen is drawn from it; only `update`
//! changes it.

use std::cell::RefCell;

use ratatui_textarea::TextArea;
use rust_decimal::Decimal;

use crate::api::types::{Message, Role};
use crate::chat::answer::Answer;
use crate::chat::attach::Attachment;
use crate::chat::catalog::{Catalog, Model};
use crate::chat::pricing::{Cost, Ledger, estimate_tokens};
use crate::chat::request::{ReasoningSetting, Settings};

/// One item of the conversation pane.
#[derive(Debug, Clone)]
pub enum Entry {
    User {
        text: String,
        images: Vec<Attachment>,
    },
    Assistant {
        turn: u64,
        answer: Box<Answer>,
        /// Set once the answer is final: what it cost and how we know.
        cost: Option<Cost>,
    },
    /// A failure, with what to do next. Not sent back to the model.
    Error { text: String, hint: Option<String> },
    /// Something orchat says (model switched, conversation cleared…).
    Notice(String),
}

/// Which overlay has the keyboard.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Chat,
    Picker(PickerState),
    Cost,
    Help,
    ConfirmQuit,
    /// A send that would pass a spending cap waits for y/n.
    ConfirmSend {
        reason: String,
    },
    /// The conversation no longer fits the model's context window: send from
    /// entry `drop` on, leaving out the oldest (y; `None` when even the draft
    /// alone is too long), pick another model (p), or keep the draft (n).
    ConfirmContext {
        needed: u64,
        window: u64,
        drop: Option<usize>,
    },
    /// The session browser.
    Sessions(SessionsState),
    /// Typing a path or URL to attach; the draft waits here meanwhile.
    Attach {
        stashed_draft: String,
    },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionsState {
    /// Full-text query typed so far (empty lists every conversation).
    pub query: String,
    pub selected: usize,
    pub items: Vec<super::SessionItem>,
    /// Waiting for y/n to delete the selected conversation.
    pub confirm_delete: bool,
    /// Typing a new title for the selected conversation.
    pub renaming: Option<String>,
    pub error: Option<String>,
}

/// Spending caps and what has been spent against them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Budget {
    pub per_conversation: Option<Decimal>,
    pub per_day: Option<Decimal>,
    /// Spent today before this process started (from the saved sessions).
    pub spent_before: Decimal,
    /// Spent by answers finished in this process (reported, computed or estimated).
    pub spent_here: Decimal,
}

/// A one-key way out of a dead end (Ctrl+Y): switch to `model`, then send
/// the draft again or resend the last prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub model: String,
    pub resend: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PickerState {
    pub filter: String,
    pub selected: usize,
}

/// The answer being waited for or streamed.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub turn: u64,
    pub started_ms: u64,
    /// When the stream last said anything (for "silent for 12s").
    pub last_event_ms: u64,
    pub first_token_ms: Option<u64>,
    /// A rate-limit wait in progress: when the client will try again.
    pub retry_at_ms: Option<u64>,
    pub retry_reason: Option<String>,
}

/// Scroll position of the conversation pane, resolved when drawing (only the
/// renderer knows line heights). `None` anchor = follow the bottom.
#[derive(Debug, Clone, Default)]
pub struct ViewState {
    /// The first visible line: (entry index, line within the entry).
    pub anchor: Option<(usize, usize)>,
    /// Lines to scroll by, requested by `update`, applied at the next draw.
    pub pending_scroll: i64,
    pub to_top: bool,
    pub height: u16,
}

pub struct App {
    pub catalog: Catalog,
    pub provider_label: String,
    pub model: String,
    pub settings: Settings,
    pub system: Option<String>,
    pub entries: Vec<Entry>,
    pub input: TextArea<'static>,
    pub mode: Mode,
    pub pending: Option<Pending>,
    /// What this conversation was billed, request by request (the store's
    /// ledger), and its per-model sums.
    pub charges: Vec<crate::chat::pricing::Charge>,
    pub ledger: Ledger,
    /// Earlier prompts, oldest first, and where Up/Down recall is.
    pub history: Vec<String>,
    pub history_pos: Option<usize>,
    pub show_reasoning: bool,
    /// Milliseconds on the app's clock (injected, so tests are deterministic).
    pub now_ms: u64,
    pub next_turn: u64,
    /// A one-line message in the status area (what just happened).
    pub flash: Option<String>,
    /// What Ctrl+Y does now: the paid twin after a daily limit, an image
    /// model when the current one cannot read the attached images.
    pub offer: Option<Offer>,
    /// Images to send with the next message.
    pub attachments: Vec<Attachment>,
    /// Names this conversation's folder of generated images (and its session).
    pub conversation_id: String,
    /// Effects queued by helpers inside `update` (saving entries), returned
    /// with the rest.
    pub outbox: Vec<super::Effect>,
    /// Wall-clock time (epoch ms) when `now_ms` was 0; set by the runtime.
    pub clock_base_ms: u64,
    /// The keys in force (defaults plus the config's remappings).
    pub keymap: crate::keymap::Keymap,
    /// The conversation pane has the keyboard (vim-style keys) instead of the input.
    pub focus_conversation: bool,
    /// The message selected in the conversation pane (for copying).
    pub selected: Option<usize>,
    /// Which code block Ctrl+B copied last: (entry, block).
    pub code_cursor: Option<(usize, usize)>,
    pub budget: Budget,
    /// How far the help overlay is scrolled.
    pub help_scroll: u16,
    /// Named system prompts from the config (/preset NAME).
    pub presets: std::collections::BTreeMap<String, String>,
    /// Why saving is off, when it is.
    pub saving_off: Option<String>,
    /// Entries before this index are left out of what is sent (they no
    /// longer fit the context window); they stay on screen.
    pub sent_from: usize,
    /// Seconds of silence after which the client gives up on a stream.
    pub idle_timeout_s: u64,
    /// The environment variable the provider's key is read from, for hints.
    pub key_env: Option<String>,
    /// The provider is OpenRouter: costs it did not report are settled with
    /// `/generation`, the account comes from `/key`, and `:free` models
    /// have a daily cap.
    pub openrouter: bool,
    /// The account, once read (refreshed after answers, at most once a minute).
    pub account: Option<crate::api::account::Account>,
    /// When the account was last asked for (app clock, ms).
    pub account_asked_ms: Option<u64>,
    /// Requests to `:free` models on `free_day` (UTC), errors included.
    pub free_today: u32,
    pub free_day: String,
    pub view: RefCell<ViewState>,
    pub render_cache: RefCell<crate::ui::conversation::Cache>,
    /// `context_estimate`'s sum over the entries that can no longer change,
    /// so the status bar's per-frame estimate does not walk the history.
    context_memo: std::cell::Cell<ContextMemo>,
    pub images: RefCell<crate::ui::images::ImageCache>,
    pub quit: bool,
}

impl App {
    pub fn new(catalog: Catalog, provider_label: &str, model: &str) -> App {
        let mut input = TextArea::default();
        input.set_placeholder_text("Type a message · Enter sends · F1 help");
        input.set_cursor_line_style(ratatui::style::Style::default());
        // Dim, not a colour: the same under NO_COLOR and every theme.
        input.set_placeholder_style(
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::DIM),
        );
        App {
            catalog,
            provider_label: provider_label.to_string(),
            model: model.to_string(),
            settings: Settings {
                stream: true,
                ..Settings::default()
            },
            system: None,
            entries: Vec::new(),
            input,
            mode: Mode::Chat,
            pending: None,
            charges: Vec::new(),
            ledger: Ledger::default(),
            history: Vec::new(),
            history_pos: None,
            show_reasoning: true,
            now_ms: 0,
            next_turn: 1,
            flash: None,
            offer: None,
            attachments: Vec::new(),
            conversation_id: "conversation".to_string(),
            outbox: Vec::new(),
            clock_base_ms: 0,
            saving_off: None,
            keymap: Default::default(),
            focus_conversation: false,
            selected: None,
            code_cursor: None,
            budget: Budget::default(),
            help_scroll: 0,
            presets: Default::default(),
            sent_from: 0,
            idle_timeout_s: 120,
            key_env: Some("OPENROUTER_API_KEY".into()),
            openrouter: false,
            account: None,
            account_asked_ms: None,
            free_today: 0,
            free_day: String::new(),
            view: RefCell::new(ViewState::default()),
            render_cache: RefCell::new(Default::default()),
            context_memo: Default::default(),
            images: RefCell::new(Default::default()),
            quit: false,
        }
    }

    /// Takes the merged configuration: model defaults, system prompt,
    /// reasoning, keys, budget and presets.
    pub fn configure(&mut self, cfg: &crate::config::Config) {
        self.settings.max_tokens = cfg.max_tokens;
        self.settings.temperature = cfg.temperature.map(|t| t as f32);
        self.settings.fallbacks = cfg.fallback_models.clone();
        if let Some(r) = cfg.reasoning_setting() {
            self.settings.reasoning = r;
        }
        self.system = cfg.system_prompt.clone();
        self.keymap = crate::keymap::Keymap::with_overrides(&cfg.key_bindings());
        let (conv, day) = cfg.budget();
        self.budget.per_conversation = conv;
        self.budget.per_day = day;
        self.presets = cfg.presets.clone();
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

    /// Spent today: before this process, and since (including the live estimate).
    pub fn spent_today(&self) -> Decimal {
        let live = self
            .pending_answer()
            .map_or(Decimal::ZERO, |a| a.cost(&self.catalog).usd);
        let sat = crate::chat::pricing::sat_add;
        sat(sat(self.budget.spent_before, self.budget.spent_here), live)
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

    /// Wall-clock time, for timestamps on saved messages.
    pub fn epoch_ms(&self) -> u64 {
        self.clock_base_ms + self.now_ms
    }

    /// Replaces the conversation with a saved one: its messages, its id, and
    /// its ledger (every billed request, shown or not).
    pub fn restore(&mut self, saved: &super::LoadedSession) {
        use crate::store::StoredRole;
        let (id, msgs) = (&saved.id, &saved.messages);
        self.entries.clear();
        self.entries_changed_from(0);
        self.charges = saved.charges.clone();
        self.ledger = Ledger::of(&self.charges);
        self.conversation_id = id.to_string();
        self.pending = None;
        self.render_cache.get_mut().clear();
        *self.view.get_mut() = ViewState::default();
        for m in msgs {
            let entry = match m.role {
                StoredRole::User => Entry::User {
                    text: m.text.clone(),
                    images: m
                        .attachments
                        .iter()
                        .map(|s| Attachment {
                            source: s.clone(),
                            url: s.clone(),
                            bytes: None,
                            mime: None,
                            dims: None,
                        })
                        .collect(),
                },
                StoredRole::Assistant => {
                    let answer = m.to_answer();
                    let cost = m.cost_value();
                    let turn = self.next_turn;
                    self.next_turn += 1;
                    Entry::Assistant {
                        turn,
                        answer: Box::new(answer),
                        cost,
                    }
                }
                StoredRole::Error => Entry::Error {
                    text: m.text.clone(),
                    hint: None,
                },
                StoredRole::Notice => Entry::Notice(m.text.clone()),
            };
            self.entries.push(entry);
        }
        if let Some(model) = msgs.iter().rev().find_map(|m| m.model_requested.clone()) {
            self.model = model;
        }
    }

    pub fn current_model(&self) -> Option<&Model> {
        self.catalog.get(&self.model)
    }

    pub fn draft(&self) -> String {
        self.input.lines().join("\n")
    }

    pub fn is_busy(&self) -> bool {
        self.pending.is_some()
    }

    pub fn set_reasoning(&mut self, r: ReasoningSetting) {
        self.settings.reasoning = r;
    }

    /// The messages sent for the next request: the system prompt, then each
    /// user prompt and each answer's text (errors and notices are not sent).
    pub fn wire_messages(&self) -> Vec<Message> {
        let mut out: Vec<Message> = crate::chat::request::system(self.system.as_deref())
            .into_iter()
            .collect();
        for e in self.entries.iter().skip(self.sent_from) {
            match e {
                Entry::User { text, images } => out.push(Message::with_images(
                    text.clone(),
                    images.iter().map(|a| a.url.clone()).collect(),
                )),
                Entry::Assistant { answer, .. } if !answer.text.is_empty() => {
                    let mut m = Message::text(Role::Assistant, answer.text.clone());
                    // OpenRouter asks for Gemini's reasoning back, unmodified,
                    // on later turns to the same family; others never see it.
                    if self.openrouter
                        && !answer.reasoning_details.is_empty()
                        && crate::chat::request::same_family(answer.model(), &self.model)
                    {
                        m.reasoning_details = Some(answer.reasoning_details.clone());
                    }
                    out.push(m)
                }
                _ => {}
            }
        }
        out
    }

    /// Prompt tokens the conversation so far would take (estimated), plus
    /// a draft not yet sent, and the number of images in it.
    ///
    /// Called every frame: finished entries are summed once and kept in
    /// `context_memo`; only the entries after them (the streaming answer, at
    /// most a few) are counted each time.
    pub fn context_estimate(&self, draft: &str) -> (u64, u64) {
        let mut memo = self.context_memo.get();
        if !memo.fits(&self.entries) || memo.from != self.sent_from {
            memo = ContextMemo {
                from: self.sent_from,
                upto: self.sent_from,
                ..ContextMemo::default()
            };
        }
        while let Some(e) = self.entries.get(memo.upto)
            && self.is_settled(e)
        {
            let (t, i) = entry_context(e);
            memo.tokens = memo.tokens.saturating_add(t);
            memo.images = memo.images.saturating_add(i);
            memo.upto += 1;
            memo.last_len = entry_text_len(e);
        }
        self.context_memo.set(memo);
        let mut tokens = memo
            .tokens
            .saturating_add(estimate_tokens(self.system.as_deref().unwrap_or("")))
            .saturating_add(estimate_tokens(draft));
        // Attachments waiting to be sent count as part of the draft.
        let mut images = memo.images.saturating_add(self.attachments.len() as u64);
        for e in &self.entries[memo.upto..] {
            let (t, i) = entry_context(e);
            tokens = tokens.saturating_add(t);
            images = images.saturating_add(i);
        }
        (tokens.saturating_add(images.saturating_mul(258)), images)
    }

    /// An entry that will not change any more: everything but an answer
    /// still streaming (or waiting).
    fn is_settled(&self, e: &Entry) -> bool {
        match e {
            Entry::Assistant { turn, answer, .. } => {
                answer.status.is_final() && self.pending.as_ref().is_none_or(|p| p.turn != *turn)
            }
            _ => true,
        }
    }

    /// Entries from `i` on were replaced or dropped: sums over them are stale.
    pub fn entries_changed_from(&mut self, i: usize) {
        self.sent_from = self.sent_from.min(i);
        let memo = self.context_memo.get_mut();
        if memo.upto > i {
            *memo = ContextMemo::default();
        }
    }

    /// How many of the oldest entries to leave out so the conversation and
    /// `draft` fit in `window` tokens (with a tenth to spare for the answer
    /// and the estimate's error), starting at a prompt; `None` when even the
    /// draft alone does not fit.
    pub fn entries_to_leave_out(&self, draft: &str, window: u64) -> Option<usize> {
        let budget = window - window / 10;
        let fixed = estimate_tokens(self.system.as_deref().unwrap_or(""))
            .saturating_add(estimate_tokens(draft))
            .saturating_add((self.attachments.len() as u64).saturating_mul(258));
        let mut tokens: u64 = self.entries[self.sent_from..]
            .iter()
            .map(|e| {
                let (t, i) = entry_context(e);
                t.saturating_add(i.saturating_mul(258))
            })
            .sum::<u64>()
            .saturating_add(fixed);
        let mut from = self.sent_from;
        while tokens > budget {
            let e = self.entries.get(from)?;
            let (t, i) = entry_context(e);
            tokens = tokens.saturating_sub(t.saturating_add(i.saturating_mul(258)));
            from += 1;
        }
        // Start at a prompt, so no answer is sent without its question.
        while from < self.entries.len() && !matches!(self.entries[from], Entry::User { .. }) {
            from += 1;
        }
        Some(from)
    }

    /// What sending the conversation plus the draft would cost in input on
    /// `model` (≈); `None` when its price is unknown.
    pub fn send_estimate(&self, model: &Model) -> Option<Decimal> {
        let (tokens, images) = self.context_estimate(&self.draft());
        Some(model.pricing.as_ref()?.input_cost(tokens, images))
    }

    /// The streaming answer, if any.
    pub fn pending_answer(&self) -> Option<&Answer> {
        let p = self.pending.as_ref()?;
        self.entries.iter().rev().find_map(|e| match e {
            Entry::Assistant { turn, answer, .. } if *turn == p.turn => Some(&**answer),
            _ => None,
        })
    }

    /// This turn's cost: final, or the live estimate while streaming.
    pub fn turn_cost(&self) -> Option<Cost> {
        self.entries.iter().rev().find_map(|e| match e {
            Entry::Assistant { answer, cost, .. } => {
                Some(cost.unwrap_or_else(|| answer.cost(&self.catalog)))
            }
            _ => None,
        })
    }

    /// The conversation's total: settled turns plus the live estimate.
    pub fn total_cost(&self) -> Decimal {
        let live = self
            .pending_answer()
            .map_or(Decimal::ZERO, |a| a.cost(&self.catalog).usd);
        crate::chat::pricing::sat_add(self.ledger.total(), live)
    }
}

/// A running sum of `entry_context` over `entries[from..upto]`.
#[derive(Debug, Clone, Copy, Default)]
struct ContextMemo {
    from: usize,
    upto: usize,
    tokens: u64,
    images: u64,
    /// The text length of `entries[upto - 1]`: a cheap check that the
    /// summed entries are still the ones there.
    last_len: usize,
}

impl ContextMemo {
    fn fits(&self, entries: &[Entry]) -> bool {
        self.upto == self.from
            || entries
                .get(self.upto - 1)
                .is_some_and(|e| entry_text_len(e) == self.last_len)
    }
}

fn entry_text_len(e: &Entry) -> usize {
    match e {
        Entry::User { text, .. } | Entry::Error { text, .. } | Entry::Notice(text) => text.len(),
        Entry::Assistant { answer, .. } => answer.text.len(),
    }
}

/// The prompt tokens (estimated) and images one entry adds to the context.
fn entry_context(e: &Entry) -> (u64, u64) {
    match e {
        Entry::User { text, images } => (estimate_tokens(text) + 4, images.len() as u64),
        // The text that is sent back, estimated: a provider's reported count
        // can be far off (AI/ML API's 2.5 Pro counts run 21 times high).
        Entry::Assistant { answer, .. } => (estimate_tokens(&answer.text).saturating_add(4), 0),
        _ => (0, 0),
    }
}
