//! The pulldown-cmark event renderer: block and inline state, container
//! prefixes (quote bars, list markers), and lines wrapped to the width.

use std::borrow::Cow;

use pulldown_cmark::{CodeBlockKind, Event, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::MdStyles;
use super::highlight::{code_block_lines, fence_language};
use super::table::TableState;
use super::wrap::{Mode, expand_tabs, spaces, truncate_spans, wrap_spans};

const QUOTE_BAR: &str = "│ ";

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

pub(super) struct CodeState {
    lang: String,
    text: String,
    /// Ends the document, so it may still be streaming in.
    pub(super) tail: bool,
}

pub(super) struct Renderer<'s> {
    width: usize,
    st: &'s MdStyles,
    pub(super) out: Vec<Line<'static>>,
    containers: Vec<Container>,
    lists: Vec<ListState>,
    /// Inline content of the current block; hard breaks start a new segment.
    inline: Vec<Vec<Span<'static>>>,
    inline_styles: Vec<Style>,
    heading: bool,
    links: Vec<LinkState>,
    pub(super) code: Option<CodeState>,
    table: Option<TableState>,
    pending_blank: bool,
}

impl<'s> Renderer<'s> {
    pub(super) fn new(width: usize, st: &'s MdStyles) -> Self {
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
    pub(super) fn at_top_level(&self) -> bool {
        self.containers.is_empty()
            && self.lists.is_empty()
            && self.inline.is_empty()
            && self.links.is_empty()
            && self.code.is_none()
            && self.table.is_none()
            && !self.heading
            && (self.pending_blank || self.out.is_empty())
    }

    pub(super) fn finish(mut self) -> Vec<Line<'static>> {
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

    pub(super) fn event(&mut self, ev: Event<'_>) {
        match ev {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => self.push_text(&t),
            Event::Code(t) => {
                let style = self.inline_style().patch(self.st.code_inline);
                self.note_link_text(&t);
                self.push_span(expand_tabs(&t).into_owned(), style);
            }
            Event::InlineMath(t) => {
                // Drawn in Unicode, or kept as its source when it cannot be.
                let shown = super::math::to_unicode(&t).unwrap_or_else(|| format!("${t}$"));
                let style = self.inline_style().patch(self.st.math);
                self.push_span(shown, style);
            }
            Event::DisplayMath(t) => {
                // On its own lines, indented: each line of the formula.
                self.flush_inline();
                let shown = super::math::to_unicode(&t)
                    .map_or_else(|| format!("$${}$$", t.trim()), |s| s.replace("; ", "\n"));
                let style = self.st.math;
                let (_, w) = self.layout();
                // Indented by four where there is room; wrapped to the width.
                let indent = if w > 8 { 4 } else { 0 };
                let mut lines: Vec<Vec<Span<'static>>> = Vec::new();
                for l in shown.lines() {
                    let line = ratatui::text::Line::from(Span::styled(l.trim().to_string(), style));
                    for wrapped in super::wrap::wrap_line(line, (w - indent).max(1) as u16) {
                        let mut spans = vec![Span::raw(" ".repeat(indent))];
                        spans.extend(wrapped.spans);
                        lines.push(spans);
                    }
                }
                self.emit(lines);
                self.pending_blank = true;
            }
            Event::InlineHtml(t) => self.push_text(&t),
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
                self.table = Some(TableState::new(aligns));
            }
            part @ (Tag::TableHead | Tag::TableRow | Tag::TableCell) => {
                if let Some(t) = &mut self.table {
                    t.start(&part);
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
            part @ (TagEnd::TableHead | TagEnd::TableRow | TagEnd::TableCell) => {
                if let Some(t) = &mut self.table {
                    t.end(part);
                }
            }
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
        if self.table.as_ref().is_some_and(TableState::in_head) {
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
            t.cell()
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
        let lines = code_block_lines(&code.lang, &code.text, code.tail, w, self.st);
        self.emit(lines);
    }

    // -- tables -------------------------------------------------------------

    fn render_table(&mut self, t: TableState) {
        let (_, avail) = self.layout();
        if let Some(lines) = t.lines(avail, self.st) {
            self.emit(lines);
        }
    }
}
