//! `orchat doctor`: checks the setup, one line per check, each starting with
//! `ok`, `warn` or `fail`:
//!
//! ```text
//! ok config: /home/me/.config/orchat/config.toml is valid
//! ok key: from OPENROUTER_API_KEY
//! ok key accepted: $0.42 used, $9.58 left (limit $10) · free tier: no
//! ok reachable: https://openrouter.ai/api/v1/models answered HTTP 200 in 180 ms
//! ```
//!
//! Public API:
//! - [`run`]`(client: &ClientConfig, key_source: Option<&str>, config_report:
//!   Result<String, String>, out) -> i32`: 0 when nothing failed, else 1.
//!   `client` carries the provider, the key, the connect timeout and
//!   `allow_insecure_http` (use `Connection::client.config()` or
//!   `ClientConfig::new(provider, key)`); `key_source` says where the key came
//!   from (`"OPENROUTER_API_KEY"`, `"api_key_cmd"`, `"--api-key-file"`), default:
//!   the provider's key variable; `config_report` is
//!   [`crate::config::doctor_report`].
//!
//! The key is never printed, only where it came from. OpenRouter's `GET /key`
//! says how much credit is used and left and whether the account is on the
//! free tier; other providers have no such endpoint, so that check is skipped.
//! Reachability is `GET /models` without the key (any HTTP answer counts).

use std::io::Write;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::api::client::insecure_host;
use crate::api::error::RateHeaders;
use crate::api::key::{ApiKey, scrub};
use crate::api::types::WireDecimal;
use crate::api::{ApiError, ClientConfig, ProviderKind};

/// The longest any one check may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    Warn,
    Fail,
}

struct Report<'a> {
    out: &'a mut dyn Write,
    failed: bool,
}

impl Report<'_> {
    fn line(&mut self, status: Status, text: &str) {
        let word = match status {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        };
        if status == Status::Fail {
            self.failed = true;
        }
        // One line per check, whatever the text holds.
        let text = text.replace(['\n', '\r'], " ");
        let _ = writeln!(self.out, "{word} {text}");
    }
}

/// Runs every check; see the module docs.
pub async fn run(
    client: &ClientConfig,
    key_source: Option<&str>,
    config_report: Result<String, String>,
    sessions_db: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> i32 {
    let mut r = Report { out, failed: false };
    match config_report {
        Ok(s) => r.line(Status::Ok, &format!("config: {s}")),
        Err(e) => r.line(Status::Fail, &format!("config: {e}")),
    }

    let p = &client.provider;
    let key = client.key.as_ref();
    let var = p
        .key_env
        .clone()
        .unwrap_or_else(|| "the key variable".into());
    match key {
        Some(_) => {
            let from = key_source.map_or_else(|| var.clone(), str::to_string);
            r.line(Status::Ok, &format!("key: from {from}"));
        }
        None if p.kind == ProviderKind::Custom => {
            r.line(Status::Ok, "key: none (optional for this server)");
        }
        None => r.line(
            Status::Fail,
            &format!("key: none; set {var} (without a key orchat runs in demo mode)"),
        ),
    }

    let http = match http_client(client) {
        Ok(h) => h,
        Err(e) => {
            r.line(Status::Fail, &format!("cannot set up HTTP: {e}"));
            return 1;
        }
    };

    let from = key_source.map_or_else(|| var.clone(), str::to_string);
    match (key, p.kind) {
        (Some(k), ProviderKind::OpenRouter) => {
            let (status, text) = key_check(&http, client, k).await;
            r.line(status, &with_source(status, text, &from));
        }
        // Elsewhere the model list, asked with the key, tells a wrong key.
        (Some(k), _) => {
            let (status, text) = models_key_check(&http, client, k).await;
            r.line(status, &with_source(status, text, &from));
        }
        (None, _) => {}
    }

    let (status, text) = reach(&http, &p.models_url()).await;
    r.line(status, &text);

    let (status, text) = sessions_line(sessions_db);
    r.line(status, &text);

    i32::from(r.failed)
}

/// Where conversations are saved, and whether that works: readable,
/// writable, and sound by SQLite's quick check.
fn sessions_line(path: Option<&std::path::Path>) -> (Status, String) {
    use crate::store::Checkup;
    let Some(path) = path else {
        return (
            Status::Warn,
            "sessions: no data directory, so saving is off (set ORCHAT_DATA_DIR)".into(),
        );
    };
    let p = path.display();
    match crate::store::checkup(path) {
        Checkup::Missing => (Status::Ok, format!("sessions: none saved yet ({p})")),
        Checkup::Sound { conversations } => (
            Status::Ok,
            format!("sessions: {p} is sound (quick check), {conversations} conversations"),
        ),
        Checkup::ReadOnly {
            conversations,
            reason,
        } => (
            Status::Warn,
            format!(
                "sessions: {p} is read-only ({reason}): its {conversations} conversations can be read, new ones are not saved"
            ),
        ),
        Checkup::Damaged { detail } => (
            Status::Fail,
            format!(
                "sessions: {p} is damaged (quick check: {detail}); orchat will not write to it: move it aside to start afresh, or read what it can with orchat sessions export"
            ),
        ),
        Checkup::Unusable { reason } => (Status::Fail, format!("sessions: {reason}")),
    }
}

fn http_client(client: &ClientConfig) -> Result<reqwest::Client, String> {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .connect_timeout(client.connect_timeout.min(CHECK_TIMEOUT))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(CHECK_TIMEOUT)
        .user_agent(concat!("orchat/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

/// OpenRouter's `GET /key` body.
#[derive(Deserialize)]
struct KeyBody {
    data: KeyData,
}

#[derive(Deserialize)]
struct KeyData {
    #[serde(default)]
    limit: Option<WireDecimal>,
    #[serde(default)]
    usage: Option<WireDecimal>,
    #[serde(default)]
    limit_remaining: Option<WireDecimal>,
    #[serde(default)]
    is_free_tier: Option<bool>,
}

fn usd(d: &WireDecimal) -> String {
    format!("${}", d.0.normalize())
}

async fn key_check(
    http: &reqwest::Client,
    client: &ClientConfig,
    key: &ApiKey,
) -> (Status, String) {
    let url = format!("{}/key", client.provider.base_url);
    if let Some(host) = insecure_host(&url, client.allow_insecure_http) {
        return (
            Status::Fail,
            format!(
                "key check: not sending the key over plain http to {host}; use https, or allow_insecure_http in the config"
            ),
        );
    }
    let resp = match http.get(&url).bearer_auth(key.expose()).send().await {
        Ok(r) => r,
        Err(e) => {
            return (
                Status::Fail,
                format!(
                    "key check: cannot reach {url}: {}",
                    scrub(&reason(&e), Some(key))
                ),
            );
        }
    };
    let status = resp.status().as_u16();
    let headers = RateHeaders::from_map(resp.headers());
    let body = match resp.text().await {
        Ok(b) => b,
        Err(e) => {
            return (
                Status::Fail,
                format!(
                    "key check: the answer broke off: {}",
                    scrub(&reason(&e), Some(key))
                ),
            );
        }
    };
    let body = scrub(&body, Some(key));
    if status == 200 {
        return match serde_json::from_str::<KeyBody>(&body) {
            Ok(k) => {
                let d = k.data;
                let used = d.usage.as_ref().map_or("$0".into(), usd);
                let left = match (&d.limit_remaining, &d.limit) {
                    (Some(rem), Some(limit)) => format!("{} left (limit {})", usd(rem), usd(limit)),
                    (Some(rem), None) => format!("{} left", usd(rem)),
                    (None, Some(limit)) => format!("limit {}", usd(limit)),
                    (None, None) => "no limit".into(),
                };
                let free = match d.is_free_tier {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "unknown",
                };
                (
                    Status::Ok,
                    format!("key accepted: {used} used, {left} · free tier: {free}"),
                )
            }
            Err(e) => (
                Status::Warn,
                format!("key check: could not read the answer of GET /key: {e}"),
            ),
        };
    }
    let err = ApiError::from_response(status, &headers, &body);
    match err {
        ApiError::Auth { status, message } => (
            Status::Fail,
            format!("key rejected: {message} (HTTP {status}); check the key"),
        ),
        other => (Status::Warn, format!("key check: {other}")),
    }
}

/// A failed key check names where the key came from, so the user knows
/// which variable (or command, or file) to fix.
fn with_source(status: Status, text: String, from: &str) -> String {
    if status == Status::Fail {
        format!("{text}; the key came from {from}")
    } else {
        text
    }
}

/// `GET /models` with the key: a 401 or 403 is a key the provider refuses.
async fn models_key_check(
    http: &reqwest::Client,
    client: &ClientConfig,
    key: &ApiKey,
) -> (Status, String) {
    let url = client.provider.models_url();
    if let Some(host) = insecure_host(&url, client.allow_insecure_http) {
        return (
            Status::Fail,
            format!(
                "key check: not sending the key over plain http to {host}; use https, or allow_insecure_http in the config"
            ),
        );
    }
    let resp = match http.get(&url).bearer_auth(key.expose()).send().await {
        Ok(r) => r,
        Err(e) => {
            return (
                Status::Fail,
                format!(
                    "key check: cannot reach {url}: {}",
                    scrub(&reason(&e), Some(key))
                ),
            );
        }
    };
    let status = resp.status().as_u16();
    let headers = RateHeaders::from_map(resp.headers());
    let body = scrub(&resp.text().await.unwrap_or_default(), Some(key));
    match status {
        200 => (
            Status::Ok,
            format!(
                "key accepted: {} listed its models with it",
                client.provider.name
            ),
        ),
        401 | 403 => {
            let words = match ApiError::from_response(status, &headers, &body) {
                ApiError::Auth { message, .. } => message,
                other => other.to_string(),
            };
            (
                Status::Fail,
                format!("key rejected: {words} (HTTP {status}); check the key"),
            )
        }
        _ => (
            Status::Warn,
            format!("key check: GET /models answered HTTP {status}"),
        ),
    }
}

async fn reach(http: &reqwest::Client, url: &str) -> (Status, String) {
    let start = Instant::now();
    match http.get(url).send().await {
        Ok(resp) => {
            let ms = start.elapsed().as_millis();
            let code = resp.status();
            let status = if code.is_server_error() {
                Status::Warn
            } else {
                Status::Ok
            };
            (
                status,
                format!(
                    "reachable: {url} answered HTTP {} in {ms} ms",
                    code.as_u16()
                ),
            )
        }
        Err(e) => (Status::Fail, format!("cannot reach {url}: {}", reason(&e))),
    }
}

/// Why a request failed, briefly: the innermost cause ("Connection refused
/// (os error 111)", "failed to lookup address information: …").
fn reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no answer within {}s", CHECK_TIMEOUT.as_secs());
    }
    let mut last = e.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        last = s.to_string();
        src = s.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_machine() {
        assert_eq!(insecure_host("http://127.0.0.1:8080/v1/key", false), None);
        assert_eq!(insecure_host("http://[::1]:8080/v1/key", false), None);
        assert_eq!(insecure_host("https://example.com/v1/key", false), None);
        assert_eq!(
            insecure_host("http://127.0.0.1.evil.com/v1/key", false).as_deref(),
            Some("127.0.0.1.evil.com")
        );
        assert_eq!(insecure_host("http://example.com/v1/key", true), None);
    }
}
