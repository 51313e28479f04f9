//! Overlays drawn over the chat: the model picker, the cost panel, help and
//! the quit confirmation.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table};
use rust_decimal::Decimal;

use crate::app::{App, PickerState, SessionsState};
use crate::chat::pricing::{format_usd, per_million};
use crate::config::theme::Theme;
use crate::keymap::{Action, Context};
use crate::text::sanitize;
use crate::ui::columns::{self, Column};
use crate::ui::short_count;

/// The key for `action` on `context`'s screen, as the keymap in force has it.
fn key(app: &App, context: Context, action: Action) -> String {
    app.keymap.key_in(context, action)
}

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

/// A ratatui table from fitted columns: rows styled by `style_of(row)`.
fn table_of<'a>(
    fitted: &[(Column, usize)],
    rows: usize,
    first: usize,
    visible: usize,
    theme: &Theme,
    style_of: impl Fn(usize) -> Option<ratatui::style::Style>,
) -> Table<'a> {
    let header = Row::new(
        fitted
            .iter()
            .map(|(c, w)| Cell::from(columns::cell(&c.header, *w, c)))
            .collect::<Vec<_>>(),
    )
    .style(theme.dim);
    let body: Vec<Row> = (first..rows.min(first + visible))
        .map(|r| {
            let row = Row::new(
                fitted
                    .iter()
                    .map(|(c, w)| Cell::from(columns::cell(&c.cells[r], *w, c)))
                    .collect::<Vec<_>>(),
            );
            match style_of(r) {
                Some(st) => row.style(st),
                None => row,
            }
        })
        .collect();
    let widths: Vec<Constraint> = fitted
        .iter()
        .map(|(_, w)| Constraint::Length(*w as u16))
        .collect();
    Table::new(body, widths).header(header).column_spacing(1)
}

/// The vendor prefix most of these model ids share (`google/`), if one
/// does: tables leave it out of those ids so the parts that differ get the
/// room, and say so in the header.
fn common_vendor<'a>(ids: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut n = 0;
    for id in ids {
        n += 1;
        if let Some((vendor, _)) = id.split_once('/') {
            *counts.entry(vendor).or_default() += 1;
        }
    }
    let (vendor, k) = counts.into_iter().max_by_key(|(_, k)| *k)?;
    (k * 2 >= n && k > 1).then(|| format!("{vendor}/"))
}

pub fn picker(f: &mut Frame, app: &App, theme: &Theme, p: &PickerState, area: Rect) {
    let r = centered(area, 94, 86, 40, 10);
    let title = format!(
        " model · type to filter · {} choose · {} close ",
        key(app, Context::Picker, Action::Choose),
        key(app, Context::Picker, Action::Close)
    );
    let inner = open_box(f, r, area, &title, theme);
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
    let matches = &p.matches;
    let (ctx_tokens, ctx_images) = app.context_estimate(&app.draft());
    let vendor = common_vendor(app.catalog.models.iter().map(|m| m.id.as_str()));
    let model_header = match &vendor {
        Some(v) => format!("model ({v}…)"),
        None => "model".to_string(),
    };
    let mut cols = [
        Column::new("", 11),
        Column::new(&model_header, 10).flex().min_width(24),
        Column::new("in $/M", 7).right(),
        Column::new("out $/M", 7).right(),
        Column::new("ctx", 3).right(),
        Column::new("image", 2),
        Column::new("tags", 8),
        Column::new("send now", 9).right(),
    ];
    let mut fits_all = Vec::with_capacity(matches.len());
    for &i in matches {
        let m = &app.catalog.models[i];
        let fits = m.context_length == 0 || ctx_tokens <= m.context_length;
        fits_all.push(fits);
        let mut tags = Vec::new();
        if m.is_free() {
            // OpenRouter's `:free` ids share a daily cap: how much is left.
            match app.free_usage().filter(|_| m.id.ends_with(":free")) {
                Some((used, cap)) => tags.push(format!("free {used}/{cap}")),
                None => tags.push("free".into()),
            }
        }
        if m.is_thinking() {
            tags.push("think".into());
        }
        let img = match (m.accepts_images(), m.outputs_images()) {
            (true, true) => "in+out",
            (true, false) => "in",
            (false, true) => "out",
            _ => "",
        };
        let id = vendor
            .as_deref()
            .and_then(|v| m.id.strip_prefix(v))
            .unwrap_or(&m.id);
        let (price_in, price_out, send) = match &m.pricing {
            Some(pr) => (
                per_million(pr.prompt),
                per_million(pr.completion),
                format!("≈{}", format_usd(pr.input_cost(ctx_tokens, ctx_images))),
            ),
            None => ("?".into(), "?".into(), "?".into()),
        };
        let cells = [
            if m.id == app.model { "●" } else { " " }.to_string(),
            sanitize(id).into_owned(),
            price_in,
            price_out,
            short_count(m.context_length),
            img.to_string(),
            tags.join(" "),
            if fits { send } else { "✗ too long".into() },
        ];
        for (c, v) in cols.iter_mut().zip(cells) {
            c.cells.push(v);
        }
    }
    let fitted = columns::fit(cols.into(), table_row.width as usize, 1);
    let visible = table_row.height.saturating_sub(1) as usize;
    let first = p.selected.saturating_sub(visible.saturating_sub(1));
    let table = table_of(&fitted, matches.len(), first, visible, theme, |r| {
        if r == p.selected {
            Some(theme.selected)
        } else if !fits_all[r] {
            Some(theme.dim)
        } else {
            None
        }
    });
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

/// A subtotal's cost as the panel shows it: every digit, and `+ ?` for turns
/// whose cost is unknown (`?` when no turn's is known).
fn cost_cell(cost: Decimal, unknown: u32, turns: u32) -> String {
    match unknown {
        0 => format_usd(cost),
        n if n >= turns => "?".to_string(),
        _ => format!("{} + ?", format_usd(cost)),
    }
}

/// The cost panel's columns, with `vendor` left out of the model ids.
fn cost_columns(ledger: &crate::chat::pricing::Ledger, vendor: Option<&str>) -> Vec<Column> {
    let model_header = match vendor {
        Some(v) => format!("model ({v}…)"),
        None => "model".to_string(),
    };
    let mut cols = [
        Column::new(&model_header, 9).flex().min_width(18),
        Column::new("turns", 6).right(),
        Column::new("in", 5).right(),
        Column::new("out", 5).right(),
        Column::new("think", 3).right(),
        Column::new("img in", 2).right(),
        Column::new("img out", 2).right(),
        Column::new("cost", 11).right(),
        Column::new("estimated", 7).right(),
    ];
    let mut push = |cells: [String; 9]| {
        for (c, v) in cols.iter_mut().zip(cells) {
            c.cells.push(v);
        }
    };
    let approx = |d: Decimal| {
        if d.is_zero() {
            String::new()
        } else {
            format!("≈{}", format_usd(d))
        }
    };
    for (model, s) in &ledger.by_model {
        let shown = vendor.and_then(|v| model.strip_prefix(v)).unwrap_or(model);
        push([
            sanitize(shown).into_owned(),
            s.turns.to_string(),
            short_count(s.prompt_tokens),
            short_count(s.completion_tokens),
            short_count(s.reasoning_tokens),
            s.images_in.to_string(),
            short_count(s.image_tokens),
            cost_cell(s.cost, s.unknown, s.turns),
            approx(s.estimated),
        ]);
    }
    let turns: u32 = ledger.by_model.values().map(|s| s.turns).sum();
    push([
        "total".into(),
        turns.to_string(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        cost_cell(ledger.total(), ledger.unknown(), turns),
        approx(ledger.estimated()),
    ]);
    cols.into()
}

pub fn cost(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let r = centered(area, 96, 70, 40, 10);
    let title = format!(
        " cost per model · {} close ",
        key(app, Context::Cost, Action::Close)
    );
    let inner = open_box(f, r, area, &title, theme);
    let ledger = &app.ledger;
    // Whole ids where there is room; the shared `google/` goes when the ids
    // would be cut.
    let full = cost_columns(ledger, None);
    let vendor = common_vendor(ledger.by_model.keys().map(String::as_str));
    let cols = match columns::fit(full.clone(), inner.width as usize, 1).first() {
        Some((c, w)) if *w < c.natural() && vendor.is_some() => {
            cost_columns(ledger, vendor.as_deref())
        }
        _ => full,
    };
    let reported: Decimal = ledger.by_model.values().map(|s| s.reported).sum();
    let ours: Decimal = ledger
        .by_model
        .values()
        .map(|s| s.computed_for_reported)
        .sum();
    let mut foot_lines = Vec::new();
    if reported.is_zero() {
        foot_lines.push("no reported costs yet".to_string());
    } else {
        foot_lines.push(format!(
            "reported {} · our prices say {} · gap {}",
            format_usd(reported),
            format_usd(ours),
            format_usd(reported - ours)
        ));
    }
    let (settled, was_estimated) = ledger.settled();
    if !settled.is_zero() || !was_estimated.is_zero() {
        foot_lines.push(format!(
            "settled with OpenRouter {} · estimated {} · off {}",
            format_usd(settled),
            format_usd(was_estimated),
            format_usd(settled - was_estimated)
        ));
    }
    if ledger.unknown() > 0 {
        foot_lines.push("? no price known, none reported".into());
    }
    if let Some(a) = &app.account {
        let used = a.usage.map_or("?".into(), format_usd);
        foot_lines.push(match (a.limit, a.remaining) {
            (Some(l), Some(r)) => format!(
                "account {used} used · {} limit · {} left",
                format_usd(l),
                format_usd(r)
            ),
            _ => format!("account {used} used · no limit"),
        });
    }
    if let Some((used, cap)) = app.free_usage() {
        foot_lines.push(format!(
            "free models today {used}/{cap} (UTC, errors count)"
        ));
    }
    let rows = ledger.by_model.len() + 1;
    let foot_height = (foot_lines.len() as u16).min(inner.height / 2);
    let [table_area, foot] =
        Layout::vertical([Constraint::Min(2), Constraint::Length(foot_height)]).areas(inner);
    let fitted = columns::fit(cols, table_area.width as usize, 1);
    let table = table_of(&fitted, rows, 0, rows, theme, |r| {
        (r + 1 == rows).then_some(theme.assistant_label)
    });
    f.render_widget(table, table_area);
    f.render_widget(
        Paragraph::new(
            foot_lines
                .into_iter()
                .map(|l| Line::from(Span::styled(l, theme.dim)))
                .collect::<Vec<_>>(),
        )
        .wrap(ratatui::widgets::Wrap { trim: true }),
        foot,
    );
}

/// "y / n": the keys that answer a question.
fn yes_no(app: &App) -> String {
    format!(
        "{} / {}",
        key(app, Context::Confirm, Action::Yes),
        key(app, Context::Confirm, Action::No)
    )
}

pub fn confirm_send(f: &mut Frame, app: &App, theme: &Theme, reason: &str, area: Rect) {
    let r = centered(area, 70, 30, 30, 6);
    let r = Rect {
        height: r.height.min(6),
        ..r
    };
    let inner = open_box(f, r, area, " over budget ", theme);
    let lines = vec![
        Line::from(Span::styled(reason.to_string(), theme.warn)),
        Line::from(format!("Send anyway?  {}", yes_no(app))),
    ];
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        inner,
    );
}

/// The conversation no longer fits the model's window: what to do.
pub fn confirm_context(
    f: &mut Frame,
    app: &App,
    theme: &Theme,
    (needed, window, drop): (u64, u64, Option<usize>),
    area: Rect,
) {
    let r = centered(area, 70, 40, 30, 8);
    let r = Rect {
        height: r.height.min(8),
        ..r
    };
    let inner = open_box(f, r, area, " too long for this model ", theme);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "the conversation is ≈{} tokens; {} takes {}",
            short_count(needed),
            sanitize(&app.model),
            short_count(window)
        ),
        theme.warn,
    ))];
    match drop {
        Some(d) if d > app.sent_from => {
            let left_out = d - app.sent_from;
            lines.push(Line::from(format!(
                "{}  leave out the {left_out} oldest message{} and send",
                key(app, Context::Confirm, Action::Yes),
                if left_out == 1 { "" } else { "s" }
            )));
        }
        _ => lines.push(Line::from("the draft alone is too long for it")),
    }
    lines.push(Line::from(format!(
        "{}  pick a model with a larger window",
        key(app, Context::Confirm, Action::PickAnother)
    )));
    lines.push(Line::from(format!(
        "{}  keep the draft, send nothing",
        key(app, Context::Confirm, Action::No)
    )));
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
        let wrapped = crate::markdown::wrap_line(Line::from(d.to_string()), desc_w);
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
    let h = |a| key(app, Context::Help, a);
    let title = format!(
        " keys and commands · {} {} {} {} scroll · {} close ",
        h(Action::ListUp),
        h(Action::ListDown),
        h(Action::ListPageUp),
        h(Action::ListPageDown),
        h(Action::Close)
    );
    let inner = open_box(f, r, area, &title, theme);
    // Every screen's keys as the keymap in force has them, then the commands.
    let mut lines = Vec::new();
    for context in Context::ALL {
        lines.push(Line::from(Span::styled(
            format!("{} · [keys.{}]", context.title(), context.name()),
            theme.dim,
        )));
        let rows = app.keymap.help_rows(context);
        lines.extend(help_rows(&rows, theme.assistant_label, inner.width));
        lines.push(Line::default());
    }
    let commands: Vec<(String, &str)> = crate::keymap::commands::COMMANDS
        .iter()
        .map(|c| (c.usage.to_string(), c.description))
        .collect();
    lines.push(Line::from(Span::styled(
        format!(
            "commands ({} completes one being typed):",
            key(app, Context::Chat, Action::FocusConversation)
        ),
        theme.dim,
    )));
    lines.extend(help_rows(&commands, theme.user_label, inner.width));
    let max_scroll = lines.len().saturating_sub(inner.height as usize) as u16;
    f.render_widget(
        Paragraph::new(lines).scroll((app.help_scroll.min(max_scroll), 0)),
        inner,
    );
}

pub fn confirm_quit(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let r = centered(area, 40, 20, 24, 3);
    let r = Rect { height: 3, ..r };
    let inner = open_box(f, r, area, " quit? ", theme);
    f.render_widget(
        Paragraph::new(format!("Quit orchat?  {}", yes_no(app))),
        inner,
    );
}

pub fn sessions(f: &mut Frame, app: &App, theme: &Theme, s: &SessionsState, area: Rect) {
    let r = centered(area, 94, 86, 40, 10);
    let k = |a| key(app, Context::Sessions, a);
    let title = format!(
        " conversations · type to search · {} open · {} rename · {} delete · {} ",
        k(Action::Choose),
        k(Action::RenameSession),
        k(Action::DeleteSession),
        k(Action::Close)
    );
    let inner = open_box(f, r, area, &title, theme);
    let [top, table_row] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let prompt = if s.confirm_delete {
        Line::from(Span::styled(
            format!("delete the selected conversation? {}", yes_no(app)),
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
    let updated = format!("updated{}", crate::time::zone_note(&app.tz));
    let mut cols = [
        Column::new("", 11),
        Column::new(&updated, 7),
        Column::new("title", 9).flex_prose().min_width(16),
        Column::new("models", 4),
        Column::new("msgs", 5).right(),
        Column::new("cost", 10).right(),
    ];
    for item in &s.items {
        let m = &item.meta;
        let title = match &item.snippet {
            Some(snip) => format!("{} — {}", m.title, snip),
            None => m.title.clone(),
        };
        let cells = [
            if m.id == app.conversation_id {
                "●"
            } else {
                " "
            }
            .to_string(),
            crate::time::local_minute(m.updated_ms, &app.tz),
            sanitize(&crate::text::preview(&title, 120)).into_owned(),
            sanitize(&crate::text::preview(
                &m.models
                    .iter()
                    .map(|x| x.rsplit('/').next().unwrap_or(x))
                    .collect::<Vec<_>>()
                    .join(", "),
                40,
            ))
            .into_owned(),
            m.messages.to_string(),
            match m.unknown_costs {
                0 => format_usd(m.total_cost),
                _ if m.total_cost.is_zero() => "?".to_string(),
                _ => format!("{} + ?", format_usd(m.total_cost)),
            },
        ];
        for (c, v) in cols.iter_mut().zip(cells) {
            c.cells.push(v);
        }
    }
    let fitted = columns::fit(cols.into(), table_row.width as usize, 1);
    let visible = table_row.height.saturating_sub(1) as usize;
    let first = s.selected.saturating_sub(visible.saturating_sub(1));
    let table = table_of(&fitted, s.items.len(), first, visible, theme, |r| {
        (r == s.selected).then_some(theme.selected)
    });
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
