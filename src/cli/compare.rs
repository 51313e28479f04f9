//! `orchat --compare m1,m2[,m3,m4] -p "…"`: one prompt asked of 2 to 4
//! models at once. When all are done: each answer under a header, then a
//! table (model, status, time to first token, total time, tokens in and
//! out, cost and its kind); `--json` prints an array, one object per model.
//! Exit 0 when every answer is complete, 1 when all failed, 3 otherwise.

use std::io::Write;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;

use super::Cli;
use super::connect::Connection;
use super::oneshot::{EXIT_FAILED, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, json_for_terminal};
use crate::chat::answer::{Answer, Status};
use crate::chat::catalog::Catalog;
use crate::chat::pricing::{Cost, CostKind, format_usd};
use crate::chat::request::{ReasoningSetting, Settings};
use crate::config::Config;
use crate::text::sanitize;

/// The models `--compare` names, as catalog ids: an exact id, else the best
/// fuzzy match (as `/compare` and the picker filter). 2 to 4, different.
pub fn resolve(catalog: &Catalog, names: &[String]) -> Result<Vec<String>, String> {
    let max = crate::app::conversation::MAX_ANSWERS;
    let mut ids: Vec<String> = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let id = match catalog.get(name) {
            Some(m) => m.id.clone(),
            None => match crate::app::filtered_models(catalog, name).first() {
                Some(&i) => catalog.models[i].id.clone(),
                None => return Err(format!("--compare: no model matches {name}")),
            },
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() < 2 || ids.len() > max {
        return Err(format!(
            "--compare takes 2 to {max} different models, comma-separated; {} given",
            ids.len()
        ));
    }
    Ok(ids)
}

/// One model's answer, timed.
struct Timed {
    answer: Answer,
    ttft: Option<Duration>,
    total: Duration,
}

pub async fn run(cli: &Cli, cfg: &Config, conn: &Connection, prompt: String) -> i32 {
    let models = match resolve(&conn.catalog, &cli.compare) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("orchat: {e}");
            return EXIT_USAGE;
        }
    };
    let images = match crate::chat::request::load_attachments(&cli.images) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("orchat: {e}");
            return EXIT_USAGE;
        }
    };
    for id in &models {
        if let Some(why) = crate::chat::request::unreadable(&conn.catalog, id, &images) {
            eprintln!("orchat: {why}");
            return EXIT_USAGE;
        }
    }
    let (messages, prompt_estimate) =
        crate::chat::request::one_shot(cfg.system_prompt.as_deref(), prompt, &images);
    for id in &models {
        if let Some(why) = crate::chat::request::too_long_for(conn.catalog.get(id), prompt_estimate)
        {
            eprintln!("orchat: {why}");
            return EXIT_USAGE;
        }
    }
    let settings = Settings {
        max_tokens: cfg.max_tokens,
        temperature: cfg.temperature.map(|t| t as f32),
        reasoning: cfg.reasoning_setting().unwrap_or(ReasoningSetting::Default),
        // Each answer is its model's: no fallbacks.
        fallbacks: Vec::new(),
        stream: !cli.no_stream,
        web: cli.web.then(|| cfg.web.clone()),
    };
    if let Some(why) = super::connect::web_refused(cli, conn) {
        eprintln!("orchat: {why}");
        return EXIT_USAGE;
    }
    if let Some(why) = &conn.demo_reason
        && !cli.json
    {
        eprintln!("orchat: demo mode, {why}: answers come from the built-in local server");
    }
    if !cli.json {
        eprintln!("orchat: asking {} at once…", models.join(", "));
    }
    let asks = models.iter().map(|id| {
        let req =
            crate::chat::request::build(id, conn.catalog.get(id), messages.clone(), &settings);
        let mut answer = Answer::new(
            id,
            prompt_estimate,
            images
                .iter()
                .filter(|a| a.kind == crate::chat::attach::Kind::Image)
                .count() as u64,
        );
        answer.web = cli.web;
        let mut events = conn.client.send(req);
        async move {
            let start = Instant::now();
            let mut ttft = None;
            while let Some(ev) = events.next().await {
                match ev {
                    Ok(ev) => {
                        if ttft.is_none()
                            && matches!(
                                ev,
                                crate::api::StreamEvent::Content(_)
                                    | crate::api::StreamEvent::Reasoning(_)
                                    | crate::api::StreamEvent::Image(_)
                            )
                        {
                            ttft = Some(start.elapsed());
                        }
                        answer.apply(&ev);
                    }
                    Err(e) => answer.fail(&e),
                }
            }
            if !answer.status.is_final() {
                answer.conclude(false);
            }
            Timed {
                answer,
                ttft,
                total: start.elapsed(),
            }
        }
    });
    let done = futures_util::future::join_all(asks).await;
    let code = exit_code(&done);
    // Written whole, then checked: a reader that went away (`| head`) is
    // said on stderr, never a panic.
    let mut text = String::new();
    if cli.json {
        let all: Vec<serde_json::Value> = done.iter().map(|t| as_json(t, &conn.catalog)).collect();
        text.push_str(&json_for_terminal(
            &serde_json::Value::Array(all).to_string(),
        ));
        text.push('\n');
    } else {
        for (i, t) in done.iter().enumerate() {
            let a = &t.answer;
            // Not a markdown heading: the answers have their own.
            text.push_str(&format!("── {} · {} ──\n\n", i + 1, sanitize(a.model())));
            let body = sanitize(&a.text);
            if body.trim().is_empty() {
                text.push_str("(no text)\n");
            } else {
                text.push_str(body.trim_end());
                text.push('\n');
            }
            if let Some(err) = &a.error {
                text.push_str(&format!("({}: {})\n", a.status.label(), sanitize(err)));
            }
            if !a.sources.is_empty() {
                text.push_str("\nSources:\n");
                for (n, s) in a.sources.iter().enumerate() {
                    text.push_str(&format!(
                        "[{}] {} — {}\n",
                        n + 1,
                        sanitize(&s.label()),
                        sanitize(&s.url)
                    ));
                }
            }
            text.push('\n');
        }
        for line in table(&done, &conn.catalog) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        eprintln!("orchat: stdout was closed before the answers could be printed");
        return EXIT_FAILED;
    }
    code
}

/// 0 when every answer is complete; 1 when every request failed (or was
/// blocked) before any text; 3 otherwise.
fn exit_code(done: &[Timed]) -> i32 {
    let failed = |a: &Answer| {
        matches!(a.status, Status::Failed | Status::Blocked) && a.text.trim().is_empty()
    };
    if done.iter().all(|t| t.answer.status == Status::Complete) {
        EXIT_OK
    } else if done.iter().all(|t| failed(&t.answer)) {
        EXIT_FAILED
    } else {
        EXIT_INCOMPLETE
    }
}

/// Tokens in and out as reported (≈ when estimated).
fn tokens(a: &Answer) -> (String, String) {
    let e = a.estimate();
    match &a.usage {
        Some(u) if a.implausible_output_count().is_none() => {
            (u.prompt_tokens.to_string(), u.completion_tokens.to_string())
        }
        Some(u) => (
            u.prompt_tokens.to_string(),
            format!("≈{}", e.output + e.reasoning),
        ),
        None => (
            format!("≈{}", e.prompt),
            format!("≈{}", e.output + e.reasoning),
        ),
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

/// The table under the answers: every figure whole.
fn table(done: &[Timed], catalog: &Catalog) -> Vec<String> {
    use crate::ui::columns::{Column, plain};
    let mut cols = [
        Column::new("MODEL", 9),
        Column::new("STATUS", 8),
        Column::new("TTFT", 7).right(),
        Column::new("TOTAL", 6).right(),
        Column::new("IN", 5).right(),
        Column::new("OUT", 5).right(),
        Column::new("COST", 10).right(),
        Column::new("KIND", 4),
    ];
    let mut total = rust_decimal::Decimal::ZERO;
    let (mut estimated, mut unknown) = (false, false);
    for t in done {
        let a = &t.answer;
        let cost: Cost = a.cost(catalog);
        total = crate::chat::pricing::sat_add(total, cost.usd);
        estimated |= cost.kind == CostKind::Estimated;
        unknown |= cost.kind == CostKind::Unknown;
        let (pin, pout) = tokens(a);
        let money = match cost.kind {
            CostKind::Unknown => "?".to_string(),
            CostKind::Estimated => format!("≈{}", format_usd(cost.usd)),
            _ => format_usd(cost.usd),
        };
        let cells = [
            sanitize(a.model()).into_owned(),
            match a.status {
                Status::Complete => "complete".to_string(),
                s => s.label().to_string(),
            },
            t.ttft.map_or("-".into(), secs),
            secs(t.total),
            pin,
            pout,
            money,
            cost.kind.label().to_string(),
        ];
        for (c, v) in cols.iter_mut().zip(cells) {
            c.cells.push(v);
        }
    }
    let sum = format!(
        "{}{}{}",
        if estimated { "≈" } else { "" },
        format_usd(total),
        if unknown { " + ?" } else { "" }
    );
    let last = ["all", "", "", "", "", "", &sum, ""];
    for (c, v) in cols.iter_mut().zip(last) {
        c.cells.push(v.to_string());
    }
    plain(cols.into(), 200, 2)
}

fn as_json(t: &Timed, catalog: &Catalog) -> serde_json::Value {
    let a = &t.answer;
    let cost = a.cost(catalog);
    let usage = a.usage.as_ref();
    json!({
        "model": a.model(),
        "model_requested": a.model_requested,
        "status": a.status,
        "answer": a.text,
        "reasoning": (!a.reasoning.is_empty()).then_some(&a.reasoning),
        "finish_reason": a.finish_reason,
        "error": a.error,
        "error_kind": a.failure.as_ref().map(|e| e.kind()),
        "ttft_ms": t.ttft.map(|d| d.as_millis() as u64),
        "total_ms": t.total.as_millis() as u64,
        "usage": usage.map(|u| json!({
            "prompt_tokens": u.prompt_tokens,
            "completion_tokens": u.completion_tokens,
            "reasoning_tokens": u.reasoning_tokens(),
        })),
        "cost": {
            "usd": cost.usd.normalize().to_string(),
            "kind": cost.kind.label(),
        },
        "sources": a.sources,
        "search_usd": a.search_fee().map(|d| d.normalize().to_string()),
    })
}
