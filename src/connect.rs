//! Decides where requests go: a provider with its key, any OpenAI-compatible
//! base URL, or (with no key, or `--demo`) the built-in local server.

use crate::api::{ChatClient, ClientConfig, Provider};
use crate::catalog::Catalog;
use crate::cli::Cli;
use crate::secret::ApiKey;
use crate::server::{ServerHandle, ServerOptions};

pub struct Connection {
    pub client: ChatClient,
    pub catalog: Catalog,
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

/// The key, from the first of: --api-key-file, --api-key-env, the provider's variable.
pub fn resolve_key(cli: &Cli, provider: &Provider) -> Result<Option<ApiKey>, String> {
    if let Some(path) = &cli.api_key_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the key file {}: {e}", path.display()))?;
        let key = ApiKey::new(text.lines().next().unwrap_or(""))
            .ok_or_else(|| format!("the key file {} is empty", path.display()))?;
        return Ok(Some(key));
    }
    if let Some(var) = &cli.api_key_env {
        let key = std::env::var(var)
            .ok()
            .and_then(ApiKey::new)
            .ok_or_else(|| format!("the environment variable {var} is not set"))?;
        return Ok(Some(key));
    }
    Ok(provider.key_from_env())
}

pub async fn connect(cli: &Cli) -> Result<Connection, String> {
    let catalog = Catalog::load(crate::catalog::cache_path().as_deref());
    let (provider, key, demo_reason) = if cli.demo {
        (None, None, Some("--demo".to_string()))
    } else if let Some(url) = &cli.base_url {
        let p = Provider::custom(url);
        let key = resolve_key(cli, &p)?;
        (Some(p), key, None)
    } else {
        let name = cli.provider.as_deref().unwrap_or("openrouter");
        let p = Provider::by_name(name).ok_or_else(|| {
            format!("unknown provider '{name}': use openrouter, aimlapi or google, or --base-url")
        })?;
        match resolve_key(cli, &p)? {
            Some(k) => (Some(p), Some(k), None),
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
    let mut cfg = ClientConfig::new(provider, key);
    if demo.is_some() {
        cfg.key = None;
    }
    let client = ChatClient::new(cfg).map_err(|e| e.to_string())?;
    Ok(Connection {
        client,
        catalog,
        demo,
        demo_reason,
    })
}
