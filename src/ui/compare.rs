//! Compare mode on screen: the open ask's answers as columns side by side
//! (tabs below 100 cells), each a whole answer view with its header (model,
//! state, live cost, time to first token, tokens a second, time, tokens)
//! and its own scroll, under the prompt and over a summary line (the
//! round's cost, cheapest, first done, first token).

use std::rc::Rc;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use rust_decimal::Decimal;

use super::answer::{Body, answer_body, note_lines, spinner};
use super::rendered::{Caches, Out, Rendered, visible};
use super::view::{ColumnScroll, View};
use crate::app::conversation::{NodeId, OpenAsk, Reply, ReplyState};
use crate::app::{App, short};
use crate::chat::answer::Status;
use crate::chat::pricing::{CostKind, format_usd, sat_add};
use crate::config::theme::Theme;
use crate::text::{preview, sanitize};

/// Below this width the columns become tabs, one answer at a time.
pub const TABS_BELOW: u16 = 100;

/// Header lines above each column's answer.
const HEADER: u16 = 5;

fn state_style(col: &Reply, app: &App, theme: &Theme) -> Style {
    match col.state(app.env.now_ms) {
        ReplyState::Ended(Status::Complete) => theme.notice,
        ReplyState::Ended(_) | ReplyState::Retrying { .. } => theme.warn,
        _ => theme.dim,
    }
}

/// A column's mark in the tab strip.
fn glyph(col: &Reply, app: &App) -> String {
    match col.state(app.env.now_ms) {
        ReplyState::Waiting | ReplyState::Thinking | ReplyState::Streaming => {
            spinner(app).to_string()
        }
        ReplyState::Retrying { secs, .. } => format!("⏳{secs}s"),
        ReplyState::Ended(Status::Complete) => "✓".into(),
        ReplyState::Ended(Status::Failed) => "✖".into(),
        ReplyState::Ended(_) => "■".into(),
    }
}

fn secs(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

/// The column's header: model, state and cost, speed, tokens.
fn header(app: &App, theme: &Theme, n: usize, col: &Reply, focused: bool) -> Vec<Line<'static>> {
    let now = app.env.now_ms;
    let name_style = if focused {
        theme.assistant_label.patch(theme.selected)
    } else {
        theme.assistant_label
    };
    let cost = col.live_cost(&app.env.catalog);
    let cost = match cost.kind {
        CostKind::Estimated => format!("≈{}", format_usd(cost.usd)),
        CostKind::Unknown => "cost unknown".into(),
        k => format!("{} {}", format_usd(cost.usd), k.label()),
    };
    let mut speed = vec![];
    if let Some(t) = col.timing.ttft_ms() {
        speed.push(format!("TTFT {}", secs(t)));
    }
    if let Some(tps) = col.tokens_per_s(now) {
        speed.push(format!("{tps:.0} tok/s"));
    }

    let e = col.answer.estimate();
    let tokens = match &col.answer.usage {
        Some(u) if col.answer.implausible_output_count().is_none() => {
            format!("{} in · {} out", u.prompt_tokens, u.completion_tokens)
        }
        _ => format!("≈{} in · ≈{} out", e.prompt, e.output + e.reasoning),
    };
    vec![
        Line::from(Span::styled(
            format!(
                "{}{} {}",
                if focused { "▶" } else { " " },
                n + 1,
                sanitize(short(&col.answer.model_requested))
            ),
            name_style,
        )),
        Line::from(vec![
            Span::raw(" "),
            Span::styled(col.state(now).label(), state_style(col, app, theme)),
        ]),
        // A line of its own: a figure of record is never cut.
        Line::from(Span::styled(format!(" {cost}"), theme.money)),
        Line::from(Span::styled(format!(" {}", speed.join(" · ")), theme.dim)),
        Line::from(Span::styled(
            match col.timing.elapsed_ms(now) {
                // A reopened round saved without its times.
                0 if !col.is_live() => format!(" {tokens}"),
                ms => format!(" took {} · {tokens}", secs(ms)),
            },
            theme.dim,
        )),
    ]
}

/// The answer lines of a column at `width`, its notes (how it ended, what
/// to do) under it, wrapped: rendered once when it ended (until its
/// revision moves on), through the incremental markdown while it streams.
fn body(app: &App, theme: &Theme, c: &mut Caches, id: NodeId, width: u16) -> Rc<Rendered> {
    let Some(slot) = app.conversation.tree().get(id) else {
        return Rc::new(Rendered {
            parts: Vec::new(),
            len: 0,
            images: Vec::new(),
        });
    };
    let Some(col) = slot.body.reply() else {
        return Rc::new(Rendered {
            parts: Vec::new(),
            len: 0,
            images: Vec::new(),
        });
    };
    if !col.is_live()
        && let Some((rev, r)) = c.cache.columns.get(&(id, width))
        && *rev == slot.revision
    {
        return Rc::clone(r);
    }
    let mut out = Out::default();
    let mut slots = Vec::new();
    let how = Body {
        fold_reasoning: true,
        column: true,
    };
    answer_body(app, theme, c, col, id, how, width, &mut slots, &mut out);
    for &n in &slot.notes {
        note_lines(app, theme, n, width, &mut out);
    }
    let (parts, len) = out.finish();
    let r = Rc::new(Rendered {
        parts,
        len,
        images: slots,
    });
    if !col.is_live() {
        c.cache
            .columns
            .insert((id, width), (slot.revision, Rc::clone(&r)));
    }
    r
}

/// Draws the open ask `r` in `area`.
pub fn draw(f: &mut Frame, app: &App, view: &mut View, theme: &Theme, r: &OpenAsk, area: Rect) {
    if area.height < HEADER + 4 || area.width < 20 {
        return;
    }
    let prompt = app
        .conversation
        .prompt(r.prompt)
        .map_or("", |p| p.text.as_str());
    let top = Line::from(vec![
        Span::styled("▌ you · ", theme.user_label),
        Span::styled(
            sanitize(&preview(prompt.lines().next().unwrap_or(""), 200)).into_owned(),
            theme.text,
        ),
    ]);
    super::paint::draw_lines(f.buffer_mut(), Rect { height: 1, ..area }, &[top]);
    let summary_row = Rect {
        y: area.bottom() - 1,
        height: 1,
        ..area
    };
    super::paint::draw_lines(
        f.buffer_mut(),
        summary_row,
        &[summary(app, theme, r, area.width)],
    );
    let mut body_area = Rect {
        y: area.y + 1,
        height: area.height - 2,
        ..area
    };
    let tabs = area.width < TABS_BELOW;
    let shown: Vec<(usize, Rect)> = if tabs {
        let strip = tab_strip(app, theme, r, body_area.width);
        let rows = strip.len() as u16;
        super::paint::draw_lines(
            f.buffer_mut(),
            Rect {
                height: rows,
                ..body_area
            },
            &strip,
        );
        body_area.y += rows;
        body_area.height = body_area.height.saturating_sub(rows);
        vec![(r.focus, body_area)]
    } else {
        let n = r.answers.len() as u16;
        let w = (body_area.width + 1) / n;
        (0..r.answers.len())
            .map(|i| {
                let x = body_area.x + i as u16 * w;
                let width = if i as u16 == n - 1 {
                    body_area.right() - x
                } else {
                    w - 1
                };
                (
                    i,
                    Rect {
                        x,
                        width,
                        ..body_area
                    },
                )
            })
            .collect()
    };
    for (i, rect) in &shown {
        if !tabs && *i > 0 {
            let bar: Vec<Line> = (0..rect.height)
                .map(|_| Line::from(Span::styled("│", theme.border)))
                .collect();
            super::paint::draw_lines(
                f.buffer_mut(),
                Rect {
                    x: rect.x - 1,
                    width: 1,
                    ..*rect
                },
                &bar,
            );
        }
        column(f, app, view, theme, r, *i, *rect);
    }
}

/// One column in `rect`: its header, then its answer where it is scrolled.
fn column(
    f: &mut Frame,
    app: &App,
    view: &mut View,
    theme: &Theme,
    r: &OpenAsk,
    i: usize,
    rect: Rect,
) {
    let id = r.answers[i];
    let Some(col) = app.conversation.reply(id) else {
        return;
    };
    let head = header(app, theme, i, col, i == r.focus);
    super::paint::draw_lines(
        f.buffer_mut(),
        Rect {
            height: HEADER,
            ..rect
        },
        &head,
    );
    // A cell of room before the next column's divider.
    let text_area = Rect {
        y: rect.y + HEADER,
        height: rect.height.saturating_sub(HEADER),
        width: rect.width.saturating_sub(1),
        ..rect
    };
    let View {
        cache,
        images,
        columns,
        ..
    } = view;
    let mut c = Caches { cache, images };
    let lines = body(app, theme, &mut c, id, text_area.width);
    let height = usize::from(text_area.height);
    // First seen streaming: it follows the bottom; first seen ended (a tab
    // opened later, a reopened round): it starts at the top.
    let asked = app.screen.column_scroll;
    let scroll = columns
        .entry(id)
        .or_insert_with(|| ColumnScroll::new(col.is_live(), asked));
    let top = scroll.resolve(&asked, i == r.focus, lines.len(), height);
    let st = theme.markdown();
    let slices = visible(app, c.cache, &st, &lines, top, height);
    let visible: Vec<Line> = slices
        .iter()
        .flat_map(|(p, from, n)| p.lines_from(*from).take(*n))
        .collect();
    super::paint::draw_lines(f.buffer_mut(), text_area, &visible);
    for slot in &lines.images {
        let rows = usize::from(slot.protocol.size().height);
        if slot.line >= top && slot.line + rows <= top + height {
            let y = text_area.y + (slot.line - top) as u16;
            let size = slot.protocol.size();
            f.render_widget(
                ratatui::widgets::Clear,
                Rect {
                    y,
                    height: 1,
                    ..text_area
                },
            );
            f.render_widget(
                ratatui_image::Image::new(&slot.protocol),
                Rect {
                    x: text_area.x + 2,
                    y,
                    width: size.width.min(text_area.width.saturating_sub(2)),
                    height: size.height,
                },
            );
        }
    }
}

/// Below 100 cells: every column's number, mark and cost (whole), and its
/// model as far as there is room: whole, then cut, then only the focused
/// one's; the focused tab highlighted. Tabs that do not fit on one row go
/// on a second.
fn tab_strip(app: &App, theme: &Theme, r: &OpenAsk, width: u16) -> Vec<Line<'static>> {
    let cols: Vec<&Reply> = r
        .answers
        .iter()
        .filter_map(|&i| app.conversation.reply(i))
        .collect();
    let tab = |i: usize, col: &Reply, name_len: usize| {
        let cost = col.live_cost(&app.env.catalog);
        let cost = match cost.kind {
            CostKind::Estimated => format!("≈{}", format_usd(cost.usd)),
            CostKind::Unknown => "?".into(),
            _ => format_usd(cost.usd),
        };
        let n = short(&col.answer.model_requested).trim_start_matches("gemini-");
        let name = match name_len {
            0 => String::new(),
            l if n.chars().count() > l => {
                format!(" {}…", sanitize(&n.chars().take(l - 1).collect::<String>()))
            }
            _ => format!(" {}", sanitize(n)),
        };
        format!(" {}{name} {} {cost} ", i + 1, glyph(col, app))
    };
    let width_of = |name_len: &dyn Fn(usize) -> usize| -> usize {
        cols.iter()
            .enumerate()
            .map(|(i, c)| {
                unicode_width::UnicodeWidthStr::width(tab(i, c, name_len(i)).as_str()) + 1
            })
            .sum()
    };
    let room = usize::from(width);
    let focus = r.focus;
    let choices: [&dyn Fn(usize) -> usize; 4] = [
        &|_| usize::MAX,
        &|_| 8,
        &|i| if i == focus { usize::MAX } else { 0 },
        &|_| 0,
    ];
    let name_len = choices
        .into_iter()
        .find(|c| width_of(*c) <= room)
        .unwrap_or(&|_| 0);
    let mut rows: Vec<Line<'static>> = vec![Line::default()];
    let mut used = 0;
    for (i, col) in cols.iter().enumerate() {
        let text = tab(i, col, name_len(i));
        let w = unicode_width::UnicodeWidthStr::width(text.as_str()) + 1;
        if used > 0 && used + w > room {
            rows.push(Line::default());
            used = 0;
        }
        let line = rows.last_mut().expect("a row");
        if used > 0 {
            line.spans.push(Span::styled("│", theme.border));
        }
        let style = if i == r.focus {
            theme.selected
        } else {
            theme.dim
        };
        line.spans.push(Span::styled(text, style));
        used += w;
    }
    rows
}

/// The round's summary: who was cheapest, first to answer, first to
/// finish, and what the round cost in all.
#[derive(Debug, Clone, PartialEq)]
struct Summary {
    /// (column, USD) of the cheapest that answered.
    cheapest: Option<(usize, Decimal)>,
    /// (column, ms) of the first token.
    first_token: Option<(usize, u64)>,
    /// (column, ms) of the first to end complete.
    first_done: Option<(usize, u64)>,
    /// Every column's cost added up (live estimates included).
    total: Decimal,
    /// Some of the total is estimated (≈), or unknown.
    estimated: bool,
    unknown: bool,
}

fn summarize(app: &App, cols: &[&Reply]) -> Summary {
    let mut s = Summary {
        cheapest: None,
        first_token: None,
        first_done: None,
        total: Decimal::ZERO,
        estimated: false,
        unknown: false,
    };
    for (i, c) in cols.iter().enumerate() {
        let cost = c.live_cost(&app.env.catalog);
        match cost.kind {
            CostKind::Unknown => s.unknown = true,
            CostKind::Estimated => s.estimated = true,
            _ => {}
        }
        s.total = sat_add(s.total, cost.usd);
        if c.answer.received()
            && cost.kind != CostKind::Unknown
            && s.cheapest.is_none_or(|(_, usd)| cost.usd < usd)
        {
            s.cheapest = Some((i, cost.usd));
        }
        if let Some(t) = c.timing.ttft_ms()
            && s.first_token.is_none_or(|(_, best)| t < best)
        {
            s.first_token = Some((i, t));
        }
        if !c.is_live()
            && c.answer.status == Status::Complete
            && let Some(end) = c.timing.finished_ms
        {
            let took = end.saturating_sub(c.timing.started_ms);
            if s.first_done.is_none_or(|(_, best)| took < best) {
                s.first_done = Some((i, took));
            }
        }
    }
    s
}

/// The round's cost in all (whole, first), then cheapest, first to
/// finish and first to answer, as many as fit in `width` (the keys are on
/// the hint line).
fn summary(app: &App, theme: &Theme, r: &OpenAsk, width: u16) -> Line<'static> {
    let cols: Vec<&Reply> = r
        .answers
        .iter()
        .filter_map(|&i| app.conversation.reply(i))
        .collect();
    let s = summarize(app, &cols);
    let name = |c: usize| {
        short(&cols[c].answer.model_requested)
            .trim_start_matches("gemini-")
            .to_string()
    };
    let total = format!(
        "{}{}{}",
        if s.estimated { "≈" } else { "" },
        format_usd(s.total),
        if s.unknown { " + ?" } else { "" }
    );
    let mut parts = vec![(format!(" round {total}"), theme.money)];
    if let Some((c, usd)) = s.cheapest {
        let approx = match cols[c].live_cost(&app.env.catalog).kind {
            CostKind::Estimated => "≈",
            _ => "",
        };
        parts.push((
            format!(" · cheapest {} {approx}{}", name(c), format_usd(usd)),
            theme.money,
        ));
    }
    if let Some((c, ms)) = s.first_done {
        parts.push((format!(" · first done {} {}", name(c), secs(ms)), theme.dim));
    }
    if let Some((c, ms)) = s.first_token {
        parts.push((
            format!(" · first token {} {}", name(c), secs(ms)),
            theme.dim,
        ));
    }
    let mut room = usize::from(width);
    let mut spans = Vec::new();
    for (text, style) in parts {
        let w = unicode_width::UnicodeWidthStr::width(text.as_str());
        // The total always; the rest only whole.
        if !spans.is_empty() && w > room {
            continue;
        }
        room = room.saturating_sub(w);
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}
