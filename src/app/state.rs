//! Everything the app knows, as plain data: the conversation, the input,
//! what is on screen (the mode), money, and what it asks of the view (scroll
//! requests, a render epoch). No view state lives here: scroll positions,
//! render caches and image protocols belong to `ui::View`, which the runtime
//! owns. Only `update` changes it.

use ratatui_textarea::TextArea;
use rust_decimal::Decimal;

use crate::chat::answer::Answer;
use crate::chat::attach::Attachment;
use crate::chat::catalog::{Catalog, Model};
use crate::chat::pricing::{Charge, Cost, Ledger};
use crate::chat::request::Settings;
use crate::keymap::{Action, Context, Keymap};

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
    /// One prompt answered by several models side by side (compare mode).
    Round(Box<super::round::Round>),
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
    /// entry `drop` on, leaving out the oldest (yes; `None` when even the
    /// draft alone is too long), pick another model, or keep the draft (no).
    ConfirmContext {
        needed: u64,
        window: u64,
        drop: Option<usize>,
    },
    /// The session browser.
    Sessions(SessionsState),
    /// The database is damaged: save this conversation to a new file (y/n)?
    ConfirmRescue,
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
    /// Waiting for yes/no to delete the selected conversation.
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
    /// Spent today before this process started (from the ledger).
    pub spent_before: Decimal,
    /// Spent by answers finished in this process (reported, computed or estimated).
    pub spent_here: Decimal,
}

/// A one-key way out of a dead end (AcceptOffer): switch to `model`, then
/// send the draft again or resend the last prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub model: String,
    pub resend: bool,
    /// Before resending, leave entries before this index out of what is
    /// sent (the provider said the conversation is too long).
    pub leave_out: Option<usize>,
}

/// The model picker: the filter typed, the models that match it (catalog
/// indices, best first: computed when the filter or the catalog changes,
/// not on every frame) and the row selected.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PickerState {
    pub filter: String,
    pub matches: Vec<usize>,
    pub selected: usize,
    /// Models marked to compare (ids, in the order marked).
    pub marked: Vec<String>,
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
    /// Tries the client made again before the answer began.
    pub retries: u32,
}

/// An empty input box as the app shows it, with `placeholder` when empty.
pub(super) fn new_input(placeholder: &str) -> TextArea<'static> {
    let mut input = TextArea::default();
    input.set_cursor_line_style(ratatui::style::Style::default());
    // Dim, not a colour: the same under NO_COLOR and every theme.
    input.set_placeholder_style(
        ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::DIM),
    );
    input.set_placeholder_text(placeholder.to_string());
    input
}

/// Answers are saved while they stream, at most once a second (app clock,
/// ms), so a kill, a crash or a power cut loses at most the last second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checkpoint {
    pub saved_ms: u64,
    /// A stream event changed an answer since the last save.
    pub dirty: bool,
}

/// Where a scroll goes when it jumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Jump {
    #[default]
    Bottom,
    Top,
}

/// What the app asks of the conversation pane's scroll: running totals the
/// view applies the change of (only the view knows line heights and its own
/// height), and the last jump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScrollRequest {
    /// Lines scrolled down (negative: up), in all.
    pub lines: i64,
    /// Pages (the pane's height less a line) scrolled down, in all.
    pub pages: i64,
    /// Half pages scrolled down, in all.
    pub half_pages: i64,
    /// Counts jumps, so the view takes each once.
    pub jumps: u64,
    pub jump: Jump,
}

impl ScrollRequest {
    pub fn jump(&mut self, to: Jump) {
        self.jumps += 1;
        self.jump = to;
    }
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
    pub charges: Vec<Charge>,
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
    /// What AcceptOffer does now: the paid twin after a daily limit, an image
    /// model when the current one cannot read the attached images.
    pub offer: Option<Offer>,
    /// Images to send with the next message.
    pub attachments: Vec<Attachment>,
    /// Names this conversation's folder of generated images (and its session).
    pub conversation_id: String,
    /// Wall-clock time (epoch ms) when `now_ms` was 0; set by the runtime.
    pub clock_base_ms: u64,
    /// The keys in force (defaults plus the config's remappings).
    pub keymap: Keymap,
    /// The conversation pane has the keyboard instead of the input.
    pub focus_conversation: bool,
    /// The message selected in the conversation pane (for copying).
    pub selected: Option<usize>,
    /// Which code block CopyCode copied last: (entry, block).
    pub code_cursor: Option<(usize, usize)>,
    pub budget: Budget,
    /// How far the help overlay is scrolled.
    pub help_scroll: u16,
    /// Named system prompts from the config (/preset NAME).
    pub presets: std::collections::BTreeMap<String, String>,
    /// Whether what the conversation says reaches the disk (saving, paused,
    /// off, damaged, with the reason), as the store last said.
    pub saving: crate::store::SaveState,
    /// When the streaming answers were last saved, and whether they changed
    /// since.
    pub checkpoint: Checkpoint,
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
    /// The time zone dates are shown in (the system's; UTC in tests).
    pub tz: jiff::tz::TimeZone,
    /// Compare mode: the models (2 to 4) each prompt goes to; empty when off.
    pub compare: Vec<String>,
    /// What the conversation pane should scroll by (the view applies it).
    pub scroll: ScrollRequest,
    /// Bumped whenever entries already drawn must be drawn again (a
    /// selection, folded reasoning, a new catalog, another conversation):
    /// the view drops its cached renderings when it changes.
    pub render_epoch: u64,
    /// `context_estimate`'s running sum over settled entries, advanced at the
    /// end of each `update` (plain data: the screen only reads it).
    pub(super) context: super::context::ContextMemo,
}

impl App {
    /// The index of the last prompt's entry, if there is one.
    pub fn last_prompt_index(&self) -> Option<usize> {
        self.entries
            .iter()
            .rposition(|e| matches!(e, Entry::User { .. }))
    }

    pub fn new(catalog: Catalog, provider_label: &str, model: &str) -> App {
        let input = new_input("");
        let mut app = App {
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
            clock_base_ms: 0,
            saving: crate::store::SaveState::Saving,
            checkpoint: Checkpoint::default(),
            keymap: Keymap::default(),
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
            tz: jiff::tz::TimeZone::UTC,
            compare: Vec::new(),
            scroll: ScrollRequest::default(),
            render_epoch: 0,
            context: Default::default(),
        };
        app.set_keymap(Keymap::default());
        app
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
        self.set_keymap(Keymap::with_overrides(&cfg.key_bindings()));
        let (conv, day) = cfg.budget();
        self.budget.per_conversation = conv;
        self.budget.per_day = day;
        self.presets = cfg.presets.clone();
    }

    /// The keys in force, and the input box's hint that names them.
    pub fn set_keymap(&mut self, keymap: Keymap) {
        self.keymap = keymap;
        self.input.set_placeholder_text(self.chat_placeholder());
    }

    /// What the empty input box says on the chat screen.
    pub fn chat_placeholder(&self) -> String {
        format!(
            "Type a message · {} sends · {} help",
            self.keymap.key(Action::Send),
            self.keymap.key(Action::Help)
        )
    }

    /// The table keys are looked up in now.
    pub fn key_context(&self) -> Context {
        match &self.mode {
            Mode::Chat if self.focus_conversation && super::compare::open_round(self).is_some() => {
                Context::Compare
            }
            Mode::Chat if self.focus_conversation => Context::Focus,
            Mode::Chat => Context::Chat,
            Mode::Picker(_) => Context::Picker,
            Mode::Sessions(s) if s.confirm_delete => Context::Confirm,
            Mode::Sessions(_) => Context::Sessions,
            Mode::Cost => Context::Cost,
            Mode::Help => Context::Help,
            Mode::Attach { .. } => Context::Attach,
            Mode::ConfirmQuit
            | Mode::ConfirmSend { .. }
            | Mode::ConfirmContext { .. }
            | Mode::ConfirmRescue => Context::Confirm,
        }
    }

    /// A key's label in the table of the screen in force ("Esc").
    pub fn key_label(&self, action: Action) -> String {
        self.keymap.key(action)
    }

    /// Wall-clock time, for timestamps on saved messages.
    pub fn epoch_ms(&self) -> u64 {
        self.clock_base_ms + self.now_ms
    }

    pub fn current_model(&self) -> Option<&Model> {
        self.catalog.get(&self.model)
    }

    pub fn draft(&self) -> String {
        self.input.lines().join("\n")
    }

    /// An answer is streaming (or waiting), alone or in a round.
    pub fn is_busy(&self) -> bool {
        self.pending.is_some() || super::compare::round_busy(self)
    }

    /// Entries already drawn must be drawn again.
    pub fn redraw_all(&mut self) {
        self.render_epoch = self.render_epoch.wrapping_add(1);
    }

    /// The streaming answer, if any.
    pub fn pending_answer(&self) -> Option<&Answer> {
        let p = self.pending.as_ref()?;
        self.entries.iter().rev().find_map(|e| match e {
            Entry::Assistant { turn, answer, .. } if *turn == p.turn => Some(&**answer),
            _ => None,
        })
    }
}
