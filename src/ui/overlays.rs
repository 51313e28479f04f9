//! Overlays drawn over the chat: the model picker, the cost panel, help and
//! the quit confirmation.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table};
use rust_decimal::Decimal;

use crate::app::update::filtered_models;
use crate::app::{App, PickerState, SessionsState};
use crate::keymap;
use crate::pricing::{format_usd, per_million};
use crate::text::sanitize;
use crate::ui::short_count;
use crate::ui::theme::Theme;

fn centered(area: Rect, w_pct: u16, h_pct: u16, min_w: u16, min_h: u16) -> Rect {
    let w = (area.width * w_pct / 100).max(min_w).min(area.width);
    let h = (area.height * h_pct / 100).max(min_h).min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// The overlay's area plus one column to its left: a wide character (CJK,
/// emoji) starting just left of the border would otherwise spill over it.
fn clear_area(r: Rect, area: Rect) -> Rect {
    let x = r.x.saturating_sub(1).max(area.x);
    Rect {
        x,
        width: r.width + (r.x - x),
        ..r
    }
}

/// Opens an overlay at `r` over the screen `area`: clears what is under it,
/// draws its titled border, and returns the area inside.
fn open_box(f: &mut Frame, r: Rect, area: Rect, title: &str, theme: &Theme) -> Rect {
    f.render_widget(Clear, clear_area(r, area));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(title, theme.assistant_label));
    let inner = block.inner(r);
    f.render_widget(block, r);
    inner
}

pub fn picker(f: &mut Frame, app: &App, theme: &Theme, p: &PickerState, area: Rect) {
    let r = centered(area, 94, 86, 40, 10);
    let inner = open_box(
        f,
        r,
        area,
        " model · type to filter · Enter choose · Esc close ",
        theme,
    );
    let [filter_row, table_row] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("filter: ", theme.dim),
            Span::raw(sanitize(&p.filter).into_owned()),
            Span::styled("▏", theme.border_focus),
        ])),
        filter_row,
    );
    let matches = filtered_models(&app.catalog, &p.filter);
    let (ctx_tokens, ctx_images) = app.context_estimate(&app.draft());
    let wide = inner.width >= 90;
    let visible = table_row.height.saturating_sub(1) as usize;
    let first = p.selected.saturating_sub(visible.saturating_sub(1));
    let rows: Vec<Row> = matches
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .map(|(pos, &i)| {
            let m = &app.catalog.models[i];
            let mark = if m.id == app.model { "●" } else { " " };
            let fits = m.context_length == 0 || ctx_tokens <= m.context_length;
            let mut tags = Vec::new();
            if m.is_free() {
                tags.push("free");
            }
            if m.is_thinking() {
                tags.push("think");
            }
            let img = match (m.accepts_images(), m.outputs_images()) {
                (true, true) => "in+out",
                (true, false) => "in",
                (false, true) => "out",
                _ => "",
            };
            let send = m.pricing.input_cost(ctx_tokens, ctx_images);
            let send_cell = if fits {
                format!("≈{}", format_usd(send))
            } else {
                "✗ too long".to_string()
            };
            let mut cells = vec![
                Cell::from(mark),
                Cell::from(sanitize(&m.id).into_owned()),
                Cell::from(per_million(m.pricing.prompt)),
                Cell::from(per_million(m.pricing.completion)),
            ];
            if wide {
                cells.push(Cell::from(short_count(m.context_length)));
                cells.push(Cell::from(img));
                cells.push(Cell::from(tags.join(" ")));
            }
            cells.push(Cell::from(send_cell));
            let row = Row::new(cells);
            if pos == p.selected {
                row.style(theme.selected)
            } else if !fits {
                row.style(theme.dim)
            } else {
                row
            }
        })
        .collect();
    let mut header = vec!["", "model", "in $/M", "out $/M"];
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Min(20),
        Constraint::Length(8),
        Constraint::Length(8),
    ];
    if wide {
        header.extend(["ctx", "image", "tags"]);
        widths.extend([
            Constraint::Length(5),
            Constraint::Length(6),
            Constraint::Length(10),
        ]);
    }
    header.push("send now");
    widths.push(Constraint::Length(12));
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.dim))
        .column_spacing(1);
    f.render_widget(table, table_row);
    if matches.is_empty() {
        f.render_widget(
            Paragraph::new(Span::styled("no model matches", theme.dim)),
            Rect {
                y: table_row.y + 1,
                height: 1,
                ..table_row
            },
        );
    }
}

pub fn cost(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let r = centered(area, 96, 70, 40, 10);
    let inner = open_box(f, r, area, " cost per model · Esc close ", theme);
    let mut rows: Vec<Row> = app
        .ledger
        .by_model
        .iter()
        .map(|(model, s)| {
            Row::new(vec![
                Cell::from(sanitize(model).into_owned()),
                Cell::from(s.turns.to_string()),
                Cell::from(short_count(s.prompt_tokens)),
                Cell::from(short_count(s.completion_tokens)),
                Cell::from(short_count(s.reasoning_tokens)),
                Cell::from(s.images_in.to_string()),
                Cell::from(short_count(s.image_tokens)),
                Cell::from(format_usd(s.cost)),
                Cell::from(if s.estimated.is_zero() {
                    String::new()
                } else {
                    format!("≈{}", format_usd(s.estimated))
                }),
            ])
        })
        .collect();
    let total = app.ledger.total();
    rows.push(
        Row::new(vec![
            Cell::from("total"),
            Cell::from(
                app.ledger
                    .by_model
                    .values()
                    .map(|s| s.turns)
                    .sum::<u32>()
                    .to_string(),
            ),
            Cell::from(""),
            Cell::from(""),
            Cell::from(""),
            Cell::from(""),
            Cell::from(""),
            Cell::from(format_usd(total)),
            Cell::from(if app.ledger.estimated().is_zero() {
                String::new()
            } else {
                format!("≈{}", format_usd(app.ledger.estimated()))
            }),
        ])
        .style(theme.assistant_label),
    );
    let [table_area, foot] =
        Layout::vertical([Constraint::Min(2), Constraint::Length(2)]).areas(inner);
    let table = Table::new(
        rows,
        [
            Constraint::Min(28),
            Constraint::Length(5),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(7),
            Constraint::Length(11),
            Constraint::Length(11),
        ],
    )
    .header(
        Row::new(vec![
            "model",
            "turns",
            "in",
            "out",
            "think",
            "img in",
            "img out",
            "cost",
            "estimated",
        ])
        .style(theme.dim),
    )
    .column_spacing(1);
    f.render_widget(table, table_area);
    let reported: Decimal = app.ledger.by_model.values().map(|s| s.reported).sum();
    let ours: Decimal = app
        .ledger
        .by_model
        .values()
        .map(|s| s.computed_for_reported)
        .sum();
    let gap = if reported.is_zero() {
        "no reported costs yet".to_string()
    } else {
        format!(
            "reported {} · our prices say {} · gap {}",
            format_usd(reported),
            format_usd(ours),
            format_usd(reported - ours)
        )
    };
    f.render_widget(Paragraph::new(Span::styled(gap, theme.dim)), foot);
}

pub fn confirm_send(f: &mut Frame, theme: &Theme, reason: &str, area: Rect) {
    let r = centered(area, 70, 30, 30, 6);
    let r = Rect {
        height: r.height.min(6),
        ..r
    };
    let inner = open_box(f, r, area, " over budget ", theme);
    let lines = vec![
        Line::from(Span::styled(reason.to_string(), theme.warn)),
        Line::from("Send anyway?  y / n"),
    ];
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        inner,
    );
}

/// Two columns with a hanging indent: a key (or command) and what it does,
/// the description wrapped under itself.
fn help_rows(
    rows: &[(String, &str)],
    style: ratatui::style::Style,
    width: u16,
) -> Vec<Line<'static>> {
    let key_w = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(36)
        + 2;
    let desc_w = (width as usize).saturating_sub(key_w).max(10) as u16;
    let mut out = Vec::new();
    for (k, d) in rows {
        let wrapped = crate::ui::markdown::wrap_line(Line::from(d.to_string()), desc_w);
        for (i, w) in wrapped.into_iter().enumerate() {
            let head = if i == 0 {
                format!("{k:<key_w$}")
            } else {
                " ".repeat(key_w)
            };
            let mut spans = vec![Span::styled(head, style)];
            spans.extend(w.spans);
            out.push(Line::from(spans));
        }
    }
    out
}

pub fn help(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let r = centered(area, 86, 94, 40, 10);
    let inner = open_box(
        f,
        r,
        area,
        " keys and commands · ↑↓ PgUp PgDn scroll · Esc close ",
        theme,
    );
    let keys: Vec<(String, &str)> = keymap::CHAT
        .iter()
        .map(|b| (app.keymap.label(b.action), b.description))
        .collect();
    let commands: Vec<(String, &str)> = keymap::COMMANDS
        .iter()
        .map(|(c, d)| (c.to_string(), *d))
        .collect();
    let mut lines = help_rows(&keys, theme.assistant_label, inner.width);
    lines.push(Line::default());
    lines.extend(help_rows(&commands, theme.user_label, inner.width));
    let max_scroll = lines.len().saturating_sub(inner.height as usize) as u16;
    f.render_widget(
        Paragraph::new(lines).scroll((app.help_scroll.min(max_scroll), 0)),
        inner,
    );
}

pub fn confirm_quit(f: &mut Frame, theme: &Theme, area: Rect) {
    let r = centered(area, 40, 20, 24, 3);
    let r = Rect { height: 3, ..r };
    let inner = open_box(f, r, area, " quit? ", theme);
    f.render_widget(Paragraph::new("Quit orchat?  y / n"), inner);
}

pub fn sessions(f: &mut Frame, app: &App, theme: &Theme, s: &SessionsState, area: Rect) {
    let r = centered(area, 94, 86, 40, 10);
    let inner = open_box(
        f,
        r,
        area,
        " conversations · type to search · Enter open · Ctrl+R rename · Ctrl+X delete · Esc ",
        theme,
    );
    let [top, table_row] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let prompt = if s.confirm_delete {
        Line::from(Span::styled(
            "delete the selected conversation? y / n",
            theme.warn,
        ))
    } else if let Some(t) = &s.renaming {
        Line::from(vec![
            Span::styled("new title: ", theme.dim),
            Span::raw(sanitize(t).into_owned()),
            Span::styled("▏", theme.border_focus),
        ])
    } else if let Some(e) = &s.error {
        Line::from(Span::styled(crate::text::preview(e, 200), theme.error))
    } else {
        Line::from(vec![
            Span::styled("search: ", theme.dim),
            Span::raw(sanitize(&s.query).into_owned()),
            Span::styled("▏", theme.border_focus),
        ])
    };
    f.render_widget(Paragraph::new(prompt), top);
    let visible = table_row.height.saturating_sub(1) as usize;
    let first = s.selected.saturating_sub(visible.saturating_sub(1));
    let rows: Vec<Row> = s
        .items
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .map(|(i, item)| {
            let m = &item.meta;
            let mark = if m.id == app.conversation_id {
                "●"
            } else {
                " "
            };
            let title = match &item.snippet {
                Some(snip) => format!("{} — {}", m.title, snip),
                None => m.title.clone(),
            };
            let row = Row::new(vec![
                Cell::from(mark),
                Cell::from(
                    crate::store::format_utc(m.updated_ms)
                        .chars()
                        .take(16)
                        .collect::<String>(),
                ),
                Cell::from(crate::text::preview(&title, 120)),
                Cell::from(crate::text::preview(
                    &m.models
                        .iter()
                        .map(|x| x.rsplit('/').next().unwrap_or(x))
                        .collect::<Vec<_>>()
                        .join(", "),
                    40,
                )),
                Cell::from(m.messages.to_string()),
                Cell::from(format_usd(m.total_cost)),
            ]);
            if i == s.selected {
                row.style(theme.selected)
            } else {
                row
            }
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Length(16),
            Constraint::Min(20),
            Constraint::Length(24),
            Constraint::Length(4),
            Constraint::Length(10),
        ],
    )
    .header(Row::new(vec!["", "updated (UTC)", "title", "models", "msgs", "cost"]).style(theme.dim))
    .column_spacing(1);
    f.render_widget(table, table_row);
    if s.items.is_empty() && s.error.is_none() {
        let msg = if s.query.is_empty() {
            "no saved conversations yet"
        } else {
            "nothing matches"
        };
        f.render_widget(
            Paragraph::new(Span::styled(msg, theme.dim)),
            Rect {
                y: table_row.y + 1,
                height: 1,
                ..table_row
            },
        );
    }
}
