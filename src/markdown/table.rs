//! Tables: the cells the renderer collects, drawn as a grid fitted to the
//! width, or as wrapped rows when too narrow for one.

use pulldown_cmark::{Alignment, Tag, TagEnd};
use ratatui::text::Span;

use super::MdStyles;
use super::wrap::{Mode, spaces, spans_width, truncate_spans, wrap_spans};

/// A table as the renderer collects it: rows of cells of inline spans.
pub(super) struct TableState {
    aligns: Vec<Alignment>,
    rows: Vec<Vec<Vec<Span<'static>>>>,
    has_head: bool,
    in_head: bool,
}

impl TableState {
    pub(super) fn new(aligns: Vec<Alignment>) -> Self {
        Self {
            aligns,
            rows: Vec::new(),
            has_head: false,
            in_head: false,
        }
    }

    /// A part of the table starts: the head, a row or a cell.
    pub(super) fn start(&mut self, part: &Tag<'_>) {
        match part {
            Tag::TableHead => {
                self.has_head = true;
                self.in_head = true;
                self.rows.push(Vec::new());
            }
            Tag::TableRow => self.rows.push(Vec::new()),
            Tag::TableCell => {
                if self.rows.is_empty() {
                    self.rows.push(Vec::new());
                }
                if let Some(row) = self.rows.last_mut() {
                    row.push(Vec::new());
                }
            }
            _ => {}
        }
    }

    /// A part of the table ends: the head, a row or a cell.
    pub(super) fn end(&mut self, part: TagEnd) {
        if part == TagEnd::TableHead {
            self.in_head = false;
        }
    }

    /// Inside the head row, whose cells are bold.
    pub(super) fn in_head(&self) -> bool {
        self.in_head
    }

    /// The cell inline content goes to, made if there is none yet.
    pub(super) fn cell(&mut self) -> &mut Vec<Span<'static>> {
        if self.rows.is_empty() {
            self.rows.push(Vec::new());
        }
        let row = self.rows.last_mut().expect("row pushed above");
        if row.is_empty() {
            row.push(Vec::new());
        }
        row.last_mut().expect("cell pushed above")
    }

    /// The table's lines in `avail` cells, or `None` if it has no column.
    pub(super) fn lines(self, avail: usize, st: &MdStyles) -> Option<Vec<Vec<Span<'static>>>> {
        let ncols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        if ncols == 0 {
            return None;
        }
        let mut natural = vec![1usize; ncols];
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                natural[i] = natural[i].max(spans_width(cell));
            }
        }
        let borders = 3 * ncols + 1;
        let min_total: usize = natural.iter().map(|&n| n.min(3)).sum();
        if borders + min_total > avail {
            return Some(fallback(self.rows, avail, st));
        }
        let widths = fit_columns(&natural, avail - borders);

        let border = st.table_border;
        let rule = |l: &'static str, m: &'static str, r: &'static str| {
            let mut s = String::from(l);
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    s.push_str(m);
                }
                s.push_str(&"─".repeat(w + 2));
            }
            s.push_str(r);
            vec![Span::styled(s, border)]
        };
        let mut lines = vec![rule("┌", "┬", "┐")];
        let body_start = usize::from(self.has_head);
        for (ri, row) in self.rows.into_iter().enumerate() {
            if ri == body_start && ri > 0 {
                lines.push(rule("├", "┼", "┤"));
            }
            let mut spans = vec![Span::styled("│ ", border)];
            let mut cells = row.into_iter();
            for (ci, &w) in widths.iter().enumerate() {
                if ci > 0 {
                    spans.push(Span::styled(" │ ", border));
                }
                let cell = truncate_spans(cells.next().unwrap_or_default(), w, true);
                let slack = w.saturating_sub(spans_width(&cell));
                let (left, right) = match self.aligns.get(ci) {
                    Some(Alignment::Right) => (slack, 0),
                    Some(Alignment::Center) => (slack / 2, slack - slack / 2),
                    _ => (0, slack),
                };
                if left > 0 {
                    spans.push(Span::styled(spaces(left), st.text));
                }
                spans.extend(cell);
                if right > 0 {
                    spans.push(Span::styled(spaces(right), st.text));
                }
            }
            spans.push(Span::styled(" │", border));
            lines.push(spans);
        }
        lines.push(rule("└", "┴", "┘"));
        Some(lines)
    }
}

/// Too narrow for a grid: one wrapped line per row, cells separated by bars.
fn fallback(
    rows: Vec<Vec<Vec<Span<'static>>>>,
    avail: usize,
    st: &MdStyles,
) -> Vec<Vec<Span<'static>>> {
    let mut lines = Vec::new();
    for row in rows {
        let mut spans = Vec::new();
        for (i, cell) in row.into_iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(" │ ", st.table_border));
            }
            spans.extend(cell);
        }
        lines.extend(wrap_spans(&spans, avail, Mode::Word));
    }
    lines
}

/// Shrinks the widest columns first (water-filling) so narrow columns keep
/// their full content.
fn fit_columns(natural: &[usize], budget: usize) -> Vec<usize> {
    if natural.iter().sum::<usize>() <= budget {
        return natural.to_vec();
    }
    let used = |cap: usize| natural.iter().map(|&n| n.min(cap)).sum::<usize>();
    let (mut lo, mut hi) = (1, natural.iter().copied().max().unwrap_or(1));
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if used(mid) <= budget {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut widths: Vec<usize> = natural.iter().map(|&n| n.min(lo)).collect();
    let mut left = budget.saturating_sub(used(lo));
    for (w, &n) in widths.iter_mut().zip(natural) {
        if left == 0 {
            break;
        }
        if n > *w {
            *w += 1;
            left -= 1;
        }
    }
    widths
}

#[cfg(test)]
mod tests {
    use crate::markdown::tests::render_plain;

    #[test]
    fn tables_fit_content_and_shrink() {
        let md = "| a | bb |\n|---|---:|\n| ccc | d |\n";
        assert_eq!(
            render_plain(md, 40),
            [
                "┌─────┬────┐",
                "│ a   │ bb │",
                "├─────┼────┤",
                "│ ccc │  d │",
                "└─────┴────┘",
            ]
        );
        let md = "| k | v |\n|---|---|\n| x | a long cell value |\n";
        assert_eq!(
            render_plain(md, 16),
            [
                "┌───┬──────────┐",
                "│ k │ v        │",
                "├───┼──────────┤",
                "│ x │ a long … │",
                "└───┴──────────┘",
            ]
        );
        // Too narrow for a grid: rows degrade to wrapped text.
        assert_eq!(
            render_plain(md, 8),
            ["k │ v", "x │ a", "long", "cell", "value"]
        );
    }
}
