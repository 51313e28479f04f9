//! Lines into the buffer, and compact numbers: what every drawing part
//! shares.

use ratatui::layout::Rect;
use ratatui::text::Line;

/// Compact token counts: 950, 33K, 1M.
pub fn short_count(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) || n >= 10_000_000 {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000_000 {
        format!("{:.1}M", n as f64 / 1_000_000.0)
    } else if n >= 1000 {
        format!("{}K", n / 1000)
    } else {
        n.to_string()
    }
}

/// Writes lines into the buffer, one a row, cut at the area's right edge:
/// what `Paragraph` without wrapping draws (the frame's buffer starts blank),
/// without its per-grapheme reflow. Plain ASCII spans, most of a chat, are
/// written a byte a cell; others go through ratatui's grapheme-aware
/// `set_stringn`.
pub fn draw_lines(buf: &mut ratatui::buffer::Buffer, area: Rect, lines: &[Line<'_>]) {
    let area = area.intersection(buf.area);
    let right = area.right();
    for (row, line) in lines.iter().enumerate().take(usize::from(area.height)) {
        let y = area.y + row as u16;
        let width = || {
            u16::try_from(line.width())
                .unwrap_or(u16::MAX)
                .min(area.width)
        };
        let mut x = area.x
            + match line.alignment {
                Some(ratatui::layout::Alignment::Center) => {
                    (area.width / 2).saturating_sub(width() / 2)
                }
                Some(ratatui::layout::Alignment::Right) => area.width.saturating_sub(width()),
                _ => 0,
            };
        for span in &line.spans {
            if x >= right {
                break;
            }
            let style = line.style.patch(span.style);
            let text = span.content.as_ref();
            if text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
                let n = text.len().min(usize::from(right - x));
                for i in 0..n {
                    buf[(x, y)].set_symbol(&text[i..i + 1]).set_style(style);
                    x += 1;
                }
            } else {
                x = buf.set_stringn(x, y, text, usize::from(right - x), style).0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Alignment;
    use ratatui::style::{Color, Style};
    use ratatui::text::Span;
    use ratatui::widgets::{Paragraph, Widget};

    /// Each cell a terminal shows: its symbol and style, skipping the cells
    /// a wide glyph covers (ratatui never sends those; `set_stringn` resets
    /// them where `Paragraph` keeps the base style, which nobody sees).
    fn visible(buf: &Buffer) -> Vec<(u16, u16, String, Style)> {
        let mut out = Vec::new();
        for y in 0..buf.area.height {
            let mut hidden = 0usize;
            for x in 0..buf.area.width {
                let c = &buf[(x, y)];
                if hidden > 0 {
                    hidden -= 1;
                    continue;
                }
                hidden = unicode_width::UnicodeWidthStr::width(c.symbol()).saturating_sub(1);
                out.push((x, y, c.symbol().to_string(), c.style()));
            }
        }
        out
    }

    /// `draw_lines` writes what an unwrapped `Paragraph` would: same cells,
    /// same styles, cut at the edge the same way (a wide glyph that does not
    /// fit is left out), for plain ASCII, CJK, emoji, styled spans, a line
    /// style and alignment, on a base style already in the buffer.
    #[test]
    fn draw_lines_matches_paragraph() {
        let base = Style::default().bg(Color::Blue);
        let lines = vec![
            Line::from(vec![
                Span::styled(" demo ", Style::default().bold()),
                Span::raw("│ total $0.01 "),
            ]),
            Line::from("日本語のテキストが端で切れる日本語のテキスト"),
            Line::from(vec![Span::raw("ok 👍🏽 "), Span::styled("red", Color::Red)])
                .style(Style::default().italic()),
            Line::from("centred").alignment(Alignment::Center),
            Line::from("right").alignment(Alignment::Right),
            Line::from("a line much longer than the area is wide, cut at the edge"),
            Line::default(),
        ];
        for width in [1u16, 7, 13, 20, 41] {
            let area = Rect::new(0, 0, width, lines.len() as u16);
            let mut want = Buffer::empty(area);
            want.set_style(area, base);
            Paragraph::new(lines.clone()).render(area, &mut want);
            let mut got = Buffer::empty(area);
            got.set_style(area, base);
            draw_lines(&mut got, area, &lines);
            assert_eq!(visible(&got), visible(&want), "at width {width}");
        }
    }
}
