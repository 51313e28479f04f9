//! Fenced code blocks: syntect's assets, the fence's language, highlighting
//! cached across frames, and the block's lines with their gutter.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, HighlightState, Theme, ThemeSet};
use syntect::parsing::{ParseState, SyntaxSet};
use syntect::util::LinesWithEndings;

use super::MdStyles;
use super::wrap::{Mode, expand_tabs, wrap_spans};

fn syntax_assets() -> &'static (SyntaxSet, Theme) {
    static ASSETS: OnceLock<(SyntaxSet, Theme)> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let ss = SyntaxSet::load_defaults_newlines();
        let mut themes = ThemeSet::load_defaults().themes;
        let theme = themes
            .remove("base16-ocean.dark")
            .or_else(|| themes.into_values().next())
            .unwrap_or_default();
        (ss, theme)
    })
}

/// The first word of a fence's info string, mapped onto a name syntect's
/// bundled grammars know (they lack TypeScript, TOML, zsh aliases...).
pub(super) fn fence_language(info: &str) -> String {
    let word = info
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '{' | '}'))
        .find(|s| !s.is_empty())
        .unwrap_or("")
        .trim_start_matches('.')
        .to_ascii_lowercase();
    let alias = match word.as_str() {
        "shell" | "console" | "zsh" | "shellscript" => "sh",
        "ts" | "typescript" | "tsx" | "jsx" | "mjs" | "cjs" => "js",
        "jsonc" | "json5" => "json",
        "c++" => "cpp",
        "golang" => "go",
        "py3" | "python3" => "py",
        _ => return word,
    };
    alias.to_string()
}

const GUTTER: &str = "▎";

/// A code block's lines in `w` cells: highlighted (if the styles ask for it),
/// hard-wrapped, each after a gutter bar when there is room for one. `tail`
/// as for `highlight`.
pub(super) fn code_block_lines(
    lang: &str,
    text: &str,
    tail: bool,
    w: usize,
    st: &MdStyles,
) -> Vec<Vec<Span<'static>>> {
    let gutter = w >= 2;
    let code_w = if gutter { w - 1 } else { w };
    let text = expand_tabs(text);
    let text = text.strip_suffix('\n').unwrap_or(&text);
    let mut lines = Vec::new();
    let (head, last) = if st.highlight {
        highlight(lang, text, st.code_block, tail)
    } else {
        plain_code(text, st.code_block)
    };
    for src in head.iter().chain(last.as_ref()) {
        for piece in wrap_spans(src, code_w, Mode::Hard) {
            if gutter {
                let mut l = Vec::with_capacity(piece.len() + 1);
                l.push(Span::styled(GUTTER, st.code_block));
                l.extend(piece);
                lines.push(l);
            } else {
                lines.push(piece);
            }
        }
    }
    lines
}

type CodeLines = Arc<Vec<Vec<Span<'static>>>>;

/// Highlighted lines of a block: the shared, cacheable head plus, for a block
/// still streaming in, its last (partial) line.
type Highlighted = (CodeLines, Option<Vec<Span<'static>>>);

fn plain_code(code: &str, style: Style) -> Highlighted {
    let lines = Arc::new(
        code.split('\n')
            .map(|l| {
                if l.is_empty() {
                    Vec::new()
                } else {
                    vec![Span::styled(l.to_string(), style)]
                }
            })
            .collect(),
    );
    (lines, None)
}

fn syn_style(base: Style, s: syntect::highlighting::Style) -> Style {
    let mut style = base;
    if s.foreground.a > 0 {
        style = style.fg(Color::Rgb(s.foreground.r, s.foreground.g, s.foreground.b));
    }
    if s.font_style.contains(FontStyle::BOLD) {
        style = style.add_modifier(Modifier::BOLD);
    }
    if s.font_style.contains(FontStyle::ITALIC) {
        style = style.add_modifier(Modifier::ITALIC);
    }
    if s.font_style.contains(FontStyle::UNDERLINE) {
        style = style.add_modifier(Modifier::UNDERLINED);
    }
    style
}

/// Highlights one line (with or without its `\n`), which is then stripped.
fn highlight_one(
    h: &mut HighlightLines<'_>,
    line: &str,
    ss: &SyntaxSet,
    base: Style,
) -> Option<Vec<Span<'static>>> {
    let ranges = h.highlight_line(line, ss).ok()?;
    let mut spans: Vec<Span<'static>> = Vec::with_capacity(ranges.len());
    for (s, t) in ranges {
        let t = t.strip_suffix('\n').unwrap_or(t);
        if t.is_empty() {
            continue;
        }
        let style = syn_style(base, s);
        match spans.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push_str(t),
            _ => spans.push(Span::styled(t.to_string(), style)),
        }
    }
    Some(spans)
}

// syntect with the pure-Rust regex engine manages only a few hundred KB/s,
// while the transcript is re-rendered every frame. Finished blocks are
// therefore cached whole, and the block still streaming in at the end of the
// answer keeps its parser state so each frame only highlights new lines.

/// Source text held by finished-block entries before old ones are dropped.
const EXACT_CACHE_BYTES: usize = 4 << 20;
/// Streaming blocks resumable at once (more than one chat may stream).
const RESUMABLE_SLOTS: usize = 4;

struct ExactEntry {
    lang: String,
    base: Style,
    code: String,
    lines: CodeLines,
    used: u64,
}

struct Resumable {
    lang: String,
    base: Style,
    /// Complete lines only: the last, partial line may still change.
    text: String,
    lines: CodeLines,
    hl: HighlightState,
    parse: ParseState,
    used: u64,
}

#[derive(Default)]
struct HighlightCache {
    exact: HashMap<u64, ExactEntry>,
    exact_bytes: usize,
    resumable: Vec<Resumable>,
    clock: u64,
}

impl HighlightCache {
    fn insert_exact(&mut self, key: u64, entry: ExactEntry) {
        if entry.code.len() > EXACT_CACHE_BYTES / 4 {
            return;
        }
        self.exact_bytes += entry.code.len();
        if let Some(old) = self.exact.insert(key, entry) {
            self.exact_bytes -= old.code.len();
        }
        if self.exact_bytes > EXACT_CACHE_BYTES {
            let mut by_age: Vec<(u64, u64)> =
                self.exact.iter().map(|(k, e)| (e.used, *k)).collect();
            by_age.sort_unstable();
            for (_, k) in by_age {
                if self.exact_bytes <= EXACT_CACHE_BYTES * 3 / 4 {
                    break;
                }
                if let Some(e) = self.exact.remove(&k) {
                    self.exact_bytes -= e.code.len();
                }
            }
        }
    }
}

thread_local! {
    /// Per thread: oniguruma's parse states (kept to resume a growing block)
    /// are not `Send`. The app renders on one thread, so this is one cache.
    static CACHE: RefCell<HighlightCache> = RefCell::default();
}

/// Where a highlight starts: a finished block's cached lines, or the state
/// to resume a growing one from (lines so far, states, bytes done).
enum Start {
    Hit(CodeLines),
    Resume(Option<(CodeLines, HighlightState, ParseState, usize)>),
}

/// One `Vec<Span>` per source line (`\n` stripped), as `code.split('\n')`.
/// `tail` marks the block that ends the document, i.e. possibly still growing.
fn highlight(lang: &str, code: &str, base: Style, tail: bool) -> Highlighted {
    if lang.is_empty() || code.is_empty() {
        return plain_code(code, base);
    }
    let (ss, theme) = syntax_assets();
    let Some(syntax) = ss.find_syntax_by_token(lang) else {
        return plain_code(code, base);
    };
    let key = {
        let mut h = DefaultHasher::new();
        (lang, base, code).hash(&mut h);
        h.finish()
    };
    let split = code.rfind('\n').map_or(0, |i| i + 1);
    let (complete, partial) = code.split_at(split);

    let start = CACHE.with_borrow_mut(|cache| {
        cache.clock += 1;
        let now = cache.clock;
        if !tail
            && let Some(e) = cache.exact.get_mut(&key)
            && e.lang == lang
            && e.base == base
            && e.code == code
        {
            e.used = now;
            return Start::Hit(Arc::clone(&e.lines));
        }
        let best = cache
            .resumable
            .iter()
            .enumerate()
            .filter(|(_, r)| r.lang == lang && r.base == base && complete.starts_with(&r.text))
            .max_by_key(|(_, r)| r.text.len())
            .map(|(i, _)| i);
        Start::Resume(match best {
            // The growing block moves on to a new state: drop the old one.
            Some(i) if tail => {
                let r = cache.resumable.swap_remove(i);
                Some((r.lines, r.hl, r.parse, r.text.len()))
            }
            Some(i) => {
                let r = &cache.resumable[i];
                Some((
                    Arc::clone(&r.lines),
                    r.hl.clone(),
                    r.parse.clone(),
                    r.text.len(),
                ))
            }
            None => None,
        })
    });
    let start = match start {
        Start::Hit(lines) => return (lines, None),
        Start::Resume(r) => r,
    };

    let (mut lines, mut h, done) = match start {
        Some((lines, hl, parse, done)) => {
            (lines, HighlightLines::from_state(theme, hl, parse), done)
        }
        None => (Arc::default(), HighlightLines::new(syntax, theme), 0),
    };
    // A grammar bug must cost us the colours, not the whole UI.
    let result = catch_unwind(AssertUnwindSafe(|| {
        let out = Arc::make_mut(&mut lines);
        for line in LinesWithEndings::from(&complete[done..]) {
            out.push(highlight_one(&mut h, line, ss, base)?);
        }
        let (hl, parse) = h.state();
        let mut last = HighlightLines::from_state(theme, hl.clone(), parse.clone());
        let partial_spans = highlight_one(&mut last, partial, ss, base)?;
        Some((hl, parse, partial_spans))
    }));
    let Ok(Some((hl, parse, partial_spans))) = result else {
        return plain_code(code, base);
    };

    CACHE.with_borrow_mut(|cache| {
        let used = cache.clock;
        if tail {
            cache.resumable.push(Resumable {
                lang: lang.to_string(),
                base,
                text: complete.to_string(),
                lines: Arc::clone(&lines),
                hl,
                parse,
                used,
            });
            if cache.resumable.len() > RESUMABLE_SLOTS
                && let Some(oldest) =
                    (0..cache.resumable.len()).min_by_key(|&i| cache.resumable[i].used)
            {
                cache.resumable.swap_remove(oldest);
            }
            (lines, Some(partial_spans))
        } else {
            Arc::make_mut(&mut lines).push(partial_spans);
            cache.insert_exact(
                key,
                ExactEntry {
                    lang: lang.to_string(),
                    base,
                    code: code.to_string(),
                    lines: Arc::clone(&lines),
                    used,
                },
            );
            (lines, None)
        }
    })
}

/// Snippets that walk the grammars of the languages answers show most
/// through their usual contexts (comments, strings, numbers, keywords,
/// functions, attributes). Each grammar warmed costs ~0.5-1 MiB resident
/// (oniguruma's compiled regexes); another language compiles at its first
/// block in 1-7 ms (BENCHMARKS.md, "Fast on real answers").
const WARM: &[(&str, &str)] = &[
    (
        "rust",
        "// c\n/// doc\n#[derive(Debug, Clone)]\npub struct S<'a, T: Into<u64>> { x: &'a str, n: Option<T> }\nimpl<T> S<'_, T> where T: Copy {\n    pub fn apply(&mut self, answer: &mut String, delta: &str) -> usize {\n        answer.push_str(delta); // c\n        let v = vec![1, 2.0e3, 0x1f];\n        match self.n { Some(n) if n > 0 => n as usize, _ => answer.len() }\n    }\n}\nfn main() -> Result<(), Box<dyn std::error::Error>> {\n    let f = |x: i32| -> i32 { x * 2 };\n    println!(\"{v:?} {} \\n\", 'c', b'x', r#\"raw\"#);\n    Ok(())\n}\n",
    ),
    (
        "py",
        "# c\nimport os\nfrom typing import Optional\n@dec(1)\nclass A(B):\n    \"\"\"doc\"\"\"\n    def f(self, x: int, *args, **kw) -> Optional[str]:\n        y = [i ** 2 for i in range(10) if i % 2] + {'a': 1}.get('a', 0.5)\n        return f\"{x!r:>4}\" + 'a\\n' + r'raw' if x else None\nasync def g():\n    await h(lambda z: z)\n",
    ),
    (
        "json",
        "{\"a\": [1, 2.5, -1e3, true, false, null, \"s\\n\"], \"b\": {\"c\": {}}}\n",
    ),
    (
        "js",
        "// c\n/** doc */\nimport { x } from './y';\nexport const f = async (x, ...rest) => { return `t${x}` + 'a' + /re/g.test(x) ?? null; };\nclass A extends B { constructor() { super(); this.n = 0x1f; } }\nfor (let i = 0; i < 3; i++) { console.log(JSON.stringify({ a: [1, 2] })); }\n",
    ),
    (
        "sh",
        "#!/bin/bash\n# c\nset -euo pipefail\nfor f in *.txt; do echo \"$f ${f%.txt} $(wc -l < \"$f\")\" | grep -q 'x' && exit 1; done\nif [[ -n \"$X\" ]]; then export A=1; fi\ncat <<EOF\nhere\nEOF\n",
    ),
];

/// Compiles what highlighting the common languages needs, by
/// highlighting a snippet of each (the grammars are shared: what is
/// compiled here is compiled for the renderer too). Runs once, off the
/// stream path, after the first frame.
pub fn warm_highlighting() {
    let (ss, theme) = syntax_assets();
    for (lang, code) in WARM {
        let Some(syntax) = ss.find_syntax_by_token(lang) else {
            continue;
        };
        let mut h = HighlightLines::new(syntax, theme);
        for line in LinesWithEndings::from(code) {
            let _ = catch_unwind(AssertUnwindSafe(|| h.highlight_line(line, ss)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::render;
    use crate::markdown::tests::{assert_fits, plain};

    /// Highlighting resumed from the cache, at every possible streaming cut,
    /// must equal highlighting the same text from scratch.
    #[test]
    fn cached_highlighting_matches_uncached() {
        let code =
            "fn main() {\n    let s = \"a\\\"b\n c\"; /* multi\n line */\n    x(1);\n}\n// end";
        let base = Style::new().fg(Color::Gray);
        let (ss, theme) = syntax_assets();
        let syntax = ss.find_syntax_by_token("rust").unwrap();
        let flatten = |(head, last): Highlighted| {
            let mut v: Vec<Vec<Span<'static>>> = head.to_vec();
            v.extend(last);
            v
        };
        for tail in [true, false] {
            for (cut, _) in code.char_indices().chain([(code.len(), ' ')]) {
                let text = &code[..cut];
                let got = flatten(highlight("rust", text, base, tail));
                let mut h = HighlightLines::new(syntax, theme);
                let want: Vec<_> = text
                    .split_inclusive('\n')
                    .map(|l| highlight_one(&mut h, l, ss, base).unwrap())
                    .chain(text.ends_with('\n').then(Vec::new))
                    .collect();
                let want = if text.is_empty() {
                    vec![Vec::new()]
                } else {
                    want
                };
                assert_eq!(got, want, "cut at {cut}, tail {tail}");
            }
        }
    }

    #[test]
    fn code_blocks_hard_break_with_gutter_and_colour() {
        let st = MdStyles::default();
        let md = "```rust\nlet x = 1; // abcdefghij\n\n  y\n```";
        let lines = render(md, 12, &st);
        assert_fits(&lines, 12, md);
        assert_eq!(
            plain(&lines),
            ["▎let x = 1; ", "▎// abcdefgh", "▎ij", "▎", "▎  y"]
        );
        let has_rgb = lines
            .iter()
            .flat_map(|l| &l.spans)
            .any(|s| matches!(s.style.fg, Some(Color::Rgb(..))));
        assert!(has_rgb, "rust should be highlighted");

        let lines = render("```nosuchlang\nlet x\n```", 20, &st);
        assert_eq!(plain(&lines), ["▎let x"]);
        assert!(lines[0].spans.iter().all(|s| s.style == st.code_block));
    }
}
