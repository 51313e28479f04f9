//! Where an answer's facts came from: `url_citation` annotations, from
//! any server, asked for or not (PROTOCOL-MEDIA.md §5.2–5.3), gathered and
//! de-duplicated by URL; and what a web search cost apart from the tokens
//! (§6.2).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::types::Usage;

/// One source: its URL, its title (often empty from Exa), the first of
/// the cited content, and where in the answer it is cited when the offsets
/// are real (both 0 from Exa: not placed).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Source {
    pub url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// The cited content, cut to `CONTENT_KEPT` characters.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<u64>,
}

/// How much of a source's content is kept (Exa sends 2–4K characters a
/// result; the list shows its first words).
pub const CONTENT_KEPT: usize = 600;

impl Source {
    /// A `url_citation` annotation (`{"type":"url_citation","url_citation":
    /// {url,title,content,start_index,end_index}}`, or the fields flat);
    /// `None` for anything else or without an http(s) URL.
    pub fn from_annotation(a: &Value) -> Option<Source> {
        let kind = a
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("url_citation");
        if kind != "url_citation" {
            return None;
        }
        let c = a.get("url_citation").unwrap_or(a);
        let url = c.get("url").and_then(Value::as_str)?.trim();
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return None;
        }
        let text = |k: &str| {
            c.get(k)
                .and_then(Value::as_str)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let num = |k: &str| c.get(k).and_then(Value::as_u64);
        let mut content = text("content");
        if content.chars().count() > CONTENT_KEPT {
            content = content.chars().take(CONTENT_KEPT).collect();
        }
        let (start, end) = (num("start_index"), num("end_index"));
        // Offsets of 0 and 0 place nothing (Exa's).
        let real = matches!((start, end), (Some(s), Some(e)) if e > s);
        Some(Source {
            url: url.to_string(),
            title: text("title"),
            content,
            start: start.filter(|_| real),
            end: end.filter(|_| real),
        })
    }

    /// The title, or the URL's host when the title is empty.
    pub fn label(&self) -> String {
        if !self.title.is_empty() {
            return self.title.clone();
        }
        host(&self.url).to_string()
    }

    /// The first `words` words of the cited content, folded onto one line.
    pub fn snippet(&self, words: usize) -> String {
        // Exa joins its excerpts with `[...]`: an ellipsis reads better.
        let all: Vec<&str> = self
            .content
            .split_whitespace()
            .map(|w| if w == "[...]" { "…" } else { w })
            .collect();
        let mut s = all
            .iter()
            .take(words)
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        if all.len() > words {
            s.push('…');
        }
        s
    }
}

/// `https://www.rust-lang.org/learn` → `www.rust-lang.org`.
pub fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..end];
    host.rsplit_once('@').map_or(host, |(_, h)| h)
}

/// Adds the sources among `annotations` to `into`, once per URL (a later
/// one with a title fills an empty one's); returns the file annotations
/// (`type: "file"`), de-duplicated by `file.hash`, to add to `files`.
pub fn merge(into: &mut Vec<Source>, files: &mut Vec<Value>, annotations: &[Value]) {
    for a in annotations {
        if a.get("type").and_then(Value::as_str) == Some("file") {
            let hash = a.pointer("/file/hash");
            if hash.is_none() || !files.iter().any(|f| f.pointer("/file/hash") == hash) {
                files.push(a.clone());
            }
            continue;
        }
        let Some(s) = Source::from_annotation(a) else {
            continue;
        };
        match into.iter_mut().find(|x| x.url == s.url) {
            Some(x) => {
                if x.title.is_empty() {
                    x.title = s.title;
                }
                if x.content.is_empty() {
                    x.content = s.content;
                }
                if x.start.is_none() {
                    (x.start, x.end) = (s.start, s.end);
                }
            }
            None => into.push(s),
        }
    }
}

/// Web searches the request ran (`server_tool_use_details`).
pub fn searches(usage: &Usage) -> u64 {
    usage
        .server_tool_use_details
        .as_ref()
        .map_or(0, |d| d.web_search_requests)
}

/// What the searches cost apart from the model's tokens (USD): `cost`
/// minus the upstream prompt and completion costs when OpenRouter gives
/// them (PROTOCOL-MEDIA.md §6.2), else the searches counted at `per_search`.
/// `None` when no search ran: none counted, and (when web search was
/// `asked`, as the older plugin reports no counters) no extra in `cost`.
pub fn search_fee(usage: &Usage, per_search: Decimal, asked: bool) -> Option<Decimal> {
    let n = searches(usage);
    let split = usage
        .cost
        .as_ref()
        .zip(usage.cost_details.as_ref())
        .and_then(|(c, d)| {
            let p = d.upstream_inference_prompt_cost.as_ref()?.0;
            let q = d.upstream_inference_completions_cost.as_ref()?.0;
            let extra = c.0 - p - q;
            (extra > Decimal::ZERO).then_some(extra)
        });
    match (n, split) {
        (0, Some(fee)) if asked => Some(fee.normalize()),
        (0, _) => None,
        (_, Some(fee)) => Some(fee.normalize()),
        (n, None) => Some(Decimal::from(n) * per_search),
    }
}
