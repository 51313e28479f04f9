//! Overlays drawn over the chat: the model picker, the cost panel, help and
//! the quit confirmation.
//! Each overlay lives in a file of its own; the helpers they share (the box,
//! the table, the keys) are here.

mod confirm;
mod cost;
mod help;
mod picker;
mod sessions;
mod tree;

pub use confirm::{confirm_command, confirm_context, confirm_quit, confirm_rescue, confirm_send};
pub use cost::cost;
pub use help::help;
pub use picker::picker;
pub use sessions::sessions;
pub use tree::tree;

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
    app.env.keymap.key_in(context, action)
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

/// What an overlay clears: every row it covers, the whole width of the
/// screen, so nothing of the conversation peeks out beside it in pieces (a
/// word cut by its border, a wide character spilling over it).
fn clear_area(r: Rect, area: Rect) -> Rect {
    Rect {
        x: area.x,
        width: area.width,
        ..r
    }
}

/// A title of " name · hint · hint · close " fitted to `width` cells:
/// whole hints are left out (the last ones first, keeping the name and the
/// way to close), never a word cut in half.
pub(crate) fn fit_title(title: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    if title.width() <= width {
        return title.to_string();
    }
    let inner = title.trim();
    let mut parts: Vec<&str> = inner.split(" · ").collect();
    while parts.len() > 2 {
        parts.remove(parts.len() - 2);
        let t = format!(" {} ", parts.join(" · "));
        if t.width() <= width {
            return t;
        }
    }
    let t = format!(" {} ", parts.join(" · "));
    if t.width() <= width {
        t
    } else {
        format!(" {} ", parts[0])
    }
}

/// Opens an overlay at `r` over the screen `area`: clears what is under it,
/// draws its titled border (the title fitted by whole hints), and returns
/// the area inside.
fn open_box(f: &mut Frame, r: Rect, area: Rect, title: &str, theme: &Theme) -> Rect {
    f.render_widget(Clear, clear_area(r, area));
    let title = fit_title(title, usize::from(r.width.saturating_sub(2)));
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

#[cfg(test)]
mod tests {
    use super::fit_title;

    #[test]
    fn titles_drop_whole_hints_keeping_the_name_and_the_way_out() {
        let t = " conversations · type to search · Enter open · Ctrl+R rename · Ctrl+X delete · Esc close ";
        assert_eq!(fit_title(t, 200), t);
        assert_eq!(
            fit_title(t, 75),
            " conversations · type to search · Enter open · Ctrl+R rename · Esc close "
        );
        assert_eq!(
            fit_title(t, 44),
            " conversations · type to search · Esc close "
        );
        assert_eq!(fit_title(t, 28), " conversations · Esc close ");
        assert_eq!(fit_title(t, 10), " conversations ");
    }
}
