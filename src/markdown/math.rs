//! Math that reads in a terminal: LaTeX between `$…$`, `$$…$$`, `\(…\)`
//! and `\[…\]` drawn in Unicode — Greek letters, operators and relations,
//! sub- and superscripts where Unicode has them, fractions as `a/b`, roots
//! as `√x`, `\text{…}` as text. What cannot be drawn faithfully stays as
//! its LaTeX source (`to_unicode` gives `None`), never garbled.

use std::borrow::Cow;

/// `\(…\)` as `$…$` and `\[…\]` as `$$…$$`, outside code, so the markdown
/// parser (with its math option) keeps them whole; and where each removed
/// byte was, in the converted text (to map offsets back to the original).
pub(super) fn dollar_delimiters(text: &str) -> (Cow<'_, str>, Vec<usize>) {
    if !text.contains("\\(") && !text.contains("\\[") {
        return (Cow::Borrowed(text), Vec::new());
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut removed = Vec::new();
    let mut i = 0;
    let mut fence: Option<(u8, usize)> = None;
    let mut line_start = true;
    let mut ticks = 0usize; // an open inline code span's backtick run
    while i < b.len() {
        let c = b[i];
        if line_start {
            // A fenced code block opens or closes on a line of ``` or ~~~.
            let rest = &text[i..];
            let indent = rest.len() - rest.trim_start_matches(' ').len();
            let r = &rest[indent..];
            let run = |ch: char| r.chars().take_while(|&x| x == ch).count();
            for ch in ['`', '~'] {
                let n = run(ch);
                if n >= 3 {
                    match fence {
                        None => fence = Some((ch as u8, n)),
                        Some((f, m)) if f == ch as u8 && n >= m => fence = None,
                        _ => {}
                    }
                }
            }
        }
        line_start = c == b'\n';
        if fence.is_some() {
            out.push(c as char);
            if c >= 0x80 {
                // Copy the whole UTF-8 sequence.
                let len = utf8_len(c);
                out.pop();
                out.push_str(&text[i..i + len]);
                i += len;
                continue;
            }
            i += 1;
            continue;
        }
        if c == b'`' {
            let n = b[i..].iter().take_while(|&&x| x == b'`').count();
            if ticks == 0 {
                ticks = n;
            } else if ticks == n {
                ticks = 0;
            }
            out.push_str(&text[i..i + n]);
            i += n;
            continue;
        }
        if ticks == 0 && c == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'(' | b')' => {
                    out.push('$');
                    removed.push(out.len());
                    i += 2;
                    continue;
                }
                b'[' | b']' => {
                    out.push_str("$$");
                    i += 2;
                    continue;
                }
                b'\\' => {
                    out.push_str("\\\\");
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        let len = utf8_len(c);
        out.push_str(&text[i..i + len]);
        i += len;
    }
    (Cow::Owned(out), removed)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// A converted offset back in the original text.
pub(super) fn original_offset(removed: &[usize], at: usize) -> usize {
    at + removed.iter().take_while(|&&r| r <= at).count()
}

/// LaTeX drawn in Unicode; `None` when some of it cannot be (an unknown
/// command, an unbalanced group): the source is shown instead.
pub fn to_unicode(latex: &str) -> Option<String> {
    let mut p = Parser {
        s: latex.trim(),
        i: 0,
    };
    let out = p.seq(None)?;
    // Spaces in the source and thin spaces (`\,`) are one space on screen.
    let mut shown = String::with_capacity(out.len());
    for c in out.trim().chars() {
        // No space inside brackets: `\langle u, v \rangle` is ⟨u, v⟩.
        let opened = shown.ends_with(['(', '[', '{', '⟨', '⌈', '⌊']);
        if c == ' ' && (shown.ends_with(' ') || opened) {
            continue;
        }
        if ")]}⟩⌉⌋".contains(c) && shown.ends_with(' ') {
            shown.pop();
        }
        shown.push(c);
    }
    Some(shown)
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s[self.i..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += c.len_utf8();
        Some(c)
    }

    /// Atoms up to `end` (a closing brace) or the end of the text.
    fn seq(&mut self, end: Option<char>) -> Option<String> {
        let mut out = String::new();
        loop {
            match self.peek() {
                None if end.is_none() => return Some(out),
                None => return None,
                Some(c) if Some(c) == end => {
                    self.bump();
                    return Some(out);
                }
                Some('}') => return None,
                Some('^') | Some('_') => {
                    let sup = self.bump() == Some('^');
                    let arg = self.arg()?;
                    out.push_str(&script(&arg, sup));
                }
                Some(_) => {
                    let a = self.atom()?;
                    out.push_str(&a);
                }
            }
        }
    }

    /// One argument: a `{group}`, a command, or one character.
    fn arg(&mut self) -> Option<String> {
        while self.peek() == Some(' ') {
            self.bump();
        }
        match self.peek()? {
            '{' => {
                self.bump();
                self.seq(Some('}'))
            }
            _ => self.atom(),
        }
    }

    fn raw_group(&mut self) -> Option<String> {
        while self.peek() == Some(' ') {
            self.bump();
        }
        if self.bump()? != '{' {
            return None;
        }
        let start = self.i;
        let mut depth = 1;
        while let Some(c) = self.bump() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(self.s[start..self.i - 1].to_string());
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn atom(&mut self) -> Option<String> {
        let c = self.bump()?;
        Some(match c {
            '\\' => return self.command(),
            '{' => self.seq(Some('}'))?,
            '~' => " ".into(),
            '&' => " ".into(),
            '-' => "−".into(),
            '*' => "∗".into(),
            '\'' => "′".into(),
            c => c.to_string(),
        })
    }

    fn command(&mut self) -> Option<String> {
        let start = self.i;
        let first = self.bump()?;
        if !first.is_ascii_alphabetic() {
            return Some(match first {
                ',' | ';' | ':' | ' ' => " ".into(),
                '!' => String::new(),
                '\\' => "; ".into(),
                '{' | '}' | '%' | '$' | '_' | '&' | '#' | '|' => first.to_string(),
                _ => return None,
            });
        }
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.bump();
        }
        let name = &self.s[start..self.i];
        if let Some(sym) = symbol(name) {
            // A letter-like symbol sticks to the term after it, as LaTeX
            // reads `\Delta x` (an operator or relation keeps its spaces).
            let sticks = sym
                .chars()
                .all(|c| c.is_alphabetic() || "∂∇∀∃∄¬".contains(c));
            if sticks {
                let rest = &self.s[self.i..];
                let spaces = rest.len() - rest.trim_start_matches(' ').len();
                if spaces > 0 && rest[spaces..].starts_with(|c: char| c.is_alphanumeric()) {
                    self.i += spaces;
                }
            }
            return Some(sym.to_string());
        }
        Some(match name {
            "frac" | "dfrac" | "tfrac" => {
                let (a, b) = (self.arg()?, self.arg()?);
                format!("{}/{}", bracket(&a), bracket(&b))
            }
            "sqrt" => {
                while self.peek() == Some(' ') {
                    self.bump();
                }
                let index = if self.peek() == Some('[') {
                    self.bump();
                    let start = self.i;
                    while self.peek()? != ']' {
                        self.bump();
                    }
                    let n = self.s[start..self.i].to_string();
                    self.bump();
                    Some(n)
                } else {
                    None
                };
                let x = self.arg()?;
                let root = match index.as_deref() {
                    None => "√".to_string(),
                    Some("3") => "∛".to_string(),
                    Some("4") => "∜".to_string(),
                    Some(n) => format!("{}√", script(n, true)),
                };
                format!("{root}{}", bracket(&x))
            }
            "text" | "textrm" | "mathrm" | "textit" | "mathit" | "textbf" | "mathbf" | "mbox"
            | "operatorname" | "mathsf" | "texttt" => self.raw_group()?,
            "mathbb" => {
                let g = self.raw_group()?;
                g.chars().map(double_struck).collect::<Option<String>>()?
            }
            "left" | "right" | "big" | "Big" | "bigg" | "Bigg" | "bigl" | "bigr" | "Bigl"
            | "Bigr" | "displaystyle" | "limits" | "nolimits" => {
                // Sizing words: the delimiter after them is kept as it is.
                if matches!(name, "left" | "right") && self.peek() == Some('.') {
                    self.bump();
                }
                String::new()
            }
            "quad" | "qquad" => " ".into(),
            "sin" | "cos" | "tan" | "cot" | "sec" | "csc" | "log" | "ln" | "exp" | "lim"
            | "max" | "min" | "sup" | "inf" | "det" | "gcd" | "arg" | "deg" | "dim" | "ker"
            | "sinh" | "cosh" | "tanh" | "arcsin" | "arccos" | "arctan" | "Pr" | "mod" => {
                // The source's own space (`\sin x`) follows it.
                name.to_string()
            }
            _ => return None,
        })
    }
}

/// Brackets around a fraction's part that is more than one term.
fn bracket(s: &str) -> String {
    let t = s.trim();
    let simple = t.chars().count() <= 1
        || t.chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == ',')
        || (t.starts_with('(') && t.ends_with(')'));
    if simple {
        t.to_string()
    } else {
        format!("({t})")
    }
}

/// `s` as superscript (or subscript) characters where Unicode has them all,
/// else `^(s)` / `_(s)` (one character needs no brackets).
fn script(s: &str, sup: bool) -> String {
    let mapped: Option<String> = s
        .chars()
        .map(|c| if sup { superscript(c) } else { subscript(c) })
        .collect();
    match mapped {
        Some(m) if !s.is_empty() => m,
        _ => {
            let mark = if sup { '^' } else { '_' };
            if s.chars().count() == 1 {
                format!("{mark}{s}")
            } else {
                format!("{mark}({s})")
            }
        }
    }
}

fn superscript(c: char) -> Option<char> {
    Some(match c {
        '0' => '⁰',
        '1' => '¹',
        '2' => '²',
        '3' => '³',
        '4' => '⁴',
        '5' => '⁵',
        '6' => '⁶',
        '7' => '⁷',
        '8' => '⁸',
        '9' => '⁹',
        '+' => '⁺',
        '-' | '−' => '⁻',
        '=' => '⁼',
        '(' => '⁽',
        ')' => '⁾',
        'n' => 'ⁿ',
        'i' => 'ⁱ',
        'a' => 'ᵃ',
        'b' => 'ᵇ',
        'c' => 'ᶜ',
        'd' => 'ᵈ',
        'e' => 'ᵉ',
        'f' => 'ᶠ',
        'g' => 'ᵍ',
        'h' => 'ʰ',
        'j' => 'ʲ',
        'k' => 'ᵏ',
        'l' => 'ˡ',
        'm' => 'ᵐ',
        'o' => 'ᵒ',
        'p' => 'ᵖ',
        'r' => 'ʳ',
        's' => 'ˢ',
        't' => 'ᵗ',
        'u' => 'ᵘ',
        'v' => 'ᵛ',
        'w' => 'ʷ',
        'x' => 'ˣ',
        'y' => 'ʸ',
        'z' => 'ᶻ',
        'T' => 'ᵀ',
        '′' => '′',
        '∗' => '*',
        _ => return None,
    })
}

fn subscript(c: char) -> Option<char> {
    Some(match c {
        '0' => '₀',
        '1' => '₁',
        '2' => '₂',
        '3' => '₃',
        '4' => '₄',
        '5' => '₅',
        '6' => '₆',
        '7' => '₇',
        '8' => '₈',
        '9' => '₉',
        '+' => '₊',
        '-' | '−' => '₋',
        '=' => '₌',
        '(' => '₍',
        ')' => '₎',
        'a' => 'ₐ',
        'e' => 'ₑ',
        'h' => 'ₕ',
        'i' => 'ᵢ',
        'j' => 'ⱼ',
        'k' => 'ₖ',
        'l' => 'ₗ',
        'm' => 'ₘ',
        'n' => 'ₙ',
        'o' => 'ₒ',
        'p' => 'ₚ',
        'r' => 'ᵣ',
        's' => 'ₛ',
        't' => 'ₜ',
        'u' => 'ᵤ',
        'v' => 'ᵥ',
        'x' => 'ₓ',
        _ => return None,
    })
}

fn double_struck(c: char) -> Option<char> {
    Some(match c {
        'N' => 'ℕ',
        'Z' => 'ℤ',
        'Q' => 'ℚ',
        'R' => 'ℝ',
        'C' => 'ℂ',
        'P' => 'ℙ',
        'H' => 'ℍ',
        ' ' => ' ',
        _ => return None,
    })
}

/// Commands that are one symbol.
fn symbol(name: &str) -> Option<&'static str> {
    Some(match name {
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" => "ϵ",
        "varepsilon" => "ε",
        "zeta" => "ζ",
        "eta" => "η",
        "theta" => "θ",
        "vartheta" => "ϑ",
        "iota" => "ι",
        "kappa" => "κ",
        "lambda" => "λ",
        "mu" => "μ",
        "nu" => "ν",
        "xi" => "ξ",
        "pi" => "π",
        "varpi" => "ϖ",
        "rho" => "ρ",
        "varrho" => "ϱ",
        "sigma" => "σ",
        "varsigma" => "ς",
        "tau" => "τ",
        "upsilon" => "υ",
        "phi" => "ϕ",
        "varphi" => "φ",
        "chi" => "χ",
        "psi" => "ψ",
        "omega" => "ω",
        "Gamma" => "Γ",
        "Delta" => "Δ",
        "Theta" => "Θ",
        "Lambda" => "Λ",
        "Xi" => "Ξ",
        "Pi" => "Π",
        "Sigma" => "Σ",
        "Upsilon" => "Υ",
        "Phi" => "Φ",
        "Psi" => "Ψ",
        "Omega" => "Ω",
        "pm" => "±",
        "mp" => "∓",
        "times" => "×",
        "div" => "÷",
        "cdot" => "·",
        "ast" => "∗",
        "star" => "⋆",
        "circ" => "∘",
        "bullet" => "•",
        "leq" | "le" => "≤",
        "geq" | "ge" => "≥",
        "neq" | "ne" => "≠",
        "approx" => "≈",
        "equiv" => "≡",
        "cong" => "≅",
        "sim" => "∼",
        "simeq" => "≃",
        "propto" => "∝",
        "ll" => "≪",
        "gg" => "≫",
        "infty" => "∞",
        "partial" => "∂",
        "nabla" => "∇",
        "sum" => "∑",
        "prod" => "∏",
        "coprod" => "∐",
        "int" => "∫",
        "iint" => "∬",
        "iiint" => "∭",
        "oint" => "∮",
        "to" | "rightarrow" => "→",
        "leftarrow" | "gets" => "←",
        "leftrightarrow" => "↔",
        "Rightarrow" => "⇒",
        "Leftarrow" => "⇐",
        "Leftrightarrow" | "iff" => "⇔",
        "implies" => "⟹",
        "impliedby" => "⟸",
        "mapsto" => "↦",
        "uparrow" => "↑",
        "downarrow" => "↓",
        "in" => "∈",
        "notin" => "∉",
        "ni" => "∋",
        "subset" => "⊂",
        "supset" => "⊃",
        "subseteq" => "⊆",
        "supseteq" => "⊇",
        "cup" => "∪",
        "cap" => "∩",
        "setminus" => "∖",
        "emptyset" | "varnothing" => "∅",
        "forall" => "∀",
        "exists" => "∃",
        "nexists" => "∄",
        "neg" | "lnot" => "¬",
        "land" | "wedge" => "∧",
        "lor" | "vee" => "∨",
        "oplus" => "⊕",
        "otimes" => "⊗",
        "perp" => "⊥",
        "parallel" => "∥",
        "mid" => "∣",
        "angle" => "∠",
        "triangle" => "△",
        "degree" => "°",
        "prime" => "′",
        "hbar" => "ℏ",
        "ell" => "ℓ",
        "Re" => "ℜ",
        "Im" => "ℑ",
        "aleph" => "ℵ",
        "ldots" | "dots" | "dotsc" => "…",
        "cdots" | "dotsb" => "⋯",
        "vdots" => "⋮",
        "ddots" => "⋱",
        "langle" => "⟨",
        "rangle" => "⟩",
        "lceil" => "⌈",
        "rceil" => "⌉",
        "lfloor" => "⌊",
        "rfloor" => "⌋",
        "lvert" | "rvert" | "vert" => "|",
        "lVert" | "rVert" | "Vert" => "‖",
        "colon" => ":",
        "top" => "⊤",
        "bot" => "⊥",
        _ => return None,
    })
}
