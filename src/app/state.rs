//! Everything the app knows, as a handful of owned parts: the conversation
//! (its tree), the composer (the input box), the chat settings (model,
//! system prompt, compare mode), the wallet (money), the screen (what is
//! shown) and the environment (catalog, keys, clock). `update` dispatches
//! each message to the code for its concern; the parts never call each
//! other.

use super::chat::Chat;
use super::composer::Composer;
use super::conversation::Conversation;
use super::env::Env;
use super::screen::{Mode, Screen};
use super::wallet::Wallet;
use crate::chat::catalog::{Catalog, Model};
use crate::keymap::{Action, Context, Keymap};

pub struct App {
    pub conversation: Conversation,
    pub composer: Composer,
    pub chat: Chat,
    pub wallet: Wallet,
    pub screen: Screen,
    pub env: Env,
}

impl App {
    pub fn new(catalog: Catalog, provider_label: &str, model: &str) -> App {
        let mut app = App {
            conversation: Conversation::new("conversation"),
            composer: Composer::new(""),
            chat: Chat::new(model),
            wallet: Wallet::default(),
            screen: Screen::default(),
            env: Env::new(catalog, provider_label),
        };
        app.set_keymap(Keymap::default());
        app
    }

    /// Takes the merged configuration: model defaults, system prompt,
    /// reasoning, keys, budget and presets.
    pub fn configure(&mut self, cfg: &crate::config::Config) {
        self.chat.settings.max_tokens = cfg.max_tokens;
        self.chat.settings.temperature = cfg.temperature.map(|t| t as f32);
        self.chat.settings.fallbacks = cfg.fallback_models.clone();
        if let Some(r) = cfg.reasoning_setting() {
            self.chat.settings.reasoning = r;
        }
        self.chat.system = cfg.system_prompt.clone();
        self.set_keymap(Keymap::with_overrides(&cfg.key_bindings()));
        let (conv, day) = cfg.budget();
        self.wallet.budget.per_conversation = conv;
        self.wallet.budget.per_day = day;
        self.chat.presets = cfg.presets.clone();
        self.chat.title_model.clone_from(&cfg.title_model);
        self.chat.web_setup = cfg.web.clone();
        self.chat.roles = cfg.roles.clone();
    }

    /// The keys in force, and the input box's hint that names them.
    pub fn set_keymap(&mut self, keymap: Keymap) {
        self.env.keymap = keymap;
        let placeholder = self.chat_placeholder();
        self.composer.set_placeholder(&placeholder);
    }

    /// What the empty input box says on the chat screen.
    pub fn chat_placeholder(&self) -> String {
        format!(
            "Type a message · {} sends · {} help",
            self.env.keymap.key(Action::Send),
            self.env.keymap.key(Action::Help)
        )
    }

    /// The table keys are looked up in now.
    pub fn key_context(&self) -> Context {
        match &self.screen.mode {
            Mode::Chat
                if self.screen.focus_conversation && self.conversation.open_ask().is_some() =>
            {
                Context::Compare
            }
            Mode::Chat if self.screen.focus_conversation => Context::Focus,
            Mode::Chat => Context::Chat,
            Mode::Picker(_) => Context::Picker,
            Mode::Sessions(s) if s.confirm_delete => Context::Confirm,
            Mode::Sessions(_) => Context::Sessions,
            Mode::Cost => Context::Cost,
            Mode::Help => Context::Help,
            Mode::Tree(_) => Context::Tree,
            Mode::Attach { .. } => Context::Attach,
            Mode::ConfirmQuit
            | Mode::ConfirmSend { .. }
            | Mode::ConfirmContext { .. }
            | Mode::ConfirmRescue
            | Mode::ConfirmCommand { .. } => Context::Confirm,
        }
    }

    /// A key's label in the table of the screen in force ("Esc").
    pub fn key_label(&self, action: Action) -> String {
        self.env.keymap.key(action)
    }

    /// Wall-clock time, for timestamps on saved messages.
    pub fn epoch_ms(&self) -> u64 {
        self.env.epoch_ms()
    }

    pub fn current_model(&self) -> Option<&Model> {
        self.env.catalog.get(&self.chat.model)
    }

    pub fn draft(&self) -> String {
        self.composer.draft()
    }

    /// An answer is waiting or streaming, alone or in a round.
    pub fn is_busy(&self) -> bool {
        self.conversation.is_busy()
    }

    /// A new conversation id: unique per process (the first id's random
    /// part) and per moment (the clock), without reading either here.
    pub fn fresh_id(&self) -> String {
        let base: String = self.conversation.id.chars().take(6).collect();
        format!("{base}{:x}", self.epoch_ms())
    }
}
