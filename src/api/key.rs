//! API keys. A key lives in an `ApiKey`, whose `Debug` and `Display` never show
//! it, so it cannot leak through a log line, an error or a panic message.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Option<ApiKey> {
        let k = key.into().trim().to_string();
        (!k.is_empty()).then_some(ApiKey(k))
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

/// Replaces every occurrence of the key in `text`: a last line of defence for
/// text that may echo a request back (an error body, a URL).
pub fn scrub(text: &str, key: Option<&ApiKey>) -> String {
    match key {
        Some(k) if k.0.len() >= 4 => text.replace(&k.0, "<redacted>"),
        _ => text.to_string(),
    }
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
            "bad key <redacted>!"
        );
        assert!(ApiKey::new("  ").is_none());
    }
}
