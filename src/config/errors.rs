//! A bad config file in one line: the file, line and column, the key, and
//! what was expected (from the toml crate's own error spans).

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// A configuration problem, displayed on one line:
/// `FILE line L, column C: KEY: what was expected, found what`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file's path, or the environment variable / flag the value came from.
    pub origin: String,
    /// 1-based.
    pub line: Option<usize>,
    /// 1-based, in characters.
    pub column: Option<usize>,
    /// The dotted key, e.g. `budget.per_day_usd`.
    pub key: Option<String>,
    pub message: String,
}

impl ConfigError {
    pub(super) fn plain(
        origin: impl Into<String>,
        key: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            origin: origin.into(),
            line: None,
            column: None,
            key: key.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(l) = self.line {
            write!(f, " line {l}")?;
            if let Some(c) = self.column {
                write!(f, ", column {c}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(k) = &self.key {
            write!(f, "{k}: ")?;
        }
        // One line, whatever the underlying message holds.
        let msg = self
            .message
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        f.write_str(&msg)
    }
}

impl std::error::Error for ConfigError {}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

/// The dotted path of the deepest key whose name or value covers `offset`.
pub(super) fn key_at(table: &DeTable<'_>, offset: usize) -> Option<Vec<String>> {
    fn in_value(v: &DeValue<'_>, offset: usize, path: &mut Vec<String>) -> bool {
        match v {
            DeValue::Table(t) => in_table(t, offset, path),
            DeValue::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    let last = path.pop().unwrap_or_default();
                    path.push(format!("{last}[{i}]"));
                    if in_value(item.get_ref(), offset, path) || item.span().contains(&offset) {
                        return true;
                    }
                    path.pop();
                    path.push(last);
                }
                false
            }
            _ => false,
        }
    }
    fn in_table(t: &DeTable<'_>, offset: usize, path: &mut Vec<String>) -> bool {
        for (k, v) in t.iter() {
            path.push(k.get_ref().to_string());
            if in_value(v.get_ref(), offset, path)
                || k.span().contains(&offset)
                || v.span().contains(&offset)
            {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = Vec::new();
    in_table(table, offset, &mut path).then_some(path)
}

/// The span of the value at a dotted path.
pub(super) fn span_of(table: &DeTable<'_>, path: &[String]) -> Option<Range<usize>> {
    let (first, rest) = path.split_first()?;
    let (_, v) = table.iter().find(|(k, _)| k.get_ref() == first)?;
    if rest.is_empty() {
        return Some(v.span());
    }
    match v.get_ref() {
        DeValue::Table(t) => span_of(t, rest).or_else(|| Some(v.span())),
        _ => Some(v.span()),
    }
}

pub(super) fn value_at<'a, 'i>(table: &'a DeTable<'i>, path: &[&str]) -> Option<&'a DeValue<'i>> {
    let (first, rest) = path.split_first()?;
    let (_, v) = table.iter().find(|(k, _)| k.get_ref() == first)?;
    if rest.is_empty() {
        return Some(v.get_ref());
    }
    match v.get_ref() {
        DeValue::Table(t) => value_at(t, rest),
        _ => None,
    }
}

/// For syntax errors (no parsed document): `[section].key` of the line.
pub(super) fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let (line, _) = line_col(text, offset);
    let lines: Vec<&str> = text.lines().collect();
    let this = lines.get(line - 1)?.trim();
    let key = this.split_once('=').map(|(k, _)| k.trim()).filter(|k| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.\"' ".contains(c))
    })?;
    let section = lines[..line - 1]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    Some(match section {
        Some(s) if !s.is_empty() => format!("{s}.{key}"),
        _ => key.to_string(),
    })
}

/// serde's wording, made to say what was expected and what was found.
pub(super) fn humanize(msg: &str) -> String {
    let msg = msg.trim();
    let body = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "));
    if let Some((found, expected)) = body.and_then(|b| b.split_once(", expected ")) {
        return format!(
            "expected {}, found {}",
            expected_words(expected),
            found_words(found)
        );
    }
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let (field, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let name = field.trim_matches('`');
        let options: Vec<&str> = expected
            .trim_start_matches("one of ")
            .split(", ")
            .flat_map(|s| s.split(" or "))
            .map(|s| s.trim_matches('`'))
            .filter(|s| !s.is_empty())
            .collect();
        return match closest(name, &options) {
            Some(best) => format!("unknown key \"{name}\"; did you mean \"{best}\"?"),
            None if options.is_empty() => format!("unknown key \"{name}\"; this table takes none"),
            None => format!(
                "unknown key \"{name}\"; expected one of {}",
                options.join(", ")
            ),
        };
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return format!("expected {expected}, found {found}");
    }
    msg.to_string()
}

pub(super) fn expected_words(e: &str) -> String {
    match e {
        "u8" => format!("a whole number from 0 to {}", u8::MAX),
        "u16" => format!("a whole number from 0 to {}", u16::MAX),
        "u32" => format!("a whole number from 0 to {}", u32::MAX),
        "u64" | "usize" => "a non-negative integer".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a sequence" => "an array".into(),
        "struct Config" | "a map" => "a table".into(),
        e if e.starts_with("struct ") => "a table".into(),
        e => e.to_string(),
    }
}

pub(super) fn found_words(f: &str) -> String {
    // Never echo a string's content: it may be a misplaced secret.
    if f.starts_with("string ") {
        "a string".into()
    } else if let Some(v) = f.strip_prefix("integer ") {
        // TOML reads integers past i64 as i128 and says so ("`1e30` as i128").
        match v.split_once("` as ") {
            Some((n, _)) => format!("{}, which is out of range", n.trim_matches('`')),
            None => format!("the integer {}", v.trim_matches('`')),
        }
    } else if let Some(v) = f.strip_prefix("floating point ") {
        format!("the number {}", v.trim_matches('`'))
    } else if let Some(v) = f.strip_prefix("boolean ") {
        format!("the boolean {}", v.trim_matches('`'))
    } else if f == "sequence" {
        "an array".into()
    } else if f == "map" {
        "a table".into()
    } else {
        f.to_string()
    }
}

/// The option within edit distance 2 of `name`, if any.
pub(super) fn closest<'a>(name: &str, options: &[&'a str]) -> Option<&'a str> {
    fn dist(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                let sub = prev[j] + usize::from(ca != *cb);
                cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
            }
            prev = cur;
        }
        prev[b.len()]
    }
    options
        .iter()
        .map(|o| (dist(name, o), *o))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let t = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(t, 0), (1, 1));
        // `=` on line 2 is at byte 10 ("bé " is 4 bytes but 3 characters).
        assert_eq!(line_col(t, 10), (2, 4));
    }
}
