//! Incremental rendering of a text that grows at its end (a streaming answer):
//! where the text can be cut, and the blocks before the last cut kept.

use std::rc::Rc;

use ratatui::text::Line;

use super::{MdStyles, PackedLines, render_with};

/// Whether a top-level block starting at `at` begins a part of the text that
/// nothing after it can change the rendering of what comes before: it starts
/// a line, follows a blank line, and its first character can neither continue
/// the block before it (indentation, a list marker of the same list, a quote)
/// nor define a link reference.
pub(super) fn safe_cut(text: &str, at: usize) -> bool {
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
/// `settled()` followed by what `update` returns equals `render(text)`
/// (each settled line with `prefix` before it, `with_prefix`).
///
/// Only the length of the settled text is kept, with its last bytes to
/// tell a continuation from another text: a copy of a 10 MB answer's text
/// would be 10 MB more while it streams. That holds for one growing text
/// (callers keep one per answer, whose text only grows); a text that is
/// as long and ends its settled part with the same 64 bytes but differs
/// before them would be taken for a continuation.
#[derive(Default)]
pub struct Incremental {
    width: u16,
    styles: Option<MdStyles>,
    /// Put before each settled line (the answer's indent in the pane).
    prefix: &'static str,
    /// How long the text rendered into `segments` is (bytes).
    settled_len: usize,
    /// Its last bytes (at most `TAIL`).
    settled_tail: Vec<u8>,
    segments: Vec<Rc<PackedLines>>,
    /// Per settled block: where its text ends, and its lines.
    blocks: Vec<(usize, usize)>,
    /// The text may define link references: it is rendered whole.
    refs: bool,
}

/// How many of the settled text's last bytes are kept to check that a
/// text continues it.
const TAIL: usize = 64;

impl Incremental {
    /// Whether it was last rendered at `width` with `styles`.
    pub fn is_for(&self, width: u16, styles: &MdStyles) -> bool {
        self.width == width && self.styles.as_ref() == Some(styles)
    }

    /// Settled lines come with `prefix` before each (an indent).
    pub fn with_prefix(prefix: &'static str) -> Incremental {
        Incremental {
            prefix,
            ..Incremental::default()
        }
    }

    /// Whether `text` goes on from the settled text: as long, and ending
    /// there with the same bytes.
    fn continues(&self, text: &str) -> bool {
        text.is_char_boundary(self.settled_len)
            && text.as_bytes()[..self.settled_len].ends_with(&self.settled_tail)
    }

    /// Per settled top-level block, where its text ends (bytes) and how
    /// many lines it has; `None` when the text is rendered whole (it
    /// defines link references). For `chunks::merge`.
    pub fn blocks(&self) -> Option<&[(usize, usize)]> {
        (!self.refs).then_some(&self.blocks[..])
    }

    /// Lines of the settled blocks, in order, packed; a segment never
    /// changes once made.
    pub fn settled(&self) -> &[Rc<PackedLines>] {
        &self.segments
    }

    /// Renders `text` and returns the lines after `settled()`.
    pub fn update(&mut self, text: &str, width: u16, styles: &MdStyles) -> Vec<Line<'static>> {
        if self.width != width || self.styles.as_ref() != Some(styles) || !self.continues(text) {
            *self = Incremental {
                width,
                styles: Some(styles.clone()),
                ..Incremental::with_prefix(self.prefix)
            };
        }
        // The settled text was searched when it was settled (and ends with a
        // blank line, so no `]:` straddles the cut).
        if !self.refs
            && text.as_bytes()[self.settled_len..]
                .windows(2)
                .any(|w| w == b"]:")
        {
            self.refs = true;
            self.settled_len = 0;
            self.settled_tail.clear();
            self.segments.clear();
            self.blocks.clear();
        }
        let before = !self.segments.is_empty();
        let rest = &text[self.settled_len..];
        let mut cuts = Vec::new();
        let mut lines = render_with(rest, width, styles, (!self.refs).then_some(&mut cuts));
        let mut tail = match cuts.last() {
            Some(&(at, n)) if at > 0 => {
                let tail = lines.split_off(n);
                // Every block settled now, each with its lines (the blank
                // line before a block is its own), so a fast stream that
                // settles much at once still gives small chunks (`merge`).
                let (base, mut prev, mut blank) = (self.settled_len, 0, usize::from(before));
                for &(c_at, c_n) in cuts.iter().filter(|c| c.0 > 0) {
                    if c_n > prev {
                        let rows = c_n - prev + std::mem::take(&mut blank);
                        self.blocks.push((base + c_at, rows));
                        prev = c_n;
                    }
                }
                self.settled_len += at;
                let settled = &text.as_bytes()[..self.settled_len];
                self.settled_tail.clear();
                self.settled_tail
                    .extend_from_slice(&settled[settled.len().saturating_sub(TAIL)..]);
                if !lines.is_empty() {
                    if before {
                        lines.insert(0, Line::default());
                    }
                    let packed = PackedLines::pack(lines, self.prefix);
                    self.segments.push(Rc::new(packed));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::render;
    use crate::markdown::tests::{SAMPLES, SNAPSHOT_DOC, plain};

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
            let mut got: Vec<Line> = Vec::new();
            for seg in inc.settled() {
                got.extend(seg.lines_from(0));
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
    fn settled_lines_carry_the_prefix_and_another_text_as_long_starts_over() {
        let st = MdStyles::default();
        let mut inc = Incremental::with_prefix("  ");
        let doc = "# A\n\nfirst paragraph\n\nsecond paragraph\n\nthird";
        let tail = inc.update(doc, 40, &st);
        let mut got: Vec<Line> = inc.settled().iter().flat_map(|s| s.lines_from(0)).collect();
        assert!(got.iter().all(|l| l.spans[0].content == "  "), "{got:?}");
        for l in &mut got {
            l.spans.remove(0);
        }
        got.extend(tail);
        assert_eq!(got, render(doc, 40, &st));
        // Longer, but not going on from what was settled: rendered anew.
        let other = "# B\n\nfirst paragraph\n\nsecond paragraph\n\nthird, longer";
        let tail = inc.update(other, 40, &st);
        let mut got: Vec<Line> = inc.settled().iter().flat_map(|s| s.lines_from(0)).collect();
        for l in &mut got {
            l.spans.remove(0);
        }
        got.extend(tail);
        assert_eq!(plain(&got), plain(&render(other, 40, &st)));
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
}
