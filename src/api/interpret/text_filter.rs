//! Content text on its way out: line endings made plain, and images written
//! into the text as data URLs taken out as image events.

use super::LineEnds;
use crate::api::sse::StreamEvent;

const DATA_IMAGE: &str = "data:image/";
/// Markdown image alt text longer than this is not held back waiting for `](`.
const MAX_ALT: usize = 256;
/// A data URL shorter than this is prose about data URLs, not an image.
const MIN_PAYLOAD: usize = 64;

/// What the content filter is in the middle of.
#[derive(Debug, Default, PartialEq)]
enum Capture {
    #[default]
    None,
    /// Inside `![alt](data:image/…`, until `)`.
    Markdown(String),
    /// Inside a bare `data:image/…;base64,…`, until the first character that
    /// cannot be base64.
    Bare(String),
}

/// Content text on its way out: line endings made plain, and images written
/// into the text as data URLs (`![](data:image/png;base64,…)`, as gateways
/// return generated images, or bare) taken out as images, so a base64
/// payload is never printed as text. Text that may be the start of such an
/// image is held back until it is clear.
#[derive(Debug, Default)]
pub struct TextFilter {
    ends: LineEnds,
    held: String,
    capture: Capture,
}

impl TextFilter {
    pub fn push(&mut self, text: &str, out: &mut Vec<StreamEvent>) {
        let text = self.ends.plain(text);
        if text.is_empty() {
            return;
        }
        // The common case: nothing held, nothing that could start an image.
        if self.held.is_empty()
            && self.capture == Capture::None
            && !text.contains('!')
            && !text.contains("data:")
            && !ends_with_prefix_of(&text, DATA_IMAGE)
        {
            out.push(StreamEvent::Content(text.into_owned()));
            return;
        }
        self.held.push_str(&text);
        self.scan(out, false);
    }

    /// Releases everything held; an image cut off by the end is still one.
    pub fn flush(&mut self, out: &mut Vec<StreamEvent>) {
        self.scan(out, true);
        match std::mem::take(&mut self.capture) {
            Capture::None => {}
            Capture::Markdown(url) | Capture::Bare(url) => emit_image(url, out),
        }
        if !self.held.is_empty() {
            out.push(StreamEvent::Content(std::mem::take(&mut self.held)));
        }
    }

    fn scan(&mut self, out: &mut Vec<StreamEvent>, at_end: bool) {
        let mut text = String::new();
        loop {
            match &mut self.capture {
                Capture::Markdown(url) => match self.held.find(')') {
                    Some(i) => {
                        url.extend(self.held[..i].chars().filter(|c| !c.is_whitespace()));
                        self.held.drain(..=i);
                        let url = std::mem::take(url);
                        self.capture = Capture::None;
                        flush_text(&mut text, out);
                        emit_image(url, out);
                    }
                    None => {
                        url.extend(self.held.chars().filter(|c| !c.is_whitespace()));
                        self.held.clear();
                        break;
                    }
                },
                Capture::Bare(url) => {
                    let end = self
                        .held
                        .find(|c: char| !(c.is_ascii_alphanumeric() || "+/=-_".contains(c)));
                    match end {
                        Some(i) => {
                            url.push_str(&self.held[..i]);
                            self.held.drain(..i);
                            let url = std::mem::take(url);
                            self.capture = Capture::None;
                            if payload_len(&url) < MIN_PAYLOAD {
                                text.push_str(&url);
                            } else {
                                flush_text(&mut text, out);
                                emit_image(url, out);
                            }
                        }
                        None => {
                            url.push_str(&self.held);
                            self.held.clear();
                            break;
                        }
                    }
                }
                Capture::None => match self.next_start(at_end) {
                    Step::Text(n) => {
                        text.push_str(&self.held[..n]);
                        self.held.drain(..n);
                        if n == 0 || self.held.is_empty() {
                            break;
                        }
                    }
                    Step::Wait => break,
                    Step::Markdown { at, url_at } => {
                        text.push_str(&self.held[..at]);
                        self.held.drain(..url_at);
                        self.capture = Capture::Markdown(String::new());
                    }
                    Step::Bare { at, payload_at } => {
                        text.push_str(&self.held[..at]);
                        let header = self.held[at..payload_at].to_string();
                        self.held.drain(..payload_at);
                        self.capture = Capture::Bare(header);
                    }
                },
            }
        }
        flush_text(&mut text, out);
    }

    /// Where the held text can next start an image, or how much of it is
    /// plain text for sure.
    fn next_start(&self, at_end: bool) -> Step {
        let h = &self.held;
        let bang = h.find("![");
        let data = h.find(DATA_IMAGE);
        let first = match (bang, data) {
            (Some(b), Some(d)) => b.min(d),
            (Some(b), None) => b,
            (None, Some(d)) => d,
            (None, None) => {
                if at_end {
                    return Step::Text(h.len());
                }
                // Keep a tail that may still become "![" or "data:image/".
                let keep = if h.ends_with('!') {
                    1
                } else {
                    tail_prefix_len(h, DATA_IMAGE)
                };
                return Step::Text(h.len() - keep);
            }
        };
        if Some(first) == data {
            let rest = &h[first + DATA_IMAGE.len()..];
            return match base64_header(rest) {
                Header::Yes(n) => Step::Bare {
                    at: first,
                    payload_at: first + DATA_IMAGE.len() + n,
                },
                Header::Maybe if !at_end => {
                    if first == 0 {
                        Step::Wait
                    } else {
                        Step::Text(first)
                    }
                }
                _ => Step::Text(first + DATA_IMAGE.len()),
            };
        }
        // "![alt](data:image/…"
        let after = &h[first + 2..];
        match after.find("](") {
            Some(close) if close <= MAX_ALT && !after[..close].contains('\n') => {
                let url = &after[close + 2..];
                let url_trim = url.trim_start();
                if url_trim.starts_with(DATA_IMAGE) {
                    Step::Markdown {
                        at: first,
                        url_at: first + 2 + close + 2 + (url.len() - url_trim.len()),
                    }
                } else if !at_end && DATA_IMAGE.starts_with(url_trim) {
                    wait_or_text(first)
                } else {
                    Step::Text(first + 2)
                }
            }
            None if !at_end && after.len() <= MAX_ALT && !after.contains('\n') => {
                wait_or_text(first)
            }
            _ => Step::Text(first + 2),
        }
    }
}

fn wait_or_text(first: usize) -> Step {
    if first == 0 {
        Step::Wait
    } else {
        Step::Text(first)
    }
}

enum Step {
    /// This many bytes are plain text.
    Text(usize),
    /// Hold everything: it may yet be an image.
    Wait,
    Markdown {
        at: usize,
        url_at: usize,
    },
    Bare {
        at: usize,
        payload_at: usize,
    },
}

enum Header {
    /// `png;base64,` is this many bytes.
    Yes(usize),
    /// Could still become one.
    Maybe,
    No,
}

/// After `data:image/`: a subtype, parameters, then `;base64,`.
fn base64_header(rest: &str) -> Header {
    const MARK: &str = ";base64,";
    let limit = rest.len().min(64);
    if let Some(i) = rest[..floor_char(rest, limit)].find(MARK) {
        let head = &rest[..i];
        return if head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.;=".contains(c))
        {
            Header::Yes(i + MARK.len())
        } else {
            Header::No
        };
    }
    let plausible = rest
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+-.;=,".contains(c));
    if plausible && rest.len() < 64 {
        Header::Maybe
    } else {
        Header::No
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn payload_len(url: &str) -> usize {
    url.split_once(',').map_or(0, |(_, p)| p.len())
}

fn emit_image(url: String, out: &mut Vec<StreamEvent>) {
    out.push(StreamEvent::Image(url));
}

fn flush_text(text: &mut String, out: &mut Vec<StreamEvent>) {
    if !text.is_empty() {
        out.push(StreamEvent::Content(std::mem::take(text)));
    }
}

/// Whether `text` ends with a non-empty proper prefix of `pat`.
fn ends_with_prefix_of(text: &str, pat: &str) -> bool {
    tail_prefix_len(text, pat) > 0
}

/// The length of the longest suffix of `text` that is a proper prefix of `pat`.
fn tail_prefix_len(text: &str, pat: &str) -> usize {
    (1..pat.len())
        .rev()
        .find(|&n| {
            text.len() >= n && text.is_char_boundary(text.len() - n) && text.ends_with(&pat[..n])
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pieces: &[&str]) -> Vec<StreamEvent> {
        let mut f = TextFilter::default();
        let mut out = Vec::new();
        for p in pieces {
            f.push(p, &mut out);
        }
        f.flush(&mut out);
        out
    }

    fn joined(evs: &[StreamEvent]) -> (String, Vec<String>) {
        let mut text = String::new();
        let mut images = Vec::new();
        for e in evs {
            match e {
                StreamEvent::Content(t) => text.push_str(t),
                StreamEvent::Image(u) => images.push(u.clone()),
                other => panic!("{other:?}"),
            }
        }
        (text, images)
    }

    #[test]
    fn crlf_split_across_deltas_is_one_line_break() {
        let (t, _) = joined(&run(&["```rust\r", "\nfn main() {}\r\n```\r", "done\r"]));
        assert_eq!(t, "```rust\nfn main() {}\n```\ndone\n");
    }

    #[test]
    fn markdown_data_url_image_is_taken_out_wherever_it_is_cut() {
        let payload = "iVBORw0KGgo".repeat(20);
        let whole = format!("Here it is: ![a fox](data:image/png;base64,{payload}) Enjoy!");
        for cut in 0..whole.len() {
            if !whole.is_char_boundary(cut) {
                continue;
            }
            let (t, imgs) = joined(&run(&[&whole[..cut], &whole[cut..]]));
            assert_eq!(t, "Here it is:  Enjoy!", "cut at {cut}");
            assert_eq!(imgs, vec![format!("data:image/png;base64,{payload}")]);
        }
    }

    #[test]
    fn bare_data_url_is_an_image_and_short_ones_are_text() {
        let payload = "A".repeat(100);
        let (t, imgs) = joined(&run(&["see data:image/jpeg;base64,", &payload, " ok"]));
        assert_eq!(t, "see  ok");
        assert_eq!(imgs, vec![format!("data:image/jpeg;base64,{payload}")]);
        let (t, imgs) = joined(&run(&["a data:image/png;base64,AAAA url"]));
        assert_eq!(t, "a data:image/png;base64,AAAA url");
        assert!(imgs.is_empty());
    }

    #[test]
    fn ordinary_exclamations_and_links_pass_through() {
        let text = "Wow! ![logo](https://x.example/a.png) and data: fine! end!";
        for cut in 0..text.len() {
            let (t, imgs) = joined(&run(&[&text[..cut], &text[cut..]]));
            assert_eq!(t, text, "cut at {cut}");
            assert!(imgs.is_empty());
        }
    }
}
