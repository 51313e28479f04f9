//! Command-line arguments.

pub mod compare;
pub mod connect;
pub mod doctor;
pub mod fullscreen;
pub mod key;
pub mod logging;
pub mod oneshot;
pub mod plain;
pub mod sessions;
pub mod shell;
pub mod start;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "orchat",
    version,
    about = "Chat with LLMs from the terminal through OpenRouter and other OpenAI-compatible endpoints",
    after_help = "Examples:
  orchat                                   full-screen chat (demo mode when no API key is set)
  orchat -p \"explain borrowing\"            one answer to stdout, cost to stderr
  echo \"hello\" | orchat -m google/gemini-2.0-flash-001
  orchat -p \"what is this?\" --image cat.png
  orchat --base-url http://127.0.0.1:8080/v1 -p hi   any OpenAI-compatible server
  orchat serve                             run the built-in local server
  orchat --continue                        reopen the last conversation
  orchat sessions search \"borrow\"         find a word in any saved conversation
  orchat doctor                            check config, key and provider
  orchat completions bash > ~/.local/share/bash-completion/completions/orchat

Keys come from OPENROUTER_API_KEY, AIMLAPI_API_KEY or GEMINI_API_KEY (by --provider);
--base-url alone is a plain OpenAI-compatible server and reads OPENAI_API_KEY (optional);
--provider NAME --base-url URL keeps NAME's variable and dialect at another address;
--api-key-env VAR / --api-key-file PATH choose another source. Exit codes: 0 ok, 1 the request failed (or was blocked
before any text), 2 bad arguments or configuration, 3 the answer was incomplete: cut off,
cut short by the token limit, blocked midway or empty (its text is still printed).
Logs go to a file in the state directory (~/.local/state/orchat/orchat.log), never the screen."
)]
pub struct Cli {
    /// Ask one question and print the answer (`-` reads it from stdin).
    #[arg(short = 'p', long = "prompt", value_name = "TEXT")]
    pub prompt: Option<String>,

    /// Model id, e.g. google/gemini-2.5-pro.
    #[arg(short = 'm', long = "model", value_name = "MODEL")]
    pub model: Option<String>,

    /// Ask 2 to 4 models at once, side by side (comma-separated ids; fuzzy
    /// like the picker). With -p: each answer, then a table of times,
    /// tokens and costs.
    #[arg(long = "compare", value_name = "M1,M2", value_delimiter = ',')]
    pub compare: Vec<String>,

    /// Fallback models, tried in order when the first fails (OpenRouter).
    #[arg(long = "fallback", value_name = "MODEL")]
    pub fallback: Vec<String>,

    /// Attach a file (repeatable): an image, a PDF, audio (wav, mp3, aiff,
    /// aac, ogg, flac), video (mp4, mpeg, mov, webm, …) or a UTF-8 text file;
    /// or an https URL (an image, a PDF, a YouTube video). `--image` is an
    /// alias.
    #[arg(long = "attach", visible_alias = "image", value_name = "PATH_OR_URL")]
    pub images: Vec<String>,

    /// Use a role from the config's `[roles]`: its system prompt, model,
    /// reasoning and temperature (other flags still win).
    #[arg(long = "role", value_name = "NAME")]
    pub role: Option<String>,

    /// Search the web for this prompt (OpenRouter's web search; its sources
    /// are listed after the answer and its fee apart).
    #[arg(long = "web")]
    pub web: bool,

    /// System prompt.
    #[arg(long = "system", value_name = "TEXT")]
    pub system: Option<String>,

    /// Print one JSON object (answer, model, usage, cost) instead of text.
    #[arg(long = "json")]
    pub json: bool,

    /// Ask for the whole answer at once instead of streaming it.
    #[arg(long = "no-stream")]
    pub no_stream: bool,

    /// Maximum tokens to generate (reasoning included).
    #[arg(long = "max-tokens", value_name = "N")]
    pub max_tokens: Option<u32>,

    /// Sampling temperature, 0 to 2.
    #[arg(long = "temperature", value_name = "T")]
    pub temperature: Option<f32>,

    /// Reasoning: off, low, medium, high, or a token budget.
    #[arg(long = "reasoning", value_name = "LEVEL")]
    pub reasoning: Option<String>,

    /// Print the model's reasoning to stderr in one-shot mode.
    #[arg(long = "show-reasoning")]
    pub show_reasoning: bool,

    /// One-shot mode: when OpenRouter reported no cost, wait (up to about a
    /// minute) for what it charged, from /generation, instead of an estimate.
    #[arg(long = "settle")]
    pub settle: bool,

    /// Use the built-in local server even when a key is set.
    #[arg(long = "demo")]
    pub demo: bool,

    /// Provider: openrouter (default), aimlapi or google.
    #[arg(long = "provider", value_name = "NAME", env = "ORCHAT_PROVIDER")]
    pub provider: Option<String>,

    /// Any OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1.
    #[arg(long = "base-url", value_name = "URL")]
    pub base_url: Option<String>,

    /// Read the API key from this environment variable.
    #[arg(long = "api-key-env", value_name = "VAR")]
    pub api_key_env: Option<String>,

    /// Read the API key from this file (first line).
    #[arg(long = "api-key-file", value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,

    /// Configuration file (default: ~/.config/orchat/config.toml; also ORCHAT_CONFIG).
    #[arg(long = "config", value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,

    /// When the configuration file is invalid, say so and use the built-in defaults.
    #[arg(long = "ignore-bad-config")]
    pub ignore_bad_config: bool,

    /// No colours (also NO_COLOR).
    #[arg(long = "no-color")]
    pub no_color: bool,

    /// Line by line, without a screen (screen readers, Emacs shells, logs):
    /// the answer appended as plain text, then a line with its model,
    /// tokens, cost and how it ended. Also when stdout is not a terminal in
    /// interactive use, or TERM=dumb.
    #[arg(long = "plain")]
    pub plain: bool,

    /// Leave the mouse to the terminal (native text selection; no wheel scrolling).
    #[arg(long = "no-mouse")]
    pub no_mouse: bool,

    /// Log level for the log file: error, warn, info, debug, trace (also ORCHAT_LOG).
    #[arg(long = "log-level", value_name = "LEVEL")]
    pub log_level: Option<String>,

    /// Reopen the last conversation.
    #[arg(short = 'c', long = "continue", conflicts_with = "session")]
    pub continue_last: bool,

    /// Reopen a saved conversation by id (a unique prefix is enough).
    #[arg(long = "session", value_name = "ID")]
    pub session: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Where the configuration is, the merged result (secrets redacted), or a check.
    Config {
        #[command(subcommand)]
        cmd: crate::config::ConfigCommand,
    },
    /// Check the configuration, the key and the provider, one line each.
    Doctor,
    /// Keys in the system keyring: `orchat key set` (the key read from
    /// stdin, not echoed) or `orchat key delete`, for --provider NAME (the
    /// configured provider by default).
    Key {
        #[command(subcommand)]
        cmd: KeyCommand,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff).
    Man,
    /// Saved conversations: list, show, export, import, delete, search.
    Sessions {
        #[command(subcommand)]
        cmd: crate::cli::sessions::SessionsCommand,
    },
    /// Run the built-in OpenRouter-compatible server on 127.0.0.1 and print its URL.
    Serve {
        /// Content chunks per second (default: as fast as possible).
        #[arg(long)]
        pace: Option<f64>,
        /// Requests a minute each :free model allows.
        #[arg(long, default_value_t = 3)]
        free_per_minute: usize,
        /// Play a plain OpenAI-compatible server (as llama-server): its own
        /// two models, no prices, no OpenRouter extras, /props with an 8K window.
        #[arg(long)]
        plain: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum KeyCommand {
    /// Save a key for the provider in the system keyring.
    Set {
        /// openrouter, aimlapi, google or a configured provider (default:
        /// the configured one).
        #[arg(long)]
        provider: Option<String>,
    },
    /// Remove the provider's key from the system keyring.
    Delete {
        #[arg(long)]
        provider: Option<String>,
    },
}

impl KeyCommand {
    /// The provider it names, if it names one.
    pub fn provider(&self) -> Option<&str> {
        match self {
            KeyCommand::Set { provider } | KeyCommand::Delete { provider } => provider.as_deref(),
        }
    }
}

impl From<&Cli> for crate::config::Flags {
    /// The flags layer of the configuration: what the command line sets.
    fn from(cli: &Cli) -> Self {
        crate::config::Flags {
            role: cli.role.clone(),
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
