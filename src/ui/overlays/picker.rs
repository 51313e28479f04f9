//! The model picker: every model with its prices, context window, image
//! support and what the draft would cost to send now, filtered as one types.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{centered, common_vendor, key, open_box, table_of};
use crate::app::{App, PickerState};
use crate::chat::pricing::{format_usd, per_million};
use crate::config::theme::Theme;
use crate::keymap::{Action, Context};
use crate::text::sanitize;
use crate::ui::columns::{self, Column};
use crate::ui::paint::short_count;

pub fn picker(f: &mut Frame, app: &App, theme: &Theme, p: &PickerState, area: Rect) {
    let r = centered(area, 94, 86, 40, 10);
    let k = |a| key(app, Context::Picker, a);
    let title = match p.marked.len() {
        // The way out last: a narrow box drops whole hints before it.
        0 => format!(
            " model · {} choose · {} marks to compare · {} close ",
            k(Action::Choose),
            k(Action::Mark),
            k(Action::Close)
        ),
        n => format!(
            " {n} marked · {} compares · {} marks · {} close ",
            k(Action::Choose),
            k(Action::Mark),
            k(Action::Close)
        ),
    };
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
    let vendor = common_vendor(app.env.catalog.models.iter().map(|m| m.id.as_str()));
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
        Column::new("reads", 4),
        Column::new("tags", 8),
        Column::new("send now", 9).right(),
    ];
    // Below 100 columns what a model reads is written as letters (image,
    // PDF, audio, video: `IPAV`), so the window and the prices still fit.
    let narrow = table_row.width < 100;
    let mut fits_all = Vec::with_capacity(matches.len());
    for &i in matches {
        let m = &app.env.catalog.models[i];
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
        // What it reads besides text (`input_modalities`); ? when its
        // list does not say.
        let kinds = [
            ("image", "img", 'I'),
            ("file", "pdf", 'P'),
            ("audio", "aud", 'A'),
            ("video", "vid", 'V'),
        ];
        let mut img = if !m.inputs_known() {
            "?".to_string()
        } else if narrow {
            // One letter a kind, in its place: IPAV reads them all.
            kinds
                .iter()
                .map(|&(k, _, c)| if m.reads(k) { c } else { '·' })
                .collect()
        } else {
            kinds
                .iter()
                .filter(|(k, _, _)| m.reads(k))
                .map(|(_, s, _)| *s)
                .collect::<Vec<_>>()
                .join(" ")
        };
        // It draws: what it writes, after an arrow.
        if m.outputs_images() {
            img.push_str(if narrow { "→I" } else { " → img" });
        }
        let id = vendor
            .as_deref()
            .and_then(|v| m.id.strip_prefix(v))
            .unwrap_or(&m.id);
        let (price_in, price_out, send) = match &m.pricing {
            Some(pr) => (
                per_million(pr.prompt),
                per_million(pr.completion),
                format!(
                    "≈{}",
                    format_usd(
                        app.send_estimate(m)
                            .unwrap_or_else(|| pr.input_cost(ctx_tokens, ctx_images))
                    )
                ),
            ),
            None => ("?".into(), "?".into(), "?".into()),
        };
        let cells = [
            // Marked to compare: its place in the round; else the current model.
            match p.marked.iter().position(|x| *x == m.id) {
                Some(n) => (n + 1).to_string(),
                None if m.id == app.chat.model => "●".to_string(),
                None => " ".to_string(),
            },
            sanitize(id).into_owned(),
            price_in,
            price_out,
            if m.context_length == 0 {
                "?".to_string()
            } else {
                short_count(m.context_length)
            },
            img,
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
