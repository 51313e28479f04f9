//! The conversation pane: each entry rendered (`rendered` keeps what can be
//! kept). Finished entries are wrapped once per width and cached; of the
//! streaming answer only the blocks still open are re-rendered each frame
//! (the settled ones are kept, shared, in the cache), and only once per
//! frame. Drawing walks from the anchor (or the bottom) over visible lines
//! only, so a frame costs the same with 10 or 100,000 messages.

use std::collections::HashMap;
use std::rc::Rc;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, Entry};
use crate::chat::answer::{Answer, Status};
use crate::chat::pricing::{Cost, CostKind, format_usd};
use crate::config::theme::Theme;
use crate::keymap::Action;
use crate::markdown;
use crate::text::sanitize;

use super::rendered::{Caches, ImageSlot, Lines, Out, Rendered, finished_markdown, live_markdown};
use super::view::View;

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// The lines of entry `i` at `width`.
fn entry_lines(app: &App, theme: &Theme, c: &mut Caches, i: usize, width: u16) -> Lines {
    let selected = app.focus_conversation && app.selected == Some(i);
    let live = selected
        || matches!(&app.entries[i], Entry::Assistant { turn, .. }
        if app.pending.as_ref().is_some_and(|p| p.turn == *turn));
    if !live
        && let Some(Some((w, r, lines))) = c.cache.slots.get(i)
        && *w == width
        && *r == app.show_reasoning
    {
        return lines.clone();
    }
    let mut images = Vec::new();
    let (mut parts, len) =
        render_entry(app, theme, c, &app.entries[i], width, &mut images).finish();
    if selected && let Some(first) = parts.first_mut().and_then(|p| Rc::make_mut(p).first_mut()) {
        // The selected message (for y / c) stands out by its first line.
        *first = std::mem::take(first).patch_style(theme.selected);
    }
    let lines: Lines = Rc::new(Rendered { parts, len, images });
    if !live {
        let slots = &mut c.cache.slots;
        if slots.len() <= i {
            slots.resize(i + 1, None);
        }
        slots[i] = Some((width, app.show_reasoning, lines.clone()));
    }
    lines
}

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

fn render_entry(
    app: &App,
    theme: &Theme,
    c: &mut Caches,
    e: &Entry,
    width: u16,
    slots: &mut Vec<ImageSlot>,
) -> Out {
    let mut out = Out::default();
    match e {
        Entry::User { text, images } => {
            out.push(Line::from(Span::styled("▌ you", theme.user_label)));
            out.extend(wrap_plain(text, theme.text, width, "  "));
            for img in images {
                out.push(Line::from(Span::styled(
                    format!("  📎 {}", img.label()),
                    theme.dim,
                )));
            }
        }
        Entry::Assistant { answer, cost, turn } => {
            out.push(assistant_header(app, theme, answer, *cost, width));
            let how = Body {
                live: app.pending.as_ref().is_some_and(|p| p.turn == *turn),
                fold_reasoning: false,
            };
            answer_body(app, theme, c, answer, *turn, how, width, slots, &mut out);
        }
        Entry::Round(r) => {
            super::compare::round_in_history(app, theme, c, r, width, slots, &mut out)
        }
        Entry::Error { text, hint } => {
            out.extend(wrap_plain(&format!("✖ {text}"), theme.error, width, ""));
            if let Some(h) = hint {
                out.extend(wrap_plain(&format!("→ {h}"), theme.dim, width, "  "));
            }
        }
        Entry::Notice(text) => {
            out.extend(wrap_plain(&format!("· {text}"), theme.notice, width, ""))
        }
    }
    out.push(Line::default());
    out
}

/// How an answer's body is drawn.
#[derive(Clone, Copy)]
pub(super) struct Body {
    /// Still streaming: its markdown goes through the incremental cache.
    pub live: bool,
    /// Reasoning folded whatever the toggle says (compare columns).
    pub fold_reasoning: bool,
}

/// An answer under its header: reasoning (shown or folded), the markdown,
/// images, how it ended and its notes.
#[allow(clippy::too_many_arguments)]
pub(super) fn answer_body(
    app: &App,
    theme: &Theme,
    c: &mut Caches,
    answer: &Answer,
    turn: u64,
    how: Body,
    width: u16,
    slots: &mut Vec<ImageSlot>,
    out: &mut Out,
) {
    if !answer.reasoning.is_empty() {
        if app.show_reasoning && !how.fold_reasoning {
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
        out.push(waiting_line(app, theme));
    } else {
        let md_width = width.saturating_sub(2).max(1);
        let st = theme.markdown();
        if how.live {
            live_markdown(c.cache, turn, &answer.text, md_width, &st, out);
        } else {
            finished_markdown(c.cache, turn, &answer.text, md_width, &st, out);
        }
    }
    for (n, url) in answer.images.iter().enumerate() {
        let proto = c.images.get(turn, n, url, width.saturating_sub(2));
        match proto {
            Some(p) => {
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
            None => out.push(Line::from(Span::styled(
                format!("  [image {} could not be decoded]", n + 1),
                theme.error,
            ))),
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
    match answer.status {
        Status::Complete | Status::Waiting => {}
        Status::Streaming => {
            if let Some(line) = silence_line(app, turn, theme) {
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
        out.push(Line::from(Span::styled(
            format!("  · {}", crate::text::preview(note, 200)),
            theme.dim,
        )));
    }
}

pub(super) fn spinner(app: &App) -> char {
    SPINNER[((app.now_ms / 100) % SPINNER.len() as u64) as usize]
}

fn waiting_line(app: &App, theme: &Theme) -> Line<'static> {
    let spin = spinner(app);
    let Some(p) = &app.pending else {
        // A compare column: its header says the rest.
        return Line::from(Span::styled(format!("  {spin}"), theme.dim));
    };
    if let (Some(at), Some(why)) = (p.retry_at_ms, &p.retry_reason) {
        let left = at.saturating_sub(app.now_ms).div_ceil(1000);
        // A paid twin on offer answers without the wait.
        let offer = app
            .offer
            .as_ref()
            .filter(|o| o.resend && o.model != app.model)
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
    let secs = app.now_ms.saturating_sub(p.started_ms) as f64 / 1000.0;
    let limit = if secs >= 10.0 {
        format!(" · gives up after {}s of silence", app.idle_timeout_s)
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

/// Silence after the answer began: a stream that has stopped talking says
/// how long, and when the client will give up on it.
const SILENT_AFTER_MS: u64 = 3_000;

fn silence_line(app: &App, turn: u64, theme: &Theme) -> Option<Line<'static>> {
    let p = app.pending.as_ref().filter(|p| p.turn == turn)?;
    let silent = app.now_ms.saturating_sub(p.last_event_ms);
    (silent >= SILENT_AFTER_MS).then(|| {
        Line::from(Span::styled(
            format!(
                "  ⏸ silent for {}s · ends after {}s of silence · {} stops and keeps the text",
                silent / 1000,
                app.idle_timeout_s,
                app.key_label(Action::Stop)
            ),
            theme.warn,
        ))
    })
}

pub(super) fn cost_label(cost: Cost) -> String {
    match cost.kind {
        CostKind::Estimated => format!("≈{} estimated", format_usd(cost.usd)),
        CostKind::Unknown => "cost unknown (no price known)".to_string(),
        k => format!("{} {}", format_usd(cost.usd), k.label()),
    }
}

/// An answer's header, fitted to `width` cells: the model, tokens, speed
/// and cost; when it does not fit, the model's name gives way first (its
/// vendor, then its middle), then the speed: the cost and how it is known
/// ("reported") always show.
pub(super) fn assistant_header(
    app: &App,
    theme: &Theme,
    a: &Answer,
    cost: Option<Cost>,
    width: u16,
) -> Line<'static> {
    let mut spans = vec![
        Span::styled("▌ ", theme.assistant_label),
        Span::styled(sanitize(a.model()).into_owned(), theme.assistant_label),
    ];
    let live = cost.is_none();
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
    if live {
        if let Some(p) = &app.pending
            && let Some(first) = p.first_token_ms
        {
            let secs = (app.now_ms.saturating_sub(first) as f64 / 1000.0).max(0.001);
            let e = e();
            let tps = (e.output + e.reasoning) as f64 / secs;
            if secs > 0.2 {
                spans.push(Span::styled(format!(" · {tps:.0} tok/s"), theme.dim));
            }
        }
        spans.push(Span::styled(
            format!(" · {}", cost_label(a.cost(&app.catalog))),
            theme.money,
        ));
    } else if let Some(c) = cost {
        spans.push(Span::styled(format!(" · {}", cost_label(c)), theme.money));
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

/// Resolves the scroll request against real line heights and draws the
/// visible lines.
pub fn draw(f: &mut Frame, app: &App, view: &mut View, theme: &Theme, area: Rect) {
    let width = area.width.max(1);
    let height = area.height as usize;
    let n = app.entries.len();
    view.sync_epoch(app);
    if n == 0 || height == 0 {
        draw_empty(f, app, theme, area);
        return;
    }
    let View {
        scroll,
        cache,
        images,
        ..
    } = view;
    let mut caches = Caches { cache, images };
    // Within a frame an entry is rendered at most once (the streaming
    // answer is not cached across frames, and heights and drawing both ask).
    let mut memo: HashMap<usize, Lines> = HashMap::new();
    let mut lines_of = |i: usize| -> Lines {
        Rc::clone(
            memo.entry(i)
                .or_insert_with(|| entry_lines(app, theme, &mut caches, i, width)),
        )
    };
    let (ei, li) = super::view::resolve(scroll, app, height, &mut |i| lines_of(i).len());
    let following = scroll.following() && (ei, li) != (0, 0);
    let last_len = lines_of(n - 1).len();
    // Walk forward from the first visible line over visible lines only.
    let mut lines = Vec::with_capacity(height);
    let mut images = Vec::new();
    let mut i = ei;
    let mut skip = li;
    while i < n && lines.len() < height {
        let r = lines_of(i);
        let row0 = lines.len();
        let take = r.len().saturating_sub(skip).min(height - row0);
        lines.extend(r.lines_from(skip).take(take).cloned());
        for slot in &r.images {
            let rows = usize::from(slot.protocol.size().height);
            // Only images wholly in view are drawn; the placeholder line says so otherwise.
            if slot.line >= skip && slot.line + rows <= skip + take {
                let y = area.y + (row0 + slot.line - skip) as u16;
                images.push((y, slot.protocol.clone()));
            }
        }
        skip = 0;
        i += 1;
    }
    super::draw_lines(f.buffer_mut(), area, &lines);
    // Only text moves with a terminal scroll (not a graphics protocol's image).
    view.mark_bottom(area, following && images.is_empty(), n, last_len);
    for (y, proto) in images {
        let size = proto.size();
        let rect = Rect {
            x: area.x + 2,
            y,
            width: size.width.min(area.width.saturating_sub(2)),
            height: size.height,
        };
        // The placeholder line under the picture must not show beside it.
        f.render_widget(
            ratatui::widgets::Clear,
            Rect {
                x: area.x,
                y,
                width: area.width,
                height: 1,
            },
        );
        f.render_widget(ratatui_image::Image::new(&proto), rect);
    }
}

fn draw_empty(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let mut lines = vec![
        Line::from(Span::styled("orchat", theme.assistant_label)),
        Line::from(Span::styled(
            format!(
                "model {} · {} to change · {} for help",
                sanitize(&app.model),
                app.key_label(Action::OpenPicker),
                app.key_label(Action::Help)
            ),
            theme.dim,
        )),
    ];
    if app.provider_label == "demo" {
        lines.push(Line::from(Span::styled(
            "demo mode: answers come from the built-in local server; set OPENROUTER_API_KEY for real models",
            theme.notice,
        )));
    }
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Pending;
    use crate::chat::catalog::Catalog;

    fn lines_of(out: Out) -> Vec<Line<'static>> {
        let (parts, len) = out.finish();
        let lines: Vec<Line<'static>> = parts.iter().flat_map(|p| p.iter().cloned()).collect();
        assert_eq!(lines.len(), len);
        lines
    }

    /// Frame after frame as an answer grows, the streaming answer drawn from
    /// the incremental cache has exactly the lines of a full render.
    #[test]
    fn streaming_answer_matches_a_full_render_as_it_grows() {
        let theme = Theme::dark();
        let mut app = App::new(Catalog::bundled(), "demo", "google/gemini-2.5-flash");
        let text = "# Title\n\npara one with **bold**\n\n```rust\nfn a() {}\n\nfn b() {}\n```\n\n\
                    hostile \u{1b}[31m red\r and \u{202e} bidi\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\nend 日本語";
        app.entries.push(Entry::User {
            text: "q".into(),
            images: Vec::new(),
        });
        app.entries.push(Entry::Assistant {
            turn: 1,
            answer: Box::new(Answer::new("google/gemini-2.5-flash", 10, 0)),
            cost: None,
        });
        let pending = Pending {
            turn: 1,
            started_ms: 0,
            last_event_ms: 0,
            first_token_ms: None,
            retry_at_ms: None,
            retry_reason: None,
            retries: 0,
        };
        let mut view = View::new();
        for (cut, _) in text.char_indices().skip(1) {
            if let Entry::Assistant { answer, .. } = &mut app.entries[1] {
                answer.text = text[..cut].to_string();
                answer.status = Status::Streaming;
            }
            let mut c = Caches {
                cache: &mut view.cache,
                images: &mut view.images,
            };
            let render = |app: &App, c: &mut Caches| {
                lines_of(render_entry(
                    app,
                    &theme,
                    c,
                    &app.entries[1],
                    40,
                    &mut Vec::new(),
                ))
            };
            // Streaming (through the incremental cache), then settled.
            app.pending = Some(pending.clone());
            let live = render(&app, &mut c);
            let settled = c.cache.live.first().map_or(0, |l| l.md.settled().len());
            app.pending = None;
            let full = render(&app, &mut c);
            assert_eq!(live, full, "at byte {cut}");
            // With no streaming state left, rendered whole: the same lines.
            let scratch = render(&app, &mut c);
            assert_eq!(full, scratch, "at byte {cut}");
            if cut > text.len() / 2 {
                assert!(settled > 0, "the settled blocks were kept at byte {cut}");
            }
            // Drawn finished, the answer's streaming state is let go.
            assert!(c.cache.live.is_empty(), "at byte {cut}");
        }
    }
}
