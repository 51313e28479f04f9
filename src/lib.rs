//! orchat: a terminal chat client for OpenRouter and other OpenAI-compatible
//! endpoints. The modules are public so tests and benchmarks can drive them;
//! ARCHITECTURE.md says what each one is for and how data flows between them.

pub mod api;
pub mod app;
pub mod chat;
pub mod cli;
pub mod config;
pub mod keymap;
pub mod markdown;
pub mod paths;
pub mod runtime;
pub mod server;
pub mod store;
pub mod term;
pub mod text;
pub mod time;
pub mod ui;
