//! Huge answers kept as chunks: read back a screen at a time, they equal
//! the whole text rendered at once.

use super::*;

/// Every line of `parts`, read a screen (37 rows) at a time as the
/// pane reads them, deferred chunks rendered from `raw`.
fn read_all(parts: Vec<Piece>, len: usize, cache: &mut Cache, raw: &str) -> Vec<Line<'static>> {
    let st = MdStyles::default();
    let r = Rendered {
        parts,
        len,
        images: Vec::new(),
    };
    let mut out = Vec::new();
    for skip in (0..r.len()).step_by(37) {
        let slices = r.visible(skip, 37, &mut |d, k| cache.chunk(raw, &st, d, k));
        for (p, from, n) in &slices {
            out.extend(p.lines_from(*from).take(*n).map(|l| {
                Line::from(
                    l.spans
                        .into_iter()
                        .map(|s| Span::styled(s.content.into_owned(), s.style))
                        .collect::<Vec<_>>(),
                )
            }));
        }
        assert!(cache.chunks.len() <= CHUNKS_KEPT);
    }
    out
}

#[test]
fn a_huge_answer_is_kept_as_chunks_and_reads_as_rendered_whole() {
    let st = MdStyles::default();
    // Escapes in it: the chunks are cut from the sanitized text.
    let raw = format!(
        "esc \x1b[2J here\n\n{}",
        crate::server::doc::doc_tokens(120_000).concat()
    );
    assert!(raw.len() > DEFER_BYTES);
    let want: Vec<Line> = markdown::render(&sanitize(&raw), 78, &st)
        .into_iter()
        .map(indent)
        .collect();

    // Reopened (nothing streamed): cut from the text, a window at a time.
    let mut cache = Cache::default();
    let mut out = Out::default();
    finished_markdown(&mut cache, 1, &raw, 78, &st, &mut out);
    let (parts, len) = out.finish();
    assert!(matches!(parts[..], [Piece::Deferred(_)]));
    assert_eq!(len, want.len());
    assert_eq!(read_all(parts, len, &mut cache, &raw), want);

    // Streamed: the blocks settled as it came, then let go; and
    // streamed at one width, finished at another (cut anew).
    let stream = |cache: &mut Cache, id: NodeId, step: usize| {
        let mut end = 0;
        while end < raw.len() {
            end = (end + step).min(raw.len());
            while !raw.is_char_boundary(end) {
                end += 1;
            }
            live_markdown(cache, id, &raw[..end], 78, &st, &mut Out::default());
        }
    };
    let narrow: Vec<Line> = markdown::render(&sanitize(&raw), 70, &st)
        .into_iter()
        .map(indent)
        .collect();
    for (step, width, want) in [
        (4_999, 78, &want),
        (100_000, 78, &want),
        (4_999, 70, &narrow),
    ] {
        let mut cache = Cache::default();
        stream(&mut cache, 2, step);
        let mut out = Out::default();
        finished_markdown(&mut cache, 2, &raw, width, &st, &mut out);
        assert!(cache.live.is_empty(), "the streaming state is let go");
        let (parts, len) = out.finish();
        let [Piece::Deferred(d)] = &parts[..] else {
            panic!("deferred")
        };
        let biggest = d.chunks.iter().map(|c| c.range.len()).max().unwrap();
        assert!(biggest < 2 * CHUNK_BYTES, "{biggest} bytes in a chunk");
        assert!(d.text.is_some(), "cut from the sanitized copy");
        assert_eq!(
            read_all(parts, len, &mut cache, &raw),
            *want,
            "{step} {width}"
        );
    }
}

#[test]
fn an_answer_under_the_bound_is_kept_as_lines() {
    let st = MdStyles::default();
    let raw: String = crate::server::doc::doc_tokens(2_000).concat();
    let mut cache = Cache::default();
    let mut out = Out::default();
    finished_markdown(&mut cache, 1, &raw, 78, &st, &mut out);
    let (parts, _) = out.finish();
    assert!(parts.iter().all(|p| matches!(p, Piece::Lines(_))));
}
