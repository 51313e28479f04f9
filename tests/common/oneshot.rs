//! Helpers for tests that run the real binary in one-shot mode against the
//! local server: the command with its own directories and no key, the
//! server on a runtime of its own, what the server will answer, and a check
//! that output is inert on a terminal.

use std::process::{Command, Output, Stdio};

use orchat::api::types::{ChatRequest, Message, Role};
use orchat::chat::catalog::Catalog;
use orchat::chat::pricing::{estimate_tokens, format_usd};
use orchat::server::answer::{Ask, answer_text, pieces};
use orchat::server::{ServerHandle, ServerOptions};
use rust_decimal::Decimal;
use tempfile::TempDir;

pub const DEFAULT_MODEL: &str = orchat::config::DEFAULT_MODEL;
pub const SENTINEL: &str = "sk-SENTINEL-123";

/// The binary with its directories in a fresh temp dir and no key anywhere.
pub fn orchat(dir: &TempDir) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_orchat"));
    c.env("ORCHAT_DATA_DIR", dir.path().join("data"))
        .env("ORCHAT_CACHE_DIR", dir.path().join("cache"))
        .env("ORCHAT_STATE_DIR", dir.path().join("state"))
        .env_remove("OPENROUTER_API_KEY")
        .env_remove("AIMLAPI_API_KEY")
        .env_remove("GEMINI_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env_remove("ORCHAT_PROVIDER")
        .env_remove("RUST_LOG")
        // A key in this machine's own keyring never reaches a test.
        .env("ORCHAT_KEYRING", "off")
        .stdin(Stdio::null());
    c
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// A local server kept alive, on its own runtime, while the binary runs.
pub struct Local {
    pub server: ServerHandle,
    _rt: tokio::runtime::Runtime,
}

impl Local {
    pub fn start(opts: ServerOptions) -> Local {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(orchat::server::start(opts)).unwrap();
        Local { server, _rt: rt }
    }
    pub fn url(&self) -> String {
        self.server.base_url()
    }
    /// A server started on a runtime of the caller's (with a catalog of
    /// its own, say), kept alive together.
    pub fn from_parts(server: ServerHandle, rt: tokio::runtime::Runtime) -> Local {
        Local { server, _rt: rt }
    }
}

/// What the local server answers to `prompt` on `model`, as streamed pieces.
pub fn answer_pieces(model: &str, prompt: &str) -> Vec<String> {
    let req = ChatRequest {
        model: model.into(),
        messages: vec![Message::text(Role::User, prompt)],
        ..ChatRequest::default()
    };
    let vision = Catalog::bundled()
        .get(model)
        .is_some_and(|m| m.accepts_images());
    pieces(
        &answer_text(&Ask::from_request(&req), vision),
        ServerOptions::default().words_per_piece,
    )
}

pub fn answer(model: &str, prompt: &str) -> String {
    answer_pieces(model, prompt).concat()
}

/// The stderr summary line for a complete text answer on `model`.
pub fn summary_line(model: &str, prompt: &str) -> String {
    let text = answer(model, prompt);
    let (pin, pout) = (
        estimate_tokens(&format!("{prompt}\n")),
        estimate_tokens(&text),
    );
    let p = Catalog::bundled()
        .get(model)
        .unwrap()
        .pricing
        .clone()
        .expect("a priced model");
    let cost = Decimal::from(pin) * p.prompt + Decimal::from(pout) * p.completion;
    format!(
        "{model} · {pin} in / {pout} out tokens · {} (reported)",
        format_usd(cost)
    )
}

/// No raw escape or control sequence may reach the terminal.
pub fn assert_inert(name: &str, bytes: &[u8]) {
    assert!(!bytes.contains(&0x1b), "{name} has a raw ESC");
    let text = std::str::from_utf8(bytes)
        .unwrap_or_else(|_| panic!("{name} is not UTF-8 (a raw C1 byte?)"));
    for c in text.chars() {
        assert!(
            c == '\n' || c == '\t' || !(c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c)),
            "{name} has a raw control U+{:04X}",
            c as u32
        );
    }
}
