//! Compare mode on screen: the open round as columns side by side (tabs
//! below 100 cells), each a whole answer view with its header (model,
//! state, live cost, time to first token, tokens a second, time, tokens)
//! and its own scroll, under the prompt and over a summary line; and a
//! round in the history (the kept answer, and what else was asked).

use std::rc::Rc;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::conversation::{Body, answer_body, assistant_header, cost_label, spinner};
use super::rendered::{Caches, ImageSlot, Out, Rendered};
use super::view::View;
use crate::app::compare::short;
use crate::app::round::{Column, ColumnState, Round};
use crate::app::{App, Jump};
use crate::chat::answer::Status;
use crate::chat::pricing::{CostKind, format_usd};
use crate::config::theme::Theme;
use crate::text::{preview, sanitize};

/// Below this width the columns become tabs, one answer at a time.
pub const TABS_BELOW: u16 = 100;

/// Header lines above each column's answer.
const HEADER: u16 = 5;

/// A round in the conversation's history: the kept answer as any answer,
/// then what else was asked; a round none was kept of, a line per model.
#[allow(clippy::too_many_arguments)]
pub(super) fn round_in_history(
    app: &App,
    theme: &Theme,
    c: &mut Caches,
    r: &Round,
    width: u16,
    slots: &mut Vec<ImageSlot>,
    out: &mut Out,
) {
    match r.kept_column() {
        Some(kept) => {
            out.push(assistant_header(app, theme, &kept.answer, kept.cost, width));
            let how = Body {
                live: false,
                fold_reasoning: false,
            };
            answer_body(
                app,
                theme,
                c,
                &kept.answer,
                kept.turn,
                how,
                width,
                slots,
                out,
            );
            let others: Vec<String> = r
                .columns
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != r.kept)
                .map(|(_, col)| {
                    format!(
                        "{} {} ({})",
                        short(&col.answer.model_requested),
                        cost_label(col.live_cost(&app.catalog)),
                        col.state(app.now_ms).label()
                    )
                })
                .collect();
            let line = format!(
                "⇄ also asked: {} · kept as alternatives, not sent",
                others.join(" · ")
            );
            out.extend(super::conversation::wrap_plain(
                &line, theme.dim, width, "  ",
            ));
        }
        None => {
            out.push(Line::from(Span::styled(
                format!("▌ compared {} models · none kept", r.columns.len()),
                theme.assistant_label,
            )));
            for (i, col) in r.columns.iter().enumerate() {
                out.push(Line::from(vec![
                    Span::styled(
                        format!("  {} {} · ", i + 1, short(&col.answer.model_requested)),
                        theme.dim,
                    ),
                    Span::styled(col.state(app.now_ms).label(), state_style(col, app, theme)),
                    Span::styled(
                        format!(" · {}", cost_label(col.live_cost(&app.catalog))),
                        theme.money,
                    ),
                ]));
            }
        }
    }
}

fn state_style(col: &Column, app: &App, theme: &Theme) -> Style {
    match col.state(app.now_ms) {
        ColumnState::Ended(Status::Complete) => theme.notice,
        ColumnState::Ended(_) | ColumnState::RateLimited { .. } => theme.warn,
        _ => theme.dim,
    }
}

/// A column's mark in the tab strip.
fn glyph(col: &Column, app: &App) -> String {
    match col.state(app.now_ms) {
        ColumnState::Waiting | ColumnState::Thinking | ColumnState::Streaming => {
            spinner(app).to_string()
        }
        ColumnState::RateLimited { secs, .. } => format!("⏳{secs}s"),
        ColumnState::Ended(Status::Complete) => "✓".into(),
        ColumnState::Ended(Status::Failed) => "✖".into(),
        ColumnState::Ended(_) => "■".into(),
    }
}

fn secs(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

/// The column's header: model, state and cost, speed, tokens.
fn header(app: &App, theme: &Theme, n: usize, col: &Column, focused: bool) -> Vec<Line<'static>> {
    let name_style = if focused {
        theme.assistant_label.patch(theme.selected)
    } else {
        theme.assistant_label
    };
    let cost = col.live_cost(&app.catalog);
    let cost = match cost.kind {
        CostKind::Estimated => format!("≈{}", format_usd(cost.usd)),
        CostKind::Unknown => "cost unknown".into(),
        k => format!("{} {}", format_usd(cost.usd), k.label()),
    };
    let mut speed = vec![];
    if let Some(t) = col.ttft_ms() {
        speed.push(format!("TTFT {}", secs(t)));
    }
    if let Some(tps) = col.tokens_per_s(app.now_ms) {
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
            Span::styled(col.state(app.now_ms).label(), state_style(col, app, theme)),
        ]),
        // A line of its own: a figure of record is never cut.
        Line::from(Span::styled(format!(" {cost}"), theme.money)),
        Line::from(Span::styled(format!(" {}", speed.join(" · ")), theme.dim)),
        Line::from(Span::styled(
            match col.elapsed_ms(app.now_ms) {
                // A reopened round saved without its times.
                0 if !col.is_live() => format!(" {tokens}"),
                ms => format!(" took {} · {tokens}", secs(ms)),
            },
            theme.dim,
        )),
    ]
}

/// The answer lines of a column at `width`: rendered once when it ended,
/// through the incremental markdown while it streams.
fn body(app: &App, theme: &Theme, c: &mut Caches, col: &Column, width: u16) -> Rc<Rendered> {
    if !col.is_live()
        && let Some(r) = c.cache.columns.get(&(col.turn, width))
    {
        return Rc::clone(r);
    }
    let mut out = Out::default();
    let mut slots = Vec::new();
    let how = Body {
        live: col.is_live(),
        fold_reasoning: true,
    };
    answer_body(
        app,
        theme,
        c,
        &col.answer,
        col.turn,
        how,
        width,
        &mut slots,
        &mut out,
    );
    let (parts, len) = out.finish();
    let r = Rc::new(Rendered {
        parts,
        len,
        images: slots,
    });
    if !col.is_live() {
        c.cache.columns.insert((col.turn, width), Rc::clone(&r));
    }
    r
}

/// Draws the open round `r` in `area`.
pub fn draw(f: &mut Frame, app: &App, view: &mut View, theme: &Theme, r: &Round, area: Rect) {
    view.sync_epoch(app);
    if area.height < HEADER + 4 || area.width < 20 {
        return;
    }
    let prompt = app
        .entries
        .iter()
        .rev()
        .find_map(|e| match e {
            crate::app::Entry::User { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .unwrap_or("");
    let top = Line::from(vec![
        Span::styled("▌ you · ", theme.user_label),
        Span::styled(
            sanitize(&preview(prompt.lines().next().unwrap_or(""), 200)).into_owned(),
            theme.text,
        ),
    ]);
    super::draw_lines(f.buffer_mut(), Rect { height: 1, ..area }, &[top]);
    let summary_row = Rect {
        y: area.bottom() - 1,
        height: 1,
        ..area
    };
    super::draw_lines(
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
        super::draw_lines(
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
        let n = r.columns.len() as u16;
        let w = (body_area.width + 1) / n;
        (0..r.columns.len())
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
            super::draw_lines(
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
    r: &Round,
    i: usize,
    rect: Rect,
) {
    let col = &r.columns[i];
    let head = header(app, theme, i, col, i == r.focus);
    super::draw_lines(
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
    let lines = body(app, theme, &mut c, col, text_area.width);
    let height = usize::from(text_area.height);
    // First seen streaming: it follows the bottom; first seen ended (a tab
    // opened later, a reopened round): it starts at the top.
    let scroll = columns
        .entry(col.turn)
        .or_insert_with(|| ColumnScroll::new(col.is_live()));
    let top = scroll.resolve(&col.scroll, lines.len(), height);
    let visible: Vec<Line> = lines.lines_from(top).take(height).cloned().collect();
    super::draw_lines(f.buffer_mut(), text_area, &visible);
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
fn tab_strip(app: &App, theme: &Theme, r: &Round, width: u16) -> Vec<Line<'static>> {
    let tab = |i: usize, col: &Column, name_len: usize| {
        let cost = col.live_cost(&app.catalog);
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
        r.columns
            .iter()
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
    for (i, col) in r.columns.iter().enumerate() {
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

/// The round's cost in all (whole, first), then cheapest, first to
/// finish and first to answer, as many as fit in `width` (the keys are on
/// the hint line).
fn summary(app: &App, theme: &Theme, r: &Round, width: u16) -> Line<'static> {
    let s = r.summary(&app.catalog);
    let name = |c: usize| {
        short(&r.columns[c].answer.model_requested)
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
        let approx = match r.columns[c].live_cost(&app.catalog).kind {
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

/// A compare column's scroll: the first line shown (`None` follows the
/// bottom), and the app's requests already applied.
#[derive(Default)]
pub struct ColumnScroll {
    top: Option<usize>,
    applied: crate::app::ScrollRequest,
}

impl ColumnScroll {
    fn new(follow: bool) -> ColumnScroll {
        ColumnScroll {
            top: (!follow).then_some(0),
            applied: Default::default(),
        }
    }

    /// The first line to show of `len` in `height` rows, after the
    /// requests that came since the last frame.
    fn resolve(&mut self, asked: &crate::app::ScrollRequest, len: usize, height: usize) -> usize {
        let was = std::mem::replace(&mut self.applied, *asked);
        let last = len.saturating_sub(height);
        if asked.jumps != was.jumps {
            self.top = match asked.jump {
                Jump::Top => Some(0),
                Jump::Bottom => None,
            };
        }
        let h = height.max(2) as i64;
        let delta = (asked.lines - was.lines)
            + (asked.pages - was.pages) * (h - 1)
            + (asked.half_pages - was.half_pages) * (h / 2);
        if delta != 0 {
            let from = self.top.unwrap_or(last) as i64;
            let to = (from + delta).clamp(0, last as i64) as usize;
            self.top = (to < last).then_some(to);
        }
        match self.top {
            Some(t) if t < last => t,
            _ => {
                self.top = None;
                last
            }
        }
    }
}
