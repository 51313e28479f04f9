//! Faults the local server can be told to produce, per request: queued by a
//! test through `ServerHandle::push_fault`, or written into a prompt as
//! `[[fault:NAME]]` (so the real binary can be driven into each one).

use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// An HTTP error with OpenRouter's body for that status (401, 402, 403,
    /// 404, 408, 413, 500, 502, 503).
    Status(u16),
    /// 429 per-minute, with a `Retry-After` header when given (seconds).
    RateLimitPerMinute { retry_after: Option<u64> },
    /// 429 free-models-per-day.
    RateLimitPerDay,
    /// 429 from the upstream provider, message in `metadata.raw`.
    RateLimitUpstream,
    /// An error chunk after `after` content chunks; the stream then ends.
    ErrorMidStream { after: usize },
    /// The connection drops after `after` content chunks.
    DropMidStream { after: usize },
    /// The connection drops before any byte of the body.
    DropBeforeFirstByte,
    /// Silence for `secs` after `after` content chunks, then the rest.
    Stall { after: usize, secs: f64 },
    /// A `data:` line that is not JSON, after `after` chunks; the rest follows.
    MalformedLine { after: usize },
    /// Invalid UTF-8 bytes inside a content string.
    InvalidUtf8,
    /// No usage chunk.
    NoUsage,
    /// The stream ends without `[DONE]`.
    NoDone,
    /// Stream at this many tokens (pieces) per second.
    Pace(f64),
    /// One content chunk of this many bytes.
    HugeLine(usize),
    /// An answer of this many tokens.
    LongAnswer(usize),
    /// Content laced with escape sequences and controls.
    Hostile,
}

impl Fault {
    /// Parses a fault name as written in a prompt (`[[fault:429]]`).
    pub fn parse(name: &str) -> Option<Fault> {
        let (head, arg) = match name.split_once(':') {
            Some((h, a)) => (h, Some(a)),
            None => (name, None),
        };
        let num = |d: usize| arg.and_then(|a| a.parse().ok()).unwrap_or(d);
        Some(match head {
            "429" => Fault::RateLimitPerMinute {
                retry_after: arg.and_then(|a| a.parse().ok()),
            },
            "429-day" => Fault::RateLimitPerDay,
            "429-upstream" => Fault::RateLimitUpstream,
            "midstream-error" => Fault::ErrorMidStream { after: num(3) },
            "drop" => Fault::DropMidStream { after: num(3) },
            "drop-early" => Fault::DropBeforeFirstByte,
            "stall" => Fault::Stall {
                after: 2,
                secs: arg.and_then(|a| a.parse().ok()).unwrap_or(5.0),
            },
            "malformed" => Fault::MalformedLine { after: num(2) },
            "bad-utf8" => Fault::InvalidUtf8,
            "no-usage" => Fault::NoUsage,
            "no-done" => Fault::NoDone,
            "pace" => Fault::Pace(arg.and_then(|a| a.parse().ok()).unwrap_or(20.0)),
            "huge" => Fault::HugeLine(num(10 * 1024 * 1024)),
            "long" => Fault::LongAnswer(num(20_000)),
            "hostile" => Fault::Hostile,
            s => match s.parse::<u16>() {
                Ok(code) if (400..600).contains(&code) => Fault::Status(code),
                _ => return None,
            },
        })
    }

    /// Every `[[fault:NAME]]` written in `text`.
    pub fn scan(text: &str) -> Vec<Fault> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find("[[fault:") {
            rest = &rest[i + 8..];
            if let Some(end) = rest.find("]]") {
                if let Some(f) = Fault::parse(&rest[..end]) {
                    out.push(f);
                }
                rest = &rest[end..];
            }
        }
        out
    }
}

/// How a set of faults shapes one streamed answer.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub status: Option<Fault>,
    pub error_after: Option<usize>,
    pub drop_after: Option<usize>,
    pub drop_early: bool,
    pub stall: Option<(usize, Duration)>,
    pub malformed_after: Option<usize>,
    pub bad_utf8: bool,
    pub no_usage: bool,
    pub no_done: bool,
    pub pace: Option<f64>,
    pub huge: Option<usize>,
    pub long: Option<usize>,
    pub hostile: bool,
}

impl Plan {
    pub fn from_faults(faults: &[Fault]) -> Plan {
        let mut p = Plan::default();
        for f in faults {
            match f {
                Fault::Status(_)
                | Fault::RateLimitPerMinute { .. }
                | Fault::RateLimitPerDay
                | Fault::RateLimitUpstream => p.status = Some(f.clone()),
                Fault::ErrorMidStream { after } => p.error_after = Some(*after),
                Fault::DropMidStream { after } => p.drop_after = Some(*after),
                Fault::DropBeforeFirstByte => p.drop_early = true,
                Fault::Stall { after, secs } => {
                    p.stall = Some((*after, Duration::from_secs_f64(secs.max(0.0))))
                }
                Fault::MalformedLine { after } => p.malformed_after = Some(*after),
                Fault::InvalidUtf8 => p.bad_utf8 = true,
                Fault::NoUsage => p.no_usage = true,
                Fault::NoDone => p.no_done = true,
                Fault::Pace(t) => p.pace = Some(*t),
                Fault::HugeLine(n) => p.huge = Some(*n),
                Fault::LongAnswer(n) => p.long = Some(*n),
                Fault::Hostile => p.hostile = true,
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_directives_parse() {
        assert_eq!(
            Fault::scan("hi [[fault:429:2]] and [[fault:drop]] [[fault:nope]]"),
            vec![
                Fault::RateLimitPerMinute {
                    retry_after: Some(2)
                },
                Fault::DropMidStream { after: 3 }
            ]
        );
        assert_eq!(Fault::parse("503"), Some(Fault::Status(503)));
        assert_eq!(Fault::parse("long:100"), Some(Fault::LongAnswer(100)));
    }
}
