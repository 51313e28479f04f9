//! What an entry's rendering is, and what is kept of it between frames:
//! lines in shared parts (so a streaming answer's settled markdown is not
//! copied each frame), the slots its inline images are drawn over, the
//! cache of finished entries' lines, and the streaming answer's markdown
//! rendered as it grows.

use std::borrow::Cow;
use std::rc::Rc;

use ratatui::text::{Line, Span};

use super::images::ImageCache;
use crate::app::conversation::NodeId;
use crate::markdown::{self, MdStyles, PackedLines};
use crate::text::sanitize;

/// An entry's lines, and where its inline images go (drawn over blank lines
/// reserved for them). The lines come in packed parts (their text in one
/// string: a long answer is kept at about its own size, not sixteen times
/// it), so a streaming answer's settled markdown is shared from frame to
/// frame instead of copied.
pub struct Rendered {
    pub(super) parts: Vec<Part>,
    pub(super) len: usize,
    pub images: Vec<ImageSlot>,
}

impl Rendered {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The lines from line `skip` on, unpacked (borrowing the text).
    pub(super) fn lines_from(&self, skip: usize) -> impl Iterator<Item = Line<'_>> {
        let mut skip = skip;
        self.parts
            .iter()
            .filter_map(move |p| {
                if skip >= p.len() {
                    skip -= p.len();
                    None
                } else {
                    let from = std::mem::take(&mut skip);
                    Some(p.lines_from(from))
                }
            })
            .flatten()
    }
}

/// Collects an entry's lines: its own, and shared parts.
#[derive(Default)]
pub(super) struct Out {
    parts: Vec<Part>,
    cur: Vec<Line<'static>>,
    len: usize,
}

impl Out {
    pub(super) fn push(&mut self, l: Line<'static>) {
        self.cur.push(l);
        self.len += 1;
    }

    pub(super) fn extend(&mut self, lines: impl IntoIterator<Item = Line<'static>>) {
        for l in lines {
            self.push(l);
        }
    }

    pub(super) fn shared(&mut self, part: &Part) {
        if part.is_empty() {
            return;
        }
        if !self.cur.is_empty() {
            let cur = std::mem::take(&mut self.cur);
            self.parts.push(Rc::new(PackedLines::pack(cur, "")));
        }
        self.len += part.len();
        self.parts.push(Rc::clone(part));
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Patches the first line's style (a selected message's header).
    pub(super) fn patch_first(&mut self, style: ratatui::style::Style) {
        if let Some(first) = self.parts.first_mut() {
            // Only when an entry starts with a shared part (not so today:
            // headers come first): unpacked, patched, packed again.
            let mut lines: Vec<Line> = first.lines_from(0).collect();
            if let Some(l) = lines.first_mut() {
                *l = std::mem::take(l).patch_style(style);
            }
            *first = Rc::new(PackedLines::pack(lines, ""));
        } else if let Some(l) = self.cur.first_mut() {
            *l = std::mem::take(l).patch_style(style);
        }
    }

    pub(super) fn finish(mut self) -> (Vec<Part>, usize) {
        if !self.cur.is_empty() {
            self.parts.push(Rc::new(PackedLines::pack(self.cur, "")));
        }
        (self.parts, self.len)
    }
}

pub struct ImageSlot {
    /// The first reserved line.
    pub line: usize,
    pub protocol: Rc<ratatui_image::protocol::Protocol>,
}

pub(super) type Lines = Rc<Rendered>;

/// Lines shared between frames (a settled markdown block, or an entry's own).
pub(super) type Part = Rc<PackedLines>;

/// What a message's lines were drawn from: its revision, the width, the
/// reasoning toggle and whether it was selected. Lines drawn from another
/// are stale.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Drawn {
    pub revision: u64,
    pub width: u16,
    pub reasoning: bool,
    pub selected: bool,
}

/// Wrapped lines of finished messages by id, with what they were drawn
/// from; the streaming answers' markdown (one, or a round's columns),
/// rendered as it grows; and the lines of finished compare columns.
#[derive(Default)]
pub struct Cache {
    pub(super) slots: Vec<Option<(Drawn, Lines)>>,
    pub(super) live: Vec<LiveMarkdown>,
    pub(super) columns: std::collections::HashMap<(NodeId, u16), (u64, Lines)>,
}

/// Streaming answers kept at once: a round's columns, and one more.
const LIVE_KEPT: usize = crate::app::conversation::MAX_ANSWERS + 1;

impl Cache {
    /// The lines of message `id` drawn from `drawn`, if they are kept.
    pub(super) fn get(&self, id: NodeId, drawn: Drawn) -> Option<Lines> {
        match self.slots.get(id as usize) {
            Some(Some((d, lines))) if *d == drawn => Some(lines.clone()),
            _ => None,
        }
    }

    pub(super) fn put(&mut self, id: NodeId, drawn: Drawn, lines: Lines) {
        let i = id as usize;
        if self.slots.len() <= i {
            self.slots.resize(i + 1, None);
        }
        self.slots[i] = Some((drawn, lines));
    }
}

/// The streaming answer `id`: its markdown's settled blocks (packed with
/// the answer's indent), and how much of its text is known to need no
/// sanitising.
pub(super) struct LiveMarkdown {
    id: NodeId,
    pub(super) md: markdown::Incremental,
    clean: String,
}

impl LiveMarkdown {
    /// `sanitize(text)`, looking only at what was not seen clean before
    /// (sanitising maps each character on its own, so a clean prefix stays
    /// clean).
    fn sanitized<'t>(&mut self, text: &'t str) -> Cow<'t, str> {
        if !text.starts_with(self.clean.as_str()) {
            self.clean.clear();
        }
        let rest = &text[self.clean.len()..];
        match sanitize(rest) {
            Cow::Borrowed(_) => {
                self.clean.push_str(rest);
                Cow::Borrowed(text)
            }
            Cow::Owned(_) => sanitize(text),
        }
    }
}

/// How far an answer's markdown is indented under its header.
const INDENT: &str = "  ";

/// The answer's markdown indented under its header.
pub(super) fn indent(l: Line<'static>) -> Line<'static> {
    let mut spans = Vec::with_capacity(l.spans.len() + 1);
    spans.push(Span::raw(INDENT));
    spans.extend(l.spans);
    Line::from(spans)
}

/// What rendering an entry may keep or reuse: the view's caches.
pub(super) struct Caches<'v> {
    pub(super) cache: &'v mut Cache,
    pub(super) images: &'v mut ImageCache,
}

/// The streaming answer's markdown: settled blocks from the cache (indented
/// once), then the blocks still open, rendered now.
pub(super) fn live_markdown(
    cache: &mut Cache,
    id: NodeId,
    raw: &str,
    width: u16,
    st: &MdStyles,
    out: &mut Out,
) {
    let at = match cache.live.iter().position(|l| l.id == id) {
        Some(at) => at,
        None => {
            if cache.live.len() >= LIVE_KEPT {
                cache.live.remove(0);
            }
            cache.live.push(LiveMarkdown {
                id,
                md: markdown::Incremental::with_prefix(INDENT),
                clean: String::new(),
            });
            cache.live.len() - 1
        }
    };
    let live = &mut cache.live[at];
    let text = live.sanitized(raw);
    let tail = live.md.update(&text, width, st);
    for seg in live.md.settled() {
        out.shared(seg);
    }
    out.extend(tail.into_iter().map(indent));
}

/// A finished answer's markdown. Just after it finished, its streaming
/// rendering is still kept: only its last open block is rendered again
/// (not the whole answer, which delayed the end of a long answer on
/// screen), and the streaming state is let go (its settled blocks live on
/// in the entry's lines, once). Otherwise rendered from scratch.
pub(super) fn finished_markdown(
    cache: &mut Cache,
    id: NodeId,
    raw: &str,
    width: u16,
    st: &MdStyles,
    out: &mut Out,
) {
    if cache.live.iter().any(|l| l.id == id) {
        live_markdown(cache, id, raw, width, st, out);
        cache.live.retain(|l| l.id != id);
    } else {
        let md = markdown::render(&sanitize(raw), width, st);
        out.extend(md.into_iter().map(indent));
    }
}
