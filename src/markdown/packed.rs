//! Rendered lines packed for keeping: the text of all their spans in one
//! string, and per span its end and style. A ratatui `Line` kept as it is
//! costs ~16 times its text (a `Vec` of spans with spare capacity, an owned
//! `String` for most spans, 40 bytes of span and 48 of line); packed, a line
//! costs its text and 8 bytes a span (BENCHMARKS.md, "A 10 MB answer").
//! Lines are unpacked, borrowing the text, only when drawn.

use std::borrow::Cow;

use ratatui::layout::Alignment;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Lines packed: `len()` of them, `line(i)` unpacks one.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PackedLines {
    text: String,
    spans: Vec<PackedSpan>,
    lines: Vec<PackedLine>,
    /// The distinct styles of the spans and lines (few: a theme's).
    styles: Vec<Style>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct PackedSpan {
    /// Where its text ends in `text` (bytes).
    end: u32,
    style: u16,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct PackedLine {
    /// Where its spans end in `spans`.
    spans_end: u32,
    style: u16,
    alignment: Option<Alignment>,
}

impl PackedLines {
    /// Packs `lines`, each with `prefix` (a span with the default style, if
    /// not empty) put before its own spans.
    pub fn pack<'a>(lines: impl IntoIterator<Item = Line<'a>>, prefix: &str) -> PackedLines {
        let mut p = PackedLines::default();
        for line in lines {
            p.push(&line, prefix);
        }
        p.text.shrink_to_fit();
        p.spans.shrink_to_fit();
        p.lines.shrink_to_fit();
        p
    }

    fn push(&mut self, line: &Line<'_>, prefix: &str) {
        if !prefix.is_empty() {
            self.push_span(prefix, Style::default());
        }
        for s in &line.spans {
            self.push_span(&s.content, s.style);
        }
        let style = self.style_index(line.style);
        self.lines.push(PackedLine {
            spans_end: self.spans.len() as u32,
            style,
            alignment: line.alignment,
        });
    }

    fn push_span(&mut self, text: &str, style: Style) {
        self.text.push_str(text);
        let style = self.style_index(style);
        self.spans.push(PackedSpan {
            end: self.text.len() as u32,
            style,
        });
    }

    fn style_index(&mut self, style: Style) -> u16 {
        match self.styles.iter().rposition(|s| *s == style) {
            Some(i) => i as u16,
            None => {
                self.styles.push(style);
                (self.styles.len() - 1) as u16
            }
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Line `i` (`i < len()`), its spans borrowing the packed text.
    pub fn line(&self, i: usize) -> Line<'_> {
        let l = self.lines[i];
        let first = match i {
            0 => 0,
            _ => self.lines[i - 1].spans_end as usize,
        };
        let mut start = match first {
            0 => 0,
            _ => self.spans[first - 1].end as usize,
        };
        let spans = self.spans[first..l.spans_end as usize]
            .iter()
            .map(|s| {
                let text = &self.text[start..s.end as usize];
                start = s.end as usize;
                Span {
                    content: Cow::Borrowed(text),
                    style: self.styles[usize::from(s.style)],
                }
            })
            .collect();
        Line {
            spans,
            style: self.styles[usize::from(l.style)],
            alignment: l.alignment,
        }
    }

    /// Lines from `from` on.
    pub fn lines_from(&self, from: usize) -> impl Iterator<Item = Line<'_>> {
        (from..self.len()).map(|i| self.line(i))
    }

    /// Bytes this holds on the heap (for the benchmarks and tests).
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.spans.capacity() * std::mem::size_of::<PackedSpan>()
            + self.lines.capacity() * std::mem::size_of::<PackedLine>()
            + self.styles.capacity() * std::mem::size_of::<Style>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::tests::{SAMPLES, SNAPSHOT_DOC};
    use crate::markdown::{MdStyles, render};
    use ratatui::style::{Color, Modifier};

    #[test]
    fn packed_lines_unpack_to_the_same_lines() {
        let st = MdStyles::default();
        for text in SAMPLES.iter().chain([&SNAPSHOT_DOC]) {
            for width in [12, 80] {
                let lines = render(text, width, &st);
                let packed = PackedLines::pack(lines.clone(), "");
                assert_eq!(packed.len(), lines.len());
                let back: Vec<Line> = packed.lines_from(0).collect();
                assert_eq!(back, lines, "{text:?} at {width}");
            }
        }
    }

    #[test]
    fn a_prefix_goes_before_each_line_and_line_styles_are_kept() {
        let red = Style::default().fg(Color::Red);
        let lines = vec![
            Line::default(),
            Line::from(vec![Span::styled("ab", red), Span::raw(""), Span::raw("c")])
                .style(Style::default().add_modifier(Modifier::BOLD))
                .alignment(Alignment::Right),
            Line::from("日本語 🚀"),
        ];
        let packed = PackedLines::pack(lines.clone(), "  ");
        for (i, l) in lines.iter().enumerate() {
            let mut want = l.clone();
            want.spans.insert(0, Span::raw("  "));
            assert_eq!(packed.line(i), want);
        }
        assert_eq!(packed.lines_from(2).count(), 1);
        assert!(PackedLines::pack(Vec::<Line>::new(), "").is_empty());
    }

    #[test]
    fn packed_lines_cost_little_more_than_their_text() {
        let text: String = crate::server::doc::doc_tokens(20_000).concat();
        let lines = render(&text, 116, &MdStyles::default());
        let bytes: usize = lines
            .iter()
            .flat_map(|l| &l.spans)
            .map(|s| s.content.len())
            .sum();
        let packed = PackedLines::pack(lines, "");
        // The text, 8 bytes a span and a line, a few styles.
        assert!(
            packed.heap_bytes() < bytes * 2,
            "{} bytes packed for {bytes} bytes of text",
            packed.heap_bytes()
        );
    }
}
