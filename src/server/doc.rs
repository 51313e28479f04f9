//! A realistic answer for benchmarks and tests (`[[fault:doc:N]]`): N
//! tokens of about four characters, shaped like what models write —
//! headings, paragraphs, nested bullet and numbered lists, a table, fenced
//! code in Rust, Python and JSON, a very long line, CJK and emoji — one
//! token an SSE event. Words are split into pieces with their space
//! attached; punctuation and line ends are tokens of their own.

/// One turn of the document; repeated until N tokens.
const TEMPLATE: &str = "## Streaming answers in a terminal\n\nA chat client reads the answer as server-sent events, one small delta at a time, and has to draw each of them without falling behind.\n\n### What matters\n\n- Latency: the first token should appear at once.\n  - Time to first token (TTFT) is what users feel.\n  - Throughput matters for long answers.\n- Cost: every token is billed, so the meter must be exact.\n- Memory: a long answer must not grow without bound.\n\n1. Parse the event.\n2. Append the delta.\n3. Redraw only what changed.\n\n| model | input $/M | output $/M | context |\n|---|---:|---:|---:|\n| gemini-2.5-pro | 1.25 | 10.00 | 1,048,576 |\n| gemini-2.5-flash | 0.30 | 2.50 | 1,048,576 |\n| gemini-2.0-flash | 0.10 | 0.40 | 1,048,576 |\n\n```rust\nfn apply(answer: &mut String, delta: &str) -> usize {\n    answer.push_str(delta);\n    answer.len()\n}\n```\n\n```python\ndef apply(answer: list[str], delta: str) -> int:\n    answer.append(delta)\n    return sum(len(d) for d in answer)\n```\n\n```json\n{\"model\": \"google/gemini-2.5-flash\", \"usage\": {\"prompt_tokens\": 12, \"completion_tokens\": 345}, \"cost\": 0.0008661}\n```\n\nA very long line follows, as models sometimes write a whole paragraph without a single line break, which forces the renderer to wrap it across many rows of the terminal and to keep doing so while more words arrive at the end of it, again and again, until the paragraph finally ends.\n\n日本語の文章も混ざります。中文也会出现在回答里。한국어 문장도 있습니다。 Emoji too: 🚀 ✨ 👍🏽 🇯🇵\n\n> A quote, with **bold**, *emphasis* and `inline code`.\n\n";

/// The answer's last line, once: what a benchmark waits for on screen.
pub const DOC_END: &str = "That is the whole answer.";

/// The tokens of a realistic answer of about `n` tokens (whole lines of
/// the template, so code fences and tables close), ending with
/// [`DOC_END`] on a line of its own.
pub fn doc_tokens(n: usize) -> Vec<String> {
    let one = tokens(TEMPLATE);
    let mut out = Vec::with_capacity(n + one.len() + 8);
    'fill: while out.len() < n.max(1) {
        for t in &one {
            out.push(t.clone());
            // Stop at a line end once there are enough, never inside a
            // code block or a table.
            if out.len() >= n && t == "\n" && closed(&out) {
                break 'fill;
            }
        }
    }
    out.extend(tokens(DOC_END));
    out.push("\n".into());
    out
}

/// Whether the text so far has every code fence closed and ends outside a
/// table (a blank line was last).
fn closed(tokens: &[String]) -> bool {
    let text: String = tokens.concat();
    text.matches("```").count().is_multiple_of(2) && text.ends_with("\n\n")
}

/// Splits `text` into BPE-sized pieces: a word with its leading space, cut
/// into pieces of at most four characters; punctuation and line ends alone.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if cur.is_empty() {
            return;
        }
        let chars: Vec<char> = cur.chars().collect();
        // The leading space stays with the first piece.
        let mut i = 0;
        while i < chars.len() {
            let take = if i == 0 && chars[0] == ' ' { 5 } else { 4 };
            let end = (i + take).min(chars.len());
            out.push(chars[i..end].iter().collect());
            i = end;
        }
        cur.clear();
    };
    for c in text.chars() {
        if c == '\n' {
            flush(&mut cur, &mut out);
            out.push("\n".into());
        } else if c == ' ' {
            flush(&mut cur, &mut out);
            cur.push(' ');
        } else if c.is_ascii_punctuation() {
            flush(&mut cur, &mut out);
            out.push(c.to_string());
        } else {
            cur.push(c);
        }
    }
    flush(&mut cur, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_realistic_tokens_that_rejoin() {
        let t = doc_tokens(2_000);
        assert!(t.len() >= 2_000 && t.len() < 2_600, "{}", t.len());
        let text = t.concat();
        assert!(text.starts_with(TEMPLATE));
        assert!(text.matches("```").count().is_multiple_of(2));
        let chars: usize = t.iter().map(|p| p.chars().count()).sum();
        let avg = chars as f64 / t.len() as f64;
        assert!(
            (2.0..=4.5).contains(&avg),
            "about four characters a token: {avg}"
        );
        assert!(t.iter().all(|p| p.chars().count() <= 5));
        assert!(text.ends_with(&format!("\n\n{DOC_END}\n")));
        assert_eq!(text.matches(DOC_END).count(), 1);
    }
}
