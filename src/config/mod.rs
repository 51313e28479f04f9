//! The configuration file and its layers: built-in defaults < file <
//! environment < flags.
//!
//! Where the file is: `--config PATH` > `ORCHAT_CONFIG` > the platform's config
//! directory (`~/.config/orchat/config.toml` on Linux). A missing default file
//! means built-in defaults; a missing file that was named explicitly is an
//! error. `assets/config.example.toml` documents every key.
//!
//! Environment layer: `ORCHAT_MODEL`, `ORCHAT_PROVIDER`, `ORCHAT_MAX_TOKENS`,
//! `ORCHAT_THEME` (empty values are ignored). Directories: `ORCHAT_DATA_DIR`,
//! `ORCHAT_CACHE_DIR`, `ORCHAT_STATE_DIR` win over `[paths]`.
//!
//! Where things are: `load` (the layers, and the checks a file must
//! pass), `errors` (a bad file in one line), `theme` (named styles, built-in
//! and `[themes.NAME]`), `secrets` (`api_key_cmd`, file permissions, what is
//! redacted), `command` (`orchat config path|show|check`). This file holds
//! the configuration itself, exact money amounts, and what the rest of orchat
//! asks of it (the provider, its key, the theme, keys, budget, directories).
//!
//! A [`ConfigError`] is one line: `FILE line L, column C: KEY: what was expected`.

mod command;
mod errors;
pub mod keyring;
mod keys;
mod load;
mod secrets;
pub mod theme;

pub use command::{ConfigCommand, config_command, config_command_with, doctor_report};
pub use errors::ConfigError;
pub use load::{Flags, Loaded, PathOrigin, config_path};
use secrets::{looks_secret, secret_header};
pub use secrets::{permission_warning, run_key_cmd};

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::api::key::ApiKey;
use crate::api::{Provider, ProviderKind};
use crate::chat::request::ReasoningSetting;
pub use theme::{THEME_STYLES, Theme, ThemeSpec, light_theme, parse_style};

/// Names the config file explicitly (like `--config`).
pub const ENV_CONFIG: &str = "ORCHAT_CONFIG";
pub const ENV_MODEL: &str = "ORCHAT_MODEL";
pub const ENV_PROVIDER: &str = "ORCHAT_PROVIDER";
pub const ENV_MAX_TOKENS: &str = "ORCHAT_MAX_TOKENS";
pub const ENV_THEME: &str = "ORCHAT_THEME";

/// The model used when none is chosen.
pub const DEFAULT_MODEL: &str = "google/gemini-2.5-flash";
pub const DEFAULT_PROVIDER: &str = "openrouter";
pub const DEFAULT_THEME: &str = "dark";

/// Replaces secret values in `config show`.
pub const REDACTED: &str = "<redacted>";

// ---------------------------------------------------------------------------
// The configuration
// ---------------------------------------------------------------------------

/// The whole configuration. `Default` is the built-in layer; every key of the
/// file is optional and unknown keys are errors (typos are caught).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The model to start with.
    pub model: String,
    /// The model was chosen (the file, `ORCHAT_MODEL` or `-m`), not the
    /// built-in default: a plain server's own model does not replace it.
    #[serde(skip)]
    pub model_chosen: bool,
    /// A built-in provider (openrouter, aimlapi, google) or a `[providers.NAME]`.
    pub provider: String,
    /// Tried in order when the model fails (OpenRouter).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fallback_models: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// off | low | medium | high | a token budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// The model `/title` asks (a cheap one); the current model when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_model: Option<String>,
    /// Named system prompts: name -> text.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub presets: BTreeMap<String, String>,
    /// Named roles: a system prompt with a model, reasoning and temperature
    /// (`[roles.NAME]`; `/role NAME`, `--role NAME`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub roles: BTreeMap<String, RoleSpec>,
    /// "dark", "light" or the name of a `[themes.NAME]` table.
    pub theme: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub themes: BTreeMap<String, ThemeSpec>,
    pub mouse: bool,
    /// Allow sending a key over plain http to a host that is not this machine.
    pub allow_insecure_http: bool,
    /// Seconds of silence after which a request is given up (before its
    /// first byte, and between bytes).
    pub idle_timeout: u64,
    pub budget: Budget,
    /// Web search when it is on (`/web on`, `--web`): its form, results,
    /// engine and domains (`[web]`).
    pub web: crate::chat::request::WebSearch,
    /// Action name -> key chord ("ctrl+p", "f1", "alt+enter"), or a
    /// screen's name -> its own table of them (`[keys.picker]`); see `keys`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: BTreeMap<String, toml::Value>,
    pub paths: Paths,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub providers: BTreeMap<String, ProviderConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            model: DEFAULT_MODEL.to_string(),
            model_chosen: false,
            provider: DEFAULT_PROVIDER.to_string(),
            fallback_models: Vec::new(),
            max_tokens: None,
            temperature: None,
            reasoning: None,
            system_prompt: None,
            title_model: None,
            presets: BTreeMap::new(),
            roles: BTreeMap::new(),
            theme: DEFAULT_THEME.to_string(),
            themes: BTreeMap::new(),
            mouse: true,
            allow_insecure_http: false,
            idle_timeout: 120,
            budget: Budget::default(),
            web: Default::default(),
            keys: BTreeMap::new(),
            paths: Paths::default(),
            providers: BTreeMap::new(),
        }
    }
}

/// A role: what `/role NAME` sets at once. Every key is optional; what a
/// role leaves out stays as it was.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoleSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// As `reasoning`: "off", "low", "medium", "high" or a token budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
}

/// Spending caps in USD, exact decimals. `None` means no cap.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Budget {
    #[serde(
        deserialize_with = "de_money",
        serialize_with = "ser_money",
        skip_serializing_if = "Option::is_none"
    )]
    pub per_conversation_usd: Option<Decimal>,
    #[serde(
        deserialize_with = "de_money",
        serialize_with = "ser_money",
        skip_serializing_if = "Option::is_none"
    )]
    pub per_day_usd: Option<Decimal>,
}

/// Directories; the environment (`ORCHAT_DATA_DIR`, …) wins over these.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Paths {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<PathBuf>,
}

/// The API dialect of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    OpenRouter,
    AimlApi,
    Google,
    /// Any other OpenAI-compatible server.
    OpenAi,
}

impl Kind {
    pub fn provider_kind(self) -> ProviderKind {
        match self {
            Kind::OpenRouter => ProviderKind::OpenRouter,
            Kind::AimlApi => ProviderKind::AimlApi,
            Kind::Google => ProviderKind::Google,
            Kind::OpenAi => ProviderKind::Custom,
        }
    }
}

/// A `[providers.NAME]` table. A table named like a built-in provider
/// (openrouter, aimlapi, google) changes that provider; any other name defines
/// a new one, which needs a `base_url`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProviderConfig {
    /// Default: the built-in's kind for a built-in name, else "openai".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The environment variable holding the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_env: Option<String>,
    /// A command printing the key on its first line (`pass show openrouter`);
    /// wins over `key_env`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_cmd: Option<String>,
    /// Seconds to wait for `api_key_cmd` (default 60: a passphrase prompt
    /// may be waiting on the user).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_cmd_timeout: Option<u64>,
    /// Extra headers sent with every request.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Catalog model id -> this provider's id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub model_map: BTreeMap<String, String>,
}

// ---------------------------------------------------------------------------
// Money: exact decimals from a TOML string, integer or float
// ---------------------------------------------------------------------------

const MONEY_EXPECTED: &str = "expected an amount in USD such as 5 or \"0.50\"";

/// Parses an amount exactly: `"0.50"`, `5`, `1_000`, `2.5e-1`. Never through f64.
pub fn parse_money(text: &str) -> Option<Decimal> {
    let t = text.trim().replace('_', "");
    if t.is_empty() || t.starts_with('$') {
        return None;
    }
    Decimal::from_str_exact(&t)
        .ok()
        .or_else(|| Decimal::from_scientific(&t).ok())
}

fn de_money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Option<Decimal>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an amount in USD such as 5 or \"0.50\"")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            parse_money(v)
                .map(Some)
                .ok_or_else(|| E::custom(format!("{MONEY_EXPECTED}, found \"{v}\"")))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(Decimal::from(v)))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(Decimal::from(v)))
        }
        // Provisional only: `Config::parse_str` replaces it with the exact
        // value read from the float's source text.
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            parse_money(&v.to_string())
                .map(Some)
                .ok_or_else(|| E::custom(format!("{MONEY_EXPECTED}, found {v}")))
        }
    }
    d.deserialize_any(V)
}

fn ser_money<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(d) => s.serialize_str(&d.to_string()),
        None => s.serialize_none(),
    }
}

impl Config {
    /// The configured theme (dark, light or custom); see [`Config::effective_theme`].
    pub fn to_theme(&self) -> Theme {
        match self.theme.as_str() {
            "light" => light_theme(),
            "dark" => Theme::dark(),
            name => self
                .themes
                .get(name)
                .and_then(|s| s.build().ok())
                .unwrap_or_else(Theme::dark),
        }
    }

    /// The theme to draw with: no colours when `--no-color` was given or
    /// `NO_COLOR` is set to anything non-empty (no-color.org), else [`Config::to_theme`].
    pub fn effective_theme(&self, no_color_flag: bool) -> Theme {
        let env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if no_color_flag || env {
            Theme::plain()
        } else {
            self.to_theme()
        }
    }

    /// The reasoning setting, when one is configured (validated at load).
    pub fn reasoning_setting(&self) -> Option<ReasoningSetting> {
        self.reasoning
            .as_deref()
            .and_then(|r| ReasoningSetting::parse(r).ok())
    }

    /// The spending caps: (per conversation, per day), exact.
    pub fn budget(&self) -> (Option<Decimal>, Option<Decimal>) {
        (self.budget.per_conversation_usd, self.budget.per_day_usd)
    }

    /// The remappings `[keys]` asks for. Checked at load; a table changed
    /// by hand afterwards that no longer reads remaps nothing.
    pub fn key_bindings(&self) -> Vec<crate::keymap::KeyOverride> {
        keys::key_overrides(&self.keys).unwrap_or_default()
    }

    /// The provider named `name`: a `[providers.NAME]` table (over the
    /// built-in of that name, if any), else the built-in.
    pub fn provider_for(&self, name: &str) -> Result<Provider, String> {
        let builtin = Provider::by_name(name);
        let Some(pc) = self.providers.get(name) else {
            return builtin.ok_or_else(|| self.check_provider(name).unwrap_err());
        };
        let mut p = match (&builtin, &pc.base_url) {
            (Some(b), _) => b.clone(),
            (None, Some(url)) => Provider::custom(url),
            (None, None) => return Err(format!("provider {name} has no base_url")),
        };
        p.name = name.to_string();
        if let Some(url) = &pc.base_url {
            p.base_url = url.trim_end_matches('/').to_string();
        }
        if let Some(k) = pc.kind {
            p.kind = k.provider_kind();
        }
        if let Some(v) = &pc.key_env {
            p.key_env = Some(v.clone());
        }
        p.extra_headers
            .extend(pc.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
        p.model_map
            .extend(pc.model_map.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(p)
    }

    /// The provider `provider` names.
    pub fn selected_provider(&self) -> Result<Provider, String> {
        self.provider_for(&self.provider)
    }

    /// The key for provider `name` and where it came from ("api_key_cmd" or
    /// the variable's name): `api_key_cmd` when configured, else the key
    /// variable. `Ok(None)`: no key anywhere.
    pub fn resolve_key(&self, name: &str) -> Result<Option<(ApiKey, String)>, String> {
        if let Some(cmd) = self
            .providers
            .get(name)
            .and_then(|p| p.api_key_cmd.as_deref())
        {
            let patience = self
                .providers
                .get(name)
                .and_then(|p| p.api_key_cmd_timeout)
                .map_or(secrets::KEY_CMD_TIMEOUT, std::time::Duration::from_secs);
            return run_key_cmd(cmd, patience).map(|k| Some((k, "api_key_cmd".to_string())));
        }
        let p = self.provider_for(name)?;
        Ok(p.key_from_env()?
            .map(|k| (k, p.key_env.clone().unwrap_or_default())))
    }

    /// The directories this run uses, each as below.
    pub fn dirs(&self) -> crate::paths::Dirs {
        crate::paths::Dirs {
            data: self.data_dir(),
            cache: self.cache_dir(),
            state: self.state_dir(),
        }
    }

    /// The data directory: `ORCHAT_DATA_DIR` > `[paths] data` > the platform's.
    pub fn data_dir(&self) -> Option<PathBuf> {
        pick_dir("ORCHAT_DATA_DIR", &self.paths.data, crate::paths::data_dir)
    }
    /// The cache directory: `ORCHAT_CACHE_DIR` > `[paths] cache` > the platform's.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        pick_dir(
            "ORCHAT_CACHE_DIR",
            &self.paths.cache,
            crate::paths::cache_dir,
        )
    }
    /// The state directory (logs): `ORCHAT_STATE_DIR` > `[paths] state` > the platform's.
    pub fn state_dir(&self) -> Option<PathBuf> {
        pick_dir(
            "ORCHAT_STATE_DIR",
            &self.paths.state,
            crate::paths::state_dir,
        )
    }

    /// The merged configuration as TOML, secrets replaced by `<redacted>`:
    /// header values whose name looks secret (authorization, x-api-key, any
    /// name with key, token, secret, auth, password or cookie), whatever the
    /// value; every argument of `api_key_cmd` (its program shows); and, in
    /// provider tables, any value that looks like a key (`sk-…`, `AIza…`,
    /// `Bearer …`).
    pub fn redacted_toml(&self) -> String {
        let mut table = match toml::Table::try_from(self) {
            Ok(t) => t,
            Err(e) => return format!("# cannot show the configuration: {e}\n"),
        };
        if let Some(toml::Value::Table(providers)) = table.get_mut("providers") {
            for (_, p) in providers.iter_mut() {
                let toml::Value::Table(p) = p else { continue };
                for (k, v) in p.iter_mut() {
                    match v {
                        toml::Value::Table(headers) if k == "headers" => {
                            for (name, value) in headers.iter_mut() {
                                let secret =
                                    secret_header(name) || value.as_str().is_some_and(looks_secret);
                                if secret {
                                    *value = toml::Value::String(REDACTED.into());
                                }
                            }
                        }
                        // The command's arguments may be the key itself
                        // (`echo 0123…`) or name where it lives: only the
                        // program shows.
                        toml::Value::String(cmd) if k == "api_key_cmd" => {
                            let program = cmd.split_whitespace().next().unwrap_or("");
                            *v = toml::Value::String(if cmd.split_whitespace().nth(1).is_some() {
                                format!("{program} {REDACTED}")
                            } else {
                                program.to_string()
                            });
                        }
                        toml::Value::String(s) if looks_secret(s) => {
                            *v = toml::Value::String(REDACTED.into());
                        }
                        _ => {}
                    }
                }
            }
        }
        toml::to_string(&table)
            .unwrap_or_else(|e| format!("# cannot show the configuration: {e}\n"))
    }
}

pub(super) fn pick_dir(
    var: &str,
    configured: &Option<PathBuf>,
    platform: fn() -> Option<PathBuf>,
) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
        _ => match configured {
            Some(p) => Some(expand_home(p)),
            None => platform(),
        },
    }
}

/// `~/x` -> `$HOME/x`.
pub(super) fn expand_home(p: &Path) -> PathBuf {
    match p.strip_prefix("~") {
        Ok(rest) => match directories::BaseDirs::new() {
            Some(b) => b.home_dir().join(rest),
            None => p.to_path_buf(),
        },
        Err(_) => p.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact() {
        assert_eq!(parse_money("0.1").unwrap().to_string(), "0.1");
        assert_eq!(parse_money("1_000.25").unwrap().to_string(), "1000.25");
        assert_eq!(
            parse_money("30000000000000001e-17").unwrap().to_string(),
            "0.30000000000000001"
        );
        assert!(parse_money("$5").is_none() && parse_money("five").is_none());
    }
}
