//! orchat: a terminal chat client for OpenRouter and other OpenAI-compatible
//! endpoints. The modules are public so tests and benchmarks can drive them.

pub mod answer;
pub mod api;
pub mod app;
pub mod attach;
pub mod catalog;
pub mod cli;
pub mod clipboard;
pub mod config;
pub mod connect;
pub mod doctor;
pub mod editor;
pub mod images;
pub mod keymap;
pub mod logging;
pub mod oneshot;
pub mod paths;
pub mod pricing;
pub mod request;
pub mod runtime;
pub mod secret;
pub mod server;
pub mod sessions_cli;
pub mod shell;
pub mod store;
pub mod term_events;
pub mod text;
pub mod tui;
pub mod ui;
