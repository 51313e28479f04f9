//! One answer drawn: its header (model, its place among its siblings,
//! tokens, speed, cost and how it is known), and its body (reasoning shown
//! or folded, the markdown, images, how it ended, its notes). The
//! conversation pane and the compare columns both draw answers with it.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::app::App;
use crate::app::conversation::{NodeId, NoteKind, Reply};
use crate::chat::answer::Status;
use crate::chat::pricing::{Cost, CostKind, format_usd};
use crate::config::theme::Theme;
use crate::keymap::Action;
use crate::markdown;
use crate::text::sanitize;

use super::rendered::{Caches, ImageSlot, Out, finished_markdown, live_markdown};

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

pub(super) fn spinner(app: &App) -> char {
    SPINNER[((app.env.now_ms / 100) % SPINNER.len() as u64) as usize]
}

/// `text` wrapped to `width`, each line after `indent`, made inert.
pub(super) fn wrap_plain(
    text: &str,
    style: Style,
    width: u16,
    indent: &'static str,
) -> Vec<Line<'static>> {
    let inner = width.saturating_sub(indent.len() as u16).max(1);
    let mut out = Vec::new();
    for l in sanitize(text).split('\n') {
        for w in markdown::wrap_line(
            Line::from(Span::styled(l.replace('\t', "    "), style)),
            inner,
        ) {
            let mut spans = vec![Span::raw(indent)];
            spans.extend(w.spans);
            out.push(Line::from(spans));
        }
    }
    out
}

/// How an answer's body is drawn.
#[derive(Clone, Copy)]
pub(super) struct Body {
    /// Reasoning folded whatever the toggle says (compare columns).
    pub fold_reasoning: bool,
    /// Drawn in a compare column: its header says what the waiting line
    /// would.
    pub column: bool,
}

/// An answer under its header: reasoning (shown or folded), the markdown,
/// images, how it ended and its notes.
#[allow(clippy::too_many_arguments)]
pub(super) fn answer_body(
    app: &App,
    theme: &Theme,
    c: &mut Caches,
    reply: &Reply,
    id: NodeId,
    how: Body,
    width: u16,
    slots: &mut Vec<ImageSlot>,
    out: &mut Out,
) {
    let answer = &reply.answer;
    if !answer.reasoning.is_empty() {
        if app.screen.show_reasoning && !how.fold_reasoning {
            out.push(Line::from(Span::styled(
                format!(
                    "  ┆ thinking ({} folds)",
                    app.key_label(Action::ToggleReasoning)
                ),
                theme.reasoning,
            )));
            out.extend(wrap_plain(
                &answer.reasoning,
                theme.reasoning,
                width,
                "  ┆ ",
            ));
        } else {
            // Folded for good in a compare column: no key unfolds it there.
            let shows = if how.fold_reasoning {
                String::new()
            } else {
                format!(" ({} shows)", app.key_label(Action::ToggleReasoning))
            };
            out.push(Line::from(Span::styled(
                format!(
                    "  ▸ thinking · {} tokens{shows}",
                    answer
                        .usage
                        .as_ref()
                        .map(|u| u.reasoning_tokens())
                        .filter(|n| *n > 0)
                        .unwrap_or_else(|| crate::chat::pricing::estimate_tokens(
                            &answer.reasoning
                        )),
                ),
                theme.reasoning,
            )));
        }
    }
    if answer.text.is_empty() && !answer.status.is_final() {
        out.push(waiting_line(app, theme, reply, how.column));
    } else {
        let md_width = width.saturating_sub(2).max(1);
        let st = theme.markdown();
        if reply.is_live() {
            live_markdown(c.cache, id, &answer.text, md_width, &st, out);
        } else {
            finished_markdown(c.cache, id, &answer.text, md_width, &st, out);
        }
    }
    for (n, image) in answer.images.iter().enumerate() {
        let proto = c
            .images
            .get(u64::from(id), n, image, width.saturating_sub(2));
        match proto {
            Ok(p) => {
                slots.push(ImageSlot {
                    line: out.len(),
                    protocol: p.clone(),
                });
                out.push(Line::from(Span::styled(
                    format!("  [image {} · scroll to see it whole]", n + 1),
                    theme.dim,
                )));
                for _ in 1..p.size().height {
                    out.push(Line::default());
                }
            }
            Err(why) => out.extend(wrap_plain(
                &format!("  [image {} cannot be shown: {why}]", n + 1),
                theme.error,
                width,
                "",
            )),
        }
        let saved = match answer.image_paths.get(n) {
            Some(Ok(path)) => {
                format!(
                    "  saved: {path} ({} opens)",
                    app.key_label(Action::OpenImage)
                )
            }
            Some(Err(e)) => format!("  not saved: {e}"),
            None => "  saving…".to_string(),
        };
        out.extend(wrap_plain(&saved, theme.dim, width, ""));
    }
    sources_lines(&answer.sources, theme, width, out);
    match answer.status {
        Status::Complete | Status::Waiting => {}
        Status::Streaming => {
            if let Some(line) = silence_line(app, reply, theme) {
                out.push(line);
            }
        }
        Status::Empty => out.push(Line::from(Span::styled("  ■ empty answer", theme.warn))),
        s => out.push(Line::from(Span::styled(
            format!("  ■ {}", s.label()),
            theme.warn,
        ))),
    }
    if let Some(note) = answer.count_note() {
        out.extend(wrap_plain(&format!("  · {note}"), theme.dim, width, "    "));
    }
    if let Some(note) = answer.byok_note() {
        out.extend(wrap_plain(&format!("  · {note}"), theme.dim, width, "    "));
    }
    for note in &answer.notes {
        // Wrapped, so a narrow column never cuts a word off.
        out.extend(wrap_plain(
            &format!("· {}", crate::text::preview(note, 200)),
            theme.dim,
            width,
            "  ",
        ));
    }
}

fn waiting_line(app: &App, theme: &Theme, reply: &Reply, column: bool) -> Line<'static> {
    let spin = spinner(app);
    if column {
        // A compare column: its header says the rest.
        return Line::from(Span::styled(format!("  {spin}"), theme.dim));
    }
    let t = &reply.timing;
    let now = app.env.now_ms;
    if let (Some(at), Some(why)) = (t.retry_at_ms, &t.retry_reason) {
        let left = at.saturating_sub(now).div_ceil(1000);
        // A paid twin on offer answers without the wait.
        let offer = app
            .chat
            .offer
            .as_ref()
            .filter(|o| o.resend && o.model != app.chat.model)
            .map(|o| {
                format!(
                    " · {} asks {} (paid) now",
                    app.key_label(Action::AcceptOffer),
                    sanitize(&o.model)
                )
            })
            .unwrap_or_default();
        // The countdown and the way out first: a narrow screen cuts the
        // server's words at the end, never them.
        return Line::from(Span::styled(
            format!(
                "  {spin} retrying in {left}s{offer} · {}",
                crate::text::preview(why, 80)
            ),
            theme.warn,
        ));
    }
    let secs = now.saturating_sub(t.started_ms) as f64 / 1000.0;
    let limit = if secs >= 10.0 {
        format!(" · gives up after {}s of silence", app.env.idle_timeout_s)
    } else {
        String::new()
    };
    Line::from(Span::styled(
        format!(
            "  {spin} waiting {secs:.1}s{limit} · {} stops",
            app.key_label(Action::Stop)
        ),
        theme.dim,
    ))
}

/// An answer's sources, numbered: the title (or the host), the URL, and
/// the first words of what was cited, folded onto one line.
fn sources_lines(
    sources: &[crate::chat::sources::Source],
    theme: &Theme,
    width: u16,
    out: &mut Out,
) {
    if sources.is_empty() {
        return;
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled("  Sources", theme.notice)));
    for (i, s) in sources.iter().enumerate() {
        // Up to 99 sources line up under their titles.
        let pad: &'static str = if i + 1 < 10 { "     " } else { "      " };
        out.extend(wrap_plain(
            &format!("{}. {}", i + 1, s.label()),
            theme.notice,
            width,
            "  ",
        ));
        out.extend(wrap_plain(&s.url, theme.dim, width, pad));
        let snippet = s.snippet(14);
        if !snippet.is_empty() {
            out.extend(wrap_plain(
                &format!("“{snippet}”"),
                theme.reasoning,
                width,
                pad,
            ));
        }
    }
}

/// Silence after the answer began: a stream that has stopped talking says
/// how long, and when the client will give up on it.
const SILENT_AFTER_MS: u64 = 3_000;

fn silence_line(app: &App, reply: &Reply, theme: &Theme) -> Option<Line<'static>> {
    if !reply.is_live() {
        return None;
    }
    let silent = app.env.now_ms.saturating_sub(reply.timing.last_event_ms);
    (silent >= SILENT_AFTER_MS).then(|| {
        Line::from(Span::styled(
            format!(
                "  ⏸ silent for {}s · ends after {}s of silence · {} stops and keeps the text",
                silent / 1000,
                app.env.idle_timeout_s,
                app.key_label(Action::Stop)
            ),
            theme.warn,
        ))
    })
}

pub fn cost_label(cost: Cost) -> String {
    match cost.kind {
        CostKind::Estimated => format!("≈{} estimated", format_usd(cost.usd)),
        CostKind::Unknown => "cost unknown (no price known)".to_string(),
        k => format!("{} {}", format_usd(cost.usd), k.label()),
    }
}

/// `‹2/3›` for a message with siblings (its place among them), else nothing.
pub(super) fn place_mark(app: &App, id: NodeId) -> Option<String> {
    let (at, of) = app.conversation.tree().place(id);
    (of > 1).then(|| format!(" ‹{at}/{of}›"))
}

/// An answer's header, fitted to `width` cells: the model, its place among
/// its siblings, tokens, speed and cost; when it does not fit, the model's
/// name gives way first (its vendor, then its middle), then the speed: the
/// place, the cost and how it is known ("reported") always show.
pub(super) fn assistant_header(
    app: &App,
    theme: &Theme,
    reply: &Reply,
    id: NodeId,
    width: u16,
) -> Line<'static> {
    let a = &reply.answer;
    let mut spans = vec![
        Span::styled("▌ ", theme.assistant_label),
        Span::styled(sanitize(a.model()).into_owned(), theme.assistant_label),
    ];
    if let Some(mark) = place_mark(app, id) {
        spans.push(Span::styled(mark, theme.notice));
    }
    // Estimating scans the whole answer: once per header, not once per use.
    let estimate = std::cell::OnceCell::new();
    let e = || *estimate.get_or_init(|| a.estimate());
    let tokens = match &a.usage {
        // A count far from what came is not shown as if it were true.
        Some(u) if a.implausible_output_count().is_some() => {
            format!(
                "{} in · ≈{} out",
                u.prompt_tokens,
                e().output + e().reasoning
            )
        }
        Some(u) => format!("{} in · {} out", u.prompt_tokens, u.completion_tokens),
        None => {
            let e = e();
            format!("≈{} in · ≈{} out", e.prompt, e.output + e.reasoning)
        }
    };
    spans.push(Span::styled(format!(" · {tokens}"), theme.dim));
    match reply.cost {
        None => {
            if let Some(first) = reply.timing.first_token_ms {
                let secs = (app.env.now_ms.saturating_sub(first) as f64 / 1000.0).max(0.001);
                let e = e();
                let tps = (e.output + e.reasoning) as f64 / secs;
                if secs > 0.2 {
                    spans.push(Span::styled(format!(" · {tps:.0} tok/s"), theme.dim));
                }
            }
            spans.push(Span::styled(
                format!(" · {}", cost_label(a.cost(&app.env.catalog))),
                theme.money,
            ));
        }
        Some(c) => spans.push(Span::styled(format!(" · {}", cost_label(c)), theme.money)),
    }
    // What the web search cost, apart (it is inside the cost above).
    if let Some(fee) = a.search_fee() {
        let est = if a.usage.is_none() { "≈" } else { "" };
        spans.push(Span::styled(
            format!(" · web {est}{}", format_usd(fee)),
            theme.money,
        ));
    }
    fit_header(spans, usize::from(width))
}

/// Shortens a header until it fits: the model's vendor goes, then its speed,
/// then the middle of its name, then the token counts, then more of the
/// name; its cost and how it is known stay whole as long as they fit at all.
fn fit_header(mut spans: Vec<Span<'static>>, width: usize) -> Line<'static> {
    let total = |s: &[Span]| s.iter().map(Span::width).sum::<usize>();
    let shorten = |spans: &mut Vec<Span<'static>>, least: usize| {
        let over = total(spans).saturating_sub(width);
        if over > 0 {
            let model = spans[1].content.to_string();
            let keep = spans[1].width().saturating_sub(over).max(least);
            spans[1].content = super::columns::cut_middle(&model, keep).into();
        }
    };
    if total(&spans) > width {
        let model = spans[1].content.to_string();
        let short = model.rsplit('/').next().unwrap_or(&model).to_string();
        spans[1].content = short.into();
    }
    if total(&spans) > width
        && let Some(i) = spans.iter().position(|s| s.content.ends_with("tok/s"))
    {
        spans.remove(i);
    }
    shorten(&mut spans, 12);
    if total(&spans) > width
        && let Some(i) = spans.iter().position(|s| s.content.contains(" in · "))
    {
        spans.remove(i);
    }
    shorten(&mut spans, 4);
    Line::from(spans)
}

/// A note: an error with its hint, or something orchat said.
pub(super) fn note_lines(app: &App, theme: &Theme, id: NodeId, width: u16, out: &mut Out) {
    let Some(n) = app.conversation.note(id) else {
        return;
    };
    match n.kind {
        NoteKind::Error => {
            out.extend(wrap_plain(&format!("✖ {}", n.text), theme.error, width, ""));
            if let Some(h) = &n.hint {
                out.extend(wrap_plain(&format!("→ {h}"), theme.dim, width, "  "));
            }
        }
        NoteKind::Notice => out.extend(wrap_plain(
            &format!("· {}", n.text),
            theme.notice,
            width,
            "",
        )),
    }
}
