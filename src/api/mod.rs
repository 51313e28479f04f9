//! Talking to OpenAI-compatible chat endpoints: wire types, the stream
//! decoder, typed errors, providers and the client.

pub mod account;
pub mod body;
pub mod client;
pub mod error;
pub mod interpret;
pub mod key;
pub mod provider;
pub mod sse;
pub mod types;

pub use client::{ChatClient, ClientConfig, EventStream, RetryPolicy};
pub use error::{ApiError, LimitScope, RateLimit};
pub use provider::{Provider, ProviderKind};
pub use sse::StreamEvent;
