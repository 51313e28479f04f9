//! The local OpenRouter-compatible server, in the same binary: `orchat --demo`
//! talks to it, and so do the tests and benchmarks. It listens on 127.0.0.1
//! only, on a port the OS picks.
//!
//! Routes: `GET /v1/models`, `POST /v1/chat/completions` (streaming and not),
//! `GET /v1/generation?id=`, `GET /v1/key`. Streams are written the way
//! PROTOCOL.md's transcripts are: keep-alive comments, the role in every chunk,
//! a finish chunk, a usage chunk with cost, then `[DONE]`.

mod account;
pub use account::Account;
pub mod answer;
pub mod compress;
pub mod doc;
mod errors;
pub mod faults;
mod misbehave;
mod reply;
mod wire;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;

use crate::api::types::{ChatRequest, WireDecimal};
use crate::chat::catalog::Catalog;
use answer::Ask;
use errors::{error_response, status_fault_response};
pub use faults::{Fault, Plan};
use wire::{Reply, StreamShape, stream_reply, whole_reply};

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
    /// Which provider the server plays: how it lists models and reports usage.
    pub dialect: Dialect,
    /// `/generation` answers 404 until a record is this old: OpenRouter
    /// writes it after the answer (PROTOCOL.md §4.2).
    pub generation_delay: Duration,
    /// The account `/key` and `/credits` describe.
    pub account: account::Account,
    /// Requests a day all `:free` models allow together, errors included.
    pub free_per_day: usize,
    /// The context window the server runs with, as llama-server's `/props`
    /// says it (`default_generation_settings.n_ctx`); `None`: no `/props`.
    pub runtime_ctx: Option<u64>,
}

/// The provider the local server plays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Dialect {
    /// OpenRouter: a priced `/models`, `usage.cost` on every answer.
    #[default]
    OpenRouter,
    /// AI/ML API: `/models` without prices and ids without `-001`, the cost
    /// as `meta.usage.usd_spent`, 2.5 Pro's completion tokens 21 times too
    /// high (PROTOCOL.md §6).
    AimlApi,
    /// A plain OpenAI-compatible server (llama.cpp, vLLM, Ollama): no prices,
    /// no cost.
    Plain,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            pace: None,
            words_per_piece: 3,
            keep_alives: 2,
            free_per_minute: 3,
            require_key: None,
            dialect: Dialect::OpenRouter,
            generation_delay: Duration::ZERO,
            account: account::Account::default(),
            free_per_day: 50,
            runtime_ctx: None,
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
    /// When it was written, for `generation_delay`.
    #[serde(skip)]
    written: Option<Instant>,
}

pub(crate) struct Shared {
    catalog: Catalog,
    opts: ServerOptions,
    faults: Mutex<VecDeque<Vec<Fault>>>,
    received: Mutex<Vec<Received>>,
    free_hits: Mutex<HashMap<String, VecDeque<Instant>>>,
    generations: Mutex<HashMap<String, GenerationRecord>>,
    /// Requests to `:free` models so far (the server's day is its lifetime).
    free_today: std::sync::atomic::AtomicUsize,
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
        free_today: std::sync::atomic::AtomicUsize::new(0),
        counter: std::sync::atomic::AtomicU64::new(0),
    });
    let app = Router::new()
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat))
        .route("/v1/generation", get(account::generation))
        .route("/v1/key", get(account::key))
        .route("/v1/credits", get(account::credits))
        .route("/props", get(props))
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

async fn models(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    // OpenRouter lists its models to anyone; a plain server started with a
    // key (vLLM's --api-key) or AI/ML API wants it.
    if s.opts.dialect != Dialect::OpenRouter
        && let Some(r) = check_auth(&s, &headers)
    {
        return r;
    }
    let priced = s.catalog.source == crate::chat::catalog::Source::Bundled;
    let body = match s.opts.dialect {
        Dialect::OpenRouter if priced => Catalog::bundled_json().to_string(),
        // llama-server's shape: the model file's name, no prices, and the
        // window it was trained for in `meta`.
        Dialect::Plain => json!({"object": "list", "data": s.catalog.models.iter().map(|m| {
            json!({"id": m.id, "object": "model", "owned_by": "llamacpp",
                   "meta": {"n_ctx_train": m.context_length, "n_vocab": 151936}})
        }).collect::<Vec<_>>()})
        .to_string(),
        // A list without prices, in the provider's own spelling of the ids;
        // AI/ML API lists 2.0 Flash twice, with and without its vendor.
        dialect => {
            let mut data: Vec<serde_json::Value> = s
                .catalog
                .models
                .iter()
                .map(|m| {
                    let id = if dialect == Dialect::AimlApi {
                        m.id.strip_suffix("-001").unwrap_or(&m.id)
                    } else {
                        &m.id
                    };
                    json!({"id": id, "name": m.name})
                })
                .collect();
            if dialect == Dialect::AimlApi {
                data.push(json!({"id": "gemini-2.0-flash", "name": "Gemini 2.0 Flash"}));
            }
            json!({"data": data}).to_string()
        }
    };
    ([("content-type", "application/json")], body).into_response()
}

/// llama-server's `/props`: the context window it runs with.
async fn props(State(s): State<Arc<Shared>>) -> Response {
    match s.opts.runtime_ctx {
        Some(n) => (
            [("content-type", "application/json")],
            json!({"default_generation_settings": {"n_ctx": n, "temperature": 0.8}, "total_slots": 1,
                   "model_path": s.catalog.models.first().map_or("", |m| m.id.as_str())})
            .to_string(),
        )
            .into_response(),
        None => error_response(404, "File Not Found", None, None),
    }
}

/// A plain server's own models, as a llama.cpp, vLLM or Ollama server would
/// list them: file-like names, no prices, their training windows.
pub fn plain_catalog() -> Catalog {
    Catalog::parse(
        r#"{"data":[
            {"id":"qwen2.5-7b-instruct-q4_k_m.gguf","meta":{"n_ctx_train":32768}},
            {"id":"llama-3.2-3b-instruct","meta":{"n_ctx_train":131072}}
        ]}"#,
        crate::chat::catalog::Source::Live,
    )
    .expect("the plain catalog is valid")
}

pub(crate) fn check_auth(s: &Shared, headers: &HeaderMap) -> Option<Response> {
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
    match plan.compressed {
        Some(coding) => compress::compressed(answer(&s, &headers, req, model, ask, plan), coding),
        None => answer(&s, &headers, req, model, ask, plan),
    }
}

/// The answer to a request, as its plan says.
fn answer(
    s: &Shared,
    headers: &HeaderMap,
    req: ChatRequest,
    model: crate::chat::catalog::Model,
    ask: Ask,
    plan: Plan,
) -> Response {
    if let Some(f) = &plan.status {
        return status_fault_response(f, &model.id);
    }
    if let Some(f) = &plan.misbehave {
        return misbehave::respond(f);
    }
    if plan.echo_key {
        let key = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("no-key-sent");
        return misbehave::echo(key, &model.id);
    }
    if model.id.ends_with(":free") {
        // Every request counts against the day, errors included.
        let n = s
            .free_today
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n >= s.opts.free_per_day {
            return status_fault_response(&Fault::RateLimitPerDay, &model.id);
        }
    }
    // Free models are rate limited per minute: `:free` ones as configured,
    // a free experimental checkpoint (2.5 Pro exp-03-25) to one request.
    let per_minute = if model.id.ends_with(":free") {
        Some(s.opts.free_per_minute)
    } else if model.is_free() && model.id.contains("-exp") {
        Some(1)
    } else {
        None
    };
    if let Some(limit) = per_minute
        && let Some(wait) = free_limit_hit(s, &model.id, limit)
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
    let (json_body, sse_body) = (plan.json_body, plan.sse_body);
    let plan_words = plan.words_per_piece;
    let reply = Reply::build(
        &req,
        &model,
        &ask,
        plan,
        (id, created),
        plan_words.unwrap_or(s.opts.words_per_piece),
        s.opts.dialect,
    );
    record(s, &reply, req.stream);
    let shape = StreamShape {
        pace: s.opts.pace,
        keep_alives: s.opts.keep_alives,
    };
    match (req.stream, json_body) {
        (true, Some(sse_label)) => whole_reply(&reply, sse_label),
        (true, None) => stream_reply(reply, shape),
        (false, _) if sse_body => stream_reply(reply, shape),
        (false, _) => whole_reply(&reply, false),
    }
}

/// What `/generation` will say about an answer.
fn record(s: &Shared, reply: &Reply, streamed: bool) {
    s.generations.lock().unwrap().insert(
        reply.id.clone(),
        GenerationRecord {
            id: reply.id.clone(),
            model: reply.model.clone(),
            streamed,
            tokens_prompt: reply.usage.prompt_tokens,
            tokens_completion: reply.usage.completion_tokens,
            native_tokens_reasoning: reply.usage.reasoning_tokens(),
            native_tokens_completion_images: reply.usage.image_tokens(),
            total_cost: reply.billed(),
            finish_reason: reply.finish.0.to_string(),
            provider_name: "Local".into(),
            written: Some(Instant::now()),
        },
    );
}

/// A `:free` model allows `free_per_minute` requests a minute; past that, the
/// seconds until the oldest one ages out.
fn free_limit_hit(s: &Shared, model: &str, per_minute: usize) -> Option<u64> {
    let mut hits = s.free_hits.lock().unwrap();
    let q = hits.entry(model.to_string()).or_default();
    let now = Instant::now();
    while q
        .front()
        .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
    {
        q.pop_front();
    }
    if q.len() >= per_minute {
        let oldest = *q.front()?;
        let left = Duration::from_secs(60).saturating_sub(now.duration_since(oldest));
        return Some(left.as_secs().max(1));
    }
    q.push_back(now);
    None
}
