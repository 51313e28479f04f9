//! The model catalog: name, context, modalities, max output, prices and the
//! free/thinking flags of every model orchat knows.
//!
//! Three sources, best first: a live `GET /models` (with a key, in the
//! background), the copy of it cached in the user cache directory (one file
//! per provider and base URL, so one provider's list never stands in for
//! another's), and the snapshot bundled in `assets/models.json`, which is
//! always there.
//!
//! Prices: a list without them (AI/ML API, a plain OpenAI-compatible server)
//! takes the bundled catalog's for the ids it knows; any other model's price
//! is unknown (`Model::pricing` is `None`), never zero. Only a `:free` id or
//! an explicit zero price is free.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::chat::pricing::{Pricing, parse_decimal};

const BUNDLED: &str = include_str!("../../assets/models.json");

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub id: String,
    pub name: String,
    /// Tokens; 0 when unknown.
    pub context_length: u64,
    pub max_output: Option<u64>,
    /// What it reads (`text`, `image`, `file`, `audio`, `video`); empty when
    /// the list said nothing: unknown, which never blocks.
    pub input_modalities: Vec<String>,
    /// What it writes; empty when unknown (text is assumed).
    pub output_modalities: Vec<String>,
    /// USD per unit; `None` when no price is known for this model.
    pub pricing: Option<Pricing>,
    pub supports_reasoning: bool,
    pub description: String,
}

impl Model {
    /// A `:free` id, or prices that are known and zero.
    pub fn is_free(&self) -> bool {
        self.id.ends_with(":free") || self.pricing.as_ref().is_some_and(Pricing::is_free)
    }
    /// Models that think: they accept `reasoning`, or are `:thinking` variants.
    pub fn is_thinking(&self) -> bool {
        self.supports_reasoning || self.id.ends_with(":thinking")
    }
    /// Gemini 2.5 Pro cannot switch thinking off (PROTOCOL.md §1.4).
    pub fn thinking_mandatory(&self) -> bool {
        self.id.contains("gemini-2.5-pro") || self.id.ends_with(":thinking")
    }
    /// Reads images, or nobody said it does not.
    pub fn accepts_images(&self) -> bool {
        self.reads("image")
    }
    /// Reads this input kind (`text`, `image`, `file`, `audio`, `video`),
    /// or nobody said it does not: a list silent on inputs never blocks.
    /// Text is read by every model.
    pub fn reads(&self, kind: &str) -> bool {
        kind == "text"
            || self.input_modalities.is_empty()
            || self.input_modalities.iter().any(|m| m == kind)
    }
    /// Whether what it reads is known (the list gave its input kinds).
    pub fn inputs_known(&self) -> bool {
        !self.input_modalities.is_empty()
    }
    pub fn outputs_images(&self) -> bool {
        self.output_modalities.iter().any(|m| m == "image")
    }
    /// `google/x:free` -> `google/x`: the paid twin to offer when a free cap is hit.
    pub fn paid_variant(id: &str) -> Option<&str> {
        id.strip_suffix(":free")
    }
    /// The name without the "Google: " vendor prefix the catalog carries.
    pub fn short_name(&self) -> &str {
        self.name
            .split_once(": ")
            .map_or(self.name.as_str(), |(_, n)| n)
    }
}

// ---- wire shape of GET /models entries (PROTOCOL.md §4.1)

#[derive(Deserialize)]
struct WireList {
    #[serde(default)]
    data: Vec<WireModel>,
}

#[derive(Deserialize)]
struct WireModel {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    context_length: Option<u64>,
    /// vLLM's name for it.
    #[serde(default)]
    max_model_len: Option<u64>,
    /// Other servers' names for it.
    #[serde(default)]
    context_window: Option<u64>,
    #[serde(default)]
    max_context_length: Option<u64>,
    /// llama-server's model facts (`n_ctx_train`: what it was trained for).
    #[serde(default)]
    meta: Option<WireMeta>,
    #[serde(default)]
    architecture: Option<WireArch>,
    #[serde(default)]
    pricing: HashMap<String, serde_json::Value>,
    #[serde(default)]
    top_provider: Option<WireTop>,
    #[serde(default)]
    supported_parameters: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
struct WireArch {
    #[serde(default)]
    input_modalities: Vec<String>,
    #[serde(default)]
    output_modalities: Vec<String>,
}

#[derive(Deserialize, Default)]
struct WireMeta {
    #[serde(default)]
    n_ctx_train: Option<u64>,
}

#[derive(Deserialize, Default)]
struct WireTop {
    #[serde(default)]
    max_completion_tokens: Option<u64>,
}

fn price(map: &HashMap<String, serde_json::Value>, key: &str) -> Option<rust_decimal::Decimal> {
    let v = map.get(key)?;
    let d = match v {
        serde_json::Value::String(s) => parse_decimal(s)?,
        serde_json::Value::Number(n) => parse_decimal(&n.to_string())?,
        _ => return None,
    };
    // "-1" marks a router whose price is not known up front.
    (!d.is_sign_negative()).then_some(d)
}

/// Known prices: the prompt and completion prices must be listed (a
/// router's "-1" is not a price). A `:free` id with none listed is free.
fn pricing_of(p: &HashMap<String, serde_json::Value>, id: &str) -> Option<Pricing> {
    let (prompt, completion) = match (price(p, "prompt"), price(p, "completion")) {
        (Some(a), Some(b)) => (a, b),
        _ if id.ends_with(":free") => (Default::default(), Default::default()),
        _ => return None,
    };
    Some(Pricing {
        prompt,
        completion,
        request: price(p, "request").unwrap_or_default(),
        image: price(p, "image").unwrap_or_default(),
        image_output: price(p, "image_output").or_else(|| price(p, "image_token")),
        internal_reasoning: price(p, "internal_reasoning").unwrap_or_default(),
        input_cache_read: price(p, "input_cache_read").filter(|d| !d.is_zero()),
        audio: price(p, "audio").filter(|d| !d.is_zero()),
    })
}

impl From<WireModel> for Model {
    fn from(w: WireModel) -> Self {
        let p = &w.pricing;
        let arch = w.architecture.unwrap_or_default();
        let params = w.supported_parameters.unwrap_or_default();
        Model {
            name: w.name.unwrap_or_else(|| w.id.clone()),
            // Every name a server gives its context window; 0: unknown.
            context_length: w
                .context_length
                .or(w.max_model_len)
                .or(w.context_window)
                .or(w.max_context_length)
                .or(w.meta.and_then(|m| m.n_ctx_train))
                .unwrap_or(0),
            max_output: w.top_provider.and_then(|t| t.max_completion_tokens),
            input_modalities: arch.input_modalities,
            output_modalities: arch.output_modalities,
            pricing: pricing_of(p, &w.id),
            supports_reasoning: params
                .iter()
                .any(|s| s == "reasoning" || s == "include_reasoning"),
            description: w.description.unwrap_or_default(),
            id: w.id,
        }
    }
}

/// Where the catalog in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Bundled,
    Cache,
    Live,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub models: Vec<Model>,
    pub source: Source,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("the model list is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the model list is empty")]
    Empty,
}

impl Catalog {
    /// Parses a `GET /models` body (`{"data":[…]}`).
    pub fn parse(body: &str, source: Source) -> Result<Catalog, CatalogError> {
        let list: WireList = serde_json::from_str(body)?;
        if list.data.is_empty() {
            return Err(CatalogError::Empty);
        }
        Ok(Catalog {
            models: list.data.into_iter().map(Model::from).collect(),
            source,
        })
    }

    /// The snapshot compiled into the binary: instant and offline.
    pub fn bundled() -> Catalog {
        Catalog::parse(BUNDLED, Source::Bundled).expect("the bundled catalog is valid")
    }

    /// No models at all: a server whose list could not be read (its models
    /// are then unknown, never the bundled Gemini ones).
    pub fn empty(source: Source) -> Catalog {
        Catalog {
            models: Vec::new(),
            source,
        }
    }

    /// The cached list of a plain server if readable, else none at all.
    pub fn load_own(cache_file: Option<&Path>) -> Catalog {
        cache_file
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|body| Catalog::parse(&body, Source::Cache).ok())
            .map(Catalog::with_known_prices)
            .unwrap_or_else(|| Catalog::empty(Source::Cache))
    }

    /// The context window the server runs with (llama-server's `/props`
    /// `n_ctx`), for every model it lists: it serves one, and the window
    /// it was started with is what a request must fit.
    pub fn with_runtime_context(mut self, n_ctx: u64) -> Catalog {
        if n_ctx > 0 {
            for m in &mut self.models {
                m.context_length = n_ctx;
            }
        }
        self
    }

    /// The raw bundled JSON, served by the local server's `/models`.
    pub fn bundled_json() -> &'static str {
        BUNDLED
    }

    /// The cached live catalog if it is readable, else the bundled one.
    pub fn load(cache_file: Option<&Path>) -> Catalog {
        cache_file
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|body| Catalog::parse(&body, Source::Cache).ok())
            .map(Catalog::with_known_prices)
            .unwrap_or_else(Catalog::bundled)
    }

    /// Gives models listed without prices the bundled catalog's, for the
    /// ids it knows (by this provider's spelling too), and its context
    /// window and input kinds where the list gives none; the rest stay
    /// unknown. Two spellings of one model (`google/gemini-2.0-flash` and
    /// bare `gemini-2.0-flash`, as AI/ML API lists) become one row.
    pub fn with_known_prices(mut self) -> Catalog {
        let mut seen: Vec<String> = Vec::new();
        self.models.retain(|m| {
            let key = m.id.rsplit('/').next().unwrap_or(&m.id).to_string();
            if seen.contains(&key) {
                return false;
            }
            seen.push(key);
            true
        });
        if self
            .models
            .iter()
            .all(|m| m.pricing.is_some() && m.context_length > 0 && !m.input_modalities.is_empty())
        {
            return self;
        }
        let bundled = Catalog::bundled();
        for m in self.models.iter_mut() {
            let Some(b) = bundled.get(&m.id) else {
                continue;
            };
            if m.pricing.is_none() {
                m.pricing.clone_from(&b.pricing);
            }
            if m.context_length == 0 {
                m.context_length = b.context_length;
                m.max_output = m.max_output.or(b.max_output);
            }
            if m.input_modalities.is_empty() {
                m.input_modalities.clone_from(&b.input_modalities);
            }
            if m.output_modalities.is_empty() {
                m.output_modalities.clone_from(&b.output_modalities);
            }
        }
        self
    }

    /// The model with this id, or the one a provider means by it: an id
    /// without the vendor prefix (`gemini-2.5-pro` on Google's endpoint) or
    /// without the `-001` version (`google/gemini-2.0-flash` on AI/ML API).
    pub fn get(&self, id: &str) -> Option<&Model> {
        let find = |want: &str| {
            self.models.iter().find(|m| m.id == want).or_else(|| {
                (!want.contains('/'))
                    .then(|| {
                        self.models
                            .iter()
                            .find(|m| m.id.rsplit('/').next() == Some(want))
                    })
                    .flatten()
            })
        };
        find(id).or_else(|| find(&format!("{id}-001")))
    }

    /// The prices of `id`, when known.
    pub fn pricing(&self, id: &str) -> Option<&Pricing> {
        self.get(id).and_then(|m| m.pricing.as_ref())
    }

    /// The paid model to offer when a free one is limited: `x:free` -> `x`;
    /// a free experimental checkpoint (`google/gemini-2.5-pro-exp-03-25`,
    /// one request a minute) -> its released model (`google/gemini-2.5-pro`).
    /// Only a model this catalog has, and that is not free itself.
    pub fn paid_twin(&self, id: &str) -> Option<&Model> {
        let paid = |want: &str| self.get(want).filter(|m| !m.is_free());
        if let Some(base) = id.strip_suffix(":free")
            && let Some(m) = paid(base)
        {
            return Some(m);
        }
        let base = id.strip_suffix(":free").unwrap_or(id);
        let free = id.ends_with(":free") || self.get(id).is_some_and(Model::is_free);
        match base.find("-exp") {
            Some(i) if free => paid(&base[..i]),
            _ => None,
        }
    }

    /// Models known to read images, for the "switch to one of these" hint.
    pub fn image_input_models(&self) -> impl Iterator<Item = &Model> {
        self.readers_of("image")
    }

    /// Models known to read this input kind.
    pub fn readers_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Model> + 'a {
        self.models
            .iter()
            .filter(move |m| m.inputs_known() && m.reads(kind))
    }

    /// "models that do include A, B" or, when the list knows none, that it
    /// knows none: never an empty list.
    pub fn readers_phrase(ids: &[&str]) -> String {
        if ids.is_empty() {
            "no model in this provider's list is known to read them".into()
        } else {
            format!("models that do include {}", ids.join(", "))
        }
    }
}

/// Fetches the live catalog and caches it. Any failure is logged and
/// returns `None`: the caller keeps the cached or bundled catalog.
pub async fn refresh(client: &crate::api::ChatClient, cache: Option<&Path>) -> Option<Catalog> {
    let body = match client.fetch_models().await {
        Ok(b) => b,
        Err(e) => {
            tracing::info!(error = %e, "model list refresh failed; keeping the cached catalog");
            return None;
        }
    };
    let catalog = match Catalog::parse(&body, Source::Live) {
        Ok(c) => c.with_known_prices(),
        Err(e) => {
            tracing::info!(error = %e, "model list unreadable; keeping the cached catalog");
            return None;
        }
    };
    if let Some(p) = cache
        && let Err(e) = store_cache(p, &body)
    {
        tracing::info!(error = %e, "cannot cache the model list");
    }
    Some(catalog)
}

/// Where the live catalog of a provider at a base URL is cached: one file
/// each (`models-aimlapi-3f2a9c1e.json`), so a provider whose list has no
/// prices never replaces another's.
pub fn cache_path(cache_dir: &Path, provider: &str, base_url: &str) -> PathBuf {
    cache_dir.join(cache_file_name(provider, base_url))
}

/// The cache file for a provider as configured, in `cache_dir` (none
/// without a cache directory).
pub fn cache_for(cache_dir: Option<&Path>, p: &crate::api::Provider) -> Option<PathBuf> {
    cache_dir.map(|d| cache_path(d, &p.name, &p.base_url))
}

/// `models-<provider>-<hash of the base URL>.json` (FNV-1a: stable across
/// builds, unlike the standard hasher).
pub fn cache_file_name(provider: &str, base_url: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in base_url.trim_end_matches('/').bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    let name: String = provider
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(32)
        .collect();
    format!("models-{name}-{h:08x}.json")
}

/// Writes a freshly fetched `/models` body to the cache, atomically (write then
/// rename) so a crash never leaves half a file behind.
pub fn store_cache(path: &Path, body: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, body)?;
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn bundled_catalog_has_the_gemini_family_with_exact_prices() {
        let c = Catalog::bundled();
        let flash = c.get("google/gemini-2.0-flash-001").unwrap();
        let p = flash.pricing.as_ref().unwrap();
        assert_eq!(p.prompt, Decimal::new(1, 7));
        assert_eq!(p.completion, Decimal::new(4, 7));
        assert_eq!(flash.max_output, Some(8192));
        let img = c.get("google/gemini-2.5-flash-image-preview").unwrap();
        assert!(img.outputs_images() && img.accepts_images());
        assert_eq!(
            img.pricing.as_ref().unwrap().image_output,
            Some(Decimal::new(3, 5))
        );
        let free = c.get("google/gemini-2.5-flash-image-preview:free").unwrap();
        assert!(free.is_free());
        assert!(c.get("google/gemini-2.5-pro").unwrap().thinking_mandatory());
        assert!(
            c.get("gemini-2.5-pro").is_some(),
            "matches ids without vendor prefix"
        );
    }

    #[test]
    fn bad_cache_falls_back_to_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("models.json");
        std::fs::write(&p, "{not json").unwrap();
        assert_eq!(Catalog::load(Some(&p)).source, Source::Bundled);
        store_cache(&p, r#"{"data":[{"id":"x/y","pricing":{"prompt":"-1"}}]}"#).unwrap();
        let c = Catalog::load(Some(&p));
        assert_eq!(c.source, Source::Cache);
        assert_eq!(c.models[0].pricing, None, "a router's -1 is not a price");
    }

    #[test]
    fn a_priceless_list_takes_known_prices_and_leaves_the_rest_unknown() {
        let body = r#"{"data":[{"id":"google/gemini-2.5-pro"},{"id":"google/gemini-2.0-flash"},{"id":"gemini-2.5-flash"},{"id":"acme/mystery-7b"},{"id":"acme/mystery-7b:free"},{"id":"acme/zero","pricing":{"prompt":"0","completion":"0"}}]}"#;
        let c = Catalog::parse(body, Source::Live)
            .unwrap()
            .with_known_prices();
        let bundled = Catalog::bundled();
        for (id, bundled_id) in [
            ("google/gemini-2.5-pro", "google/gemini-2.5-pro"),
            ("google/gemini-2.0-flash", "google/gemini-2.0-flash-001"),
            ("gemini-2.5-flash", "google/gemini-2.5-flash"),
        ] {
            assert_eq!(c.pricing(id), bundled.pricing(bundled_id), "{id}");
            assert!(c.pricing(id).is_some(), "{id}");
        }
        let mystery = c.get("acme/mystery-7b").unwrap();
        assert_eq!(mystery.pricing, None);
        assert!(!mystery.is_free(), "unknown is not free");
        assert!(c.get("acme/mystery-7b:free").unwrap().is_free());
        assert!(c.get("acme/zero").unwrap().is_free());
    }

    #[test]
    fn each_provider_and_base_url_has_its_own_cache_file() {
        let a = cache_file_name("openrouter", "https://openrouter.ai/api/v1");
        let b = cache_file_name("aimlapi", "https://api.aimlapi.com/v1");
        let c = cache_file_name("openrouter", "http://127.0.0.1:8080/v1");
        assert!(a.starts_with("models-openrouter-") && a.ends_with(".json"));
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            a,
            cache_file_name("openrouter", "https://openrouter.ai/api/v1/")
        );
    }
}
