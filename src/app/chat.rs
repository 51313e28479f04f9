//! How the next prompt is asked: the model (or the models compared), the
//! request settings, the system prompt and its presets, and the one-key
//! way out of a dead end on offer.

use super::conversation::NodeId;
use crate::chat::request::Settings;

pub struct Chat {
    pub model: String,
    pub settings: Settings,
    pub system: Option<String>,
    /// Named system prompts from the config (/preset NAME).
    pub presets: std::collections::BTreeMap<String, String>,
    /// The model `/title` asks (the config's `title_model`), else the
    /// current one.
    pub title_model: Option<String>,
    /// The config's roles, and the one in use (named in the status bar).
    pub roles: std::collections::BTreeMap<String, crate::config::RoleSpec>,
    pub role: Option<String>,
    /// How web search is asked for when it is on (the config's `[web]`);
    /// `settings.web` is it while on.
    pub web_setup: crate::chat::request::WebSearch,
    /// The models marked to compare (2 to 4), remembered for `/compare`.
    pub marked: Vec<String>,
    /// Compare mode: each prompt goes to every marked model.
    pub comparing: bool,
    /// What AcceptOffer does now: the paid twin after a daily limit, an image
    /// model when the current one cannot read the attached images.
    pub offer: Option<Offer>,
}

/// A one-key way out of a dead end (AcceptOffer): switch to `model`, then
/// send the draft again or ask the last prompt again.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub model: String,
    pub resend: bool,
    /// Before asking again, history starts at this message (the provider
    /// said the conversation is too long).
    pub leave_out: Option<NodeId>,
    /// Instead of a model: attach this file (a pasted path), taking its
    /// text out of the input box.
    pub attach: Option<String>,
}

impl Chat {
    pub fn new(model: &str) -> Chat {
        Chat {
            model: model.to_string(),
            settings: Settings {
                stream: true,
                ..Settings::default()
            },
            system: None,
            presets: Default::default(),
            title_model: None,
            web_setup: Default::default(),
            roles: Default::default(),
            role: None,
            marked: Vec::new(),
            comparing: false,
            offer: None,
        }
    }

    /// The models the next prompt goes to: every marked one in compare
    /// mode, else the current one.
    pub fn asked(&self) -> Vec<String> {
        if self.comparing && self.marked.len() >= 2 {
            self.marked.clone()
        } else {
            vec![self.model.clone()]
        }
    }
}
