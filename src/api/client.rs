//! The HTTP client: sends a chat request, retries what may be retried, and
//! returns the answer as a stream of `StreamEvent`s.
//!
//! Retries happen only before the first byte of an answer: on 408, a 429 that
//! is not a daily limit, 5xx, and connection failures. A per-day limit, any
//! other 4xx and a half-received answer are never retried. A connect timeout
//! bounds connecting, an idle timeout bounds the silence between bytes
//! (keep-alive comments count). Dropping the returned stream aborts the
//! request, which closes the connection.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;

use super::body::{
    BodyKind, MAX_BODY_BYTES, MAX_ERROR_BYTES, collect_at_most, parse_response, sniff, too_large,
};
use super::error::{ApiError, RateHeaders};
use super::provider::Provider;
use super::sse::{StreamEvent, decode};
use super::types::ChatRequest;
use crate::api::key::{ApiKey, KeyShield};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first try.
    pub max_retries: u32,
    /// First backoff; doubled each retry, with ±25% jitter.
    pub base: Duration,
    /// No single wait is longer than this.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base: Duration::from_millis(500),
            max_wait: Duration::from_secs(65),
        }
    }
}

impl RetryPolicy {
    /// How long to wait before retry number `attempt` (0-based) after `err`.
    pub fn wait(&self, attempt: u32, err: &ApiError) -> Duration {
        let d = match err {
            ApiError::RateLimited(r) => r.wait(now_ms()),
            _ => {
                let exp = self.base.saturating_mul(1 << attempt.min(16));
                let jitter = 0.75 + fastrand::f64() * 0.5;
                exp.mul_f64(jitter)
            }
        };
        d.min(self.max_wait)
    }
}

/// The host, when `url` is plain http to a host other than this machine and
/// that is not allowed. Parsed as reqwest parses it: `HTTP://`,
/// `127.0.0.1@host` and `127.0.0.1.host` must not pass for loopback. An
/// unparseable URL is never sent anywhere, so it passes.
pub fn insecure_host(url: &str, allow: bool) -> Option<String> {
    if allow {
        return None;
    }
    let url = reqwest::Url::parse(url).ok()?;
    if url.scheme() != "http" {
        return None;
    }
    let host = url.host_str().unwrap_or("").to_string();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (!loopback).then_some(host)
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub provider: Provider,
    pub key: Option<ApiKey>,
    pub connect_timeout: Duration,
    /// Longest silence allowed between bytes, and before the response headers.
    pub idle_timeout: Duration,
    pub retry: RetryPolicy,
    /// Allow sending a key over plain http to a host that is not loopback.
    pub allow_insecure_http: bool,
}

impl ClientConfig {
    pub fn new(provider: Provider, key: Option<ApiKey>) -> Self {
        ClientConfig {
            provider,
            key,
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            allow_insecure_http: false,
        }
    }
}

#[derive(Clone)]
pub struct ChatClient {
    /// Built at the first request, not before the first frame: setting up
    /// TLS reads and parses the system's CA certificates (a few ms of
    /// start-up, BENCHMARKS.md "One token an event").
    http: std::sync::Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
    cfg: ClientConfig,
}

/// rustls needs one process-wide crypto provider; orchat uses ring.
fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl ChatClient {
    /// A client for `cfg`. Never fails now: if HTTP cannot be set up, each
    /// request fails at once (`ApiError::Refused`, not retried) saying why.
    pub fn new(cfg: ClientConfig) -> Result<ChatClient, ApiError> {
        Ok(ChatClient {
            http: Default::default(),
            cfg,
        })
    }

    /// The HTTP client, built on first use.
    fn http(&self) -> Result<&reqwest::Client, ApiError> {
        self.http
            .get_or_init(|| {
                install_crypto();
                reqwest::Client::builder()
                    .connect_timeout(self.cfg.connect_timeout)
                    // A redirect would send the conversation, and headers
                    // such as `X-Api-Key`, to a host nobody chose: refused,
                    // and said (`redirected`).
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("orchat/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| format!("cannot set up HTTP: {e}"))
            })
            .as_ref()
            .map_err(|e| ApiError::Refused(e.clone()))
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// Sends `req` (streaming or not, as `req.stream` says) and returns its
    /// events, read on a task of their own.
    pub fn send(&self, req: ChatRequest) -> EventStream {
        let (tx, rx) = mpsc::unbounded_channel();
        let client = self.clone();
        let task =
            tokio::spawn(async move { client.stream_to(req, &mut |ev| tx.send(ev).is_ok()).await });
        EventStream {
            rx,
            task: task.abort_handle(),
        }
    }

    /// Sends `req` and collects every event (for one-shot `--json` and tests).
    pub async fn send_collect(&self, req: ChatRequest) -> Vec<Result<StreamEvent, ApiError>> {
        self.send(req).collect().await
    }

    /// Refuses to send a key in the clear to anything but this machine.
    fn check_transport(&self) -> Result<(), ApiError> {
        if self.cfg.key.is_none() || self.cfg.allow_insecure_http {
            return Ok(());
        }
        match insecure_host(&self.cfg.provider.base_url, false) {
            None => Ok(()),
            Some(host) => Err(ApiError::Refused(format!(
                "not sending the API key over plain http to {host}; use https, or allow it in the config (allow_insecure_http)"
            ))),
        }
    }

    /// Sends `req` and hands each event to `sink` on the calling task, in
    /// order, until the answer ends or `sink` returns false (its receiver is
    /// gone). The app's per-request task uses this: one task and one channel
    /// between the network and the app, not two.
    pub async fn stream_to(&self, req: ChatRequest, sink: &mut Sink<'_>) {
        if let Err(e) = self.check_transport() {
            sink(Err(e));
            return;
        }
        let streaming = req.stream;
        let body = match serde_json::to_vec(&self.cfg.provider.adapt(req)) {
            Ok(b) => Bytes::from(b),
            Err(e) => {
                sink(Err(ApiError::Decode(e.to_string())));
                return;
            }
        };
        let mut attempt = 0u32;
        loop {
            let outcome = self.attempt(body.clone(), streaming, sink).await;
            match outcome {
                Attempt::Finished => return,
                Attempt::Failed(e) if e.is_retryable() && attempt < self.cfg.retry.max_retries => {
                    let wait = self.cfg.retry.wait(attempt, &e);
                    attempt += 1;
                    tracing::info!(attempt, ?wait, error = %e, "retrying");
                    let notice = StreamEvent::Retrying {
                        attempt,
                        wait,
                        reason: e,
                    };
                    if !sink(Ok(notice)) {
                        return;
                    }
                    tokio::time::sleep(wait).await;
                }
                Attempt::Failed(e) | Attempt::Final(e) => {
                    tracing::warn!(error = %e, kind = e.kind(), "request failed");
                    sink(Err(e));
                    return;
                }
            }
        }
    }

    /// One try. Fails (possibly retryably) only while no byte of the answer
    /// has arrived; once one has, every outcome is final and forwarded.
    async fn attempt(&self, body: Bytes, streaming: bool, sink: &mut Sink<'_>) -> Attempt {
        let p = &self.cfg.provider;
        let http = match self.http() {
            Ok(h) => h,
            Err(e) => return Attempt::Failed(e),
        };
        // Asked uncompressed: a compressing proxy may hold back a stream's
        // events to fill its blocks. A server that compresses anyway is
        // decoded all the same (gzip, br, deflate, zstd), event by event.
        let mut rb = http
            .post(p.chat_url())
            .header("content-type", "application/json")
            .header("accept-encoding", "identity")
            .body(body);
        if let Some(k) = &self.cfg.key {
            rb = rb.bearer_auth(k.expose());
        }
        for (k, v) in p.attribution() {
            rb = rb.header(*k, *v);
        }
        for (k, v) in &p.extra_headers {
            rb = rb.header(k, v);
        }
        let idle = self.cfg.idle_timeout;
        let resp = match tokio::time::timeout(idle, rb.send()).await {
            // It took the request and said nothing for the whole idle
            // timeout: asking again would only wait as long again (four
            // tries were eight minutes), so this is final.
            Err(_) => {
                return Attempt::Final(ApiError::Timeout(format!(
                    "the server took the request and sent nothing for {}s",
                    idle.as_secs()
                )));
            }
            Ok(Err(e)) => return Attempt::Failed(self.transport_error(e)),
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        if let Some(e) = redirected(&resp) {
            return Attempt::Failed(e);
        }
        if !(200..300).contains(&status) {
            let headers = RateHeaders::from_map(resp.headers());
            // Its first megabyte says what it has to say.
            let body = idle_guarded(resp.bytes_stream(), idle, self.cfg.key.clone());
            let text =
                String::from_utf8_lossy(&read_prefix(body, MAX_ERROR_BYTES).await).into_owned();
            let text = crate::api::key::scrub(&text, self.cfg.key.as_ref());
            return Attempt::Failed(ApiError::from_response(status, &headers, &text));
        }
        let declared = resp.content_length();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = idle_guarded(resp.bytes_stream(), idle, self.cfg.key.clone());
        // Whitespace before the first real byte is padding, not the answer: a
        // drop or stall until then is still retryable.
        let sniffed = match sniff(content_type.as_deref(), bytes).await {
            Ok(Some(s)) => s,
            // The body ended cleanly with nothing in it.
            Ok(None) => return Attempt::Final(ApiError::EmptyBody),
            Err(e) => return Attempt::Failed(e),
        };
        tracing::debug!(kind = ?sniffed.kind, streaming, "reading the body");
        match sniffed.kind {
            BodyKind::EventStream => {
                let mut events = decode(sniffed.body);
                let mut shield = KeyShield::new(self.cfg.key.as_ref());
                let mut any = false;
                while let Some(ev) = events.next().await {
                    // Nothing but keep-alives, then a clean end: empty.
                    if !any && matches!(ev, Ok(StreamEvent::Truncated)) {
                        return Attempt::Final(ApiError::EmptyBody);
                    }
                    any = true;
                    let listening = match ev {
                        Ok(e) => self.shielded(&mut shield, e, sink),
                        Err(e) => flush(&mut shield, sink) && sink(Err(e)),
                    };
                    if !listening {
                        return Attempt::Finished; // The receiver stopped listening.
                    }
                }
                flush(&mut shield, sink);
            }
            BodyKind::Json => {
                // Read whole, so bounded: refused at once when it says it is
                // larger, else when it turns out to be.
                if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
                    sink(Err(too_large(MAX_BODY_BYTES)));
                    return Attempt::Finished;
                }
                let all = match collect_at_most(sniffed.body, MAX_BODY_BYTES).await {
                    Ok(all) => all,
                    Err(e) => {
                        // Part of an answer came: never retried.
                        sink(Err(e));
                        return Attempt::Finished;
                    }
                };
                match parse_response(&all) {
                    Ok(evs) => {
                        let mut shield = KeyShield::new(self.cfg.key.as_ref());
                        for ev in evs {
                            if !self.shielded(&mut shield, ev, sink) {
                                break;
                            }
                        }
                        flush(&mut shield, sink);
                    }
                    // An error object under HTTP 200 is an HTTP error in all
                    // but name: retried as one would be. It may echo the key.
                    Err(e) => {
                        let text = String::from_utf8_lossy(&all);
                        let clean = crate::api::key::scrub(&text, self.cfg.key.as_ref());
                        return Attempt::Failed(
                            parse_response(clean.as_bytes()).err().unwrap_or(e),
                        );
                    }
                }
            }
        }
        Attempt::Finished
    }

    /// `GET /models`: the provider's live model list, as the raw body.
    pub async fn fetch_models(&self) -> Result<String, ApiError> {
        self.get("models").await
    }

    /// `GET <base URL>/<path>` with the key: the body of a 200, else the
    /// typed error (a 404 is `ApiError::NotFound`).
    pub async fn get(&self, path: &str) -> Result<String, ApiError> {
        let url = format!("{}/{path}", self.cfg.provider.base_url);
        self.get_url(&url, path).await
    }

    /// `GET <the server's root>/<path>` (the base URL without its `/v1`):
    /// llama-server's `/props`, say.
    pub async fn get_root(&self, path: &str) -> Result<String, ApiError> {
        let base = &self.cfg.provider.base_url;
        let root = base.strip_suffix("/v1").unwrap_or(base);
        self.get_url(&format!("{root}/{path}"), path).await
    }

    async fn get_url(&self, url: &str, path: &str) -> Result<String, ApiError> {
        self.check_transport()?;
        let mut rb = self.http()?.get(url);
        if let Some(k) = &self.cfg.key {
            rb = rb.bearer_auth(k.expose());
        }
        let idle = self.cfg.idle_timeout;
        let resp = tokio::time::timeout(idle, rb.send())
            .await
            .map_err(|_| {
                ApiError::Timeout(format!("no answer to {path} within {}s", idle.as_secs()))
            })?
            .map_err(|e| self.transport_error(e))?;
        if let Some(e) = redirected(&resp) {
            return Err(e);
        }
        let status = resp.status().as_u16();
        let headers = RateHeaders::from_map(resp.headers());
        let stream = idle_guarded(resp.bytes_stream(), idle, self.cfg.key.clone());
        let body = if status == 200 {
            collect_at_most(stream, MAX_GET_BYTES).await?
        } else {
            read_prefix(stream, MAX_ERROR_BYTES).await
        };
        let body = String::from_utf8_lossy(&body).into_owned();
        let body = crate::api::key::scrub(&body, self.cfg.key.as_ref());
        if status != 200 {
            return Err(ApiError::from_response(status, &headers, &body));
        }
        Ok(body)
    }

    fn transport_error(&self, e: reqwest::Error) -> ApiError {
        transport_error(e, self.cfg.key.as_ref())
    }

    /// Hands `ev` to `sink` with the key hidden wherever the server echoed
    /// it, in errors and notes, or in the answer's text split across deltas.
    fn shielded(
        &self,
        shield: &mut Option<KeyShield>,
        ev: StreamEvent,
        sink: &mut Sink<'_>,
    ) -> bool {
        let ev = scrub_event(ev, self.cfg.key.as_ref());
        match shield {
            Some(s) => s.pass(ev, &mut |e| sink(Ok(e))),
            None => sink(Ok(ev)),
        }
    }
}

/// Lets text a `KeyShield` held back go to `sink`.
fn flush(shield: &mut Option<KeyShield>, sink: &mut Sink<'_>) -> bool {
    shield
        .as_mut()
        .is_none_or(|s| s.flush(&mut |e| sink(Ok(e))))
}

fn transport_error(e: reqwest::Error, key: Option<&ApiKey>) -> ApiError {
    // reqwest's Display names the URL only; the source chain says why.
    let mut msg = e.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    let msg = crate::api::key::scrub(&msg, key);
    // TLS spoken to a server that answers in plain HTTP: its first bytes
    // ("HTTP/1.1 400…") are no TLS record. Trying again cannot help.
    if msg.contains("InvalidContentType") || msg.contains("corrupt message") {
        let at = e
            .url()
            .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
            .unwrap_or_else(|| "that address".into());
        return ApiError::Refused(format!(
            "the server at {at} does not speak TLS; try http:// instead of https://"
        ));
    }
    if e.is_timeout() {
        ApiError::Timeout(msg)
    } else if e.is_connect() {
        ApiError::Network(format!("cannot connect: {msg}"))
    } else {
        ApiError::Network(msg)
    }
}

/// A redirect, refused: orchat sends the conversation only where the user
/// pointed it. Names the host it was sent to, so the user can choose it.
fn redirected(resp: &reqwest::Response) -> Option<ApiError> {
    if !resp.status().is_redirection() {
        return None;
    }
    let to = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let host = reqwest::Url::parse(to)
        .or_else(|_| resp.url().join(to))
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| "another address".into());
    Some(ApiError::Refused(format!(
        "the server redirected to {} ({}); orchat does not follow redirects: if you trust it, use --base-url with that address",
        crate::text::sanitize(&host),
        resp.status().as_u16()
    )))
}

/// The largest body of a `GET` (the model list is about 1 MB).
const MAX_GET_BYTES: usize = 32 << 20;

/// The first `limit` bytes of a body (an error's words); the rest is not
/// read. A body that breaks off gives what came.
async fn read_prefix(mut body: Body, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(Ok(b)) = body.next().await {
        let room = limit - out.len();
        out.extend_from_slice(&b[..b.len().min(room)]);
        if out.len() >= limit {
            break;
        }
    }
    out
}

enum Attempt {
    Finished,
    /// Failed before any answer; retried when the error says it may help.
    Failed(ApiError),
    /// Failed in a way no retry helps, whatever the kind of error.
    Final(ApiError),
}

type Body = Pin<Box<dyn Stream<Item = Result<Bytes, ApiError>> + Send>>;

/// The body as a stream that fails with `Timeout` after `idle` without a byte.
fn idle_guarded<S>(body: S, idle: Duration, key: Option<ApiKey>) -> Body
where
    S: Stream<Item = Result<Bytes, reqwest::Error>> + Send + 'static,
{
    let now = tokio::time::Instant::now();
    Box::pin(IdleGuarded {
        body: Box::pin(body),
        timer: Box::pin(tokio::time::sleep_until(now + idle)),
        idle,
        last_byte: now,
        failed: false,
        key,
    })
}

/// See `idle_guarded`. One timer for the whole body, re-armed only when it
/// fires early (a byte came since it was set): a read costs a clock read,
/// not a timer set and cancelled per network chunk.
struct IdleGuarded<S> {
    body: Pin<Box<S>>,
    timer: Pin<Box<tokio::time::Sleep>>,
    idle: Duration,
    last_byte: tokio::time::Instant,
    failed: bool,
    key: Option<ApiKey>,
}

impl<S> Stream for IdleGuarded<S>
where
    S: Stream<Item = Result<Bytes, reqwest::Error>>,
{
    type Item = Result<Bytes, ApiError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        match this.body.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(b))) => {
                this.last_byte = tokio::time::Instant::now();
                Poll::Ready(Some(Ok(b)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.failed = true;
                // hyper's words ("unexpected EOF during chunk size line")
                // go to the log; the user reads what happened.
                let err = match transport_error(e, this.key.as_ref()) {
                    ApiError::Network(m) => {
                        tracing::info!(error = %m, "the body broke off");
                        ApiError::Network(
                            "the connection closed in the middle of the answer".into(),
                        )
                    }
                    other => other,
                };
                Poll::Ready(Some(Err(err)))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => loop {
                if this.timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                let due = this.last_byte + this.idle;
                if tokio::time::Instant::now() >= due {
                    this.failed = true;
                    return Poll::Ready(Some(Err(ApiError::Timeout(format!(
                        "no data for {}s; the answer stalled",
                        this.idle.as_secs()
                    )))));
                }
                this.timer.as_mut().reset(due);
            },
        }
    }
}

/// An error or a malformed line in the stream can echo the request back:
/// the key never leaves the client in one.
fn scrub_event(ev: StreamEvent, key: Option<&crate::api::key::ApiKey>) -> StreamEvent {
    let Some(key) = key else { return ev };
    match ev {
        StreamEvent::ProviderError(mut e) => {
            e.message = crate::api::key::scrub(&e.message, Some(key));
            if let Some(meta) = &e.metadata {
                let text = meta.to_string();
                let clean = crate::api::key::scrub(&text, Some(key));
                if clean != text {
                    e.metadata = serde_json::from_str(&clean).ok();
                }
            }
            StreamEvent::ProviderError(e)
        }
        StreamEvent::Malformed(why) => {
            StreamEvent::Malformed(crate::api::key::scrub(&why, Some(key)))
        }
        ev => ev,
    }
}

/// Where `stream_to` hands each event; false: stop, nobody is listening.
pub type Sink<'a> = dyn FnMut(Result<StreamEvent, ApiError>) -> bool + Send + 'a;

/// The events of one request. Dropping it aborts the request.
pub struct EventStream {
    rx: mpsc::UnboundedReceiver<Result<StreamEvent, ApiError>>,
    task: tokio::task::AbortHandle,
}

impl Stream for EventStream {
    type Item = Result<StreamEvent, ApiError>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_the_client_config_hides_the_key() {
        let cfg = ClientConfig::new(
            Provider::openrouter(),
            ApiKey::new("sk-or-v1-SENTINEL-debug"),
        );
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("SENTINEL"), "{shown}");
        assert!(shown.contains("redacted"));
    }
}
