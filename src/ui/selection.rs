//! The mouse selection drawn over the conversation pane, and the text
//! under it read back from the cells as drawn (the indent and a code
//! block's gutter left out).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;

use crate::app::{App, SelectUnit};

/// Columns of the pane every message is indented by: never selected.
const INDENT: u16 = 2;

/// Highlights the selection in `pane` and returns its text.
pub(super) fn paint(buf: &mut Buffer, app: &App, pane: Rect) -> Option<String> {
    let sel = app.screen.selection?;
    let (mut a, mut b) = (sel.anchor, sel.head);
    if (a.1, a.0) > (b.1, b.0) {
        std::mem::swap(&mut a, &mut b);
    }
    let left = pane.x + INDENT.min(pane.width.saturating_sub(1));
    let right = pane.right().saturating_sub(1);
    let row_text = |buf: &Buffer, y: u16| -> Vec<String> {
        (pane.x..pane.right())
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect()
    };
    let blank = |buf: &Buffer, y: u16| row_text(buf, y).iter().all(|s| s.trim().is_empty());
    match sel.unit {
        SelectUnit::Char => {}
        SelectUnit::Word => {
            // The run of non-blank cells around the click.
            let cells = row_text(buf, a.1);
            let at = usize::from(a.0 - pane.x);
            if cells.get(at).is_none_or(|c| c.trim().is_empty()) {
                return None;
            }
            let start = (0..=at)
                .rev()
                .take_while(|&i| !cells[i].trim().is_empty())
                .last()?;
            let end = (at..cells.len())
                .take_while(|&i| !cells[i].trim().is_empty())
                .last()?;
            a = (pane.x + start as u16, a.1);
            b = (pane.x + end as u16, a.1);
        }
        SelectUnit::Block => {
            // The rows around the click up to blank rows: a paragraph, a
            // list, a code block.
            if blank(buf, a.1) {
                return None;
            }
            let mut top = a.1;
            while top > pane.y && !blank(buf, top - 1) {
                top -= 1;
            }
            let mut bottom = a.1;
            while bottom + 1 < pane.bottom() && !blank(buf, bottom + 1) {
                bottom += 1;
            }
            a = (left, top);
            b = (right, bottom);
        }
    }
    let mut lines = Vec::new();
    for y in a.1..=b.1 {
        let from = if y == a.1 { a.0.max(left) } else { left };
        let to = if y == b.1 { b.0 } else { right };
        let mut line = String::new();
        let mut gutter = true;
        for x in from..=to.min(right) {
            let cell = &mut buf[(x, y)];
            let sym = cell.symbol().to_string();
            // A code block's gutter bar and the space after it: not text.
            if gutter && x == left && sym == "▎" {
                continue;
            }
            gutter = false;
            cell.set_style(cell.style().add_modifier(Modifier::REVERSED));
            line.push_str(&sym);
        }
        lines.push(line.trim_end().to_string());
    }
    Some(lines.join("\n"))
}
