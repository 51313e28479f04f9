//! Terminal width: grapheme units, wrapping styled spans to a width (by word
//! or hard), and truncating them with an ellipsis.

use std::borrow::Cow;

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Wraps already-styled spans to `width` cells (word wrap, hard-breaking words
/// longer than the width). The line's own style and alignment are kept on every
/// piece. A zero width yields no lines.
pub fn wrap_line(line: Line<'static>, width: u16) -> Vec<Line<'static>> {
    if width == 0 {
        return Vec::new();
    }
    wrap_spans(&line.spans, usize::from(width), Mode::Word)
        .into_iter()
        .map(|spans| {
            let mut l = Line::from(spans).style(line.style);
            l.alignment = line.alignment;
            l
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Width-aware building blocks
// ---------------------------------------------------------------------------

const ELLIPSIS: &str = "…";
// Borrowing indentation from a static avoids an allocation per prefixed line.
const SPACES: &str = "                                                                ";

pub(super) fn spaces(n: usize) -> Cow<'static, str> {
    match SPACES.get(..n) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(" ".repeat(n)),
    }
}

pub(super) fn expand_tabs(s: &str) -> Cow<'_, str> {
    if s.contains('\t') {
        Cow::Owned(s.replace('\t', "    "))
    } else {
        Cow::Borrowed(s)
    }
}

/// A cluster of chars that must stay together on one line. Without a grapheme
/// segmenter we approximate clusters (combining marks, ZWJ emoji, flags, skin
/// tones) so that a wide glyph is never split and the width we count matches
/// what `Line::width` reports.
#[derive(Clone, Copy, Debug)]
struct Unit {
    span: usize,
    start: usize,
    end: usize,
    width: usize,
    space: bool,
    /// A run of printable ASCII (see `Units`), not one grapheme.
    run: bool,
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

fn joins_previous(prev: char, next: char, ri_count: u8) -> bool {
    if next.is_ascii() && prev != '\u{200D}' {
        return false;
    }
    prev == '\u{200D}'
        || next == '\u{200D}'
        || next.width() == Some(0)
        || ('\u{1F3FB}'..='\u{1F3FF}').contains(&next)
        || (is_regional_indicator(next) && ri_count == 1)
}

/// The spans' text cut into units a line can break between: graphemes, or
/// with `runs`, whole runs of printable ASCII (most of an answer), which wrap
/// like their characters would but cost one step instead of one per char.
struct Units<'a> {
    spans: &'a [Span<'static>],
    span: usize,
    pos: usize,
    runs: bool,
}

impl<'a> Units<'a> {
    fn new(spans: &'a [Span<'static>]) -> Self {
        Self {
            spans,
            span: 0,
            pos: 0,
            runs: false,
        }
    }

    fn runs(spans: &'a [Span<'static>]) -> Self {
        Self {
            runs: true,
            ..Self::new(spans)
        }
    }
}

/// Printable ASCII other than space: one cell each, never joined to another.
fn is_run_byte(b: u8) -> bool {
    b.is_ascii_graphic()
}

impl Iterator for Units<'_> {
    type Item = Unit;

    fn next(&mut self) -> Option<Unit> {
        loop {
            let s: &str = self.spans.get(self.span)?.content.as_ref();
            let rest = &s[self.pos..];
            if self.runs {
                let n = rest.bytes().take_while(|&b| is_run_byte(b)).count();
                // A non-ASCII character after the run may join its last
                // character (a combining accent): that one goes the slow way.
                let n = if rest.len() > n && !rest.as_bytes()[n].is_ascii() {
                    n.saturating_sub(1)
                } else {
                    n
                };
                if n > 1 {
                    let start = self.pos;
                    self.pos += n;
                    return Some(Unit {
                        span: self.span,
                        start,
                        end: start + n,
                        width: n,
                        space: false,
                        run: true,
                    });
                }
            }
            let mut chars = rest.chars();
            let Some(first) = chars.next() else {
                self.span += 1;
                self.pos = 0;
                continue;
            };
            let start = self.pos;
            let mut end = start + first.len_utf8();
            let mut prev = first;
            let mut ri = u8::from(is_regional_indicator(first));
            for next in chars {
                if !joins_previous(prev, next, ri) {
                    break;
                }
                ri += u8::from(is_regional_indicator(next));
                end += next.len_utf8();
                prev = next;
            }
            self.pos = end;
            let width = if end - start == 1 && (first.is_ascii_graphic() || first == ' ') {
                1
            } else {
                s[start..end].width()
            };
            return Some(Unit {
                span: self.span,
                start,
                end,
                width,
                space: first == ' ' && end - start == 1,
                run: false,
            });
        }
    }
}

pub(super) fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| s.content.width()).sum()
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Break at spaces and around wide (CJK) glyphs; hard-break overlong words.
    Word,
    /// Break anywhere, keep every space: for code.
    Hard,
}

/// Accumulates units into output lines, merging runs of equal style so a line
/// holds a handful of spans rather than one per char.
struct Builder<'a> {
    src: &'a [Span<'static>],
    width: usize,
    lines: Vec<Vec<Span<'static>>>,
    spans: Vec<Span<'static>>,
    buf: String,
    buf_style: Option<Style>,
    cur_w: usize,
}

impl<'a> Builder<'a> {
    fn new(src: &'a [Span<'static>], width: usize) -> Self {
        Self {
            src,
            width,
            lines: Vec::new(),
            spans: Vec::new(),
            buf: String::new(),
            buf_style: None,
            cur_w: 0,
        }
    }

    fn push_str(&mut self, s: &str, style: Style, w: usize) {
        if self.buf_style != Some(style) {
            self.flush_buf();
            self.buf_style = Some(style);
        }
        self.buf.push_str(s);
        self.cur_w += w;
    }

    fn push(&mut self, u: Unit) {
        let sp = &self.src[u.span];
        self.push_str(&sp.content[u.start..u.end], sp.style, u.width);
    }

    fn flush_buf(&mut self) {
        if let Some(style) = self.buf_style.take()
            && !self.buf.is_empty()
        {
            self.spans
                .push(Span::styled(std::mem::take(&mut self.buf), style));
        }
    }

    fn has_content(&self) -> bool {
        self.cur_w > 0 || !self.buf.is_empty() || !self.spans.is_empty()
    }

    fn newline(&mut self) {
        self.flush_buf();
        self.lines.push(std::mem::take(&mut self.spans));
        self.cur_w = 0;
    }

    fn put_hard(&mut self, u: Unit) {
        if u.run {
            // A run of ASCII: as much as fits on each line.
            let mut at = u.start;
            while at < u.end {
                if self.cur_w >= self.width && self.has_content() {
                    self.newline();
                }
                let n = (u.end - at).min(self.width.saturating_sub(self.cur_w).max(1));
                self.push(Unit {
                    start: at,
                    end: at + n,
                    width: n,
                    ..u
                });
                at += n;
            }
            return;
        }
        if u.width > self.width {
            // Only possible for a 2-cell glyph at width 1: show that something
            // is there rather than overflow the line.
            if self.cur_w + 1 > self.width && self.has_content() {
                self.newline();
            }
            self.push_str(ELLIPSIS, self.src[u.span].style, 1);
            return;
        }
        if self.cur_w + u.width > self.width && self.has_content() {
            self.newline();
        }
        self.push(u);
    }

    fn place_word(&mut self, word: &[Unit], word_w: usize, pending: &[Unit]) {
        let pending_w: usize = pending.iter().map(|u| u.width).sum();
        if self.cur_w + pending_w + word_w <= self.width {
            for &u in pending.iter().chain(word) {
                self.push(u);
            }
            return;
        }
        if word_w <= self.width {
            if self.has_content() {
                self.newline();
            }
            for &u in word {
                self.push(u);
            }
            return;
        }
        // Overlong word (URLs, hashes): start it on the current line if there
        // is room so the hard break does not leave a ragged gap.
        if self.cur_w + pending_w < self.width {
            for &u in pending {
                self.push(u);
            }
        } else if self.has_content() {
            self.newline();
        }
        for &u in word {
            self.put_hard(u);
        }
    }

    fn finish(mut self) -> Vec<Vec<Span<'static>>> {
        self.flush_buf();
        if !self.spans.is_empty() || self.lines.is_empty() {
            self.lines.push(self.spans);
        }
        self.lines
    }
}

pub(super) fn wrap_spans(
    spans: &[Span<'static>],
    width: usize,
    mode: Mode,
) -> Vec<Vec<Span<'static>>> {
    wrap_units(spans, width, mode, true)
}

/// `wrap_spans`, with ASCII runs as single units or (`runs` false, the
/// reference the fast path is tested against) one unit per character.
fn wrap_units(
    spans: &[Span<'static>],
    width: usize,
    mode: Mode,
    runs: bool,
) -> Vec<Vec<Span<'static>>> {
    let width = width.max(1);
    let mut b = Builder::new(spans, width);
    match mode {
        Mode::Hard => {
            for u in Units::new(spans) {
                b.put_hard(u);
            }
        }
        Mode::Word => {
            let mut word: Vec<Unit> = Vec::new();
            let mut word_w = 0;
            let mut pending: Vec<Unit> = Vec::new();
            let units = if runs {
                Units::runs(spans)
            } else {
                Units::new(spans)
            };
            for u in units {
                if u.space {
                    if !word.is_empty() {
                        b.place_word(&word, word_w, &pending);
                        pending.clear();
                        word.clear();
                        word_w = 0;
                    }
                    pending.push(u);
                } else if u.width >= 2 && !u.run {
                    // CJK text has no spaces; a line may break on either
                    // side of any wide glyph.
                    if !word.is_empty() {
                        b.place_word(&word, word_w, &pending);
                        pending.clear();
                        word.clear();
                        word_w = 0;
                    }
                    b.place_word(&[u], u.width, &pending);
                    pending.clear();
                } else {
                    word.push(u);
                    word_w += u.width;
                }
            }
            if !word.is_empty() {
                b.place_word(&word, word_w, &pending);
            }
        }
    }
    b.finish()
}

/// Cuts spans to at most `max` cells, marking the cut with '…' if asked.
pub(super) fn truncate_spans(
    spans: Vec<Span<'static>>,
    max: usize,
    ellipsis: bool,
) -> Vec<Span<'static>> {
    if spans_width(&spans) <= max {
        return spans;
    }
    let limit = if ellipsis { max.saturating_sub(1) } else { max };
    let mut b = Builder::new(&spans, usize::MAX);
    let mut last_style = spans.first().map(|s| s.style).unwrap_or_default();
    for u in Units::new(&spans) {
        if b.cur_w + u.width > limit {
            break;
        }
        last_style = spans[u.span].style;
        b.push(u);
    }
    if ellipsis && max > 0 {
        b.push_str(ELLIPSIS, last_style, 1);
    }
    b.finish().pop().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::tests::{assert_fits, plain};
    use ratatui::style::{Color, Modifier};

    proptest::proptest! {
        /// Wrapping ASCII runs as one unit gives the lines wrapping them
        /// character by character gives: every width, overlong words,
        /// combining accents after ASCII, CJK and emoji between, styles
        /// changing mid-word.
        #[test]
        fn ascii_runs_wrap_like_their_characters(
            parts in proptest::collection::vec(("[a-z .,/:-]{0,30}|[a-z]{20,90}|e\u{301}|日本|👍🏽| {1,3}|[\\PC]{0,6}", 0u8..3), 0..12),
            width in 1usize..40,
        ) {
            let styles = [Style::default(), Style::default().bold(), Style::default().italic()];
            let spans: Vec<Span<'static>> = parts
                .into_iter()
                .map(|(t, st)| Span::styled(t, styles[usize::from(st)]))
                .collect();
            proptest::prop_assert_eq!(
                wrap_units(&spans, width, Mode::Word, true),
                wrap_units(&spans, width, Mode::Word, false)
            );
        }
    }

    #[test]
    fn wrap_line_keeps_wide_chars_whole() {
        let text = "漢字かなカナ😀混じりの文章ですabc defghijklmnop 🇯🇵👨‍👩‍👧";
        let total = text.width();
        for w in 1..=10u16 {
            let out = wrap_line(Line::from(text.to_string()), w);
            assert_fits(&out, w, text);
            let joined: String = plain(&out).concat();
            if w >= 2 {
                // Nothing lost but the spaces at wrap points.
                assert_eq!(joined.replace(' ', ""), text.replace(' ', ""), "w={w}");
            } else {
                assert!(joined.width() <= total);
            }
        }
    }

    #[test]
    fn wrap_line_word_wraps_and_keeps_styles() {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let line = Line::from(vec![
            Span::raw("hello "),
            Span::styled("bold", bold),
            Span::raw("ish world"),
        ])
        .style(Style::new().fg(Color::Red));
        let out = wrap_line(line, 10);
        assert_eq!(plain(&out), ["hello", "boldish", "world"]);
        assert_eq!(out[1].spans[0].style, bold);
        assert!(out.iter().all(|l| l.style.fg == Some(Color::Red)));
        assert_eq!(
            plain(&wrap_line(Line::from("abcdefgh"), 3)),
            ["abc", "def", "gh"]
        );
        assert_eq!(
            plain(&wrap_line(Line::from("ab abcdefgh"), 4)),
            ["ab a", "bcde", "fgh"]
        );
        assert_eq!(plain(&wrap_line(Line::default(), 4)), [""]);
        assert!(wrap_line(Line::from("x"), 0).is_empty());
    }
}
