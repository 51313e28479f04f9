//! One-shot mode: `orchat -p "prompt"` (or the prompt on stdin) streams one
//! answer to stdout, then tokens and cost to stderr. `--json` prints one JSON
//! object instead. Text from the network is sanitised before it is printed.

use std::io::Write;

use futures_util::StreamExt;
use serde_json::json;

use crate::chat::answer::{Answer, Status};
use crate::chat::pricing::format_usd;
use crate::chat::request::{ReasoningSetting, Settings};
use crate::cli::Cli;
use crate::cli::connect::Connection;
use crate::config::Config;
use crate::config::DEFAULT_MODEL;
use crate::text::sanitize;

/// Exit codes, as documented in `--help` and the README.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_INCOMPLETE: i32 = 3;

pub async fn run(cli: &Cli, cfg: &Config, conn: &Connection, prompt: String) -> i32 {
    let model_id = if conn.model.is_empty() {
        DEFAULT_MODEL.to_string()
    } else {
        conn.model.clone()
    };
    let model = conn.catalog.get(&model_id);
    let images = match crate::chat::request::load_attachments(&cli.images) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("orchat: {e}");
            return EXIT_USAGE;
        }
    };
    if let Some(why) = crate::chat::request::unreadable(&conn.catalog, &model_id, &images) {
        eprintln!("orchat: {why}");
        return EXIT_USAGE;
    }
    let settings = Settings {
        max_tokens: cfg.max_tokens,
        temperature: cfg.temperature.map(|t| t as f32),
        reasoning: cfg.reasoning_setting().unwrap_or(ReasoningSetting::Default),
        fallbacks: cfg.fallback_models.clone(),
        stream: !cli.no_stream,
        web: cli.web.then(|| cfg.web.clone()),
    };
    if let Some(why) = super::connect::web_refused(cli, conn) {
        eprintln!("orchat: {why}");
        return EXIT_USAGE;
    }
    let (messages, prompt_estimate) =
        crate::chat::request::one_shot(cfg.system_prompt.as_deref(), prompt, &images);
    // A request sure to fail is not sent, nor paid for.
    if let Some(why) = crate::chat::request::too_long_for(model, prompt_estimate) {
        eprintln!("orchat: {why}");
        return EXIT_USAGE;
    }
    let req = crate::chat::request::build(&model_id, model, messages, &settings);
    if let Some(why) = &conn.demo_reason
        && !cli.json
    {
        eprintln!("orchat: demo mode, {why}: answers come from the built-in local server");
    }

    // Nowhere to print the answer: nothing is asked (nor paid for).
    if !stdout_open() {
        eprintln!("orchat: stdout is closed: nowhere to print the answer; nothing was sent");
        return EXIT_USAGE;
    }
    let mut answer = Answer::new(
        &model_id,
        prompt_estimate,
        images
            .iter()
            .filter(|a| a.kind == crate::chat::attach::Kind::Image)
            .count() as u64,
    );
    answer.web = cli.web;
    let mut out = std::io::stdout().lock();
    let mut events = conn.client.send(req);
    // The reader went away (`| head -c 10`): the first failed write stops
    // the request, so no more of it is paid for.
    let mut reader_gone = false;
    // Reasoning goes to stderr; the line it leaves open is closed before
    // anything else is written there.
    let mut reasoning_open = false;
    let close_reasoning = |open: &mut bool| {
        if std::mem::take(open) {
            eprintln!();
        }
    };
    while let Some(ev) = events.next().await {
        match ev {
            Ok(ev) => {
                answer.apply(&ev);
                if cli.json {
                    continue;
                }
                match &ev {
                    crate::api::StreamEvent::Content(t) => {
                        close_reasoning(&mut reasoning_open);
                        if out
                            .write_all(sanitize(t).as_bytes())
                            .and_then(|()| out.flush())
                            .is_err()
                        {
                            reader_gone = true;
                            break;
                        }
                    }
                    crate::api::StreamEvent::Reasoning(t) if cli.show_reasoning => {
                        eprint!("{}", sanitize(t));
                        reasoning_open = !t.ends_with('\n');
                    }
                    crate::api::StreamEvent::Retrying {
                        attempt,
                        wait,
                        reason,
                    } => {
                        close_reasoning(&mut reasoning_open);
                        eprintln!(
                            "orchat: {reason}; retry {attempt} in {}s",
                            wait.as_secs_f64().ceil()
                        );
                    }
                    crate::api::StreamEvent::Malformed(why) => {
                        close_reasoning(&mut reasoning_open);
                        eprintln!("orchat: skipped a malformed line: {why}");
                    }
                    _ => {}
                }
            }
            Err(e) => answer.fail(&e),
        }
    }
    close_reasoning(&mut reasoning_open);
    if reader_gone {
        // Dropping the events drops the connection: the request stops.
        drop(events);
        eprintln!(
            "orchat: stdout was closed, so the answer was stopped after {} characters (nothing more of it is paid for)",
            answer.text.chars().count()
        );
        return EXIT_FAILED;
    }
    drop(events);
    if !answer.status.is_final() {
        answer.conclude(false);
    }
    if !cli.json && !answer.text.is_empty() && !answer.text.ends_with('\n') {
        let _ = writeln!(out);
    }
    // Its sources, after the answer: numbered, the title (or host), the URL.
    if !cli.json && !answer.sources.is_empty() {
        let _ = writeln!(out, "\nSources:");
        for (i, s) in answer.sources.iter().enumerate() {
            let _ = writeln!(
                out,
                "[{}] {} — {}",
                i + 1,
                sanitize(&s.label()),
                sanitize(&s.url)
            );
        }
    }
    let _ = out.flush();
    drop(out);

    let saved = save_images(&answer, &cfg.dirs());
    let mut cost = answer.cost(&conn.catalog);
    let mut estimate = None;
    let openrouter = conn.client.config().provider.kind == crate::api::ProviderKind::OpenRouter;
    if cli.settle
        && openrouter
        && cost.kind == crate::chat::pricing::CostKind::Estimated
        && let Some(id) = &answer.generation_id
    {
        if !cli.json {
            eprintln!("orchat: waiting for OpenRouter to say what this answer cost…");
        }
        if let Some(usd) = conn
            .client
            .settle(id, &crate::api::account::SETTLE_WAITS)
            .await
        {
            estimate = Some(cost.usd);
            cost = crate::chat::pricing::Cost::new(usd, crate::chat::pricing::CostKind::Settled);
        }
    }
    let code = exit_code(&answer);
    // A video the provider never read (HTTP 200, `video_tokens` 0).
    let video_ignored = images
        .iter()
        .any(|a| a.kind == crate::chat::attach::Kind::Video)
        && answer
            .usage
            .as_ref()
            .and_then(|u| u.prompt_tokens_details.as_ref())
            .and_then(|d| d.video_tokens)
            == Some(0);
    if video_ignored && !cli.json {
        eprintln!(
            "orchat: the provider ignored the video (0 video tokens): the answer did not see it"
        );
    }
    if cli.json {
        let usage = answer.usage.as_ref();
        let obj = json!({
            "answer": answer.text,
            "reasoning": (!answer.reasoning.is_empty()).then_some(&answer.reasoning),
            "model": answer.model(),
            "model_requested": answer.model_requested,
            "provider": answer.provider,
            "id": answer.generation_id,
            "finish_reason": answer.finish_reason,
            "status": answer.status,
            "error": answer.error,
            "error_kind": answer.failure.as_ref().map(|e| e.kind()),
            "images": saved.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "attachments": crate::chat::request::attachments_json(&images),
            "sources": answer.sources,
            "search_usd": answer.search_fee().map(|d| d.normalize().to_string()),
            "video_ignored": video_ignored.then_some(true),
            "usage": usage.map(|u| json!({
                "prompt_tokens": u.prompt_tokens,
                "completion_tokens": u.completion_tokens,
                "reasoning_tokens": u.reasoning_tokens(),
                "image_tokens": u.image_tokens(),
            })),
            "cost": {
                "usd": cost.usd.normalize().to_string(),
                "kind": cost.kind.label(),
                "estimate": estimate.map(|e| e.normalize().to_string()),
            },
        });
        let mut out = std::io::stdout().lock();
        let line = format!("{}\n", json_for_terminal(&obj.to_string()));
        if out
            .write_all(line.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            eprintln!("orchat: stdout was closed before the answer could be printed");
            return EXIT_FAILED;
        }
        return code;
    }
    for p in &saved {
        eprintln!("orchat: image saved to {}", p.display());
    }
    let not_billed = cost.kind == crate::chat::pricing::CostKind::NotBilled;
    if let Some(err) = &answer.error {
        // A request refused before any answer costs nothing, and says so on
        // its one line; a refused key names the variable it was read from.
        let var = match (&answer.failure, &conn.client.config().provider.key_env) {
            (Some(crate::api::ApiError::Auth { .. }), Some(var)) => {
                format!("; this provider reads its key from {var}")
            }
            _ => String::new(),
        };
        let billed = if not_billed {
            "; nothing was billed ($0)"
        } else {
            ""
        };
        eprintln!("orchat: {}{var}{billed}", sanitize(err));
    }
    if let Some(hint) = ending_hint(&answer, cfg).or_else(|| failure_hint(&answer, &conn.catalog)) {
        eprintln!("orchat: {hint}");
    }

    if !not_billed {
        if let Some(note) = answer.count_note() {
            eprintln!("orchat: note: {note}");
        }
        let e = answer.estimate();
        let (pin, pout, approx_out) = match &answer.usage {
            Some(_) if answer.implausible_output_count().is_some() => (
                answer.usage.as_ref().map_or(e.prompt, |u| u.prompt_tokens),
                e.output + e.reasoning,
                "≈",
            ),
            Some(u) => (u.prompt_tokens, u.completion_tokens, ""),
            None => (e.prompt, e.output + e.reasoning, "≈"),
        };
        let approx = if answer.usage.is_some() { "" } else { "≈" };
        let money = match (cost.kind, estimate) {
            (crate::chat::pricing::CostKind::Unknown, _) => {
                "cost unknown (no price known for this model)".to_string()
            }
            (crate::chat::pricing::CostKind::Estimated, _) => {
                format!("≈{} (estimated)", format_usd(cost.usd))
            }
            (crate::chat::pricing::CostKind::Byok, _) => {
                let fee = answer
                    .usage
                    .as_ref()
                    .and_then(|u| u.cost)
                    .map_or(rust_decimal::Decimal::ZERO, |c| c.0);
                format!(
                    "{} (BYOK: {} on your provider key + {} OpenRouter fee)",
                    format_usd(cost.usd),
                    format_usd(cost.usd - fee),
                    format_usd(fee)
                )
            }
            (crate::chat::pricing::CostKind::Settled, Some(e)) => format!(
                "{} (settled; estimated ≈{})",
                format_usd(cost.usd),
                format_usd(e)
            ),
            (k, _) => format!("{} ({})", format_usd(cost.usd), k.label()),
        };
        // The search's fee, apart (it is inside the cost).
        let money = match answer.search_fee() {
            Some(fee) => format!("{money}, of it web search {}", format_usd(fee)),
            None => money,
        };
        eprintln!(
            "{} · {approx}{pin} in / {approx_out}{pout} out tokens · {money}",
            sanitize(answer.model()),
        );
    }
    code
}

/// Set (by the binary, before Rust's runtime starts) when the process began
/// with stdout closed: the runtime then puts /dev/null in its place, so no
/// write would ever fail.
pub static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether stdout leads anywhere (`>&-` closes it).
fn stdout_open() -> bool {
    if STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed) {
        return false;
    }
    #[cfg(unix)]
    {
        // SAFETY: F_GETFD only reads the descriptor's flags.
        unsafe { libc::fcntl(1, libc::F_GETFD) != -1 }
    }
    #[cfg(not(unix))]
    true
}

/// 0 when the answer is complete; 1 when the request failed, or a filter
/// blocked it, before any text; 3 when the answer is incomplete in any way
/// (cut off, cut short, blocked midway, empty).
fn exit_code(answer: &Answer) -> i32 {
    match answer.status {
        Status::Complete => EXIT_OK,
        Status::Failed | Status::Blocked if answer.text.trim().is_empty() => EXIT_FAILED,
        _ => EXIT_INCOMPLETE,
    }
}

/// What to change after an ending that was not a plain success.
fn ending_hint(answer: &Answer, cfg: &Config) -> Option<String> {
    let limit = cfg
        .max_tokens
        .map(|n| format!(" (now {n})"))
        .unwrap_or_default();
    match answer.status {
        Status::CutShort if answer.spent_on_reasoning() => Some(format!(
            "raise --max-tokens{limit} or lower --reasoning (low, or a token budget) to leave room for the answer"
        )),
        Status::CutShort => Some(format!("raise --max-tokens{limit} for the rest")),
        Status::Blocked => Some("rephrase the prompt or try another model (-m)".into()),
        Status::Empty => Some("try again, or another model (-m)".into()),
        _ => None,
    }
}

/// What to do after a failure whose words do not say it: only what exists
/// (a paid twin the catalog has, a larger window to pick).
fn failure_hint(answer: &Answer, catalog: &crate::chat::catalog::Catalog) -> Option<String> {
    use crate::api::error::{ApiError, LimitScope};
    match answer.failure.as_ref()? {
        ApiError::ContextTooLong { .. } => {
            Some("shorten the input, or pick a model with a larger context window (-m)".into())
        }
        ApiError::RateLimited(r) if r.scope == LimitScope::PerDay => {
            let model = &answer.model_requested;
            Some(
                match crate::chat::catalog::Model::paid_variant(model)
                    .filter(|p| catalog.get(p).is_some())
                {
                    Some(paid) => {
                        format!("-m {paid} is the paid twin; or wait until tomorrow (UTC)")
                    }
                    None => "wait until tomorrow (UTC), or add credits".into(),
                },
            )
        }
        _ => None,
    }
}

/// serde_json writes C1 controls (U+009B is an 8-bit CSI) and bidi
/// overrides raw; escape them as `\uXXXX` so `--json` on a terminal is inert.
/// Outside strings JSON is ASCII, so the result is valid and decodes the same.
pub(super) fn json_for_terminal(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_control() || crate::text::is_bidi_control(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Saves generated images next to the other outputs (data dir/images) and
/// returns their paths; bad image data is reported and skipped.
fn save_images(answer: &Answer, dirs: &crate::paths::Dirs) -> Vec<std::path::PathBuf> {
    if answer.images.is_empty() {
        return Vec::new();
    }
    let Some(dir) = dirs.images("oneshot") else {
        return Vec::new();
    };
    let stem = answer
        .generation_id
        .clone()
        .unwrap_or_else(|| format!("answer-{}", crate::api::client::now_ms()));
    let mut out = Vec::new();
    for (i, image) in answer.images.iter().enumerate() {
        let (crate::chat::images::Generated::Url(url) | crate::chat::images::Generated::Saved(url)) =
            image;
        match crate::chat::images::save_data_url(url, &dir, &format!("{stem}-{}", i + 1)) {
            Ok(p) => out.push(p),
            Err(e) => eprintln!("orchat: image {} not saved: {e}", i + 1),
        }
    }
    out
}
