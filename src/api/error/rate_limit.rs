//! Rate limits: which limit a 429 hit, how long to wait, what to tell the
//! user, and the rate-limit headers of a response.

use std::time::Duration;

/// Which limit a 429 hit: it decides whether waiting helps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitScope {
    /// Free-model or per-model requests per minute: wait and retry.
    PerMinute,
    /// Requests per day: waiting minutes does not help; never retried.
    PerDay,
    /// The upstream provider throttled us: retry after a few seconds.
    Upstream,
    /// No hint which; treated like a per-minute limit.
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RateLimit {
    pub scope: LimitScope,
    pub message: String,
    /// From the `Retry-After` header (seconds).
    pub retry_after: Option<Duration>,
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset`, epoch milliseconds.
    pub reset_ms: Option<u64>,
}

impl RateLimit {
    /// How long to wait before retrying, given the time now (epoch ms).
    /// Retry-After wins, then the reset time; otherwise a minute for a
    /// per-minute limit and a few seconds for an upstream one.
    pub fn wait(&self, now_ms: u64) -> Duration {
        if let Some(d) = self.retry_after {
            return d;
        }
        if let Some(reset) = self.reset_ms {
            return Duration::from_millis(reset.saturating_sub(now_ms))
                .min(Duration::from_secs(65));
        }
        match self.scope {
            LimitScope::Upstream => Duration::from_secs(5),
            _ => Duration::from_secs(60),
        }
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.scope {
            // What to do depends on the model (a paid twin, credits): the
            // hints say it, never a switch that does not exist.
            LimitScope::PerDay => write!(f, "daily request limit reached: {}", self.message),
            LimitScope::Upstream => write!(f, "rate limited upstream: {}", self.message),
            LimitScope::PerMinute | LimitScope::Unknown => {
                write!(f, "rate limited: {}", self.message)
            }
        }
    }
}

/// The rate-limit headers of a response, as text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateHeaders {
    pub retry_after: Option<String>,
    pub limit: Option<String>,
    pub remaining: Option<String>,
    pub reset: Option<String>,
}

impl RateHeaders {
    pub fn from_map(h: &reqwest::header::HeaderMap) -> RateHeaders {
        let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
        RateHeaders {
            retry_after: get("retry-after"),
            limit: get("x-ratelimit-limit"),
            remaining: get("x-ratelimit-remaining"),
            reset: get("x-ratelimit-reset"),
        }
    }
}
