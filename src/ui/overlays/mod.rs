//! Overlays drawn over the chat: the model picker, the cost panel, help and
//! the quit confirmation.
//! Each overlay lives in a file of its own; the helpers they share (the box,
//! the table, the keys) are here.

mod confirm;
mod cost;
mod help;
mod picker;
mod sessions;

pub use confirm::{confirm_context, confirm_quit, confirm_rescue, confirm_send};
pub use cost::cost;
pub use help::help;
pub use picker::picker;
pub use sessions::sessions;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Clear, Row, Table};

use crate::app::App;
use crate::config::theme::Theme;
use crate::keymap::{Action, Context};
use crate::ui::columns::{self, Column};

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

/// "y / n": the keys that answer a question.
fn yes_no(app: &App) -> String {
    format!(
        "{} / {}",
        key(app, Context::Confirm, Action::Yes),
        key(app, Context::Confirm, Action::No)
    )
}
