//! Text from the network made safe for a terminal, and short previews of it.
//!
//! Answers, reasoning, error messages and model names can carry escape
//! sequences (CSI, OSC 52 clipboard writes, OSC 8 links, DCS), C1 controls,
//! bare carriage returns, backspaces and bidi overrides. None of them may reach
//! the terminal as-is: each becomes a visible, inert placeholder.

use std::borrow::Cow;

/// Replaces every control character except newline and tab with a visible
/// placeholder: C0 controls become their Unicode "control picture" (ESC shows
/// as `␛`, CR as `␍`), DEL as `␡`, C1 controls and bidi overrides as `�`.
/// Returns the input unchanged (borrowed) when there is nothing to replace.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_replacing) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(replacement).collect())
}

fn needs_replacing(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)
}

/// Bidi embedding, override and isolate controls (they reorder what is shown).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

fn replacement(c: char) -> char {
    match c {
        '\n' | '\t' => c,
        '\u{0}'..='\u{1F}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}'),
        '\u{7F}' => '\u{2421}',
        c if c.is_control() || is_bidi_control(c) => '\u{FFFD}',
        c => c,
    }
}

/// The first `max` characters of `text` on one line, sanitised, with `…` when cut.
pub fn preview(text: &str, max: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .take(max + 1)
        .collect();
    let clean = sanitize(&one_line);
    if clean.chars().count() > max {
        let mut s: String = clean.chars().take(max).collect();
        s.push('…');
        s
    } else {
        clean.into_owned()
    }
}

/// `text` in at most `width` terminal cells, with `…` when cut.
pub fn truncate_cells(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in text.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible_and_inert() {
        let hostile = "a\x1b[2Jb\x1b]52;c;aGk=\x07c\u{9b}d\re\x08f\u{202E}g";
        let out = sanitize(hostile);
        assert!(!out.chars().any(|c| c.is_control()));
        assert_eq!(out, "a␛[2Jb␛]52;c;aGk=␇c\u{FFFD}d␍e␈f\u{FFFD}g");
        assert!(matches!(sanitize("plain\ttext\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn preview_cuts_and_flattens() {
        assert_eq!(preview("ab\ncd", 10), "ab cd");
        assert_eq!(preview("abcdef", 3), "abc…");
    }
}
