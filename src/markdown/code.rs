//! The code of an answer, for copying: every fenced block's contents, and
//! which one a key that cycles through them takes next.

/// The contents of every fenced code block, in order, each without its final
/// newline. Indented code blocks are not included: they are rarely code one
/// wants to copy (often quoted output).
pub fn code_blocks(markdown: &str) -> Vec<String> {
    use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for ev in Parser::new(markdown) {
        match ev {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => current = Some(String::new()),
            Event::Text(t) => {
                if let Some(c) = current.as_mut() {
                    c.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(mut c) = current.take() {
                    if c.ends_with('\n') {
                        c.pop();
                    }
                    blocks.push(c);
                }
            }
            _ => {}
        }
    }
    blocks
}

/// The next block to copy when one key cycles through `count` blocks:
/// the first after `None`, wrapping after the last; `None` when there are none.
pub fn next_index(count: usize, current: Option<usize>) -> Option<usize> {
    match (count, current) {
        (0, _) => None,
        (_, None) => Some(0),
        (n, Some(i)) => Some((i + 1) % n),
    }
}
