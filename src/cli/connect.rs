//! Decides where requests go: a provider with its key, any OpenAI-compatible
//! base URL, or (with no key, or `--demo`) the built-in local server.

use crate::api::key::ApiKey;
use crate::api::{ChatClient, ClientConfig, Provider};
use crate::chat::catalog::Catalog;
use crate::cli::Cli;
use crate::config::Config;
use crate::server::{ServerHandle, ServerOptions};

pub struct Connection {
    pub client: ChatClient,
    pub catalog: Catalog,
    /// The model to start with: the one chosen, else (a plain server) the
    /// server's own (its only one, or the first it lists).
    pub model: String,
    /// The local server, in demo mode; dropping it stops the server.
    pub demo: Option<ServerHandle>,
    /// Why demo mode is on, when it is.
    pub demo_reason: Option<String>,
}

impl Connection {
    pub fn provider_label(&self) -> String {
        if self.demo.is_some() {
            "demo".to_string()
        } else {
            self.client.config().provider.name.clone()
        }
    }
}

/// The key and where it came from, from the first of: --api-key-file,
/// --api-key-env, the provider's key variable, the system keyring, the
/// config's `api_key_cmd`. `Ok(None)`: no key anywhere.
pub fn resolve_key(
    cli: &Cli,
    cfg: &Config,
    provider_name: &str,
    provider: &Provider,
    keyring: &dyn crate::config::keyring::KeyStore,
) -> Result<Option<(ApiKey, String)>, String> {
    if let Some(path) = &cli.api_key_file {
        return key_file(path).map(|k| Some((k, "--api-key-file".to_string())));
    }
    if let Some(var) = &cli.api_key_env {
        let value = std::env::var_os(var).unwrap_or_default();
        let key = ApiKey::parse(&value.to_string_lossy(), var)?
            .ok_or_else(|| format!("the environment variable {var} is not set"))?;
        return Ok(Some((key, var.clone())));
    }
    // The provider's variable (a configured provider's, or the built-in one's).
    let p = cfg
        .provider_for(provider_name)
        .unwrap_or_else(|_| provider.clone());
    if let Some(k) = p.key_from_env()? {
        return Ok(Some((k, p.key_env.clone().unwrap_or_default())));
    }
    // The keyring: a service that is not running finds nothing.
    let entry = if provider_name.is_empty() {
        "custom"
    } else {
        provider_name
    };
    match keyring.get(entry) {
        Ok(Some(k)) => {
            let key =
                ApiKey::parse(&k, "the keyring's key")?.ok_or("the keyring's key is empty")?;
            return Ok(Some((key, "the system keyring".to_string())));
        }
        Ok(None) => {}
        Err(e) => tracing::info!("keyring: {e}"),
    }
    if cfg.providers.contains_key(provider_name) {
        return cfg.resolve_key(provider_name);
    }
    Ok(None)
}

/// The most of a key file read: a key is one short line (`/dev/zero` or a
/// disk image given by mistake reads this much, not all of it).
const KEY_FILE_LIMIT: u64 = 16 << 10;

/// The key on the first line of `path`, checked.
pub fn key_file(path: &std::path::Path) -> Result<ApiKey, String> {
    let shown = path.display();
    let bytes = match crate::paths::read_file_at_most(path, KEY_FILE_LIMIT) {
        Ok(b) => b,
        Err(crate::paths::ReadError::TooLarge(_)) => {
            return Err(format!(
                "the key file {shown} is larger than {}: that is not a key",
                crate::paths::human_size(KEY_FILE_LIMIT)
            ));
        }
        Err(e) => return Err(format!("cannot read the key file {shown}: {e}")),
    };
    let text = String::from_utf8_lossy(&bytes);
    ApiKey::parse(text.lines().next().unwrap_or(""), &shown.to_string())?
        .ok_or_else(|| format!("the key file {shown} is empty"))
}

/// A plain server's own models: its `/models` (with or without a key),
/// else the list cached from it, else none; with llama-server's running
/// context window (`/props`) when it says one. Each wait is bounded.
async fn own_catalog(client: &ChatClient, cache: Option<&std::path::Path>) -> Catalog {
    use std::time::Duration;
    // Asked together, within three seconds in all: a server that says
    // nothing costs that at start, once.
    let patience = Duration::from_secs(3);
    let (listed, props) = tokio::join!(
        tokio::time::timeout(patience, crate::chat::catalog::refresh(client, cache)),
        tokio::time::timeout(patience, client.get_root("props")),
    );
    let catalog = listed
        .ok()
        .flatten()
        .unwrap_or_else(|| Catalog::load_own(cache));
    let n_ctx = match props {
        Ok(Ok(body)) => serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.pointer("/default_generation_settings/n_ctx")?.as_u64()),
        _ => None,
    };
    match n_ctx {
        Some(n) => catalog.with_runtime_context(n),
        None => catalog,
    }
}

/// Where requests go, from the flags and the merged configuration.
pub async fn connect(cli: &Cli, cfg: &Config) -> Result<Connection, String> {
    let (provider, key, demo_reason) = if cli.demo {
        (None, None, Some("--demo".to_string()))
    } else if let Some(url) = &cli.base_url {
        // `--provider NAME --base-url URL` is that provider at another
        // address (a proxy, a mirror, the local server): its key variable,
        // dialect, errors and accounting. `--base-url` alone is a plain
        // OpenAI-compatible server. Either way a URL given is used, key or
        // not (a local server needs none).
        let (name, mut p) = match &cli.provider {
            Some(name) => (name.clone(), cfg.provider_for(name)?),
            None => (String::new(), Provider::custom(url)),
        };
        p.base_url = url.trim_end_matches('/').to_string();
        let key = resolve_key(cli, cfg, &name, &p, &crate::config::keyring::SystemKeyring)?
            .map(|(k, _)| k);
        (Some(p), key, None)
    } else {
        let name = cfg.provider.clone();
        let p = cfg.provider_for(&name)?;
        match resolve_key(cli, cfg, &name, &p, &crate::config::keyring::SystemKeyring)?
            .map(|(k, _)| k)
        {
            Some(k) => (Some(p), Some(k), None),
            // A local server (llama.cpp, Ollama) needs no key.
            None if p.kind == crate::api::ProviderKind::Custom => (Some(p), None, None),
            None => {
                let var = p.key_env.clone().unwrap_or_default();
                (None, None, Some(format!("no API key ({var} is not set)")))
            }
        }
    };
    let (provider, demo) = match provider {
        Some(p) => (p, None),
        None => {
            let server = crate::server::start(ServerOptions::demo())
                .await
                .map_err(|e| format!("cannot start the local demo server: {e}"))?;
            // The local server speaks OpenRouter's dialect, reasoning included.
            let mut p = Provider::openrouter();
            p.base_url = server.base_url();
            p.name = "demo".into();
            (p, Some(server))
        }
    };
    let own = demo.is_none() && provider.kind == crate::api::ProviderKind::Custom;
    let cache = crate::chat::catalog::cache_for(cfg.cache_dir().as_deref(), &provider);
    let mut client_cfg = ClientConfig::new(provider, key);
    client_cfg.allow_insecure_http = cfg.allow_insecure_http;
    client_cfg.idle_timeout = std::time::Duration::from_secs(cfg.idle_timeout.max(1));
    if demo.is_some() {
        client_cfg.key = None;
    }
    let client = ChatClient::new(client_cfg).map_err(|e| e.to_string())?;
    // The provider's own cached list (the bundled one until it has one); the
    // local demo server serves the bundled catalog; a plain server is asked
    // for its own list now (it is near, and its models are nobody else's).
    let catalog = match demo {
        Some(_) => Catalog::bundled(),
        None if own => own_catalog(&client, cache.as_deref()).await,
        None => Catalog::load(cache.as_deref()),
    };
    // A plain server answers with its own model whatever is asked: unless a
    // model was chosen, it is the one orchat names and prices.
    let model = match catalog.models.first() {
        Some(first) if own && !cfg.model_chosen && catalog.get(&cfg.model).is_none() => {
            first.id.clone()
        }
        _ => cfg.model.clone(),
    };
    Ok(Connection {
        client,
        catalog,
        model,
        demo,
        demo_reason,
    })
}

/// Why `--web` cannot be honoured here: only OpenRouter searches the web
/// (PROTOCOL-MEDIA.md §5.1). `None` when it can, or was not asked.
pub fn web_refused(cli: &Cli, conn: &Connection) -> Option<String> {
    let p = &conn.client.config().provider;
    (cli.web && p.kind != crate::api::ProviderKind::OpenRouter).then(|| {
        format!(
            "{} has no web search; --web needs OpenRouter (nothing was sent)",
            p.name
        )
    })
}
