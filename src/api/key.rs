//! API keys. A key lives in an `ApiKey`, whose `Debug` and `Display` never show
//! it, so it cannot leak through a log line, an error or a panic message.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

/// The longest key accepted: real ones are under a hundred characters; a
/// line of a megabyte is some other file, and would be sent as a header.
pub const MAX_KEY_LEN: usize = 1024;

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Option<ApiKey> {
        let k = key.into().trim().to_string();
        (!k.is_empty()).then_some(ApiKey(k))
    }

    /// A key as read from `source` (a variable's name, a file, a command),
    /// checked before any request: it goes into a header, so a line break,
    /// a control character, a space or a non-ASCII character is refused, as
    /// is anything too long to be a key, each in one line naming the source.
    /// `Ok(None)`: empty (no key there). The message never shows the key.
    pub fn parse(raw: &str, source: &str) -> Result<Option<ApiKey>, String> {
        let k = raw.trim();
        if k.is_empty() {
            return Ok(None);
        }
        let what = if k.contains(['\n', '\r']) {
            Some("contains a line break")
        } else if k.chars().any(char::is_control) {
            Some("contains a control character")
        } else if k.chars().any(char::is_whitespace) {
            Some("contains a space")
        } else if !k.is_ascii() {
            Some("contains a character that is not ASCII")
        } else if k.len() > MAX_KEY_LEN {
            Some("is too long to be a key")
        } else {
            None
        };
        match what {
            Some(w) => Err(format!("the key in {source} {w}: that is not a key")),
            None => Ok(Some(ApiKey(k.to_string()))),
        }
    }
    /// The key itself, for the Authorization header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What stands in for the key wherever a server sent it back.
pub const KEY_HIDDEN: &str = "[key hidden]";

/// Replaces every occurrence of the key in `text`: a last line of defence for
/// text that may echo a request back (an error body, a URL).
pub fn scrub(text: &str, key: Option<&ApiKey>) -> String {
    match key {
        Some(k) if k.0.len() >= 4 => text.replace(&k.0, KEY_HIDDEN),
        _ => text.to_string(),
    }
}

/// Hides the key in streamed text that may echo it (a server repeating its
/// input): an occurrence split across deltas at any byte is caught, by
/// holding back a delta's tail while it could be the start of the key.
/// Content and reasoning are watched apart.
#[derive(Debug)]
pub struct KeyShield {
    key: ApiKey,
    content: String,
    reasoning: String,
}

impl KeyShield {
    /// `None` when there is no key (or one too short to look for).
    pub fn new(key: Option<&ApiKey>) -> Option<KeyShield> {
        let key = key.filter(|k| k.0.len() >= 4)?.clone();
        Some(KeyShield {
            key,
            content: String::new(),
            reasoning: String::new(),
        })
    }

    /// Passes `ev` on through `out`: text with the key hidden and what may
    /// begin it held back; anything else first lets held text go.
    pub fn pass(
        &mut self,
        ev: crate::api::StreamEvent,
        out: &mut impl FnMut(crate::api::StreamEvent) -> bool,
    ) -> bool {
        use crate::api::StreamEvent as E;
        match ev {
            E::Content(t) => {
                let shown = Self::hide(&self.key, &mut self.content, t);
                shown.is_empty() || out(E::Content(shown))
            }
            E::Reasoning(t) => {
                let shown = Self::hide(&self.key, &mut self.reasoning, t);
                shown.is_empty() || out(E::Reasoning(shown))
            }
            other => self.flush(out) && out(other),
        }
    }

    /// Lets held text go (the stream ended, or something else came).
    pub fn flush(&mut self, out: &mut impl FnMut(crate::api::StreamEvent) -> bool) -> bool {
        use crate::api::StreamEvent as E;
        let content = std::mem::take(&mut self.content);
        let reasoning = std::mem::take(&mut self.reasoning);
        (reasoning.is_empty() || out(E::Reasoning(reasoning)))
            && (content.is_empty() || out(E::Content(content)))
    }

    /// Adds `text` to what is held, hides whole keys, and returns all but
    /// the tail that could still grow into the key. A delta with nothing
    /// held and nothing like the key in it goes through as it is (the path
    /// nearly every delta takes: no copy).
    fn hide(key: &ApiKey, held: &mut String, text: String) -> String {
        if held.is_empty() && !text.contains(&key.0) && could_begin(&key.0, &text) == 0 {
            return text;
        }
        held.push_str(&text);
        if held.contains(&key.0) {
            *held = held.replace(&key.0, KEY_HIDDEN);
        }
        let keep = could_begin(&key.0, held);
        let rest = held.split_off(held.len() - keep);
        std::mem::replace(held, rest)
    }
}

/// The length of the longest tail of `text` that is a proper beginning of
/// `key` (0 when none): looked for only where `key`'s first byte is.
fn could_begin(key: &str, text: &str) -> usize {
    let (k, t) = (key.as_bytes(), text.as_bytes());
    let from = t.len().saturating_sub(k.len() - 1);
    (from..t.len())
        .find(|&i| t[i] == k[0] && k.starts_with(&t[i..]) && text.is_char_boundary(i))
        .map_or(0, |i| t.len() - i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_key() {
        let k = ApiKey::new("sk-or-v1-SENTINEL").unwrap();
        assert!(!format!("{k:?} {k}").contains("SENTINEL"));
        assert_eq!(k.expose(), "sk-or-v1-SENTINEL");
        assert_eq!(
            scrub("bad key sk-or-v1-SENTINEL!", Some(&k)),
            "bad key [key hidden]!"
        );
        assert!(ApiKey::new("  ").is_none());
    }

    #[test]
    fn a_key_that_cannot_be_a_header_is_refused_naming_where_it_came_from() {
        let p = |s: &str| ApiKey::parse(s, "OPENROUTER_API_KEY");
        assert_eq!(
            p("  sk-or-v1-abc \n").unwrap().unwrap().expose(),
            "sk-or-v1-abc"
        );
        assert_eq!(p("  ").unwrap(), None);
        assert_eq!(
            p("sk-or\nv1").unwrap_err(),
            "the key in OPENROUTER_API_KEY contains a line break: that is not a key"
        );
        assert!(p("sk\u{1b}[31m").unwrap_err().contains("control character"));
        assert!(p("sk or").unwrap_err().contains("a space"));
        assert!(p("sk-ключ").unwrap_err().contains("not ASCII"));
        assert!(p(&"k".repeat(2000)).unwrap_err().contains("too long"));
        assert!(!p("SENTINEL\nx").unwrap_err().contains("SENTINEL"));
    }
}

#[cfg(test)]
mod shield_tests {
    use super::*;
    use crate::api::StreamEvent as E;

    fn through(key: &str, pieces: &[&str]) -> String {
        let key = ApiKey::new(key).unwrap();
        let mut shield = KeyShield::new(Some(&key)).unwrap();
        let mut text = String::new();
        let mut out = |e: E| {
            if let E::Content(t) = e {
                text.push_str(&t);
            }
            true
        };
        for p in pieces {
            shield.pass(E::Content((*p).to_string()), &mut out);
        }
        shield.pass(E::Done, &mut out);
        text
    }

    #[test]
    fn a_key_split_anywhere_is_hidden_and_nothing_else_changes() {
        let key = "sk-or-v1-SENTINEL";
        let text = format!("é you sent {key}, and {key}! sk-or no");
        let want = "é you sent [key hidden], and [key hidden]! sk-or no";
        assert_eq!(through(key, &[&text]), want);
        // Cut at every pair of char boundaries.
        let cuts: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        for &a in &cuts {
            for &b in cuts.iter().filter(|&&b| b >= a) {
                let got = through(key, &[&text[..a], &text[a..b], &text[b..]]);
                assert_eq!(got, want, "cut at {a} and {b}");
            }
        }
    }
}
