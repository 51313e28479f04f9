//! A long text's rendering in chunks: where it can be cut (see
//! `Incremental`) into pieces of about `CHUNK_BYTES`, and how many lines
//! each piece renders to, so a huge answer keeps only these numbers and
//! renders a piece when it comes into view (BENCHMARKS.md, "A 10 MB
//! answer").

use std::ops::Range;

use ratatui::text::Line;

use super::{MdStyles, render_with};

/// About how much text a chunk holds (bytes): a screenful of rows is one
/// or two chunks, rendered in well under a frame.
pub const CHUNK_BYTES: usize = 16 * 1024;

/// A piece of a text cut where nothing after it changes what comes before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Its bytes in the text.
    pub range: Range<usize>,
    /// The lines it renders to (with the blank line before it, but the
    /// first's; none when it renders to nothing).
    pub rows: usize,
}

/// `text` cut into chunks of about `target` bytes, each rendered once to
/// count its lines (only one window of lines is held at a time); `None`
/// when the text defines link references (they can change links anywhere,
/// so it cannot be cut) or `width` is 0.
pub fn chunks(text: &str, width: u16, styles: &MdStyles, target: usize) -> Option<Vec<Chunk>> {
    if width == 0 || text.as_bytes().windows(2).any(|w| w == b"]:") {
        return None;
    }
    let mut out: Vec<Chunk> = Vec::new();
    // A piece that renders to nothing (only space, a comment) joins the
    // next: the blank line between chunks comes only after lines.
    let mut start = 0;
    let mut pos = 0;
    let mut window = target.max(1);
    while pos < text.len() {
        let mut end = (pos + window).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let mut cuts = Vec::new();
        let lines = render_with(&text[pos..end], width, styles, Some(&mut cuts));
        let blank = usize::from(!out.is_empty());
        if end == text.len() {
            if !lines.is_empty() || out.is_empty() {
                out.push(Chunk {
                    range: start..end,
                    rows: lines.len() + if lines.is_empty() { 0 } else { blank },
                });
            } else if let Some(last) = out.last_mut() {
                last.range.end = end;
            }
            break;
        }
        match cuts.iter().rev().find(|&&(at, _)| at > 0) {
            Some(&(at, n)) => {
                if n > 0 {
                    out.push(Chunk {
                        range: start..pos + at,
                        rows: n + blank,
                    });
                    start = pos + at;
                }
                pos += at;
                window = target.max(1);
            }
            // One block longer than the window (a long code block).
            None => window *= 2,
        }
    }
    Some(out)
}

/// Settled blocks (each its end in the text and its lines, as
/// `Incremental::blocks` gives them) and the rest of the text (`rest_rows`
/// lines from the last end to `len`) merged into chunks of about `target`
/// bytes.
pub fn merge(blocks: &[(usize, usize)], len: usize, rest_rows: usize, target: usize) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    let mut start = 0;
    let mut rows = 0;
    let ends = blocks
        .iter()
        .copied()
        .chain((blocks.last().map_or(0, |b| b.0) < len).then_some((len, rest_rows)));
    for (end, n) in ends {
        rows += n;
        if end - start >= target || end == len {
            out.push(Chunk {
                range: start..end,
                rows,
            });
            start = end;
            rows = 0;
        }
    }
    out
}

/// The lines of chunk `k` of `text`: as `render` draws that part of the
/// whole text.
pub fn render_chunk(
    text: &str,
    chunks: &[Chunk],
    k: usize,
    width: u16,
    styles: &MdStyles,
) -> Vec<Line<'static>> {
    let Some(part) = chunks.get(k).and_then(|c| text.get(c.range.clone())) else {
        return Vec::new();
    };
    let mut lines = render_with(part, width, styles, None);
    if k > 0 && !lines.is_empty() {
        lines.insert(0, Line::default());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::tests::{SAMPLES, SNAPSHOT_DOC, plain};
    use crate::markdown::{Incremental, render};

    fn rendered(text: &str, chunks: &[Chunk], width: u16) -> Vec<Line<'static>> {
        let st = MdStyles::default();
        let mut out = Vec::new();
        for (k, c) in chunks.iter().enumerate() {
            let lines = render_chunk(text, chunks, k, width, &st);
            assert_eq!(lines.len(), c.rows, "chunk {k} {:?} of {text:?}", c.range);
            out.extend(lines);
        }
        out
    }

    #[test]
    fn chunks_render_to_the_whole_text_at_any_size() {
        let st = MdStyles::default();
        let doc: String = crate::server::doc::doc_tokens(3_000).concat();
        for text in SAMPLES.iter().chain([&SNAPSHOT_DOC, &doc.as_str()]) {
            if text.contains("]:") {
                assert!(chunks(text, 40, &st, 8).is_none());
                continue;
            }
            for (width, target) in [(12, 1), (40, 8), (80, 64), (116, 1024), (116, CHUNK_BYTES)] {
                let cs = chunks(text, width, &st, target).unwrap();
                assert_eq!(cs.first().map_or(0, |c| c.range.start), 0);
                assert_eq!(cs.last().map_or(0, |c| c.range.end), text.len());
                assert!(cs.windows(2).all(|w| w[0].range.end == w[1].range.start));
                let whole = render(text, width, &st);
                let got = rendered(text, &cs, width);
                assert_eq!(plain(&got), plain(&whole), "{text:?} at {width}/{target}");
                assert_eq!(got, whole);
            }
        }
    }

    #[test]
    fn a_streamed_texts_blocks_merge_into_the_same_lines() {
        let st = MdStyles::default();
        let doc: String = crate::server::doc::doc_tokens(3_000).concat();
        let mut inc = Incremental::default();
        // As it streams: a piece at a time.
        for end in (0..doc.len()).step_by(97).chain([doc.len()]) {
            if doc.is_char_boundary(end) {
                inc.update(&doc[..end], 80, &st);
            }
        }
        let rest = inc.update(&doc, 80, &st).len();
        let blocks = inc.blocks().expect("no link references");
        assert!(blocks.len() > 10, "{}", blocks.len());
        for target in [1, 500, CHUNK_BYTES] {
            let cs = merge(blocks, doc.len(), rest, target);
            assert_eq!(rendered(&doc, &cs, 80), render(&doc, 80, &st));
        }
        // A fast stream: most of the text settled in one update. Its
        // blocks are still each block, so the chunks stay small.
        let mut inc = Incremental::default();
        inc.update(&doc[..doc.len() / 2], 80, &st);
        let rest = inc.update(&doc, 80, &st).len();
        let cs = merge(inc.blocks().unwrap(), doc.len(), rest, 500);
        assert!(cs.len() > 10, "{} chunks", cs.len());
        let biggest = cs.iter().map(|c| c.range.len()).max().unwrap();
        assert!(biggest < 2_000, "a chunk of {biggest} bytes");
        assert_eq!(rendered(&doc, &cs, 80), render(&doc, 80, &st));
    }
}
