//! Markdown to styled, width-wrapped terminal lines for the chat transcript.
//!
//! The renderer is re-run on every frame while an answer streams in, so it has
//! to cope with half-written markdown and stay cheap on large answers.
//!
//! Its parts:
//! - this file: the styles (`MdStyles`) and `render`, which parses the text
//!   and feeds the events, made inert, to the renderer;
//! - `render.rs`: the event renderer, from events to prefixed, wrapped lines;
//! - `wrap.rs`: terminal width, grapheme units, wrapping and truncating spans;
//! - `highlight.rs`: fenced code blocks, highlighted with syntect and cached
//!   across frames;
//! - `table.rs`: tables, fitted to the width or degraded to wrapped rows;
//! - `incremental.rs`: re-rendering only the still-open end of a growing text;
//! - `packed.rs`: rendered lines packed for keeping (their text in one string);
//! - `chunks.rs`: a long text cut into pieces rendered only when in view;
//! - `code.rs`: the fenced blocks of an answer, for copying.

pub mod chunks;
mod code;
mod highlight;
mod incremental;
pub mod math;
mod packed;
mod render;
mod table;
#[cfg(test)]
mod tests;
mod wrap;

pub use code::{code_blocks, next_index};
pub use highlight::warm_highlighting;
pub use incremental::Incremental;
pub use packed::PackedLines;
pub use wrap::wrap_line;

use std::borrow::Cow;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;

use incremental::safe_cut;
use render::Renderer;

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
    /// Math (`$…$`, `\(…\)`, display math), drawn in Unicode.
    pub math: Style,
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
            math: Style::new().fg(Color::Magenta),
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
    // Math is never touched by markdown's escapes: `\(…\)` and `\[…\]`
    // become `$…$` and `$$…$$` for the parser, offsets mapped back.
    opts.insert(Options::ENABLE_MATH);
    let (converted, removed) = math::dollar_delimiters(text);
    let text: &str = &converted;
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
            cuts.push((math::original_offset(&removed, range.start), r.out.len()));
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
