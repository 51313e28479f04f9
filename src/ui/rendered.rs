//! What an entry's rendering is, and what is kept of it between frames:
//! lines in shared parts (so a streaming answer's settled markdown is not
//! copied each frame), the slots its inline images are drawn over, the
//! cache of finished entries' lines, the streaming answer's markdown
//! rendered as it grows, and a huge answer's markdown as chunks rendered
//! when they come into view.

use std::borrow::Cow;
use std::rc::Rc;

use ratatui::text::{Line, Span};

use super::images::ImageCache;
use crate::app::conversation::NodeId;
use crate::markdown::chunks::{self, CHUNK_BYTES, Chunk};
use crate::markdown::{self, MdStyles, PackedLines};
use crate::text::sanitize;

/// An entry's lines, and where its inline images go (drawn over blank lines
/// reserved for them). The lines come in packed parts (their text in one
/// string: a long answer is kept at about its own size, not sixteen times
/// it), so a streaming answer's settled markdown is shared from frame to
/// frame instead of copied.
pub struct Rendered {
    pub(super) parts: Vec<Piece>,
    pub(super) len: usize,
    pub images: Vec<ImageSlot>,
}

/// A part of an entry's lines: packed, or a huge answer's markdown whose
/// chunks are rendered when drawn (`Cache::chunk`).
#[derive(Clone)]
pub(super) enum Piece {
    Lines(Part),
    Deferred(Rc<Deferred>),
}

impl Piece {
    fn len(&self) -> usize {
        match self {
            Piece::Lines(p) => p.len(),
            Piece::Deferred(d) => d.rows,
        }
    }
}

/// A finished answer's markdown too long to keep rendered (over
/// `DEFER_BYTES`): where it is cut and each chunk's lines, rendered from
/// the answer's text (or `text`) when in view.
pub(super) struct Deferred {
    /// Tells its rendered chunks apart in the cache.
    serial: u64,
    pub(super) id: NodeId,
    width: u16,
    chunks: Vec<Chunk>,
    rows: usize,
    /// The text sanitized, when sanitizing changed it (else the answer's).
    pub(super) text: Option<Rc<str>>,
}

/// An answer's markdown over this many bytes is kept as chunks, not lines:
/// rendered lines cost ~2.3 times the text packed (16 times as ratatui
/// lines), and a 10 MB answer would keep ~35 MB.
pub(super) const DEFER_BYTES: usize = 256 * 1024;

/// Rendered chunks of deferred answers kept: a screen or two of each of
/// the few answers in view.
const CHUNKS_KEPT: usize = 8;

/// Where `Rendered::visible` gets a deferred answer's chunk `k` from.
pub(super) type ChunkSource<'a> = dyn FnMut(&Deferred, usize) -> Part + 'a;

/// Lines `skip..skip + take` of `r` as packed slices (`Rendered::visible`),
/// a deferred answer's chunks rendered from its text in `app`.
pub(super) fn visible(
    app: &crate::app::App,
    cache: &mut Cache,
    st: &MdStyles,
    r: &Rendered,
    skip: usize,
    take: usize,
) -> Vec<(Part, usize, usize)> {
    r.visible(skip, take, &mut |d, k| {
        let text = app
            .conversation
            .reply(d.id)
            .map_or("", |r| r.answer.text.as_str());
        cache.chunk(text, st, d, k)
    })
}

impl Rendered {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Lines `skip..skip + take` as packed slices (part, first line,
    /// count), a deferred answer's chunks rendered by `chunk` as needed.
    pub(super) fn visible(
        &self,
        skip: usize,
        take: usize,
        chunk: &mut ChunkSource,
    ) -> Vec<(Part, usize, usize)> {
        let mut out = Vec::new();
        let (mut skip, mut take) = (skip, take);
        for piece in &self.parts {
            if take == 0 {
                break;
            }
            if skip >= piece.len() {
                skip -= piece.len();
                continue;
            }
            match piece {
                Piece::Lines(p) => {
                    let n = (p.len() - skip).min(take);
                    out.push((Rc::clone(p), skip, n));
                    take -= n;
                    skip = 0;
                }
                Piece::Deferred(d) => {
                    for (k, c) in d.chunks.iter().enumerate() {
                        if take == 0 {
                            break;
                        }
                        if skip >= c.rows {
                            skip -= c.rows;
                            continue;
                        }
                        let p = chunk(d, k);
                        let n = (c.rows - skip).min(take);
                        // A chunk renders to the rows counted for it (the
                        // chunks tests); were it short, blank rows keep
                        // what follows (and image slots) where counted.
                        debug_assert_eq!(p.len(), c.rows, "chunk {k}");
                        let have = p.len().saturating_sub(skip).min(n);
                        out.push((p, skip, have));
                        if have < n {
                            let blank = std::iter::repeat_n(Line::default(), n - have);
                            out.push((Rc::new(PackedLines::pack(blank, "")), 0, n - have));
                        }
                        take -= n;
                        skip = 0;
                    }
                }
            }
        }
        out
    }
}

/// Collects an entry's lines: its own, and shared parts.
#[derive(Default)]
pub(super) struct Out {
    parts: Vec<Piece>,
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
        self.flush();
        self.len += part.len();
        self.parts.push(Piece::Lines(Rc::clone(part)));
    }

    fn deferred(&mut self, d: Deferred) {
        self.flush();
        self.len += d.rows;
        self.parts.push(Piece::Deferred(Rc::new(d)));
    }

    fn flush(&mut self) {
        if !self.cur.is_empty() {
            let cur = std::mem::take(&mut self.cur);
            self.parts
                .push(Piece::Lines(Rc::new(PackedLines::pack(cur, ""))));
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Patches the first line's style (a selected message's header).
    pub(super) fn patch_first(&mut self, style: ratatui::style::Style) {
        if let Some(Piece::Deferred(_)) = self.parts.first() {
            // Not so today: an entry starts with its header.
        } else if let Some(Piece::Lines(first)) = self.parts.first_mut() {
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

    pub(super) fn finish(mut self) -> (Vec<Piece>, usize) {
        self.flush();
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
    /// Rendered chunks of deferred answers, by (serial, chunk), the last
    /// drawn last.
    chunks: Vec<((u64, usize), Part)>,
    serial: u64,
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

    /// Chunk `k` of deferred answer `d` (its answer's text `text`),
    /// rendered and indented, kept among the last few drawn.
    pub(super) fn chunk(&mut self, text: &str, st: &MdStyles, d: &Deferred, k: usize) -> Part {
        let key = (d.serial, k);
        if let Some(at) = self.chunks.iter().position(|(c, _)| *c == key) {
            let kept = self.chunks.remove(at);
            let part = Rc::clone(&kept.1);
            self.chunks.push(kept);
            return part;
        }
        let text = d.text.as_deref().unwrap_or(text);
        // Gone, or not the text it was cut from: nothing rather than a
        // slice at the wrong place.
        let fits = d
            .chunks
            .last()
            .is_some_and(|c| text.get(c.range.clone()).is_some());
        let lines = if fits {
            chunks::render_chunk(text, &d.chunks, k, d.width, st)
        } else {
            Vec::new()
        };
        let part = Rc::new(PackedLines::pack(lines, INDENT));
        if self.chunks.len() >= CHUNKS_KEPT {
            self.chunks.remove(0);
        }
        self.chunks.push((key, Rc::clone(&part)));
        part
    }

    /// Bytes of rendered lines kept (packed parts of entries, deferred
    /// answers' chunk tables and sanitized copies, their chunks drawn
    /// lately; the streaming answers' own not counted).
    pub(super) fn kept_bytes(&self) -> usize {
        let pieces = self
            .slots
            .iter()
            .flatten()
            .flat_map(|(_, lines)| &lines.parts)
            .map(|p| match p {
                Piece::Lines(p) => p.heap_bytes(),
                Piece::Deferred(d) => {
                    d.chunks.len() * std::mem::size_of::<Chunk>()
                        + d.text.as_ref().map_or(0, |t| t.len())
                }
            });
        let chunks = self.chunks.iter().map(|(_, p)| p.heap_bytes());
        pieces.chain(chunks).sum()
    }

    fn defer(
        &mut self,
        id: NodeId,
        width: u16,
        chunks: Vec<Chunk>,
        text: Option<Rc<str>>,
    ) -> Deferred {
        self.serial += 1;
        Deferred {
            serial: self.serial,
            id,
            width,
            rows: chunks.iter().map(|c| c.rows).sum(),
            chunks,
            text,
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
/// the answer's indent), and its text sanitized as it grows.
pub(super) struct LiveMarkdown {
    id: NodeId,
    pub(super) md: markdown::Incremental,
    clean: CleanText,
}

impl LiveMarkdown {
    fn new(id: NodeId) -> LiveMarkdown {
        LiveMarkdown {
            id,
            md: markdown::Incremental::with_prefix(INDENT),
            clean: CleanText::default(),
        }
    }
}

/// A growing text sanitized piece by piece: the text itself while it is
/// clean (no copy kept), a sanitized copy once something needed replacing.
#[derive(Default)]
struct CleanText {
    /// How much of the text was seen (bytes), with its last bytes (to tell
    /// the same growing text from another, as `Incremental` does).
    seen: usize,
    seen_tail: Vec<u8>,
    sanitized: Option<String>,
}

impl CleanText {
    /// `sanitize(text)`, sanitizing only what was not seen before
    /// (sanitizing maps each character on its own, so it can go piece by
    /// piece).
    fn get<'t>(&'t mut self, text: &'t str) -> &'t str {
        let goes_on = text.is_char_boundary(self.seen)
            && text.as_bytes()[..self.seen].ends_with(&self.seen_tail);
        if !goes_on {
            (self.seen, self.sanitized) = (0, None);
        }
        let rest = &text[self.seen..];
        let clean = sanitize(rest);
        if let (None, Cow::Owned(_)) = (&self.sanitized, &clean) {
            self.sanitized = Some(text[..self.seen].to_string());
        }
        if let Some(s) = &mut self.sanitized {
            s.push_str(&clean);
        }
        self.seen = text.len();
        self.seen_tail.clear();
        self.seen_tail
            .extend_from_slice(&text.as_bytes()[text.len().saturating_sub(64)..]);
        match &self.sanitized {
            Some(s) => s,
            None => text,
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
            cache.live.push(LiveMarkdown::new(id));
            cache.live.len() - 1
        }
    };
    let live = &mut cache.live[at];
    let text = live.clean.get(raw);
    let tail = live.md.update(text, width, st);
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
    let huge = raw.len() > DEFER_BYTES;
    if let Some(at) = cache.live.iter().position(|l| l.id == id) {
        // At another width the streamed blocks say nothing: the text is
        // cut anew below, a window at a time (not rendered whole at once).
        if huge && !cache.live[at].md.is_for(width, st) {
            cache.live.remove(at);
        } else if huge {
            // Its settled blocks' lengths are known: the open end is
            // rendered once more, to count its lines.
            let live = &mut cache.live[at];
            let text = live.clean.get(raw);
            let rest = live.md.update(text, width, st).len();
            if let Some(blocks) = live.md.blocks() {
                let chunks = chunks::merge(blocks, text.len(), rest, CHUNK_BYTES);
                // Sanitizing changed it: the chunks are cut from the copy.
                let changed = !std::ptr::eq(text.as_ptr(), raw.as_ptr());
                let text = changed.then(|| Rc::from(text));
                let d = cache.defer(id, width, chunks, text);
                cache.live.remove(at);
                out.deferred(d);
                return;
            }
        }
        if cache.live.iter().any(|l| l.id == id) {
            live_markdown(cache, id, raw, width, st, out);
            cache.live.retain(|l| l.id != id);
            return;
        }
    }
    let text = sanitize(raw);
    if huge && let Some(chunks) = chunks::chunks(&text, width, st, CHUNK_BYTES) {
        let text = matches!(text, Cow::Owned(_)).then(|| Rc::from(&*text));
        let d = cache.defer(id, width, chunks, text);
        out.deferred(d);
        return;
    }
    let md = markdown::render(&text, width, st);
    out.extend(md.into_iter().map(indent));
}

#[cfg(test)]
mod tests;
