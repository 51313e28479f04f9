//! The local OpenRouter-compatible server, in the same binary: `orchat --demo`
//! talks to it, and so do the tests and benchmarks. It listens on 127.0.0.1
//! only, on a port the OS picks.
//!
//! Routes: `GET /v1/models`, `POST /v1/chat/completions` (streaming and not),
//! `GET /v1/generation?id=`, `GET /v1/key`. Streams are written the way
//! PROTOCOL.md's transcripts are: keep-alive comments, the role in every chunk,
//! a finish chunk, a usage chunk with cost, then `[DONE]`.

pub mod answer;
pub mod faults;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;
use tokio::sync::mpsc;

use crate::api::types::{
    ChatRequest, CompletionTokensDetails, PromptTokensDetails, Usage, WireDecimal,
};
use crate::catalog::{Catalog, Model};
use crate::pricing::estimate_tokens;
use answer::Ask;
pub use faults::{Fault, Plan};

#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Content pieces per second; `None` streams as fast as possible.
    pub pace: Option<f64>,
    /// Words per content piece.
    pub words_per_piece: usize,
    /// `: OPENROUTER PROCESSING` comments before the first chunk.
    pub keep_alives: usize,
    /// Requests a minute each `:free` model allows.
    pub free_per_minute: usize,
    /// When set, requests must carry `Authorization: Bearer <this>`.
    pub require_key: Option<String>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            pace: None,
            words_per_piece: 3,
            keep_alives: 2,
            free_per_minute: 3,
            require_key: None,
        }
    }
}

impl ServerOptions {
    /// Demo mode: a human-friendly pace.
    pub fn demo() -> Self {
        ServerOptions {
            pace: Some(40.0),
            ..ServerOptions::default()
        }
    }
}

/// A request as the server received it, for tests to inspect.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: serde_json::Value,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
struct GenerationRecord {
    id: String,
    model: String,
    streamed: bool,
    tokens_prompt: u64,
    tokens_completion: u64,
    native_tokens_reasoning: u64,
    native_tokens_completion_images: u64,
    total_cost: WireDecimal,
    finish_reason: String,
    provider_name: String,
}

struct Shared {
    catalog: Catalog,
    opts: ServerOptions,
    faults: Mutex<VecDeque<Vec<Fault>>>,
    received: Mutex<Vec<Received>>,
    free_hits: Mutex<HashMap<String, VecDeque<Instant>>>,
    generations: Mutex<HashMap<String, GenerationRecord>>,
    counter: std::sync::atomic::AtomicU64,
}

/// A running server. Dropping it stops the server.
pub struct ServerHandle {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl ServerHandle {
    /// The base URL clients use: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Scripts the next request: it gets these faults.
    pub fn push_faults(&self, faults: Vec<Fault>) {
        self.shared.faults.lock().unwrap().push_back(faults);
    }

    pub fn push_fault(&self, fault: Fault) {
        self.push_faults(vec![fault]);
    }

    /// Every chat request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the server on 127.0.0.1 with a port the OS picks.
pub async fn start(opts: ServerOptions) -> std::io::Result<ServerHandle> {
    start_with(opts, Catalog::bundled()).await
}

pub async fn start_with(opts: ServerOptions, catalog: Catalog) -> std::io::Result<ServerHandle> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        catalog,
        opts,
        faults: Mutex::new(VecDeque::new()),
        received: Mutex::new(Vec::new()),
        free_hits: Mutex::new(HashMap::new()),
        generations: Mutex::new(HashMap::new()),
        counter: std::sync::atomic::AtomicU64::new(0),
    });
    let app = Router::new()
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat))
        .route("/v1/generation", get(generation))
        .route("/v1/key", get(key))
        // axum refuses bodies over 2 MB by default; a conversation carrying a
        // long answer or a 20 MB image (base64 in the JSON) is far larger, and
        // OpenRouter takes it.
        .layer(axum::extract::DefaultBodyLimit::max(256 * 1024 * 1024))
        .with_state(shared.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(ServerHandle { addr, shared, task })
}

async fn models(State(s): State<Arc<Shared>>) -> Response {
    let body = if s.catalog.source == crate::catalog::Source::Bundled {
        Catalog::bundled_json().to_string()
    } else {
        json!({"data": s.catalog.models.iter().map(|m| json!({"id": m.id, "name": m.name})).collect::<Vec<_>>()}).to_string()
    };
    ([("content-type", "application/json")], body).into_response()
}

async fn key(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(r) = check_auth(&s, &headers) {
        return r;
    }
    let usage: rust_decimal::Decimal = s
        .generations
        .lock()
        .unwrap()
        .values()
        .map(|g| g.total_cost.0)
        .sum();
    let body = format!(
        r#"{{"data":{{"label":"orchat-local","limit":null,"usage":{},"limit_remaining":null,"is_free_tier":true,"is_provisioning_key":false}}}}"#,
        usage.normalize()
    );
    ([("content-type", "application/json")], body).into_response()
}

#[derive(serde::Deserialize)]
struct GenQuery {
    id: String,
}

async fn generation(State(s): State<Arc<Shared>>, Query(q): Query<GenQuery>) -> Response {
    match s.generations.lock().unwrap().get(&q.id) {
        Some(g) => axum::Json(json!({ "data": g })).into_response(),
        None => error_response(404, "Generation not found", None, None),
    }
}

fn check_auth(s: &Shared, headers: &HeaderMap) -> Option<Response> {
    let want = s.opts.require_key.as_ref()?;
    let got = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match got {
        Some(k) if k == want => None,
        Some(_) => Some(error_response(401, "User not found.", None, None)),
        None => Some(error_response(401, "No auth credentials found", None, None)),
    }
}

fn error_response(
    status: u16,
    message: &str,
    metadata: Option<serde_json::Value>,
    extra_headers: Option<Vec<(&'static str, String)>>,
) -> Response {
    let mut err = json!({"code": status, "message": message});
    if let Some(m) = metadata {
        err["metadata"] = m;
    }
    let body = json!({"error": err, "user_id": "user_local"}).to_string();
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [("content-type", "application/json")],
        body,
    )
        .into_response();
    for (k, v) in extra_headers.unwrap_or_default() {
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

fn status_fault_response(f: &Fault, model: &str) -> Response {
    let now_ms = crate::api::client::now_ms();
    match f {
        Fault::Status(code) => {
            let (msg, meta) = match code {
                401 => ("No auth credentials found", None),
                402 => (
                    "Insufficient credits. Add more using https://openrouter.ai/credits",
                    None,
                ),
                403 => (
                    "Your input was flagged",
                    Some(
                        json!({"reasons": ["harassment"], "flagged_input": "…", "provider_name": "Local", "model_slug": model}),
                    ),
                ),
                404 => ("No endpoints found for this model.", None),
                408 => ("Request timed out", None),
                413 => ("Payload too large", None),
                500 => ("Internal Server Error", None),
                502 => (
                    "Provider returned error",
                    Some(
                        json!({"provider_name": "Local", "raw": "{\"error\":{\"message\":\"upstream model is overloaded\"}}"}),
                    ),
                ),
                503 => (
                    "No available providers satisfy the routing constraints",
                    None,
                ),
                _ => ("Scripted error", None),
            };
            error_response(*code, msg, meta, None)
        }
        Fault::RateLimitPerMinute { retry_after } => {
            let reset = now_ms + retry_after.unwrap_or(60) * 1000;
            let mut headers = vec![
                ("x-ratelimit-limit", "1".to_string()),
                ("x-ratelimit-remaining", "0".to_string()),
                ("x-ratelimit-reset", reset.to_string()),
            ];
            if let Some(s) = retry_after {
                headers.push(("retry-after", s.to_string()));
            }
            error_response(
                429,
                "Rate limit exceeded: free-models-per-min.",
                Some(
                    json!({"headers": {"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset.to_string()}, "provider_name": null}),
                ),
                Some(headers),
            )
        }
        Fault::RateLimitPerDay => error_response(
            429,
            "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day",
            Some(
                json!({"headers": {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": (now_ms + 86_400_000).to_string()}, "provider_name": null}),
            ),
            None,
        ),
        _ => error_response(
            429,
            "Provider returned error",
            Some(
                json!({"raw": format!("{model} is temporarily rate-limited upstream. Please retry shortly."), "provider_name": "Local"}),
            ),
            None,
        ),
    }
}

async fn chat(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    s.received.lock().unwrap().push(Received {
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
    });
    if let Some(r) = check_auth(&s, &headers) {
        return r;
    }
    let req: ChatRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error_response(400, &format!("Invalid request body: {e}"), None, None),
    };
    let Some(model) = s.catalog.get(&req.model).cloned() else {
        return error_response(
            404,
            &format!("No endpoints found for {}.", req.model),
            None,
            None,
        );
    };
    let ask = Ask::from_request(&req);
    let mut faults = s.faults.lock().unwrap().pop_front().unwrap_or_default();
    faults.extend(Fault::scan(&ask.prompt));
    let plan = Plan::from_faults(&faults);
    if let Some(f) = &plan.status {
        return status_fault_response(f, &model.id);
    }
    if model.id.ends_with(":free")
        && let Some(wait) = free_limit_hit(&s, &model.id)
    {
        return status_fault_response(
            &Fault::RateLimitPerMinute {
                retry_after: Some(wait),
            },
            &model.id,
        );
    }
    let n = s.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let created = crate::api::client::now_ms() / 1000;
    let id = format!("gen-{created}-local{n:06}");
    let reply = Reply::build(&s, &req, &model, &ask, &plan, id, created);
    if req.stream {
        stream_reply(s, reply, plan)
    } else {
        whole_reply(s, reply)
    }
}

/// A `:free` model allows `free_per_minute` requests a minute; past that, the
/// seconds until the oldest one ages out.
fn free_limit_hit(s: &Shared, model: &str) -> Option<u64> {
    let mut hits = s.free_hits.lock().unwrap();
    let q = hits.entry(model.to_string()).or_default();
    let now = Instant::now();
    while q
        .front()
        .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
    {
        q.pop_front();
    }
    if q.len() >= s.opts.free_per_minute {
        let oldest = *q.front()?;
        let left = Duration::from_secs(60).saturating_sub(now.duration_since(oldest));
        return Some(left.as_secs().max(1));
    }
    q.push_back(now);
    None
}

/// Everything one answer will say.
struct Reply {
    id: String,
    created: u64,
    model: String,
    reasoning: Vec<String>,
    content: Vec<String>,
    images: Vec<String>,
    usage: Usage,
}

impl Reply {
    fn build(
        s: &Shared,
        req: &ChatRequest,
        model: &Model,
        ask: &Ask,
        plan: &Plan,
        id: String,
        created: u64,
    ) -> Reply {
        let wpp = s.opts.words_per_piece;
        let mut text = answer::answer_text(ask, model.accepts_images());
        if let Some(n) = plan.long {
            text = long_text(n);
        }
        if plan.hostile {
            text = format!(
                "Hostile:\x1b[2J\x1b]52;c;aGFja2Vk\x07 \x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ \x1bP1$qm\x1b\\ \u{9b}31m red\r over\x08 \u{202E}desrever\u{202C} end\n{text}"
            );
        }
        let mut content = answer::pieces(&text, wpp);
        if let Some(n) = plan.huge {
            content.insert(0, "x".repeat(n));
        }
        let wants_reasoning = req
            .reasoning
            .as_ref()
            .is_some_and(|r| r.exclude != Some(true))
            || (model.thinking_mandatory()
                && req
                    .reasoning
                    .as_ref()
                    .is_none_or(|r| r.exclude != Some(true)));
        let reasoning_text = if wants_reasoning {
            answer::reasoning_text(ask)
        } else {
            String::new()
        };
        let reasoning = if wants_reasoning {
            answer::pieces(&reasoning_text, wpp)
        } else {
            Vec::new()
        };
        let images = if model.outputs_images() {
            let (png, _, _) = answer::make_png(ask);
            vec![answer::png_data_url(&png)]
        } else {
            Vec::new()
        };
        let image_tokens = images.len() as u64 * crate::pricing::IMAGE_OUTPUT_TOKENS;
        let reasoning_tokens = estimate_tokens(&reasoning_text);
        let prompt_tokens = estimate_tokens(&ask.prompt_text_all) + 258 * ask.images_in;
        let completion_tokens =
            estimate_tokens(&content.concat()) + reasoning_tokens + image_tokens;
        let mut usage = Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
            cost: None,
            prompt_tokens_details: Some(PromptTokensDetails { cached_tokens: 0 }),
            completion_tokens_details: Some(CompletionTokensDetails {
                reasoning_tokens,
                image_tokens,
            }),
        };
        usage.cost = Some(WireDecimal(model.pricing.compute(&usage, ask.images_in)));
        Reply {
            id,
            created,
            model: model.id.clone(),
            reasoning,
            content,
            images,
            usage,
        }
    }

    fn record(&self, s: &Shared, streamed: bool) {
        s.generations.lock().unwrap().insert(
            self.id.clone(),
            GenerationRecord {
                id: self.id.clone(),
                model: self.model.clone(),
                streamed,
                tokens_prompt: self.usage.prompt_tokens,
                tokens_completion: self.usage.completion_tokens,
                native_tokens_reasoning: self.usage.reasoning_tokens(),
                native_tokens_completion_images: self.usage.image_tokens(),
                total_cost: self.usage.cost.unwrap_or(WireDecimal(Default::default())),
                finish_reason: "stop".into(),
                provider_name: "Local".into(),
            },
        );
    }
}

fn long_text(tokens: usize) -> String {
    let words = [
        "stream ", "token ", "orchat ", "gemini ", "cost ", "meter ", "flash ", "pro ",
    ];
    let mut s = String::with_capacity(tokens * 7);
    for i in 0..tokens {
        s.push_str(words[i % words.len()]);
        if i % 16 == 15 {
            s.push('\n');
        }
    }
    s
}

#[derive(Serialize)]
struct OutChunk<'a> {
    id: &'a str,
    provider: &'static str,
    model: &'a str,
    object: &'static str,
    created: u64,
    choices: Vec<OutChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<&'a Usage>,
}

#[derive(Serialize)]
struct OutChoice<'a> {
    index: u32,
    delta: OutDelta<'a>,
    finish_reason: Option<&'static str>,
    native_finish_reason: Option<&'static str>,
    logprobs: Option<()>,
}

#[derive(Serialize, Default)]
struct OutDelta<'a> {
    role: &'static str,
    content: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_details: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    images: Option<serde_json::Value>,
}

impl Reply {
    fn chunk(&self, delta: OutDelta<'_>, finish: bool) -> String {
        let c = OutChunk {
            id: &self.id,
            provider: "Local",
            model: &self.model,
            object: "chat.completion.chunk",
            created: self.created,
            choices: vec![OutChoice {
                index: 0,
                delta,
                finish_reason: finish.then_some("stop"),
                native_finish_reason: finish.then_some("STOP"),
                logprobs: None,
            }],
            usage: None,
        };
        format!(
            "data: {}\n\n",
            serde_json::to_string(&c).expect("chunk serialises")
        )
    }

    fn usage_chunk(&self) -> String {
        let c = OutChunk {
            id: &self.id,
            provider: "Local",
            model: &self.model,
            object: "chat.completion.chunk",
            created: self.created,
            choices: vec![],
            usage: Some(&self.usage),
        };
        format!(
            "data: {}\n\n",
            serde_json::to_string(&c).expect("chunk serialises")
        )
    }
}

type Frame = Result<Bytes, std::io::Error>;

fn stream_reply(s: Arc<Shared>, reply: Reply, plan: Plan) -> Response {
    let (tx, rx) = mpsc::channel::<Frame>(64);
    let pace = plan.pace.or(s.opts.pace);
    let keep_alives = s.opts.keep_alives;
    reply.record(&s, true);
    tokio::spawn(async move {
        let _ = write_stream(&tx, reply, plan, pace, keep_alives).await;
    });
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|f| (f, rx))
    }));
    Response::builder()
        .status(200)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(body)
        .expect("valid response")
}

/// Writes one answer as SSE. Returns early (the error is the client leaving).
async fn write_stream(
    tx: &mpsc::Sender<Frame>,
    reply: Reply,
    plan: Plan,
    pace: Option<f64>,
    keep_alives: usize,
) -> Result<(), ()> {
    let send = |b: Bytes| async move { tx.send(Ok(b)).await.map_err(|_| ()) };
    let broken = || std::io::Error::new(std::io::ErrorKind::ConnectionReset, "scripted drop");
    if plan.drop_early {
        return tx.send(Err(broken())).await.map_err(|_| ());
    }
    for _ in 0..keep_alives {
        send(Bytes::from_static(b": OPENROUTER PROCESSING\n\n")).await?;
    }
    let delay = pace
        .filter(|p| *p > 0.0)
        .map(|p| Duration::from_secs_f64(1.0 / p));
    for r in &reply.reasoning {
        let details = json!([{"type": "reasoning.text", "text": r, "format": "google-gemini-v1", "index": 0}]);
        let delta = OutDelta {
            role: "assistant",
            reasoning: Some(r),
            reasoning_details: Some(details),
            ..OutDelta::default()
        };
        send(Bytes::from(reply.chunk(delta, false))).await?;
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
    }
    for (i, piece) in reply.content.iter().enumerate() {
        if plan.error_after == Some(i) {
            let err = format!(
                "data: {}\n\n",
                json!({"id": reply.id, "object": "chat.completion.chunk", "created": reply.created, "model": reply.model, "provider": "Local",
                       "error": {"code": 502, "message": "Upstream connection closed before the response completed", "metadata": {"error_type": "provider_unavailable"}},
                       "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}]})
            );
            return send(Bytes::from(err)).await;
        }
        if plan.drop_after == Some(i) {
            flushed(tx).await;
            return tx.send(Err(broken())).await.map_err(|_| ());
        }
        if let Some((after, secs)) = plan.stall
            && after == i
        {
            tokio::time::sleep(secs).await;
        }
        if plan.malformed_after == Some(i) {
            send(Bytes::from_static(b"data: {\"id\":\"gen-broken\",\"choices\":[{\"delta\":{\"content\":\"unterminated\n\n")).await?;
        }
        let mut chunk = reply.chunk(
            OutDelta {
                role: "assistant",
                content: piece,
                ..OutDelta::default()
            },
            false,
        );
        if plan.bad_utf8 && i == 0 {
            // Invalid bytes inside the JSON string: a lone continuation byte and a cut sequence.
            let pos = chunk.find("\"content\":\"").map(|p| p + 11).unwrap_or(0);
            let mut bytes = chunk.into_bytes();
            bytes.splice(pos..pos, [0x80u8, 0xE6, 0x97]);
            send(Bytes::from(bytes)).await?;
        } else {
            chunk.shrink_to_fit();
            send(Bytes::from(chunk)).await?;
        }
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
    }
    if !reply.images.is_empty() {
        let images = json!(
            reply
                .images
                .iter()
                .enumerate()
                .map(|(i, u)| json!({"type": "image_url", "image_url": {"url": u}, "index": i}))
                .collect::<Vec<_>>()
        );
        let delta = OutDelta {
            role: "assistant",
            images: Some(images),
            ..OutDelta::default()
        };
        send(Bytes::from(reply.chunk(delta, false))).await?;
    }
    send(Bytes::from(reply.chunk(
        OutDelta {
            role: "assistant",
            ..OutDelta::default()
        },
        true,
    )))
    .await?;
    if !plan.no_usage {
        send(Bytes::from(reply.usage_chunk())).await?;
    }
    if !plan.no_done {
        send(Bytes::from_static(b"data: [DONE]\n\n")).await?;
    }
    Ok(())
}

/// Waits until hyper has taken every frame sent so far and had a moment to
/// write them out: a body error makes it close the connection at once,
/// discarding whatever it still buffers, so a "drop after N chunks" would
/// otherwise drop before the client saw any of them.
async fn flushed(tx: &mpsc::Sender<Frame>) {
    while tx.capacity() < tx.max_capacity() && !tx.is_closed() {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
}

fn whole_reply(s: Arc<Shared>, reply: Reply) -> Response {
    reply.record(&s, false);
    let reasoning = reply.reasoning.concat();
    let message = json!({
        "role": "assistant",
        "content": reply.content.concat(),
        "reasoning": if reasoning.is_empty() { serde_json::Value::Null } else { json!(reasoning) },
        "images": reply.images.iter().map(|u| json!({"type": "image_url", "image_url": {"url": u}})).collect::<Vec<_>>(),
    });
    let head = json!({
        "id": reply.id, "provider": "Local", "model": reply.model, "object": "chat.completion", "created": reply.created,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "native_finish_reason": "STOP"}],
    })
    .to_string();
    // Splice the usage in as text so its cost stays an exact decimal literal.
    let usage = serde_json::to_string(&reply.usage).expect("usage serialises");
    let body = format!(
        "\n         \n\n{},\"usage\":{usage}}}",
        &head[..head.len() - 1]
    );
    ([("content-type", "application/json")], body).into_response()
}
