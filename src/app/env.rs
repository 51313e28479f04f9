//! Where the app runs: the catalog, the provider, the keys in force, the
//! clock and the time zone, and what the store says of saving.

use crate::chat::catalog::Catalog;
use crate::keymap::Keymap;

pub struct Env {
    pub catalog: Catalog,
    pub provider_label: String,
    /// The keys in force (defaults plus the config's remappings).
    pub keymap: Keymap,
    /// Milliseconds on the app's clock (injected, so tests are deterministic).
    pub now_ms: u64,
    /// Wall-clock time (epoch ms) when `now_ms` was 0; set by the runtime.
    pub clock_base_ms: u64,
    /// The time zone dates are shown in (the system's; UTC in tests).
    pub tz: jiff::tz::TimeZone,
    /// Seconds of silence after which the client gives up on a stream.
    pub idle_timeout_s: u64,
    /// The environment variable the provider's key is read from, for hints.
    pub key_env: Option<String>,
    /// The provider is OpenRouter: costs it did not report are settled with
    /// `/generation`, the account comes from `/key`, and `:free` models
    /// have a daily cap.
    pub openrouter: bool,
    /// Whether what the conversation says reaches the disk (saving, paused,
    /// off, damaged, with the reason), as the store last said.
    pub saving: crate::store::SaveState,
}

impl Env {
    pub fn new(catalog: Catalog, provider_label: &str) -> Env {
        Env {
            catalog,
            provider_label: provider_label.to_string(),
            keymap: Keymap::default(),
            now_ms: 0,
            clock_base_ms: 0,
            tz: jiff::tz::TimeZone::UTC,
            idle_timeout_s: 120,
            key_env: Some("OPENROUTER_API_KEY".into()),
            openrouter: false,
            saving: crate::store::SaveState::Saving,
        }
    }

    /// Wall-clock time (epoch ms), for timestamps on saved messages.
    pub fn epoch_ms(&self) -> u64 {
        self.clock_base_ms + self.now_ms
    }
}
