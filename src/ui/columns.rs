//! Tables that fit the width they get: each column has a priority, the least
//! important are dropped first, and one flexible column (a model id, a title)
//! takes what is left, cut in the middle so the ends that tell two ids apart
//! (`:free`, `-preview`) stay. Money columns are never cut: they are kept
//! whole or not at all. Used by the overlays and by `orchat sessions list`.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How a column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    pub cells: Vec<String>,
    /// Higher is kept longer.
    pub priority: u8,
    /// Takes the room left over; its cells are cut to fit.
    pub flex: bool,
    pub align: Align,
    /// Cut a flexible column's cells at the end (titles) rather than in the
    /// middle (ids, whose ends tell them apart).
    pub cut_end: bool,
    /// The narrowest a flexible column is made before other columns go.
    pub min: usize,
}

impl Column {
    pub fn new(header: &str, priority: u8) -> Column {
        Column {
            header: header.to_string(),
            cells: Vec::new(),
            priority,
            flex: false,
            align: Align::Left,
            cut_end: false,
            min: FLEX_MIN,
        }
    }

    /// Other columns go before this flexible one gets narrower than `n`.
    pub fn min_width(mut self, n: usize) -> Column {
        self.min = n;
        self
    }

    /// A flexible column cut at the end: prose, where the start matters.
    pub fn flex_prose(mut self) -> Column {
        self.flex = true;
        self.cut_end = true;
        self
    }

    pub fn flex(mut self) -> Column {
        self.flex = true;
        self
    }

    pub fn right(mut self) -> Column {
        self.align = Align::Right;
        self
    }

    /// The width that shows every cell and the header whole, in cells.
    pub fn natural(&self) -> usize {
        self.cells
            .iter()
            .map(|c| c.width())
            .chain(std::iter::once(self.header.width()))
            .max()
            .unwrap_or(0)
    }
}

/// The narrowest a flexible column is made before other columns go, unless
/// it says otherwise.
const FLEX_MIN: usize = 12;

/// Chooses the columns that fit in `width` cells with `gap` cells between
/// them, in their original order, each with its width. Columns are dropped
/// lowest priority first; the flexible column takes the room left (at most
/// its natural width).
pub fn fit(columns: Vec<Column>, width: usize, gap: usize) -> Vec<(Column, usize)> {
    let mut keep: Vec<bool> = vec![true; columns.len()];
    loop {
        let kept: Vec<&Column> = columns
            .iter()
            .zip(&keep)
            .filter_map(|(c, k)| k.then_some(c))
            .collect();
        let gaps = gap * kept.len().saturating_sub(1);
        let fixed: usize = kept.iter().filter(|c| !c.flex).map(|c| c.natural()).sum();
        let flex_min: usize = kept
            .iter()
            .filter(|c| c.flex)
            .map(|c| c.natural().min(c.min))
            .sum();
        if fixed + flex_min + gaps <= width || kept.len() <= 1 {
            let room = width.saturating_sub(fixed + gaps);
            return columns
                .into_iter()
                .zip(keep)
                .filter_map(|(c, k)| k.then_some(c))
                .map(|c| {
                    let w = if c.flex {
                        c.natural().min(room)
                    } else {
                        c.natural()
                    };
                    (c, w)
                })
                .collect();
        }
        // Drop the least important column still kept (never the last one).
        let drop = columns
            .iter()
            .enumerate()
            .filter(|(i, _)| keep[*i])
            .min_by_key(|(i, c)| (c.priority, std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        match drop {
            Some(i) => keep[i] = false,
            None => return Vec::new(),
        }
    }
}

/// `text` cut to `width` cells in the middle: `gemini-2.5-fla…view:free`.
pub fn cut_middle(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let left_w = (width - 1) / 2;
    let right_w = width - 1 - left_w;
    let mut left = String::new();
    let mut w = 0;
    for c in text.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > left_w {
            break;
        }
        left.push(c);
        w += cw;
    }
    let mut right: Vec<char> = Vec::new();
    let mut w = 0;
    for c in text.chars().rev() {
        let cw = c.width().unwrap_or(0);
        if w + cw > right_w {
            break;
        }
        right.push(c);
        w += cw;
    }
    right.reverse();
    format!("{left}…{}", right.into_iter().collect::<String>())
}

/// A cell's text at `width`: cut in the middle if it is the flexible column,
/// padded to line up.
pub fn cell(text: &str, width: usize, col: &Column) -> String {
    let t = if col.flex && col.cut_end {
        crate::text::truncate_cells(text, width)
    } else if col.flex {
        cut_middle(text, width)
    } else {
        text.to_string()
    };
    let pad = width.saturating_sub(t.width());
    match col.align {
        Align::Left => format!("{t}{}", " ".repeat(pad)),
        Align::Right => format!("{}{t}", " ".repeat(pad)),
    }
}

/// Plain-text lines (header first) for a terminal or a pipe.
pub fn plain(columns: Vec<Column>, width: usize, gap: usize) -> Vec<String> {
    let fitted = fit(columns, width, gap);
    let rows = fitted.first().map_or(0, |(c, _)| c.cells.len());
    let sep = " ".repeat(gap);
    let line = |get: &dyn Fn(&Column) -> &str| {
        fitted
            .iter()
            .map(|(c, w)| cell(get(c), *w, c))
            .collect::<Vec<_>>()
            .join(&sep)
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(&|c: &Column| c.header.as_str())];
    for r in 0..rows {
        out.push(line(&|c: &Column| {
            c.cells.get(r).map_or("", |s| s.as_str())
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(h: &str, cells: &[&str], p: u8) -> Column {
        Column {
            cells: cells.iter().map(|s| s.to_string()).collect(),
            ..Column::new(h, p)
        }
    }

    #[test]
    fn the_least_important_columns_go_first_and_money_stays_whole() {
        let cols = vec![
            col("model", &["gemini-2.5-flash-image-preview:free"], 9).flex(),
            col("ctx", &["32K"], 2),
            col("tags", &["free think"], 6),
            col("cost", &["$0.00029485"], 10).right(),
        ];
        let fitted = fit(cols.clone(), 80, 1);
        assert_eq!(fitted.len(), 4);
        let fitted = fit(cols.clone(), 35, 1);
        let names: Vec<&str> = fitted.iter().map(|(c, _)| c.header.as_str()).collect();
        assert_eq!(names, ["model", "tags", "cost"]);
        let (cost, w) = &fitted[2];
        assert_eq!(cell("$0.00029485", *w, cost), "$0.00029485");
        let (model, w) = &fitted[0];
        let shown = cell("gemini-2.5-flash-image-preview:free", *w, model);
        assert!(shown.trim_end().ends_with(":free"), "{shown}");
        assert_eq!(shown.width(), *w);
    }

    #[test]
    fn cutting_in_the_middle_keeps_both_ends_distinct() {
        let a = cut_middle("gemini-2.5-flash-image-preview", 20);
        let b = cut_middle("gemini-2.5-flash-image-preview:free", 20);
        assert_ne!(a, b);
        assert_eq!(a.width(), 20);
        assert!(b.ends_with(":free"), "{b}");
        assert!(cut_middle("日本語のテキスト", 7).width() <= 7);
    }

    #[test]
    fn plain_lines_line_up_whatever_the_lengths() {
        let cols = vec![
            col("ID", &["abc", "abcdef0123456789xyz"], 5),
            col("TITLE", &["one", "two"], 9).flex(),
            col("COST", &["$0.01", "$12.345"], 10).right(),
        ];
        let lines = plain(cols, 200, 2);
        let ends: Vec<usize> = lines.iter().map(|l| l.width()).collect();
        assert_eq!(ends[0], ends[1]);
        assert_eq!(ends[1], ends[2]);
        let title_at: Vec<usize> = lines
            .iter()
            .map(|l| l.find(['T', 'o', 't']))
            .map(Option::unwrap)
            .collect();
        assert_eq!(title_at[0], title_at[2]);
    }
}
