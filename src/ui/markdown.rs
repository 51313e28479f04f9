//! Placeholder renderer (replaced by the full markdown renderer).

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

#[derive(Debug, Clone, Default)]
pub struct MdStyles {
    pub text: Style,
}

pub fn render(text: &str, width: u16, styles: &MdStyles) -> Vec<Line<'static>> {
    text.lines()
        .flat_map(|l| wrap_line(Line::from(Span::styled(l.to_string(), styles.text)), width))
        .collect()
}

pub fn wrap_line(line: Line<'static>, width: u16) -> Vec<Line<'static>> {
    let width = width.max(1) as usize;
    let mut out = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut cur_w = 0;
    for span in line.spans {
        let mut buf = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if cur_w + w > width {
                cur.push(Span::styled(std::mem::take(&mut buf), span.style));
                out.push(Line::from(std::mem::take(&mut cur)));
                cur_w = 0;
            }
            buf.push(c);
            cur_w += w;
        }
        cur.push(Span::styled(buf, span.style));
    }
    out.push(Line::from(cur));
    out
}
