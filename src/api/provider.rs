//! Providers: where requests go, which key they need, and how a request is
//! adjusted to what each endpoint accepts (PROTOCOL.md §0, §6, §7).

use std::collections::HashMap;

use super::types::ChatRequest;
use crate::api::key::ApiKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    OpenRouter,
    AimlApi,
    Google,
    /// Any other OpenAI-compatible server: llama.cpp, Ollama, vLLM, orchat's own.
    Custom,
}

#[derive(Debug, Clone)]
pub struct Provider {
    pub kind: ProviderKind,
    pub name: String,
    /// Up to and including `/v1` (or its equivalent); no trailing slash.
    pub base_url: String,
    /// The environment variable that holds the key.
    pub key_env: Option<String>,
    /// Model ids that differ on this provider: catalog id -> provider id.
    pub model_map: HashMap<String, String>,
    pub extra_headers: Vec<(String, String)>,
}

pub const OPENROUTER_URL: &str = "https://openrouter.ai/api/v1";
pub const AIMLAPI_URL: &str = "https://api.aimlapi.com/v1";
pub const GOOGLE_URL: &str = "https://generativelanguage.googleapis.com/v1beta/openai";

impl Provider {
    pub fn openrouter() -> Provider {
        Provider::new(
            ProviderKind::OpenRouter,
            "openrouter",
            OPENROUTER_URL,
            Some("OPENROUTER_API_KEY"),
        )
    }
    pub fn aimlapi() -> Provider {
        Provider::new(
            ProviderKind::AimlApi,
            "aimlapi",
            AIMLAPI_URL,
            Some("AIMLAPI_API_KEY"),
        )
    }
    pub fn google() -> Provider {
        Provider::new(
            ProviderKind::Google,
            "google",
            GOOGLE_URL,
            Some("GEMINI_API_KEY"),
        )
    }
    /// An OpenAI-compatible server at `base_url`; a key is optional.
    pub fn custom(base_url: &str) -> Provider {
        Provider::new(
            ProviderKind::Custom,
            "custom",
            base_url,
            Some("OPENAI_API_KEY"),
        )
    }

    fn new(kind: ProviderKind, name: &str, url: &str, key_env: Option<&str>) -> Provider {
        Provider {
            kind,
            name: name.to_string(),
            base_url: url.trim_end_matches('/').to_string(),
            key_env: key_env.map(str::to_string),
            model_map: HashMap::new(),
            extra_headers: Vec::new(),
        }
    }

    /// Looks a provider up by name: openrouter, aimlapi, google.
    pub fn by_name(name: &str) -> Option<Provider> {
        match name.to_ascii_lowercase().as_str() {
            "openrouter" => Some(Provider::openrouter()),
            "aimlapi" | "aiml" => Some(Provider::aimlapi()),
            "google" | "gemini" => Some(Provider::google()),
            _ => None,
        }
    }

    pub fn chat_url(&self) -> String {
        format!("{}/chat/completions", self.base_url)
    }
    pub fn models_url(&self) -> String {
        format!("{}/models", self.base_url)
    }

    /// The key from this provider's environment variable, if set; a value
    /// that cannot be a key is refused, naming the variable.
    pub fn key_from_env(&self) -> Result<Option<ApiKey>, String> {
        let Some(var) = self.key_env.as_deref() else {
            return Ok(None);
        };
        match std::env::var_os(var) {
            None => Ok(None),
            Some(v) => ApiKey::parse(&v.to_string_lossy(), var),
        }
    }

    /// The id this provider knows a catalog model by.
    pub fn model_id(&self, id: &str) -> String {
        if let Some(m) = self.model_map.get(id) {
            return m.clone();
        }
        match self.kind {
            // Google's endpoint wants bare ids: gemini-2.0-flash, not google/gemini-2.0-flash-001.
            ProviderKind::Google => {
                let bare = id.strip_prefix("google/").unwrap_or(id);
                bare.strip_suffix("-001").unwrap_or(bare).to_string()
            }
            // AI/ML API spells 2.0 Flash without the -001.
            ProviderKind::AimlApi => id.strip_suffix("-001").unwrap_or(id).to_string(),
            _ => id.to_string(),
        }
    }

    /// Shapes a request for this provider: OpenRouter takes everything; the
    /// others get only the fields they understand.
    pub fn adapt(&self, mut req: ChatRequest) -> ChatRequest {
        req.model = self.model_id(&req.model);
        if let Some(models) = req.models.take() {
            req.models = Some(models.iter().map(|m| self.model_id(m)).collect());
        }
        match self.kind {
            ProviderKind::OpenRouter => {}
            ProviderKind::AimlApi => {
                req.models = None;
                req.usage = None;
                req.provider = None;
                // AI/ML API defaults to 512 tokens, which a thinking model
                // spends before answering (PROTOCOL.md §6).
                req.max_tokens.get_or_insert(15_000);
            }
            ProviderKind::Google | ProviderKind::Custom => {
                if let Some(r) = req.reasoning.take() {
                    req.reasoning_effort = r.effort.or(r.max_tokens.map(effort_for_budget));
                }
                req.models = None;
                req.usage = None;
                req.provider = None;
            }
        }
        req
    }

    /// App attribution headers (OpenRouter only: others have no use for them).
    pub fn attribution(&self) -> &'static [(&'static str, &'static str)] {
        match self.kind {
            ProviderKind::OpenRouter => &[
                ("HTTP-Referer", "https://github.com/orchat/orchat"),
                ("X-Title", "orchat"),
            ],
            _ => &[],
        }
    }
}

/// A thinking budget as the nearest effort, for endpoints that take only an
/// effort (Google's maps low, medium, high to about 1K, 8K and 24K tokens,
/// PROTOCOL.md §7): a budget is never dropped without a word.
pub fn effort_for_budget(tokens: u32) -> super::types::Effort {
    use super::types::Effort;
    match tokens {
        0 => Effort::None,
        1..=2048 => Effort::Low,
        2049..=12_000 => Effort::Medium,
        _ => Effort::High,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::{Effort, Reasoning};

    #[test]
    fn ids_are_mapped_per_provider() {
        assert_eq!(
            Provider::google().model_id("google/gemini-2.0-flash-001"),
            "gemini-2.0-flash"
        );
        assert_eq!(
            Provider::google().model_id("google/gemini-2.5-pro"),
            "gemini-2.5-pro"
        );
        assert_eq!(
            Provider::aimlapi().model_id("google/gemini-2.0-flash-001"),
            "google/gemini-2.0-flash"
        );
        let mut p = Provider::custom("http://127.0.0.1:8080/v1/");
        assert_eq!(p.chat_url(), "http://127.0.0.1:8080/v1/chat/completions");
        p.model_map
            .insert("google/gemma-3-27b-it".into(), "gemma3:27b".into());
        assert_eq!(p.model_id("google/gemma-3-27b-it"), "gemma3:27b");
    }

    #[test]
    fn google_gets_reasoning_effort_not_openrouter_fields() {
        let req = ChatRequest {
            model: "google/gemini-2.5-flash".into(),
            reasoning: Some(Reasoning {
                effort: Some(Effort::High),
                ..Reasoning::default()
            }),
            usage: Some(crate::api::types::UsageRequest { include: true }),
            ..ChatRequest::default()
        };
        let v = serde_json::to_value(Provider::google().adapt(req)).unwrap();
        assert_eq!(v["model"], "gemini-2.5-flash");
        assert_eq!(v["reasoning_effort"], "high");
        assert!(v.get("reasoning").is_none() && v.get("usage").is_none());
    }
}
