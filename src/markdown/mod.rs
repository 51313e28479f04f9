//! Markdown to styled, width-wrapped terminal lines for the chat transcript.
//!
//! The renderer is re-run on every frame while an answer streams in, so it has
//! to cope with half-written markdown and stay cheap on large answers.

mod code;
pub use code::{code_blocks, next_index};

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use pulldown_cmark::{Alignment, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, HighlightState, Theme, ThemeSet};
use syntect::parsing::{ParseState, SyntaxSet};
use syntect::util::LinesWithEndings;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Named styles the renderer uses; the app passes its theme's values.
#[derive(Debug, Clone, PartialEq)]
pub struct MdStyles {
    pub text: Style,
    pub heading: Style,
    pub emphasis: Style,
    pub strong: Style,
    pub code_inline: Style,
    pub code_block: Style,
    pub link: Style,
    pub quote: Style,
    pub list_marker: Style,
    pub table_border: Style,
    pub rule: Style,
    /// Syntax-highlight fenced code (off when colour is off).
    pub highlight: bool,
}

impl Default for MdStyles {
    fn default() -> Self {
        Self {
            text: Style::new(),
            heading: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            emphasis: Style::new().add_modifier(Modifier::ITALIC),
            strong: Style::new().add_modifier(Modifier::BOLD),
            code_inline: Style::new().fg(Color::Yellow),
            code_block: Style::new().fg(Color::Gray),
            link: Style::new()
                .fg(Color::Blue)
                .add_modifier(Modifier::UNDERLINED),
            quote: Style::new().fg(Color::Gray).add_modifier(Modifier::ITALIC),
            list_marker: Style::new().fg(Color::Cyan),
            table_border: Style::new().fg(Color::DarkGray),
            rule: Style::new().fg(Color::DarkGray),
            highlight: true,
        }
    }
}

/// Renders markdown to lines wrapped to `width` terminal cells.
///
/// A zero width yields no lines: there is no cell to draw anything into.
pub fn render(text: &str, width: u16, styles: &MdStyles) -> Vec<Line<'static>> {
    render_with(text, width, styles, None)
}

/// `render`, noting where the text could be cut (see `Incremental`): for each
/// safe cut, its byte offset and the number of lines emitted before it.
fn render_with(
    text: &str,
    width: u16,
    styles: &MdStyles,
    mut cuts: Option<&mut Vec<(usize, usize)>>,
) -> Vec<Line<'static>> {
    if width == 0 {
        return Vec::new();
    }
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut r = Renderer::new(usize::from(width), styles);
    let end = text.trim_end().len();
    let mut depth = 0usize;
    for (ev, range) in Parser::new_ext(text, opts).into_offset_iter() {
        if let Some(cuts) = cuts.as_deref_mut()
            && depth == 0
            && matches!(ev, Event::Start(_) | Event::Rule)
            && r.at_top_level()
            && safe_cut(text, range.start)
        {
            cuts.push((range.start, r.out.len()));
        }
        match &ev {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        let ev = inert(ev);
        if matches!(ev, Event::End(TagEnd::CodeBlock))
            && let Some(code) = &mut r.code
        {
            code.tail = range.end >= end;
        }
        r.event(ev);
    }
    r.finish()
}

/// Whether a top-level block starting at `at` begins a part of the text that
/// nothing after it can change the rendering of what comes before: it starts
/// a line, follows a blank line, and its first character can neither continue
/// the block before it (indentation, a list marker of the same list, a quote)
/// nor define a link reference.
fn safe_cut(text: &str, at: usize) -> bool {
    let Some(before) = text.get(..at).and_then(|b| b.strip_suffix('\n')) else {
        return false;
    };
    let prev_line = before.rsplit('\n').next().unwrap_or("");
    if !prev_line.chars().all(|c| c == ' ' || c == '\t') {
        return false;
    }
    match text[at..].chars().next() {
        Some(c) => !matches!(c, ' ' | '\t' | '-' | '+' | '*' | '>' | '[' | '0'..='9'),
        None => false,
    }
}

/// Renders a text that grows at its end (a streaming answer) to the same
/// lines as `render`, re-rendering only what is still open: top-level blocks
/// that later text can no longer change are rendered once and kept, shared,
/// in `settled()`. A new width, new styles or a text that is not a
/// continuation start over. Link reference definitions (`[x]: url`) can
/// change links anywhere, so a text with one is rendered whole every time.
///
/// `settled()` followed by what `update` returns equals `render(text)`.
#[derive(Default)]
pub struct Incremental {
    width: u16,
    styles: Option<MdStyles>,
    /// The text rendered into `segments`.
    settled_text: String,
    segments: Vec<Rc<Vec<Line<'static>>>>,
    /// The text may define link references: it is rendered whole.
    refs: bool,
}

impl Incremental {
    /// Lines of the settled blocks, in order; a segment never changes once made.
    pub fn settled(&self) -> &[Rc<Vec<Line<'static>>>] {
        &self.segments
    }

    /// Renders `text` and returns the lines after `settled()`.
    pub fn update(&mut self, text: &str, width: u16, styles: &MdStyles) -> Vec<Line<'static>> {
        if self.width != width
            || self.styles.as_ref() != Some(styles)
            || !text.starts_with(self.settled_text.as_str())
        {
            *self = Incremental {
                width,
                styles: Some(styles.clone()),
                ..Incremental::default()
            };
        }
        // The settled text was searched when it was settled (and ends with a
        // blank line, so no `]:` straddles the cut).
        if !self.refs
            && text.as_bytes()[self.settled_text.len()..]
                .windows(2)
                .any(|w| w == b"]:")
        {
            self.refs = true;
            self.settled_text.clear();
            self.segments.clear();
        }
        let before = !self.segments.is_empty();
        let rest = &text[self.settled_text.len()..];
        let mut cuts = Vec::new();
        let mut lines = render_with(rest, width, styles, (!self.refs).then_some(&mut cuts));
        let mut tail = match cuts.last() {
            Some(&(at, n)) if at > 0 => {
                let tail = lines.split_off(n);
                self.settled_text.push_str(&rest[..at]);
                if !lines.is_empty() {
                    if before {
                        lines.insert(0, Line::default());
                    }
                    self.segments.push(Rc::new(lines));
                    // Rendered after lines, the tail already starts with
                    // the blank line between them.
                    return tail;
                }
                tail
            }
            _ => lines,
        };
        if before && !tail.is_empty() {
            tail.insert(0, Line::default());
        }
        tail
    }
}

/// The event with every control and bidi character made a visible
/// placeholder. Character references decode inside the parser, after any
/// sanitising of the input (`&#x1b;` is ESC, `&#x202E;` a bidi override), so
/// what the parser hands over is sanitised again, before wrapping measures it.
fn inert(ev: Event<'_>) -> Event<'_> {
    fn clean(s: CowStr<'_>) -> CowStr<'_> {
        match crate::text::sanitize(&s) {
            Cow::Borrowed(_) => s,
            Cow::Owned(o) => o.into(),
        }
    }
    match ev {
        Event::Text(t) => Event::Text(clean(t)),
        Event::Code(t) => Event::Code(clean(t)),
        Event::InlineMath(t) => Event::InlineMath(clean(t)),
        Event::DisplayMath(t) => Event::DisplayMath(clean(t)),
        Event::Html(t) => Event::Html(clean(t)),
        Event::InlineHtml(t) => Event::InlineHtml(clean(t)),
        Event::FootnoteReference(t) => Event::FootnoteReference(clean(t)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: clean(dest_url),
            title: clean(title),
            id: clean(id),
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: clean(dest_url),
            title: clean(title),
            id: clean(id),
        }),
        Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(clean(info))))
        }
        other => other,
    }
}

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

const GUTTER: &str = "▎";
const QUOTE_BAR: &str = "│ ";
const ELLIPSIS: &str = "…";
// Borrowing indentation from a static avoids an allocation per prefixed line.
const SPACES: &str = "                                                                ";

fn spaces(n: usize) -> Cow<'static, str> {
    match SPACES.get(..n) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(" ".repeat(n)),
    }
}

fn expand_tabs(s: &str) -> Cow<'_, str> {
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

fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| s.content.width()).sum()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
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

fn wrap_spans(spans: &[Span<'static>], width: usize, mode: Mode) -> Vec<Vec<Span<'static>>> {
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
fn truncate_spans(spans: Vec<Span<'static>>, max: usize, ellipsis: bool) -> Vec<Span<'static>> {
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

// ---------------------------------------------------------------------------
// Syntax highlighting
// ---------------------------------------------------------------------------

fn syntax_assets() -> &'static (SyntaxSet, Theme) {
    static ASSETS: OnceLock<(SyntaxSet, Theme)> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let ss = SyntaxSet::load_defaults_newlines();
        let mut themes = ThemeSet::load_defaults().themes;
        let theme = themes
            .remove("base16-ocean.dark")
            .or_else(|| themes.into_values().next())
            .unwrap_or_default();
        (ss, theme)
    })
}

/// The first word of a fence's info string, mapped onto a name syntect's
/// bundled grammars know (they lack TypeScript, TOML, zsh aliases...).
fn fence_language(info: &str) -> String {
    let word = info
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '{' | '}'))
        .find(|s| !s.is_empty())
        .unwrap_or("")
        .trim_start_matches('.')
        .to_ascii_lowercase();
    let alias = match word.as_str() {
        "shell" | "console" | "zsh" | "shellscript" => "sh",
        "ts" | "typescript" | "tsx" | "jsx" | "mjs" | "cjs" => "js",
        "jsonc" | "json5" => "json",
        "c++" => "cpp",
        "golang" => "go",
        "py3" | "python3" => "py",
        _ => return word,
    };
    alias.to_string()
}

type CodeLines = Arc<Vec<Vec<Span<'static>>>>;

/// Highlighted lines of a block: the shared, cacheable head plus, for a block
/// still streaming in, its last (partial) line.
type Highlighted = (CodeLines, Option<Vec<Span<'static>>>);

fn plain_code(code: &str, style: Style) -> Highlighted {
    let lines = Arc::new(
        code.split('\n')
            .map(|l| {
                if l.is_empty() {
                    Vec::new()
                } else {
                    vec![Span::styled(l.to_string(), style)]
                }
            })
            .collect(),
    );
    (lines, None)
}

fn syn_style(base: Style, s: syntect::highlighting::Style) -> Style {
    let mut style = base;
    if s.foreground.a > 0 {
        style = style.fg(Color::Rgb(s.foreground.r, s.foreground.g, s.foreground.b));
    }
    if s.font_style.contains(FontStyle::BOLD) {
        style = style.add_modifier(Modifier::BOLD);
    }
    if s.font_style.contains(FontStyle::ITALIC) {
        style = style.add_modifier(Modifier::ITALIC);
    }
    if s.font_style.contains(FontStyle::UNDERLINE) {
        style = style.add_modifier(Modifier::UNDERLINED);
    }
    style
}

/// Highlights one line (with or without its `\n`), which is then stripped.
fn highlight_one(
    h: &mut HighlightLines<'_>,
    line: &str,
    ss: &SyntaxSet,
    base: Style,
) -> Option<Vec<Span<'static>>> {
    let ranges = h.highlight_line(line, ss).ok()?;
    let mut spans: Vec<Span<'static>> = Vec::with_capacity(ranges.len());
    for (s, t) in ranges {
        let t = t.strip_suffix('\n').unwrap_or(t);
        if t.is_empty() {
            continue;
        }
        let style = syn_style(base, s);
        match spans.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push_str(t),
            _ => spans.push(Span::styled(t.to_string(), style)),
        }
    }
    Some(spans)
}

// syntect with the pure-Rust regex engine manages only a few hundred KB/s,
// while the transcript is re-rendered every frame. Finished blocks are
// therefore cached whole, and the block still streaming in at the end of the
// answer keeps its parser state so each frame only highlights new lines.

/// Source text held by finished-block entries before old ones are dropped.
const EXACT_CACHE_BYTES: usize = 4 << 20;
/// Streaming blocks resumable at once (more than one chat may stream).
const RESUMABLE_SLOTS: usize = 4;

struct ExactEntry {
    lang: String,
    base: Style,
    code: String,
    lines: CodeLines,
    used: u64,
}

struct Resumable {
    lang: String,
    base: Style,
    /// Complete lines only: the last, partial line may still change.
    text: String,
    lines: CodeLines,
    hl: HighlightState,
    parse: ParseState,
    used: u64,
}

#[derive(Default)]
struct HighlightCache {
    exact: HashMap<u64, ExactEntry>,
    exact_bytes: usize,
    resumable: Vec<Resumable>,
    clock: u64,
}

impl HighlightCache {
    fn insert_exact(&mut self, key: u64, entry: ExactEntry) {
        if entry.code.len() > EXACT_CACHE_BYTES / 4 {
            return;
        }
        self.exact_bytes += entry.code.len();
        if let Some(old) = self.exact.insert(key, entry) {
            self.exact_bytes -= old.code.len();
        }
        if self.exact_bytes > EXACT_CACHE_BYTES {
            let mut by_age: Vec<(u64, u64)> =
                self.exact.iter().map(|(k, e)| (e.used, *k)).collect();
            by_age.sort_unstable();
            for (_, k) in by_age {
                if self.exact_bytes <= EXACT_CACHE_BYTES * 3 / 4 {
                    break;
                }
                if let Some(e) = self.exact.remove(&k) {
                    self.exact_bytes -= e.code.len();
                }
            }
        }
    }
}

fn highlight_cache() -> MutexGuard<'static, HighlightCache> {
    static CACHE: OnceLock<Mutex<HighlightCache>> = OnceLock::new();
    CACHE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// One `Vec<Span>` per source line (`\n` stripped), as `code.split('\n')`.
/// `tail` marks the block that ends the document, i.e. possibly still growing.
fn highlight(lang: &str, code: &str, base: Style, tail: bool) -> Highlighted {
    if lang.is_empty() || code.is_empty() {
        return plain_code(code, base);
    }
    let (ss, theme) = syntax_assets();
    let Some(syntax) = ss.find_syntax_by_token(lang) else {
        return plain_code(code, base);
    };
    let key = {
        let mut h = DefaultHasher::new();
        (lang, base, code).hash(&mut h);
        h.finish()
    };
    let split = code.rfind('\n').map_or(0, |i| i + 1);
    let (complete, partial) = code.split_at(split);

    let start = {
        let mut cache = highlight_cache();
        cache.clock += 1;
        let now = cache.clock;
        if !tail
            && let Some(e) = cache.exact.get_mut(&key)
            && e.lang == lang
            && e.base == base
            && e.code == code
        {
            e.used = now;
            return (Arc::clone(&e.lines), None);
        }
        let best = cache
            .resumable
            .iter()
            .enumerate()
            .filter(|(_, r)| r.lang == lang && r.base == base && complete.starts_with(&r.text))
            .max_by_key(|(_, r)| r.text.len())
            .map(|(i, _)| i);
        match best {
            // The growing block moves on to a new state: drop the old one.
            Some(i) if tail => {
                let r = cache.resumable.swap_remove(i);
                Some((r.lines, r.hl, r.parse, r.text.len()))
            }
            Some(i) => {
                let r = &cache.resumable[i];
                Some((
                    Arc::clone(&r.lines),
                    r.hl.clone(),
                    r.parse.clone(),
                    r.text.len(),
                ))
            }
            None => None,
        }
    };

    let (mut lines, mut h, done) = match start {
        Some((lines, hl, parse, done)) => {
            (lines, HighlightLines::from_state(theme, hl, parse), done)
        }
        None => (Arc::default(), HighlightLines::new(syntax, theme), 0),
    };
    // A grammar bug must cost us the colours, not the whole UI.
    let result = catch_unwind(AssertUnwindSafe(|| {
        let out = Arc::make_mut(&mut lines);
        for line in LinesWithEndings::from(&complete[done..]) {
            out.push(highlight_one(&mut h, line, ss, base)?);
        }
        let (hl, parse) = h.state();
        let mut last = HighlightLines::from_state(theme, hl.clone(), parse.clone());
        let partial_spans = highlight_one(&mut last, partial, ss, base)?;
        Some((hl, parse, partial_spans))
    }));
    let Ok(Some((hl, parse, partial_spans))) = result else {
        return plain_code(code, base);
    };

    let mut cache = highlight_cache();
    let used = cache.clock;
    if tail {
        cache.resumable.push(Resumable {
            lang: lang.to_string(),
            base,
            text: complete.to_string(),
            lines: Arc::clone(&lines),
            hl,
            parse,
            used,
        });
        if cache.resumable.len() > RESUMABLE_SLOTS
            && let Some(oldest) =
                (0..cache.resumable.len()).min_by_key(|&i| cache.resumable[i].used)
        {
            cache.resumable.swap_remove(oldest);
        }
        (lines, Some(partial_spans))
    } else {
        Arc::make_mut(&mut lines).push(partial_spans);
        cache.insert_exact(
            key,
            ExactEntry {
                lang: lang.to_string(),
                base,
                code: code.to_string(),
                lines: Arc::clone(&lines),
                used,
            },
        );
        (lines, None)
    }
}

// ---------------------------------------------------------------------------
// Renderer
// ---------------------------------------------------------------------------

enum Container {
    Quote,
    Item {
        marker: String,
        width: usize,
        /// The marker goes on the first line the item emits, whatever block
        /// that line belongs to.
        pending: bool,
    },
}

impl Container {
    fn width(&self) -> usize {
        match self {
            Container::Quote => 2,
            Container::Item { width, .. } => *width,
        }
    }
}

struct ListState {
    next: Option<u64>,
}

struct LinkState {
    url: String,
    text: String,
    image: bool,
}

struct CodeState {
    lang: String,
    text: String,
    /// Ends the document, so it may still be streaming in.
    tail: bool,
}

struct TableState {
    aligns: Vec<Alignment>,
    rows: Vec<Vec<Vec<Span<'static>>>>,
    has_head: bool,
    in_head: bool,
}

struct Renderer<'s> {
    width: usize,
    st: &'s MdStyles,
    out: Vec<Line<'static>>,
    containers: Vec<Container>,
    lists: Vec<ListState>,
    /// Inline content of the current block; hard breaks start a new segment.
    inline: Vec<Vec<Span<'static>>>,
    inline_styles: Vec<Style>,
    heading: bool,
    links: Vec<LinkState>,
    code: Option<CodeState>,
    table: Option<TableState>,
    pending_blank: bool,
}

impl<'s> Renderer<'s> {
    fn new(width: usize, st: &'s MdStyles) -> Self {
        Self {
            width,
            st,
            out: Vec::new(),
            containers: Vec::new(),
            lists: Vec::new(),
            inline: Vec::new(),
            inline_styles: Vec::new(),
            heading: false,
            links: Vec::new(),
            code: None,
            table: None,
            pending_blank: false,
        }
    }

    /// Between top-level blocks: nothing open, nothing buffered, and the next
    /// block is separated from what was emitted by one blank line.
    fn at_top_level(&self) -> bool {
        self.containers.is_empty()
            && self.lists.is_empty()
            && self.inline.is_empty()
            && self.links.is_empty()
            && self.code.is_none()
            && self.table.is_none()
            && !self.heading
            && (self.pending_blank || self.out.is_empty())
    }

    fn finish(mut self) -> Vec<Line<'static>> {
        // The parser closes open blocks itself; this only guards against
        // state a truncated event stream might leave behind.
        if let Some(code) = self.code.take() {
            self.render_code(&code);
        }
        if let Some(t) = self.table.take() {
            self.render_table(t);
        }
        self.flush_inline();
        self.out
    }

    fn event(&mut self, ev: Event<'_>) {
        match ev {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => self.push_text(&t),
            Event::Code(t) => {
                let style = self.inline_style().patch(self.st.code_inline);
                self.note_link_text(&t);
                self.push_span(expand_tabs(&t).into_owned(), style);
            }
            Event::InlineMath(t) | Event::DisplayMath(t) | Event::InlineHtml(t) => {
                self.push_text(&t)
            }
            Event::Html(t) => self.push_multiline(&t),
            Event::FootnoteReference(t) => self.push_text(&format!("[^{t}]")),
            Event::SoftBreak => self.push_text(" "),
            Event::HardBreak => {
                if self.table.is_some() {
                    self.push_text(" ");
                } else {
                    self.inline.push(Vec::new());
                }
            }
            Event::Rule => {
                self.flush_inline();
                let (_, w) = self.layout();
                let rule = vec![Span::styled("─".repeat(w), self.st.rule)];
                self.emit(vec![rule]);
                self.pending_blank = true;
            }
            Event::TaskListMarker(done) => self.push_text(if done { "[x] " } else { "[ ] " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph | Tag::HtmlBlock => self.flush_inline(),
            Tag::Heading { level, .. } => {
                self.flush_inline();
                self.heading = true;
                let hashes = "#".repeat(level as usize);
                self.push_text(&format!("{hashes} "));
            }
            Tag::BlockQuote(_) => {
                self.flush_inline();
                // The separating blank belongs outside the quote, without a bar.
                self.emit_pending_blank();
                self.containers.push(Container::Quote);
            }
            Tag::CodeBlock(kind) => {
                self.flush_inline();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => fence_language(&info),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some(CodeState {
                    lang,
                    text: String::new(),
                    tail: false,
                });
            }
            Tag::List(start) => {
                self.flush_inline();
                self.lists.push(ListState { next: start });
            }
            Tag::Item => {
                self.flush_inline();
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(ListState { next: Some(n) }) => {
                        let m = format!("{n}. ");
                        *n = n.saturating_add(1);
                        m
                    }
                    _ => ["• ", "◦ ", "▪ "][depth % 3].to_string(),
                };
                let width = marker.width();
                self.containers.push(Container::Item {
                    marker,
                    width,
                    pending: true,
                });
            }
            Tag::Table(aligns) => {
                self.flush_inline();
                self.table = Some(TableState {
                    aligns,
                    rows: Vec::new(),
                    has_head: false,
                    in_head: false,
                });
            }
            Tag::TableHead => {
                if let Some(t) = &mut self.table {
                    t.has_head = true;
                    t.in_head = true;
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableRow => {
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableCell => {
                if let Some(t) = &mut self.table {
                    if t.rows.is_empty() {
                        t.rows.push(Vec::new());
                    }
                    if let Some(row) = t.rows.last_mut() {
                        row.push(Vec::new());
                    }
                }
            }
            Tag::Emphasis => self.inline_styles.push(self.st.emphasis),
            Tag::Strong => self.inline_styles.push(self.st.strong),
            Tag::Strikethrough => self
                .inline_styles
                .push(Style::new().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Superscript | Tag::Subscript => self.inline_styles.push(Style::new()),
            Tag::Link { dest_url, .. } => {
                self.inline_styles.push(self.st.link);
                self.links.push(LinkState {
                    url: dest_url.into_string(),
                    text: String::new(),
                    image: false,
                });
            }
            Tag::Image { dest_url, .. } => {
                self.inline_styles.push(self.st.link);
                self.push_text("[image: ");
                self.links.push(LinkState {
                    url: dest_url.into_string(),
                    text: String::new(),
                    image: true,
                });
            }
            Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_) => self.flush_inline(),
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::HtmlBlock
            | TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::MetadataBlock(_) => {
                self.flush_inline();
                self.heading = false;
                self.pending_blank = true;
            }
            TagEnd::BlockQuote(_) => {
                self.flush_inline();
                if matches!(self.containers.last(), Some(Container::Quote)) {
                    self.containers.pop();
                }
                self.pending_blank = true;
            }
            TagEnd::CodeBlock => {
                if let Some(code) = self.code.take() {
                    self.render_code(&code);
                }
                self.pending_blank = true;
            }
            TagEnd::List(_) => {
                self.flush_inline();
                self.lists.pop();
                // Inside a tight item the next sibling item follows directly.
                self.pending_blank =
                    !matches!(self.containers.last(), Some(Container::Item { .. }));
            }
            TagEnd::Item => {
                self.flush_inline();
                if matches!(
                    self.containers.last(),
                    Some(Container::Item { pending: true, .. })
                ) {
                    self.emit(vec![Vec::new()]);
                }
                if matches!(self.containers.last(), Some(Container::Item { .. })) {
                    self.containers.pop();
                }
            }
            TagEnd::Table => {
                if let Some(t) = self.table.take() {
                    self.render_table(t);
                }
                self.pending_blank = true;
            }
            TagEnd::TableHead => {
                if let Some(t) = &mut self.table {
                    t.in_head = false;
                }
            }
            TagEnd::TableRow | TagEnd::TableCell => {}
            TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript => {
                self.inline_styles.pop();
            }
            TagEnd::Link | TagEnd::Image => {
                self.inline_styles.pop();
                if let Some(link) = self.links.pop() {
                    let style = self.inline_style().patch(self.st.link);
                    if link.image {
                        self.push_span("]".to_string(), style);
                    }
                    let same = link.text == link.url
                        || link.url.strip_prefix("mailto:") == Some(link.text.as_str());
                    if !link.url.is_empty() && (link.image || !same) {
                        self.push_span(format!(" ({})", link.url), style);
                    }
                }
            }
        }
    }

    // -- inline content -----------------------------------------------------

    fn inline_style(&self) -> Style {
        let mut s = self.st.text;
        if self
            .containers
            .iter()
            .any(|c| matches!(c, Container::Quote))
        {
            s = s.patch(self.st.quote);
        }
        if self.heading {
            s = s.patch(self.st.heading).add_modifier(Modifier::BOLD);
        }
        if self.table.as_ref().is_some_and(|t| t.in_head) {
            s = s.add_modifier(Modifier::BOLD);
        }
        for p in &self.inline_styles {
            s = s.patch(*p);
        }
        s
    }

    fn note_link_text(&mut self, t: &str) {
        if let Some(link) = self.links.last_mut() {
            link.text.push_str(t);
        }
    }

    fn push_text(&mut self, t: &str) {
        if let Some(code) = &mut self.code {
            code.text.push_str(t);
            return;
        }
        self.note_link_text(t);
        let style = self.inline_style();
        self.push_span(expand_tabs(t).into_owned(), style);
    }

    fn push_multiline(&mut self, t: &str) {
        let mut parts = t.split('\n').peekable();
        while let Some(part) = parts.next() {
            if !part.is_empty() {
                self.push_text(part);
            }
            if parts.peek().is_some() && self.table.is_none() && self.code.is_none() {
                self.inline.push(Vec::new());
            }
        }
    }

    fn push_span(&mut self, s: String, style: Style) {
        if s.is_empty() {
            return;
        }
        let target = if let Some(t) = &mut self.table {
            if t.rows.is_empty() {
                t.rows.push(Vec::new());
            }
            let row = t.rows.last_mut().expect("row pushed above");
            if row.is_empty() {
                row.push(Vec::new());
            }
            row.last_mut().expect("cell pushed above")
        } else {
            if self.inline.is_empty() {
                self.inline.push(Vec::new());
            }
            self.inline.last_mut().expect("segment pushed above")
        };
        match target.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push_str(&s),
            _ => target.push(Span::styled(s, style)),
        }
    }

    fn flush_inline(&mut self) {
        let mut segments = std::mem::take(&mut self.inline);
        // Hard breaks at the end of a block (e.g. HTML's trailing newline)
        // would only add empty lines.
        while segments.last().is_some_and(|s| s.is_empty()) {
            segments.pop();
        }
        if segments.is_empty() {
            return;
        }
        let (_, w) = self.layout();
        let mut lines = Vec::new();
        for seg in &segments {
            lines.extend(wrap_spans(seg, w, Mode::Word));
        }
        self.emit(lines);
    }

    // -- emitting lines -----------------------------------------------------

    /// (prefix cells, content cells). Deep nesting on a narrow terminal must
    /// not squeeze content to nothing, so the prefix gives way first.
    fn layout(&self) -> (usize, usize) {
        let prefix: usize = self.containers.iter().map(Container::width).sum();
        let min_content = (self.width / 3).max(1);
        let content = self
            .width
            .saturating_sub(prefix)
            .max(min_content)
            .min(self.width);
        (self.width - content, content)
    }

    fn line_prefix(&mut self, blank: bool) -> Vec<Span<'static>> {
        let (budget, _) = self.layout();
        let mut spans = Vec::with_capacity(self.containers.len());
        let mut total = 0;
        for c in &mut self.containers {
            total += c.width();
            match c {
                Container::Quote => spans.push(Span::styled(QUOTE_BAR, self.st.quote)),
                Container::Item {
                    marker,
                    width,
                    pending,
                } => {
                    if *pending && !blank {
                        *pending = false;
                        spans.push(Span::styled(marker.clone(), self.st.list_marker));
                    } else {
                        spans.push(Span::raw(spaces(*width)));
                    }
                }
            }
        }
        if total > budget {
            spans = truncate_spans(spans, budget, false);
        }
        if blank {
            while spans
                .last()
                .is_some_and(|s| s.content.trim_end().is_empty())
            {
                spans.pop();
            }
            if let Some(last) = spans.last_mut() {
                let trimmed = last.content.trim_end();
                if trimmed.len() != last.content.len() {
                    last.content = Cow::Owned(trimmed.to_string());
                }
            }
        }
        spans
    }

    fn emit_pending_blank(&mut self) {
        if self.pending_blank && !self.out.is_empty() {
            let prefix = self.line_prefix(true);
            self.out.push(Line::from(prefix));
        }
        self.pending_blank = false;
    }

    /// Emits content lines already wrapped to the layout's content width.
    fn emit(&mut self, lines: Vec<Vec<Span<'static>>>) {
        self.emit_pending_blank();
        for content in lines {
            let mut spans = self.line_prefix(false);
            spans.extend(content);
            self.out.push(Line::from(spans));
        }
    }

    // -- code blocks --------------------------------------------------------

    fn render_code(&mut self, code: &CodeState) {
        let (_, w) = self.layout();
        let gutter = w >= 2;
        let code_w = if gutter { w - 1 } else { w };
        let text = expand_tabs(&code.text);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let mut lines = Vec::new();
        let (head, last) = if self.st.highlight {
            highlight(&code.lang, text, self.st.code_block, code.tail)
        } else {
            plain_code(text, self.st.code_block)
        };
        for src in head.iter().chain(last.as_ref()) {
            for piece in wrap_spans(src, code_w, Mode::Hard) {
                if gutter {
                    let mut l = Vec::with_capacity(piece.len() + 1);
                    l.push(Span::styled(GUTTER, self.st.code_block));
                    l.extend(piece);
                    lines.push(l);
                } else {
                    lines.push(piece);
                }
            }
        }
        self.emit(lines);
    }

    // -- tables -------------------------------------------------------------

    fn render_table(&mut self, t: TableState) {
        let ncols = t.rows.iter().map(Vec::len).max().unwrap_or(0);
        if ncols == 0 {
            return;
        }
        let (_, avail) = self.layout();
        let mut natural = vec![1usize; ncols];
        for row in &t.rows {
            for (i, cell) in row.iter().enumerate() {
                natural[i] = natural[i].max(spans_width(cell));
            }
        }
        let borders = 3 * ncols + 1;
        let min_total: usize = natural.iter().map(|&n| n.min(3)).sum();
        if borders + min_total > avail {
            self.render_table_fallback(t, avail);
            return;
        }
        let widths = fit_columns(&natural, avail - borders);

        let border = self.st.table_border;
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
        let body_start = usize::from(t.has_head);
        for (ri, row) in t.rows.into_iter().enumerate() {
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
                let (left, right) = match t.aligns.get(ci) {
                    Some(Alignment::Right) => (slack, 0),
                    Some(Alignment::Center) => (slack / 2, slack - slack / 2),
                    _ => (0, slack),
                };
                if left > 0 {
                    spans.push(Span::styled(spaces(left), self.st.text));
                }
                spans.extend(cell);
                if right > 0 {
                    spans.push(Span::styled(spaces(right), self.st.text));
                }
            }
            spans.push(Span::styled(" │", border));
            lines.push(spans);
        }
        lines.push(rule("└", "┴", "┘"));
        self.emit(lines);
    }

    /// Too narrow for a grid: one wrapped line per row, cells separated by bars.
    fn render_table_fallback(&mut self, t: TableState, avail: usize) {
        let mut lines = Vec::new();
        for row in t.rows {
            let mut spans = Vec::new();
            for (i, cell) in row.into_iter().enumerate() {
                if i > 0 {
                    spans.push(Span::styled(" │ ", self.st.table_border));
                }
                spans.extend(cell);
            }
            lines.extend(wrap_spans(&spans, avail, Mode::Word));
        }
        self.emit(lines);
    }
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

    use super::*;

    fn plain(lines: &[Line<'_>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    fn render_plain(md: &str, width: u16) -> Vec<String> {
        let lines = render(md, width, &MdStyles::default());
        assert_fits(&lines, width, md);
        plain(&lines)
    }

    fn assert_fits(lines: &[Line<'_>], width: u16, what: &str) {
        for l in lines {
            assert!(
                l.width() <= usize::from(width),
                "line {:?} is {} cells, over {width}, for {what:?}",
                plain(std::slice::from_ref(l))[0],
                l.width()
            );
        }
    }

    const SAMPLES: &[&str] = &[
        "# 标题 Heading with 中文\n\n这是一个很长的中文段落，没有任何空格，用来测试换行是否正确处理宽字符。Mixed English words and 汉字混排 text.\n",
        "Emoji 👨‍👩‍👧 family, flags 🇺🇸🇯🇵, skin 👍🏽, keycap 1️⃣, heart ❤️ and e\u{301}clair.\n\n😀😀😀😀😀😀😀😀😀😀😀😀",
        "- item one with some words\n- 第二项 有中文\n  - nested 嵌套 item that is fairly long\n    1. deep ordered\n    2. 深层\n- last\n",
        "> quote line with words 引用\n> > nested quote ありがとうございます\n\n> - list in quote\n",
        "| 名前 | Value | Notes |\n|:--|--:|:-:|\n| 東京 | 1 | very long note that will have to shrink |\n| x | 22222 | 🙂 |\n",
        "```rust\nfn main() {\n\tlet s = \"中文字符串\"; // comment with a very long tail that exceeds\n}\n```\n",
        "```\nplain 日本語 code\n```\n\nA link [こんにちは](https://example.com/a/very/long/path/that/keeps/going) and <https://x.y>.",
        "Averyveryveryverylongwordwithoutanyspacesatallthatmustbehardbroken 终わり",
        "```python\nprint('unclosed fence 未完",
        "| a | b |\n|---|-",
        "1. one\n2. two\n\n   continuation paragraph in item two\n\n---\n\n***bold italic*** ~~strike~~ `inline 代码`",
        "Tabs\there\tand\tthere\n\n\tindented code\twith tab\n",
    ];

    #[test]
    fn lines_never_exceed_width() {
        let st = MdStyles::default();
        for md in SAMPLES {
            for w in (1..=40).chain([60, 80, 120]) {
                let lines = render(md, w, &st);
                assert_fits(&lines, w, md);
            }
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

    #[test]
    fn headings_and_paragraphs() {
        assert_eq!(
            render_plain("# Title\nsome text\n\n## Sub\n\nmore", 40),
            ["# Title", "", "some text", "", "## Sub", "", "more"]
        );
        let lines = render("# T", 10, &MdStyles::default());
        assert!(
            lines[0].spans[0]
                .style
                .add_modifier
                .contains(Modifier::BOLD)
        );
    }

    #[test]
    fn lists_nest_and_indent_continuations() {
        assert_eq!(
            render_plain("- a\n- b\n  - c\n    1. d\n- e", 40),
            ["• a", "• b", "  ◦ c", "    1. d", "• e"]
        );
        assert_eq!(
            render_plain("- aaaa bbbb cccc dddd", 11),
            ["• aaaa bbbb", "  cccc dddd"]
        );
        assert_eq!(
            render_plain("3. x\n4. y\n\npara", 20),
            ["3. x", "4. y", "", "para"]
        );
        // Loose list: items separated by a blank line.
        assert_eq!(render_plain("- a\n\n- b", 20), ["• a", "", "• b"]);
        assert_eq!(render_plain("-\n- b", 20), ["• ", "• b"]);
    }

    #[test]
    fn quotes_prefix_every_wrapped_line() {
        assert_eq!(
            render_plain("> hello world foo\n>\n> bar", 10),
            ["│ hello", "│ world", "│ foo", "│", "│ bar"]
        );
        assert_eq!(render_plain("> a\n> > b", 20), ["│ a", "│", "│ │ b"]);
        assert_eq!(render_plain("para\n\n> q", 20), ["para", "", "│ q"]);
    }

    #[test]
    fn links_show_url_unless_same() {
        assert_eq!(
            render_plain("see [docs](https://d.io) and <https://x.io>", 80),
            ["see docs (https://d.io) and https://x.io"]
        );
        assert_eq!(render_plain("<me@x.io>", 80), ["me@x.io"]);
        let lines = render("[a](u)", 20, &MdStyles::default());
        let url = lines[0].spans.last().unwrap();
        assert!(url.content.ends_with(" (u)"));
        assert_eq!(url.style.fg, MdStyles::default().link.fg);
    }

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

    #[test]
    fn code_blocks_hard_break_with_gutter_and_colour() {
        let st = MdStyles::default();
        let md = "```rust\nlet x = 1; // abcdefghij\n\n  y\n```";
        let lines = render(md, 12, &st);
        assert_fits(&lines, 12, md);
        assert_eq!(
            plain(&lines),
            ["▎let x = 1; ", "▎// abcdefgh", "▎ij", "▎", "▎  y"]
        );
        let has_rgb = lines
            .iter()
            .flat_map(|l| &l.spans)
            .any(|s| matches!(s.style.fg, Some(Color::Rgb(..))));
        assert!(has_rgb, "rust should be highlighted");

        let lines = render("```nosuchlang\nlet x\n```", 20, &st);
        assert_eq!(plain(&lines), ["▎let x"]);
        assert!(lines[0].spans.iter().all(|s| s.style == st.code_block));
    }

    #[test]
    fn incomplete_markdown_renders() {
        assert_eq!(
            render_plain("text\n\n```py\nprint(1)\nif x", 30),
            ["text", "", "▎print(1)", "▎if x"]
        );
        assert_eq!(render_plain("```", 30), ["▎"]);
        // pulldown-cmark already accepts a partial delimiter row as a table.
        assert_eq!(
            render_plain("| a | b |\n|---|-", 30),
            ["┌───┬───┐", "│ a │ b │", "└───┴───┘"]
        );
        assert_eq!(render_plain("| a | b |\n|-", 30), ["| a | b | |-"]);
        assert_eq!(render_plain("**bold and `code", 30), ["**bold and `code"]);
        assert_eq!(render_plain("1. a\n2.", 30), ["1. a", "2. "]);
    }

    /// Highlighting resumed from the cache, at every possible streaming cut,
    /// must equal highlighting the same text from scratch.
    #[test]
    fn cached_highlighting_matches_uncached() {
        let code =
            "fn main() {\n    let s = \"a\\\"b\n c\"; /* multi\n line */\n    x(1);\n}\n// end";
        let base = Style::new().fg(Color::Gray);
        let (ss, theme) = syntax_assets();
        let syntax = ss.find_syntax_by_token("rust").unwrap();
        let flatten = |(head, last): Highlighted| {
            let mut v: Vec<Vec<Span<'static>>> = head.to_vec();
            v.extend(last);
            v
        };
        for tail in [true, false] {
            for (cut, _) in code.char_indices().chain([(code.len(), ' ')]) {
                let text = &code[..cut];
                let got = flatten(highlight("rust", text, base, tail));
                let mut h = HighlightLines::new(syntax, theme);
                let want: Vec<_> = text
                    .split_inclusive('\n')
                    .map(|l| highlight_one(&mut h, l, ss, base).unwrap())
                    .chain(text.ends_with('\n').then(Vec::new))
                    .collect();
                let want = if text.is_empty() {
                    vec![Vec::new()]
                } else {
                    want
                };
                assert_eq!(got, want, "cut at {cut}, tail {tail}");
            }
        }
    }

    #[test]
    fn tabs_become_spaces() {
        assert_eq!(render_plain("```\n\ta\n```", 20), ["▎    a"]);
        assert!(render_plain("a\tb", 20)[0].contains("a    b"));
    }

    /// Cheap deterministic fuzzing: glue markdown fragments together at random
    /// and render at small widths; any panic or overflow fails.
    #[test]
    fn random_fragments_never_panic_or_overflow() {
        const FRAGS: &[&str] = &[
            "# ",
            "- ",
            "1. ",
            "> ",
            "```",
            "```rust\n",
            "\n",
            "\n\n",
            "| a | 表 |",
            "|---|:-:|",
            "**",
            "*",
            "~~",
            "`",
            "[",
            "](http://u)",
            "<http://a.b>",
            "中文",
            "😀",
            "👨‍👩‍👧",
            "word ",
            "longlonglonglongword",
            "\t",
            "  ",
            "---",
            "<div>",
            "e\u{301}",
            "![i](p)",
            "\\",
            "    ",
            "1)",
            "🇯🇵",
        ];
        let st = MdStyles::default();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..300 {
            let mut md = String::new();
            for _ in 0..40 {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                md.push_str(FRAGS[(seed >> 33) as usize % FRAGS.len()]);
            }
            for w in 1..=24 {
                assert_fits(&render(&md, w, &st), w, &md);
            }
        }
    }

    const SNAPSHOT_DOC: &str = "\
# Release notes

Some *emphasis*, **strong**, `code` and a [link](https://example.com).

## Lists

- first item that is long enough to wrap onto a second line
- second
  - nested one
  - nested two
1. ordered
2. also ordered

> A quoted remark that wraps across lines.
> > And a nested quote.

---

| Name | Qty | Comment |
|:-----|----:|:-------:|
| apple | 3 | crisp |
| 西瓜 | 12 | a rather long comment here |

```python
def f(x):
\treturn x * 2  # doubled
```
";

    #[test]
    fn snapshot_wide() {
        insta::assert_snapshot!(render_plain(SNAPSHOT_DOC, 60).join("\n"));
    }

    #[test]
    fn snapshot_narrow() {
        insta::assert_snapshot!(render_plain(SNAPSHOT_DOC, 28).join("\n"));
    }

    #[test]
    fn snapshot_cjk() {
        let md = "## 中文标题\n\n这是一段中文，夹杂 English words 和 emoji 😀，需要在窄宽度下正确换行。\n\n- 列表项一\n- 列表项二：比较长的内容会换行并且缩进\n";
        insta::assert_snapshot!(render_plain(md, 16).join("\n"));
    }

    /// Texts whose later lines can change how earlier ones render, or that
    /// tempt a naive cut (fences with blank lines, loose lists, HTML blocks,
    /// link references, setext headings, indented code).
    const GROWING: &[&str] = &[
        "1. a\n\n2. b\n\nfoo\n\n3. c\n\n4. d\n\ntail",
        "- a\n\n- b\n\nx\n\n+ c\n\ny",
        "```\ncode\n\nmore\n```\n\nafter\n\n~~~~\n\n```\n~~~~\n\nend",
        "  ```\nindented fence\n\nx\n  ```\n\ny",
        "- x\n  ```\n  code\n```\n\nafter\n\n```\nz\n\nstill code",
        "```foo`bar\n\nnot a fence\n\n```\n\ninside?\n\n```\n\nout",
        "<!--\ncomment\n\nstill\n-->\n\npara\n\n<pre>\n\nx\n</pre>\n\nend",
        "para with [ref] and [other]\n\nmore\n\n[ref]: http://x\n\nend",
        "Title\n\n===\n\nText\n---\n\nmore\n\n***\n\n___\n\nlast",
        "> q\n\n> r\n\ns\n> lazy\n\nt",
        "| a | b |\n|---|---|\n| 1 | 2 |\n\nafter table\n\n| c |\n|---|\n| 3 |",
        "    code\n\n    more code\n\npara\n\n\tmore\n\nend",
        "text  \nhard break\n\nnext *open\n\nclose* here\n\n**bold\nacross** lines",
        "# H\n\n```rust\nfn a() {}\n\nfn b() {}\n```\n\n## H2\n\n```python\ndef f():\n    pass\n```\n\nend",
    ];

    fn check_growing(text: &str, width: u16, step: usize) {
        let st = MdStyles::default();
        let mut inc = Incremental::default();
        let mut cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(step).collect();
        cuts.push(text.len());
        for cut in cuts {
            let prefix = &text[..cut];
            let tail = inc.update(prefix, width, &st);
            let mut got: Vec<Line<'static>> = Vec::new();
            for seg in inc.settled() {
                got.extend(seg.iter().cloned());
            }
            got.extend(tail);
            assert_eq!(
                plain(&got),
                plain(&render(prefix, width, &st)),
                "at byte {cut} of {text:?}"
            );
            assert_eq!(got, render(prefix, width, &st), "styles at byte {cut}");
        }
    }

    #[test]
    fn incremental_equals_render_at_every_length() {
        for text in GROWING.iter().chain(SAMPLES) {
            for width in [12, 80] {
                check_growing(text, width, 1);
            }
        }
        check_growing(SNAPSHOT_DOC, 40, 1);
    }

    #[test]
    fn incremental_settles_finished_blocks_and_starts_over_when_needed() {
        let st = MdStyles::default();
        let mut inc = Incremental::default();
        let doc = "# A\n\nfirst paragraph\n\nsecond paragraph\n\nthird";
        inc.update(doc, 40, &st);
        assert!(!inc.settled().is_empty(), "finished blocks are kept");
        let kept = Rc::clone(&inc.settled()[0]);
        inc.update(&format!("{doc} grows"), 40, &st);
        assert!(
            Rc::ptr_eq(&kept, &inc.settled()[0]),
            "and not rendered again"
        );
        // Another width, or a text that is not a continuation: from scratch.
        inc.update(doc, 30, &st);
        assert!(!Rc::ptr_eq(&kept, &inc.settled()[0]));
        inc.update("# B\n\nother", 30, &st);
        assert!(inc.settled().iter().all(|s| !s.is_empty()));
        // A link reference definition: rendered whole from then on.
        let tail = inc.update("# B\n\nother [x]\n\n[x]: http://e.com\n\nmore", 30, &st);
        assert!(inc.settled().is_empty());
        assert_eq!(
            tail,
            render("# B\n\nother [x]\n\n[x]: http://e.com\n\nmore", 30, &st)
        );
    }

    /// Run with `cargo test --release -- --ignored --nocapture perf`.
    #[test]
    #[ignore]
    fn perf_large_answer() {
        let mut md = String::new();
        let mut i = 0;
        while md.len() < 80_000 {
            md.push_str(&format!(
                "## Section {i}\n\nSome prose with **bold**, `code`, a [link](https://e.com/{i}) and \
                 中文 text that goes on for a while to make the wrapper work a bit harder.\n\n\
                 - point one\n- point two\n  - nested\n\n\
                 ```rust\nfn f{i}(x: u32) -> u32 {{\n    // comment\n    x * {i} + 1\n}}\n```\n\n\
                 | a | b |\n|---|---|\n| {i} | value |\n\n"
            ));
            i += 1;
        }
        let st = MdStyles::default();
        render("```rust\nfn warm() {}\n```", 80, &st);
        let time = |label: &str, md: &str| {
            let t = std::time::Instant::now();
            let lines = render(md, 100, &st);
            println!(
                "{label}: {} bytes -> {} lines in {:?}",
                md.len(),
                lines.len(),
                t.elapsed()
            );
        };
        time("mixed, cold", &md);
        time("mixed, warm", &md);
        let code: String = (0..2500)
            .map(|i| format!("    let v{i} = foo(bar, \"s\"); // c\n"))
            .collect();
        let code = format!("```rust\nfn main() {{\n{code}}}\n```\n");
        time("code, cold", &code);
        time("code, warm", &code);
        let prose = "lorem ipsum dolor sit amet 中文字符 ".repeat(2500);
        time("prose", &prose);
        // Streaming: the last block grows a few tokens per frame.
        let code = code.replace("let v", "let w");
        let frames = 400;
        let t = std::time::Instant::now();
        let mut worst = std::time::Duration::ZERO;
        for f in 1..=frames {
            let mut cut = code.len() * f / frames;
            while !code.is_char_boundary(cut) {
                cut += 1;
            }
            let ft = std::time::Instant::now();
            render(&code[..cut], 100, &st);
            worst = worst.max(ft.elapsed());
        }
        println!(
            "streaming {frames} frames: avg {:?}, worst {worst:?}",
            t.elapsed() / frames as u32
        );
    }
}
