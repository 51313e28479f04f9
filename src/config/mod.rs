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
//! Public API:
//! - [`Config::load`]`(explicit: Option<&Path>) -> Result<Loaded, ConfigError>`
//!   (and [`Config::load_with`] taking the environment as a function, for tests);
//!   [`Config::load_or_defaults`] falls back to defaults only when told to.
//! - [`Config::parse_str`]`(text, file) -> Result<Config, ConfigError>`.
//! - [`Config::apply_env`], [`Config::apply_flags`]`(&Flags)` ([`Flags::from_cli`]).
//! - [`Config::to_theme`], [`Config::effective_theme`]`(no_color_flag)`, [`light_theme`].
//! - [`Config::provider_for`]`(name) -> Result<Provider, String>`,
//!   [`Config::selected_provider`], [`Config::resolve_key`]`(name) -> Result<Option<(ApiKey, String)>, String>`.
//! - [`Config::key_bindings`]`() -> Vec<(String, KeyModifiers, KeyCode)>`, [`parse_chord`],
//!   [`key_actions`], [`action_by_name`], [`action_name`].
//! - [`Config::budget`] (exact decimals), [`Config::reasoning_setting`].
//! - [`Config::data_dir`] / [`Config::cache_dir`] / [`Config::state_dir`].
//! - [`Config::redacted_toml`] (for `config show`), [`run_key_cmd`], [`permission_warning`].
//! - [`ConfigCommand`] (clap subcommand) and [`config_command`]`(cmd, explicit, out) -> i32`.
//! - [`doctor_report`]`(explicit) -> Result<String, String>` for `orchat doctor`.
//!
//! A [`ConfigError`] is one line: `FILE line L, column C: KEY: what was expected`.

pub mod paths;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::style::{Color, Modifier, Style};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use toml::de::{DeTable, DeValue};

use crate::api::key::ApiKey;
use crate::api::{Provider, ProviderKind};
use crate::chat::request::ReasoningSetting;
use crate::keymap::Action;
use crate::ui::theme::Theme;

/// Names the config file explicitly (like `--config`).
pub const ENV_CONFIG: &str = "ORCHAT_CONFIG";
pub const ENV_MODEL: &str = "ORCHAT_MODEL";
pub const ENV_PROVIDER: &str = "ORCHAT_PROVIDER";
pub const ENV_MAX_TOKENS: &str = "ORCHAT_MAX_TOKENS";
pub const ENV_THEME: &str = "ORCHAT_THEME";

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
    /// Named system prompts: name -> text.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub presets: BTreeMap<String, String>,
    /// "dark", "light" or the name of a `[themes.NAME]` table.
    pub theme: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub themes: BTreeMap<String, ThemeSpec>,
    pub mouse: bool,
    /// Allow sending a key over plain http to a host that is not this machine.
    pub allow_insecure_http: bool,
    pub budget: Budget,
    /// Action name -> key chord ("ctrl+p", "f1", "alt+enter").
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: BTreeMap<String, String>,
    pub paths: Paths,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub providers: BTreeMap<String, ProviderConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            model: crate::cli::DEFAULT_MODEL.to_string(),
            provider: DEFAULT_PROVIDER.to_string(),
            fallback_models: Vec::new(),
            max_tokens: None,
            temperature: None,
            reasoning: None,
            system_prompt: None,
            presets: BTreeMap::new(),
            theme: DEFAULT_THEME.to_string(),
            themes: BTreeMap::new(),
            mouse: true,
            allow_insecure_http: false,
            budget: Budget::default(),
            keys: BTreeMap::new(),
            paths: Paths::default(),
            providers: BTreeMap::new(),
        }
    }
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
    /// Extra headers sent with every request.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Catalog model id -> this provider's id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub model_map: BTreeMap<String, String>,
}

macro_rules! theme_spec {
    ($($field:ident),* $(,)?) => {
        /// A `[themes.NAME]` table: a style string per named style of
        /// [`Theme`], over a base theme ("dark" unless `base` says "light").
        /// A style string is space-separated words: a foreground colour, `on`
        /// and a background colour, and modifiers (`bold`, `italic`, `dim`,
        /// `underlined`, `reversed`, `crossed_out`). Colours are names (`red`,
        /// `dark_gray`, `light_blue`, …), `#rrggbb` or a 0–255 index.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct ThemeSpec {
            #[serde(skip_serializing_if = "Option::is_none")]
            pub base: Option<String>,
            $(
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<String>,
            )*
        }

        /// The named styles a custom theme may set.
        pub const THEME_STYLES: &[&str] = &[$(stringify!($field)),*];

        impl ThemeSpec {
            /// The base theme with this table's styles over it; the first
            /// unparseable style is returned as (style name, problem).
            pub fn build(&self) -> Result<Theme, (String, String)> {
                let mut theme = match self.base.as_deref() {
                    None | Some("dark") => Theme::dark(),
                    Some("light") => light_theme(),
                    Some(other) => {
                        return Err((
                            "base".into(),
                            format!("expected \"dark\" or \"light\", found \"{other}\""),
                        ))
                    }
                };
                $(
                    if let Some(s) = &self.$field {
                        theme.$field = parse_style(s).map_err(|e| (stringify!($field).to_string(), e))?;
                    }
                )*
                Ok(theme)
            }
        }
    };
}

theme_spec!(
    text,
    dim,
    user_label,
    assistant_label,
    error,
    notice,
    reasoning,
    status_bar,
    status_key,
    hint,
    border,
    border_focus,
    selected,
    gauge,
    warn,
    money,
);

/// The built-in light theme: dark text and muted colours for light backgrounds.
pub fn light_theme() -> Theme {
    let grey = Color::Rgb(100, 100, 100);
    let bar = Color::Rgb(222, 224, 232);
    let s = Style::default();
    Theme {
        text: s,
        dim: s.fg(grey),
        user_label: s.fg(Color::Rgb(0, 80, 170)).add_modifier(Modifier::BOLD),
        assistant_label: s.fg(Color::Rgb(0, 120, 40)).add_modifier(Modifier::BOLD),
        error: s.fg(Color::Rgb(180, 0, 0)),
        notice: s.fg(Color::Rgb(140, 90, 0)),
        reasoning: s.fg(grey).add_modifier(Modifier::ITALIC),
        status_bar: s.bg(bar).fg(Color::Rgb(40, 40, 40)),
        status_key: s.bg(bar).fg(Color::Black).add_modifier(Modifier::BOLD),
        hint: s.fg(grey),
        border: s.fg(Color::Rgb(160, 160, 160)),
        border_focus: s.fg(Color::Rgb(0, 80, 170)),
        selected: s.bg(Color::Rgb(200, 212, 240)).add_modifier(Modifier::BOLD),
        gauge: s.fg(Color::Rgb(0, 80, 170)),
        warn: s.fg(Color::Rgb(160, 80, 0)),
        money: s.fg(Color::Rgb(0, 110, 60)),
        color: true,
    }
}

/// Parses a style string such as `"bold cyan"` or `"white on #1e1e2e"`.
pub fn parse_style(s: &str) -> Result<Style, String> {
    let mut style = Style::default();
    let mut words = s.split_whitespace();
    while let Some(w) = words.next() {
        let lw = w.to_ascii_lowercase();
        let m = match lw.as_str() {
            "bold" => Some(Modifier::BOLD),
            "dim" => Some(Modifier::DIM),
            "italic" => Some(Modifier::ITALIC),
            "underline" | "underlined" => Some(Modifier::UNDERLINED),
            "reverse" | "reversed" => Some(Modifier::REVERSED),
            "crossed_out" | "strikethrough" => Some(Modifier::CROSSED_OUT),
            _ => None,
        };
        if let Some(m) = m {
            style = style.add_modifier(m);
        } else if lw == "default" || lw == "none" {
        } else if lw == "on" {
            let c = words
                .next()
                .ok_or_else(|| format!("expected a colour after \"on\" in \"{s}\""))?;
            style = style.bg(parse_colour(c, s)?);
        } else {
            style = style.fg(parse_colour(w, s)?);
        }
    }
    Ok(style)
}

fn parse_colour(c: &str, whole: &str) -> Result<Color, String> {
    Color::from_str(c).map_err(|_| {
        format!(
            "expected a colour (a name like dark_gray, #rrggbb or 0-255) or a modifier (bold, italic, …), found \"{c}\" in \"{whole}\""
        )
    })
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

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// A configuration problem, displayed on one line:
/// `FILE line L, column C: KEY: what was expected, found what`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file's path, or the environment variable / flag the value came from.
    pub origin: String,
    /// 1-based.
    pub line: Option<usize>,
    /// 1-based, in characters.
    pub column: Option<usize>,
    /// The dotted key, e.g. `budget.per_day_usd`.
    pub key: Option<String>,
    pub message: String,
}

impl ConfigError {
    fn plain(origin: impl Into<String>, key: Option<&str>, message: impl Into<String>) -> Self {
        ConfigError {
            origin: origin.into(),
            line: None,
            column: None,
            key: key.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(l) = self.line {
            write!(f, " line {l}")?;
            if let Some(c) = self.column {
                write!(f, ", column {c}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(k) = &self.key {
            write!(f, "{k}: ")?;
        }
        // One line, whatever the underlying message holds.
        let msg = self
            .message
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        f.write_str(&msg)
    }
}

impl std::error::Error for ConfigError {}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

/// The dotted path of the deepest key whose name or value covers `offset`.
fn key_at(table: &DeTable<'_>, offset: usize) -> Option<Vec<String>> {
    fn in_value(v: &DeValue<'_>, offset: usize, path: &mut Vec<String>) -> bool {
        match v {
            DeValue::Table(t) => in_table(t, offset, path),
            DeValue::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    let last = path.pop().unwrap_or_default();
                    path.push(format!("{last}[{i}]"));
                    if in_value(item.get_ref(), offset, path) || item.span().contains(&offset) {
                        return true;
                    }
                    path.pop();
                    path.push(last);
                }
                false
            }
            _ => false,
        }
    }
    fn in_table(t: &DeTable<'_>, offset: usize, path: &mut Vec<String>) -> bool {
        for (k, v) in t.iter() {
            path.push(k.get_ref().to_string());
            if in_value(v.get_ref(), offset, path)
                || k.span().contains(&offset)
                || v.span().contains(&offset)
            {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = Vec::new();
    in_table(table, offset, &mut path).then_some(path)
}

/// The span of the value at a dotted path.
fn span_of(table: &DeTable<'_>, path: &[String]) -> Option<Range<usize>> {
    let (first, rest) = path.split_first()?;
    let (_, v) = table.iter().find(|(k, _)| k.get_ref() == first)?;
    if rest.is_empty() {
        return Some(v.span());
    }
    match v.get_ref() {
        DeValue::Table(t) => span_of(t, rest).or_else(|| Some(v.span())),
        _ => Some(v.span()),
    }
}

fn value_at<'a, 'i>(table: &'a DeTable<'i>, path: &[&str]) -> Option<&'a DeValue<'i>> {
    let (first, rest) = path.split_first()?;
    let (_, v) = table.iter().find(|(k, _)| k.get_ref() == first)?;
    if rest.is_empty() {
        return Some(v.get_ref());
    }
    match v.get_ref() {
        DeValue::Table(t) => value_at(t, rest),
        _ => None,
    }
}

/// For syntax errors (no parsed document): `[section].key` of the line.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let (line, _) = line_col(text, offset);
    let lines: Vec<&str> = text.lines().collect();
    let this = lines.get(line - 1)?.trim();
    let key = this.split_once('=').map(|(k, _)| k.trim()).filter(|k| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.\"' ".contains(c))
    })?;
    let section = lines[..line - 1]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    Some(match section {
        Some(s) if !s.is_empty() => format!("{s}.{key}"),
        _ => key.to_string(),
    })
}

/// serde's wording, made to say what was expected and what was found.
fn humanize(msg: &str) -> String {
    let msg = msg.trim();
    let body = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "));
    if let Some((found, expected)) = body.and_then(|b| b.split_once(", expected ")) {
        return format!(
            "expected {}, found {}",
            expected_words(expected),
            found_words(found)
        );
    }
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let (field, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let name = field.trim_matches('`');
        let options: Vec<&str> = expected
            .trim_start_matches("one of ")
            .split(", ")
            .flat_map(|s| s.split(" or "))
            .map(|s| s.trim_matches('`'))
            .filter(|s| !s.is_empty())
            .collect();
        return match closest(name, &options) {
            Some(best) => format!("unknown key \"{name}\"; did you mean \"{best}\"?"),
            None if options.is_empty() => format!("unknown key \"{name}\"; this table takes none"),
            None => format!(
                "unknown key \"{name}\"; expected one of {}",
                options.join(", ")
            ),
        };
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return format!("expected {expected}, found {found}");
    }
    msg.to_string()
}

fn expected_words(e: &str) -> String {
    match e {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a non-negative integer".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a sequence" => "an array".into(),
        "struct Config" | "a map" => "a table".into(),
        e if e.starts_with("struct ") => "a table".into(),
        e => e.to_string(),
    }
}

fn found_words(f: &str) -> String {
    // Never echo a string's content: it may be a misplaced secret.
    if f.starts_with("string ") {
        "a string".into()
    } else if let Some(v) = f.strip_prefix("integer ") {
        format!("the integer {}", v.trim_matches('`'))
    } else if let Some(v) = f.strip_prefix("floating point ") {
        format!("the number {}", v.trim_matches('`'))
    } else if let Some(v) = f.strip_prefix("boolean ") {
        format!("the boolean {}", v.trim_matches('`'))
    } else if f == "sequence" {
        "an array".into()
    } else if f == "map" {
        "a table".into()
    } else {
        f.to_string()
    }
}

/// The option within edit distance 2 of `name`, if any.
fn closest<'a>(name: &str, options: &[&'a str]) -> Option<&'a str> {
    fn dist(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                let sub = prev[j] + usize::from(ca != *cb);
                cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
            }
            prev = cur;
        }
        prev[b.len()]
    }
    options
        .iter()
        .map(|o| (dist(name, o), *o))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o)
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

/// Where the config path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathOrigin {
    /// `--config`.
    Flag,
    /// `ORCHAT_CONFIG`.
    Env,
    /// The platform's config directory.
    Default,
}

/// A loaded configuration (file and environment layers applied).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// The file's path; `None` when there is no config directory at all.
    pub path: Option<PathBuf>,
    pub origin: PathOrigin,
    /// Whether the file existed and was read.
    pub found: bool,
    /// Things worth saying that are not errors (loose permissions).
    pub warnings: Vec<String>,
}

impl Loaded {
    /// One line for `config check` and `doctor`.
    pub fn summary(&self) -> String {
        match (&self.path, self.found) {
            (Some(p), true) => format!("{} is valid", p.display()),
            (Some(p), false) => format!("no file at {}; using built-in defaults", p.display()),
            (None, _) => "no config directory; using built-in defaults".into(),
        }
    }
}

/// The config file's path: explicit > `ORCHAT_CONFIG` > the platform's.
pub fn config_path(
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> (Option<PathBuf>, PathOrigin) {
    if let Some(p) = explicit {
        return (Some(p.to_path_buf()), PathOrigin::Flag);
    }
    if let Some(p) = env(ENV_CONFIG).filter(|v| !v.is_empty()) {
        return (Some(PathBuf::from(p)), PathOrigin::Env);
    }
    let p = directories::ProjectDirs::from("", "", "orchat")
        .map(|d| d.config_dir().join("config.toml"));
    (p, PathOrigin::Default)
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Config {
    /// Loads the file (see the module docs for where) and applies the
    /// environment layer. Flags are the caller's: [`Config::apply_flags`].
    pub fn load(explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
        Config::load_with(explicit, &process_env)
    }

    /// [`Config::load`] with the environment given as a function.
    pub fn load_with(
        explicit: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Loaded, ConfigError> {
        let (path, origin) = config_path(explicit, env);
        let mut found = false;
        let mut warnings = Vec::new();
        let mut config = match &path {
            None => Config::default(),
            Some(p) => match std::fs::read_to_string(p) {
                Ok(text) => {
                    found = true;
                    let c = Config::parse_str(&text, p)?;
                    if c.holds_secrets()
                        && let Some(w) = permission_warning(p)
                    {
                        warnings.push(w);
                    }
                    c
                }
                Err(e)
                    if e.kind() == std::io::ErrorKind::NotFound
                        && origin == PathOrigin::Default =>
                {
                    Config::default()
                }
                Err(e) => {
                    let how = match origin {
                        PathOrigin::Flag => " (from --config)",
                        PathOrigin::Env => " (from ORCHAT_CONFIG)",
                        PathOrigin::Default => "",
                    };
                    return Err(ConfigError::plain(
                        p.display().to_string(),
                        None,
                        format!("cannot read the config file{how}: {e}"),
                    ));
                }
            },
        };
        config.apply_env(env)?;
        Ok(Loaded {
            config,
            path,
            origin,
            found,
            warnings,
        })
    }

    /// Like [`Config::load`], but when `fallback` is set (the user asked for
    /// it) a bad file gives defaults plus the environment, with the error as
    /// a warning. Without `fallback` a bad file is an error.
    pub fn load_or_defaults(
        explicit: Option<&Path>,
        fallback: bool,
    ) -> Result<Loaded, ConfigError> {
        match Config::load(explicit) {
            Ok(l) => Ok(l),
            Err(e) if fallback => {
                let (path, origin) = config_path(explicit, &process_env);
                let mut config = Config::default();
                config.apply_env(&process_env)?;
                Ok(Loaded {
                    config,
                    path,
                    origin,
                    found: false,
                    warnings: vec![format!("{e}; using built-in defaults")],
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Parses and validates a config file's text; `file` names it in errors.
    pub fn parse_str(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let origin = file.display().to_string();
        let at = |offset: Option<usize>, key: Option<String>, message: String| {
            let (line, column) = match offset {
                Some(o) => {
                    let (l, c) = line_col(text, o);
                    (Some(l), Some(c))
                }
                None => (None, None),
            };
            ConfigError {
                origin: origin.clone(),
                line,
                column,
                key,
                message,
            }
        };
        let doc = match DeTable::parse(text) {
            Ok(d) => d,
            Err(e) => {
                let offset = e.span().map(|s| s.start);
                let key = offset.and_then(|o| key_on_line(text, o));
                let message = format!("invalid TOML: {}", e.message());
                return Err(at(offset, key, message));
            }
        };
        let doc = doc.get_ref();
        let mut config: Config = match toml::from_str(text) {
            Ok(c) => c,
            Err(e) => {
                let offset = e.span().map(|s| s.start);
                let key = offset
                    .and_then(|o| key_at(doc, o))
                    .map(|p| p.join("."))
                    .or_else(|| keys_of(&e));
                let message = humanize(e.message());
                return Err(at(offset, key, message));
            }
        };
        // Amounts written as TOML floats went through f64 in serde; read them
        // again, exactly, from their source text.
        for (field, slot) in [
            (
                "per_conversation_usd",
                &mut config.budget.per_conversation_usd,
            ),
            ("per_day_usd", &mut config.budget.per_day_usd),
        ] {
            if let Some(DeValue::Float(f)) = value_at(doc, &["budget", field]) {
                match parse_money(f.as_str()) {
                    Some(d) => *slot = Some(d),
                    None => {
                        let path = vec!["budget".to_string(), field.to_string()];
                        let offset = span_of(doc, &path).map(|s| s.start);
                        return Err(at(
                            offset,
                            Some(path.join(".")),
                            format!("{MONEY_EXPECTED}, found {}", f.as_str()),
                        ));
                    }
                }
            }
        }
        if let Err((path, message)) = config.validate() {
            let offset = span_of(doc, &path).map(|s| s.start);
            return Err(at(offset, Some(path.join(".")), message));
        }
        Ok(config)
    }

    /// Checks what serde cannot: ranges, names, chords. On failure, the key's
    /// path and what was expected.
    pub fn validate(&self) -> Result<(), (Vec<String>, String)> {
        let p = |parts: &[&str]| parts.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for (field, v) in [
            ("per_conversation_usd", self.budget.per_conversation_usd),
            ("per_day_usd", self.budget.per_day_usd),
        ] {
            if let Some(d) = v
                && d.is_sign_negative()
                && !d.is_zero()
            {
                return Err((
                    p(&["budget", field]),
                    format!("expected an amount of 0 or more, found {d}"),
                ));
            }
        }
        if let Some(t) = self.temperature
            && !(0.0..=2.0).contains(&t)
        {
            return Err((
                p(&["temperature"]),
                format!("expected a number from 0 to 2, found {t}"),
            ));
        }
        if let Some(r) = &self.reasoning {
            check_reasoning(r).map_err(|m| (p(&["reasoning"]), m))?;
        }
        if self.model.trim().is_empty() {
            return Err((
                p(&["model"]),
                "expected a model id, found an empty string".into(),
            ));
        }
        for (i, m) in self.fallback_models.iter().enumerate() {
            if m.trim().is_empty() {
                return Err((
                    vec![format!("fallback_models[{i}]")],
                    "expected a model id, found an empty string".into(),
                ));
            }
        }
        for (name, spec) in &self.themes {
            if name == "dark" || name == "light" {
                return Err((
                    p(&["themes", name]),
                    "\"dark\" and \"light\" are built in; give the custom theme another name"
                        .into(),
                ));
            }
            spec.build()
                .map_err(|(field, m)| (p(&["themes", name, &field]), m))?;
        }
        self.check_theme(&self.theme)
            .map_err(|m| (p(&["theme"]), m))?;
        for (name, pc) in &self.providers {
            let builtin = Provider::by_name(name).is_some();
            match &pc.base_url {
                Some(u) => check_url(u).map_err(|m| (p(&["providers", name, "base_url"]), m))?,
                None if !builtin => {
                    return Err((
                        p(&["providers", name]),
                        "expected a base_url for a provider that is not built in (openrouter, aimlapi, google)".into(),
                    ));
                }
                None => {}
            }
            if let Some(cmd) = &pc.api_key_cmd
                && cmd.trim().is_empty()
            {
                return Err((
                    p(&["providers", name, "api_key_cmd"]),
                    "expected a command, found an empty string".into(),
                ));
            }
        }
        self.check_provider(&self.provider)
            .map_err(|m| (p(&["provider"]), m))?;
        let mut seen: HashMap<(KeyModifiers, KeyCode), &str> = HashMap::new();
        for (action, chord) in &self.keys {
            let actions = key_actions();
            if !actions.iter().any(|(a, _)| a == action) {
                let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
                let hint = match closest(action, &names) {
                    Some(b) => format!("did you mean \"{b}\"?"),
                    None => format!("expected one of {}", names.join(", ")),
                };
                return Err((
                    p(&["keys", action]),
                    format!("unknown action \"{action}\"; {hint}"),
                ));
            }
            let parsed = parse_chord(chord).map_err(|m| (p(&["keys", action]), m))?;
            if let Some(other) = seen.insert(parsed, action) {
                return Err((
                    p(&["keys", action]),
                    format!("\"{chord}\" is already bound to {other}"),
                ));
            }
        }
        Ok(())
    }

    fn check_theme(&self, name: &str) -> Result<(), String> {
        if name == "dark" || name == "light" || self.themes.contains_key(name) {
            return Ok(());
        }
        let mut names = vec!["dark", "light"];
        names.extend(self.themes.keys().map(String::as_str));
        Err(format!(
            "expected {} (or a [themes.NAME] table), found \"{name}\"",
            names.join(", ")
        ))
    }

    fn check_provider(&self, name: &str) -> Result<(), String> {
        if Provider::by_name(name).is_some() || self.providers.contains_key(name) {
            return Ok(());
        }
        let mut names = vec!["openrouter", "aimlapi", "google"];
        names.extend(
            self.providers
                .keys()
                .map(String::as_str)
                .filter(|n| Provider::by_name(n).is_none()),
        );
        Err(format!(
            "expected {} (or a [providers.NAME] table), found \"{name}\"",
            names.join(", ")
        ))
    }

    /// Whether the file may hold secrets (so its permissions matter).
    fn holds_secrets(&self) -> bool {
        self.providers
            .values()
            .any(|p| !p.headers.is_empty() || p.api_key_cmd.is_some())
    }

    /// The environment layer: `ORCHAT_MODEL`, `ORCHAT_PROVIDER`,
    /// `ORCHAT_MAX_TOKENS`, `ORCHAT_THEME`. Empty values are ignored.
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let get = |k: &str| {
            env(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let origin = |k: &str| format!("environment variable {k}");
        if let Some(v) = get(ENV_MODEL) {
            self.model = v;
        }
        if let Some(v) = get(ENV_PROVIDER) {
            self.check_provider(&v)
                .map_err(|m| ConfigError::plain(origin(ENV_PROVIDER), None, m))?;
            self.provider = v;
        }
        if let Some(v) = get(ENV_MAX_TOKENS) {
            let n = v.parse::<u32>().map_err(|_| {
                ConfigError::plain(
                    origin(ENV_MAX_TOKENS),
                    None,
                    format!("expected a non-negative integer, found \"{v}\""),
                )
            })?;
            self.max_tokens = Some(n);
        }
        if let Some(v) = get(ENV_THEME) {
            self.check_theme(&v)
                .map_err(|m| ConfigError::plain(origin(ENV_THEME), None, m))?;
            self.theme = v;
        }
        Ok(())
    }

    /// The flags layer: whatever the command line set wins.
    pub fn apply_flags(&mut self, flags: &Flags) -> Result<(), ConfigError> {
        let err = |flag: &str, m: String| ConfigError::plain(flag, None, m);
        if let Some(m) = &flags.model {
            self.model = m.clone();
        }
        if let Some(p) = &flags.provider {
            self.check_provider(p).map_err(|m| err("--provider", m))?;
            self.provider = p.clone();
        }
        if !flags.fallback_models.is_empty() {
            self.fallback_models = flags.fallback_models.clone();
        }
        if let Some(n) = flags.max_tokens {
            self.max_tokens = Some(n);
        }
        if let Some(t) = flags.temperature {
            // Through its decimal text, so 0.7f32 shows as 0.7, not 0.699999988.
            let t = f64::from_str(&t.to_string()).unwrap_or(f64::from(t));
            if !(0.0..=2.0).contains(&t) {
                return Err(err(
                    "--temperature",
                    format!("expected a number from 0 to 2, found {t}"),
                ));
            }
            self.temperature = Some(t);
        }
        if let Some(r) = &flags.reasoning {
            check_reasoning(r).map_err(|m| err("--reasoning", m))?;
            self.reasoning = Some(r.clone());
        }
        if let Some(s) = &flags.system_prompt {
            self.system_prompt = Some(s.clone());
        }
        if let Some(t) = &flags.theme {
            self.check_theme(t).map_err(|m| err("--theme", m))?;
            self.theme = t.clone();
        }
        Ok(())
    }

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

    /// Remapped keys: (action name, modifiers, key), for the actions the
    /// `[keys]` table names. Validated at load, so nothing is dropped here
    /// unless the config was changed by hand afterwards.
    pub fn key_bindings(&self) -> Vec<(String, KeyModifiers, KeyCode)> {
        self.keys
            .iter()
            .filter_map(|(a, c)| parse_chord(c).ok().map(|(m, k)| (a.clone(), m, k)))
            .collect()
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
            return run_key_cmd(cmd).map(|k| Some((k, "api_key_cmd".to_string())));
        }
        let p = self.provider_for(name)?;
        Ok(p.key_from_env()
            .map(|k| (k, p.key_env.clone().unwrap_or_default())))
    }

    /// The data directory: `ORCHAT_DATA_DIR` > `[paths] data` > the platform's.
    pub fn data_dir(&self) -> Option<PathBuf> {
        pick_dir(
            "ORCHAT_DATA_DIR",
            &self.paths.data,
            crate::config::paths::data_dir,
        )
    }
    /// The cache directory: `ORCHAT_CACHE_DIR` > `[paths] cache` > the platform's.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        pick_dir(
            "ORCHAT_CACHE_DIR",
            &self.paths.cache,
            crate::config::paths::cache_dir,
        )
    }
    /// The state directory (logs): `ORCHAT_STATE_DIR` > `[paths] state` > the platform's.
    pub fn state_dir(&self) -> Option<PathBuf> {
        pick_dir(
            "ORCHAT_STATE_DIR",
            &self.paths.state,
            crate::config::paths::state_dir,
        )
    }

    /// The merged configuration as TOML, secrets replaced by `<redacted>`:
    /// header values whose name looks secret (authorization, x-api-key, any
    /// name with key, token, secret, auth, password or cookie) and, in
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

fn pick_dir(
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
fn expand_home(p: &Path) -> PathBuf {
    match p.strip_prefix("~") {
        Ok(rest) => match directories::BaseDirs::new() {
            Some(b) => b.home_dir().join(rest),
            None => p.to_path_buf(),
        },
        Err(_) => p.to_path_buf(),
    }
}

fn check_reasoning(r: &str) -> Result<(), String> {
    ReasoningSetting::parse(r)
        .map(|_| ())
        .map_err(|_| format!("expected off, low, medium, high or a token budget, found \"{r}\""))
}

fn check_url(u: &str) -> Result<(), String> {
    match reqwest::Url::parse(u) {
        Ok(url) if url.scheme() == "http" || url.scheme() == "https" => Ok(()),
        _ => Err(format!("expected an http or https URL, found \"{u}\"")),
    }
}

fn secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["key", "token", "secret", "auth", "password", "cookie"]
        .iter()
        .any(|w| n.contains(w))
}

/// Whether a value holds something key-shaped.
fn looks_secret(value: &str) -> bool {
    value.to_ascii_lowercase().contains("bearer ")
        || value
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .any(|tok| {
                (tok.starts_with("sk-") && tok.len() > 3)
                    || (tok.starts_with("AIza") && tok.len() > 10)
            })
}

/// The key path from a toml error that carries no span.
fn keys_of(e: &toml::de::Error) -> Option<String> {
    let mut e = e.clone();
    e.set_input(None);
    let text = e.to_string();
    text.lines()
        .find_map(|l| l.strip_prefix("in `").and_then(|r| r.strip_suffix('`')))
        .map(str::to_string)
}

// ---------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------

/// The command line's share of the configuration (the last layer).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub model: Option<String>,
    pub provider: Option<String>,
    pub fallback_models: Vec<String>,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub reasoning: Option<String>,
    pub system_prompt: Option<String>,
    pub theme: Option<String>,
}

impl Flags {
    pub fn from_cli(cli: &crate::cli::Cli) -> Flags {
        Flags {
            model: cli.model.clone(),
            provider: cli.provider.clone(),
            fallback_models: cli.fallback.clone(),
            max_tokens: cli.max_tokens,
            temperature: cli.temperature,
            reasoning: cli.reasoning.clone(),
            system_prompt: cli.system.clone(),
            theme: None,
        }
    }
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// Actions the app adds beyond the keymap's table (clipboard and editor),
/// bindable before the keymap has entries for them.
pub const EXTRA_ACTIONS: &[(&str, &str)] = &[
    ("copy_answer", "copy the last answer"),
    ("copy_code", "copy the next code block (cycles)"),
    ("edit_in_editor", "compose the message in $VISUAL / $EDITOR"),
];

/// The snake_case name of a keymap action: `OpenPicker` -> `open_picker`.
pub fn action_name(action: Action) -> String {
    crate::keymap::action_name(action)
}

/// Every action `[keys]` may bind, with what it does: the keymap's actions
/// (read from its table, so new ones are bindable at once) and
/// [`EXTRA_ACTIONS`].
pub fn key_actions() -> Vec<(String, &'static str)> {
    let mut all: Vec<(String, &'static str)> = Vec::new();
    for b in crate::keymap::CHAT {
        let name = action_name(b.action);
        if !all.iter().any(|(n, _)| *n == name) {
            all.push((name, b.description));
        }
    }
    for (name, what) in EXTRA_ACTIONS {
        if !all.iter().any(|(n, _)| n == name) {
            all.push((name.to_string(), what));
        }
    }
    all
}

/// The keymap action an action name stands for; `None` for
/// [`EXTRA_ACTIONS`] the keymap has no variant for, and for unknown names.
pub fn action_by_name(name: &str) -> Option<Action> {
    crate::keymap::CHAT
        .iter()
        .map(|b| b.action)
        .find(|a| action_name(*a) == name)
}

const CHORD_KEYS: &str = "a character, f1-f24, enter, esc, tab, backtab, backspace, delete, insert, home, end, pageup, pagedown, up, down, left, right or space";

/// Parses a key chord: modifiers (`ctrl`, `alt`, `shift`, `super`) and a key
/// joined by `+`, case-insensitive: `"ctrl+p"`, `"f1"`, `"alt+enter"`,
/// `"ctrl++"` (the plus key). Letters are matched as crossterm reports them:
/// lowercase, or uppercase with `shift`; `shift+tab` is `BackTab`.
pub fn parse_chord(s: &str) -> Result<(KeyModifiers, KeyCode), String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(format!(
            "expected a key chord like \"ctrl+p\" or \"f1\", found \"{s}\""
        ));
    }
    let (mods_part, key_part) = if t == "+" {
        ("", "+")
    } else if let Some(m) = t.strip_suffix("++") {
        (m, "+")
    } else {
        t.rsplit_once('+').unwrap_or(("", t))
    };
    let mut mods = KeyModifiers::NONE;
    if !mods_part.is_empty() {
        for m in mods_part.split('+') {
            mods |= match m.trim().to_ascii_lowercase().as_str() {
                "ctrl" | "control" => KeyModifiers::CONTROL,
                "alt" | "meta" | "option" => KeyModifiers::ALT,
                "shift" => KeyModifiers::SHIFT,
                "super" | "cmd" | "win" => KeyModifiers::SUPER,
                other => {
                    return Err(format!(
                        "expected a modifier (ctrl, alt, shift, super), found \"{other}\" in \"{s}\""
                    ));
                }
            };
        }
    }
    let lower = key_part.trim().to_ascii_lowercase();
    let code = match lower.as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" | "pgdown" => KeyCode::PageDown,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "space" => KeyCode::Char(' '),
        f if f.len() > 1 && f.starts_with('f') && f[1..].chars().all(|c| c.is_ascii_digit()) => {
            match f[1..].parse::<u8>() {
                Ok(n @ 1..=24) => KeyCode::F(n),
                _ => {
                    return Err(format!(
                        "expected {CHORD_KEYS}, found \"{key_part}\" in \"{s}\""
                    ));
                }
            }
        }
        _ => {
            let mut chars = key_part.trim().chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() => {
                    if c.is_alphabetic() && mods.contains(KeyModifiers::SHIFT) {
                        KeyCode::Char(c.to_uppercase().next().unwrap_or(c))
                    } else {
                        KeyCode::Char(c.to_lowercase().next().unwrap_or(c))
                    }
                }
                _ => {
                    return Err(format!(
                        "expected {CHORD_KEYS}, found \"{key_part}\" in \"{s}\""
                    ));
                }
            }
        }
    };
    Ok((mods, code))
}

// ---------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------

/// Runs `api_key_cmd` through `sh -c` and takes the first line of its
/// output as the key. Its stderr is discarded and errors never echo what it
/// printed (it may be the key); stdin is inherited so a passphrase prompt
/// (pass, gpg) still works.
pub fn run_key_cmd(cmd: &str) -> Result<ApiKey, String> {
    let program = cmd.split_whitespace().next().unwrap_or("");
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("api_key_cmd: cannot run sh: {e}"))?;
    if !out.status.success() {
        let how = match out.status.code() {
            Some(c) => format!("exit status {c}"),
            None => "a signal".to_string(),
        };
        return Err(format!(
            "api_key_cmd ({program} …) failed with {how}; run it in a shell to see why"
        ));
    }
    let text = String::from_utf8(out.stdout)
        .map_err(|_| format!("api_key_cmd ({program} …) printed something that is not UTF-8"))?;
    ApiKey::new(text.lines().next().unwrap_or(""))
        .ok_or_else(|| format!("api_key_cmd ({program} …) printed an empty first line"))
}

/// A warning when the config file is readable or writable by group or
/// others (mode & 0o077). Only worth showing when the file holds secrets
/// (headers, api_key_cmd); [`Config::load`] checks that itself.
pub fn permission_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "{} is accessible to other users (mode {mode:03o}) and holds secrets; run: chmod 600 {}",
                path.display(),
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

// ---------------------------------------------------------------------------
// `orchat config path|show|check`
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Subcommand)]
pub enum ConfigCommand {
    /// Print where the config file is (or would be).
    Path,
    /// Print the merged configuration (file and environment), secrets redacted.
    Show,
    /// Validate the config file.
    Check,
}

/// Runs `orchat config …`, writing to `out`. Returns the exit code: 0, or 2
/// when the configuration is invalid or there is no config directory.
pub fn config_command(cmd: ConfigCommand, explicit: Option<&Path>, out: &mut dyn Write) -> i32 {
    config_command_with(cmd, explicit, &process_env, out)
}

/// [`config_command`] with the environment given as a function.
pub fn config_command_with(
    cmd: ConfigCommand,
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
) -> i32 {
    match cmd {
        ConfigCommand::Path => match config_path(explicit, env).0 {
            Some(p) => {
                let _ = writeln!(out, "{}", p.display());
                0
            }
            None => {
                let _ = writeln!(
                    out,
                    "orchat: no config directory; use --config PATH or ORCHAT_CONFIG"
                );
                2
            }
        },
        ConfigCommand::Show => match Config::load_with(explicit, env) {
            Ok(l) => {
                let _ = writeln!(out, "# {}", l.summary());
                for w in &l.warnings {
                    let _ = writeln!(out, "# warning: {w}");
                }
                let _ = write!(out, "{}", l.config.redacted_toml());
                0
            }
            Err(e) => {
                let _ = writeln!(out, "orchat: {e}");
                2
            }
        },
        ConfigCommand::Check => match Config::load_with(explicit, env) {
            Ok(l) => {
                let _ = writeln!(out, "ok {}", l.summary());
                for w in &l.warnings {
                    let _ = writeln!(out, "warn {w}");
                }
                0
            }
            Err(e) => {
                let _ = writeln!(out, "fail {e}");
                2
            }
        },
    }
}

/// The config line of `orchat doctor`: `Ok(summary)` or `Err(the error)`.
pub fn doctor_report(explicit: Option<&Path>) -> Result<String, String> {
    match Config::load(explicit) {
        Ok(l) => {
            let mut s = l.summary();
            for w in &l.warnings {
                s.push_str(&format!(" (warning: {w})"));
            }
            Ok(s)
        }
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chords_parse_to_what_crossterm_reports() {
        assert_eq!(
            parse_chord("ctrl+p"),
            Ok((KeyModifiers::CONTROL, KeyCode::Char('p')))
        );
        assert_eq!(
            parse_chord("Ctrl+P"),
            Ok((KeyModifiers::CONTROL, KeyCode::Char('p')))
        );
        assert_eq!(parse_chord("f1"), Ok((KeyModifiers::NONE, KeyCode::F(1))));
        assert_eq!(
            parse_chord("alt+enter"),
            Ok((KeyModifiers::ALT, KeyCode::Enter))
        );
        assert_eq!(
            parse_chord("ctrl++"),
            Ok((KeyModifiers::CONTROL, KeyCode::Char('+')))
        );
        assert_eq!(
            parse_chord("shift+tab"),
            Ok((KeyModifiers::SHIFT, KeyCode::BackTab))
        );
        assert_eq!(
            parse_chord("ctrl+shift+a"),
            Ok((
                KeyModifiers::CONTROL | KeyModifiers::SHIFT,
                KeyCode::Char('A')
            ))
        );
        assert!(parse_chord("f25").unwrap_err().contains("f1-f24"));
        assert!(parse_chord("hyper+x").unwrap_err().contains("\"hyper\""));
        assert!(parse_chord("ctrl+").is_err());
    }

    #[test]
    fn line_and_column_count_characters() {
        let t = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(t, 0), (1, 1));
        // `=` on line 2 is at byte 10 ("bé " is 4 bytes but 3 characters).
        assert_eq!(line_col(t, 10), (2, 4));
    }

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

    #[test]
    fn secret_looking_values() {
        assert!(looks_secret("Bearer abc"));
        assert!(looks_secret("echo sk-or-v1-abc"));
        assert!(!looks_secret("Task-oriented ask-me"));
        assert!(secret_header("X-Api-Key") && secret_header("Authorization"));
        assert!(!secret_header("X-Title"));
    }
}
