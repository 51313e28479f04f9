//! Tests of the whole renderer (markdown in, lines out), and the helpers
//! the tests of the other files share.

use super::*;

pub(super) fn plain(lines: &[Line<'_>]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

pub(super) fn render_plain(md: &str, width: u16) -> Vec<String> {
    let lines = render(md, width, &MdStyles::default());
    assert_fits(&lines, width, md);
    plain(&lines)
}

pub(super) fn assert_fits(lines: &[Line<'_>], width: u16, what: &str) {
    for l in lines {
        assert!(
            l.width() <= usize::from(width),
            "line {:?} is {} cells, over {width}, for {what:?}",
            plain(std::slice::from_ref(l))[0],
            l.width()
        );
    }
}

pub(super) const SAMPLES: &[&str] = &[
    "# 标题 Heading with 中文\n\n这是一个很长的中文段落，没有任何空格，用来测试换行是否正确处理宽字符。Mixed English words and 汉字混排 text.\n",
    "Emoji 👨‍👩‍👧 family, flags 🇺🇸🇯🇵, skin 👍🏽, keycap 1️⃣, heart ❤️ and e\u{301}clair.\n\n😀😀😀😀😀😀😀😀😀😀😀😀",
    "- item one with some words\n- 第二项 有中文\n  - nested 嵌套 item that is fairly long\n    1. deep ordered\n    2. 深层\n- last\n",
    "> quote line with words 引用\n> > nested quote ありがとうございます\n\n> - list in quote\n",
    "| 名前 | Value | Notes |\n|:--|--:|:-:|\n| 東京 | 1 | very long note that will have to shrink |\n| x | 22222 | 🙂 |\n",
    "```rust\nfn main() {\n\tlet s = \"中文字符串\"; // comment with a very long tail that exceeds\n}\n```\n",
    "```\nplain 日本語 code\n```\n\nA link [こんにちは](https://example.com/a/very/long/path/that/keeps/going) and <https://x.y>.",
    "Averyveryveryverylongwordwithoutanyspacesatallthatmustbehardbroken 终わり",
    "```python\nprint('unclosed fence 未完",
    "| a | b |\n|---|-",
    "1. one\n2. two\n\n   continuation paragraph in item two\n\n---\n\n***bold italic*** ~~strike~~ `inline 代码`",
    "Tabs\there\tand\tthere\n\n\tindented code\twith tab\n",
];

#[test]
fn lines_never_exceed_width() {
    let st = MdStyles::default();
    for md in SAMPLES {
        for w in (1..=40).chain([60, 80, 120]) {
            let lines = render(md, w, &st);
            assert_fits(&lines, w, md);
        }
    }
}

#[test]
fn headings_and_paragraphs() {
    assert_eq!(
        render_plain("# Title\nsome text\n\n## Sub\n\nmore", 40),
        ["# Title", "", "some text", "", "## Sub", "", "more"]
    );
    let lines = render("# T", 10, &MdStyles::default());
    assert!(
        lines[0].spans[0]
            .style
            .add_modifier
            .contains(Modifier::BOLD)
    );
}

#[test]
fn lists_nest_and_indent_continuations() {
    assert_eq!(
        render_plain("- a\n- b\n  - c\n    1. d\n- e", 40),
        ["• a", "• b", "  ◦ c", "    1. d", "• e"]
    );
    assert_eq!(
        render_plain("- aaaa bbbb cccc dddd", 11),
        ["• aaaa bbbb", "  cccc dddd"]
    );
    assert_eq!(
        render_plain("3. x\n4. y\n\npara", 20),
        ["3. x", "4. y", "", "para"]
    );
    // Loose list: items separated by a blank line.
    assert_eq!(render_plain("- a\n\n- b", 20), ["• a", "", "• b"]);
    assert_eq!(render_plain("-\n- b", 20), ["• ", "• b"]);
}

#[test]
fn quotes_prefix_every_wrapped_line() {
    assert_eq!(
        render_plain("> hello world foo\n>\n> bar", 10),
        ["│ hello", "│ world", "│ foo", "│", "│ bar"]
    );
    assert_eq!(render_plain("> a\n> > b", 20), ["│ a", "│", "│ │ b"]);
    assert_eq!(render_plain("para\n\n> q", 20), ["para", "", "│ q"]);
}

#[test]
fn links_show_url_unless_same() {
    assert_eq!(
        render_plain("see [docs](https://d.io) and <https://x.io>", 80),
        ["see docs (https://d.io) and https://x.io"]
    );
    assert_eq!(render_plain("<me@x.io>", 80), ["me@x.io"]);
    let lines = render("[a](u)", 20, &MdStyles::default());
    let url = lines[0].spans.last().unwrap();
    assert!(url.content.ends_with(" (u)"));
    assert_eq!(url.style.fg, MdStyles::default().link.fg);
}

#[test]
fn incomplete_markdown_renders() {
    assert_eq!(
        render_plain("text\n\n```py\nprint(1)\nif x", 30),
        ["text", "", "▎print(1)", "▎if x"]
    );
    assert_eq!(render_plain("```", 30), ["▎"]);
    // pulldown-cmark already accepts a partial delimiter row as a table.
    assert_eq!(
        render_plain("| a | b |\n|---|-", 30),
        ["┌───┬───┐", "│ a │ b │", "└───┴───┘"]
    );
    assert_eq!(render_plain("| a | b |\n|-", 30), ["| a | b | |-"]);
    assert_eq!(render_plain("**bold and `code", 30), ["**bold and `code"]);
    assert_eq!(render_plain("1. a\n2.", 30), ["1. a", "2. "]);
}

#[test]
fn tabs_become_spaces() {
    assert_eq!(render_plain("```\n\ta\n```", 20), ["▎    a"]);
    assert!(render_plain("a\tb", 20)[0].contains("a    b"));
}

/// Cheap deterministic fuzzing: glue markdown fragments together at random
/// and render at small widths; any panic or overflow fails.
#[test]
fn random_fragments_never_panic_or_overflow() {
    const FRAGS: &[&str] = &[
        "# ",
        "- ",
        "1. ",
        "> ",
        "```",
        "```rust\n",
        "\n",
        "\n\n",
        "| a | 表 |",
        "|---|:-:|",
        "**",
        "*",
        "~~",
        "`",
        "[",
        "](http://u)",
        "<http://a.b>",
        "中文",
        "😀",
        "👨‍👩‍👧",
        "word ",
        "longlonglonglongword",
        "\t",
        "  ",
        "---",
        "<div>",
        "e\u{301}",
        "![i](p)",
        "\\",
        "    ",
        "1)",
        "🇯🇵",
    ];
    let st = MdStyles::default();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..300 {
        let mut md = String::new();
        for _ in 0..40 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            md.push_str(FRAGS[(seed >> 33) as usize % FRAGS.len()]);
        }
        for w in 1..=24 {
            assert_fits(&render(&md, w, &st), w, &md);
        }
    }
}

pub(super) const SNAPSHOT_DOC: &str = "\
# Release notes

Some *emphasis*, **strong**, `code` and a [link](https://example.com).

## Lists

- first item that is long enough to wrap onto a second line
- second
  - nested one
  - nested two
1. ordered
2. also ordered

> A quoted remark that wraps across lines.
> > And a nested quote.

---

| Name | Qty | Comment |
|:-----|----:|:-------:|
| apple | 3 | crisp |
| 西瓜 | 12 | a rather long comment here |

```python
def f(x):
\treturn x * 2  # doubled
```
";

#[test]
fn snapshot_wide() {
    insta::assert_snapshot!(render_plain(SNAPSHOT_DOC, 60).join("\n"));
}

#[test]
fn snapshot_narrow() {
    insta::assert_snapshot!(render_plain(SNAPSHOT_DOC, 28).join("\n"));
}

#[test]
fn snapshot_cjk() {
    let md = "## 中文标题\n\n这是一段中文，夹杂 English words 和 emoji 😀，需要在窄宽度下正确换行。\n\n- 列表项一\n- 列表项二：比较长的内容会换行并且缩进\n";
    insta::assert_snapshot!(render_plain(md, 16).join("\n"));
}

/// Run with `cargo test --release -- --ignored --nocapture perf`.
#[test]
#[ignore]
fn perf_large_answer() {
    let mut md = String::new();
    let mut i = 0;
    while md.len() < 80_000 {
        md.push_str(&format!(
            "## Section {i}\n\nSome prose with **bold**, `code`, a [link](https://e.com/{i}) and \
             中文 text that goes on for a while to make the wrapper work a bit harder.\n\n\
             - point one\n- point two\n  - nested\n\n\
             ```rust\nfn f{i}(x: u32) -> u32 {{\n    // comment\n    x * {i} + 1\n}}\n```\n\n\
             | a | b |\n|---|---|\n| {i} | value |\n\n"
        ));
        i += 1;
    }
    let st = MdStyles::default();
    render("```rust\nfn warm() {}\n```", 80, &st);
    let time = |label: &str, md: &str| {
        let t = std::time::Instant::now();
        let lines = render(md, 100, &st);
        println!(
            "{label}: {} bytes -> {} lines in {:?}",
            md.len(),
            lines.len(),
            t.elapsed()
        );
    };
    time("mixed, cold", &md);
    time("mixed, warm", &md);
    let code: String = (0..2500)
        .map(|i| format!("    let v{i} = foo(bar, \"s\"); // c\n"))
        .collect();
    let code = format!("```rust\nfn main() {{\n{code}}}\n```\n");
    time("code, cold", &code);
    time("code, warm", &code);
    let prose = "lorem ipsum dolor sit amet 中文字符 ".repeat(2500);
    time("prose", &prose);
    // Streaming: the last block grows a few tokens per frame.
    let code = code.replace("let v", "let w");
    let frames = 400;
    let t = std::time::Instant::now();
    let mut worst = std::time::Duration::ZERO;
    for f in 1..=frames {
        let mut cut = code.len() * f / frames;
        while !code.is_char_boundary(cut) {
            cut += 1;
        }
        let ft = std::time::Instant::now();
        render(&code[..cut], 100, &st);
        worst = worst.max(ft.elapsed());
    }
    println!(
        "streaming {frames} frames: avg {:?}, worst {worst:?}",
        t.elapsed() / frames as u32
    );
}
