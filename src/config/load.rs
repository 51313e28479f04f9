//! The layers: built-in defaults < the file < the environment < flags, and
//! the checks a file must pass.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use toml::de::{DeTable, DeValue};

use super::errors::*;
use super::secrets::*;
use super::*;

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

/// The most of a config file read: a real one is a few kilobytes.
const CONFIG_LIMIT: u64 = 1 << 20;

/// The file's text, bounded (`--config /dev/zero` reads a megabyte, not
/// memory's worth). The inner error says why it is no configuration file.
fn read_config_file(path: &Path) -> std::io::Result<Result<String, String>> {
    let bytes = match crate::paths::read_file_at_most(path, CONFIG_LIMIT) {
        Ok(b) => b,
        Err(crate::paths::ReadError::Io(e)) => return Err(e),
        Err(too_large) => return Ok(Err(too_large.to_string())),
    };
    Ok(match String::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => Ok(text),
        _ => Err("it holds binary data, not TOML text".into()),
    })
}

pub(super) fn process_env(name: &str) -> Option<String> {
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
            Some(p) => match read_config_file(p) {
                Ok(Err(why)) => {
                    return Err(ConfigError::plain(
                        p.display().to_string(),
                        None,
                        format!("not a configuration file: {why}"),
                    ));
                }
                Ok(Ok(text)) => {
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
        config.model_chosen = value_at(doc, &["model"]).is_some();
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
        super::keys::key_overrides(&self.keys).map_err(|(at, m)| {
            let at: Vec<&str> = at.iter().map(String::as_str).collect();
            (p(&at), m)
        })?;
        Ok(())
    }

    pub(super) fn check_theme(&self, name: &str) -> Result<(), String> {
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

    pub(super) fn check_provider(&self, name: &str) -> Result<(), String> {
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
    pub(super) fn holds_secrets(&self) -> bool {
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
            self.model_chosen = true;
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
        if let Some(name) = &flags.role {
            let spec = self.roles.get(name).cloned().ok_or_else(|| {
                let known: Vec<&str> = self.roles.keys().map(String::as_str).collect();
                err(
                    "--role",
                    if known.is_empty() {
                        format!("no role '{name}': the config has no [roles]")
                    } else {
                        format!("no role '{name}'; roles: {}", known.join(", "))
                    },
                )
            })?;
            if let Some(m) = spec.model {
                self.model = m;
                self.model_chosen = true;
            }
            if let Some(r) = spec.reasoning {
                check_reasoning(&r).map_err(|m| err("--role", m))?;
                self.reasoning = Some(r);
            }
            if let Some(t) = spec.temperature {
                self.temperature = Some(t);
            }
            if let Some(p) = spec.system_prompt {
                self.system_prompt = Some(p);
            }
        }
        if let Some(m) = &flags.model {
            self.model = m.clone();
            self.model_chosen = true;
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
}

pub(super) fn check_reasoning(r: &str) -> Result<(), String> {
    ReasoningSetting::parse(r)
        .map(|_| ())
        .map_err(|_| format!("expected off, low, medium, high or a token budget, found \"{r}\""))
}

pub(super) fn check_url(u: &str) -> Result<(), String> {
    match reqwest::Url::parse(u) {
        Ok(url) if url.scheme() == "http" || url.scheme() == "https" => Ok(()),
        _ => Err(format!("expected an http or https URL, found \"{u}\"")),
    }
}

/// The key path from a toml error that carries no span.
pub(super) fn keys_of(e: &toml::de::Error) -> Option<String> {
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
    /// `--role NAME`: the role's settings, under every other flag.
    pub role: Option<String>,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub fallback_models: Vec<String>,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub reasoning: Option<String>,
    pub system_prompt: Option<String>,
    pub theme: Option<String>,
}
