//! Math that reads: LaTeX snippets and their Unicode rendering (or their
//! source kept, when they cannot be drawn faithfully), the delimiters
//! markdown would otherwise eat, and an answer with math on screen.

mod common;

use orchat::markdown::math::to_unicode;

#[test]
fn latex_renders_in_unicode_or_stays_source() {
    let cases: &[(&str, Option<&str>)] = &[
        (r"x^2", Some("x²")),
        (r"x^{10}", Some("x¹⁰")),
        (r"a_{ij}", Some("aᵢⱼ")),
        (r"a_i", Some("aᵢ")),
        (r"x_{max}", Some("xₘₐₓ")),
        (r"x_{\beta}", Some("x_β")),
        (r"x^{\alpha+1}", Some("x^(α+1)")),
        (r"e^{i\pi} + 1 = 0", Some("e^(iπ) + 1 = 0")),
        (r"\alpha + \beta = \gamma", Some("α + β = γ")),
        (r"\Delta x", Some("Δx")),
        (r"\Omega", Some("Ω")),
        (r"\frac{a}{b}", Some("a/b")),
        (r"\frac{1}{2}", Some("1/2")),
        (r"\frac{a+b}{c}", Some("(a+b)/c")),
        (r"\frac{x^2}{2}", Some("x²/2")),
        (r"\dfrac{\pi}{4}", Some("π/4")),
        (r"\sqrt{x}", Some("√x")),
        (r"\sqrt{x+1}", Some("√(x+1)")),
        (r"\sqrt[3]{8}", Some("∛8")),
        (r"\sqrt[n]{x}", Some("ⁿ√x")),
        (r"\sum_{i=1}^{n} i", Some("∑ᵢ₌₁ⁿ i")),
        (r"\int_0^1 x\,dx", Some("∫₀¹ x dx")),
        (r"\prod_{k} a_k", Some("∏ₖ aₖ")),
        (r"\pm 1", Some("± 1")),
        (r"a \times b", Some("a × b")),
        (r"a \cdot b", Some("a · b")),
        (r"x \leq y", Some("x ≤ y")),
        (r"x \geq y", Some("x ≥ y")),
        (r"x \neq y", Some("x ≠ y")),
        (r"x \approx 3.14", Some("x ≈ 3.14")),
        (r"f: A \to B", Some("f: A → B")),
        (r"p \implies q", Some("p ⟹ q")),
        (r"x \in \mathbb{R}", Some("x ∈ ℝ")),
        (r"\forall n \in \mathbb{N}", Some("∀n ∈ ℕ")),
        (r"\{1,\, 2\}", Some("{1, 2}")),
        (
            r"\lim_{x \to 0} \frac{\sin x}{x}",
            Some("lim_(x → 0) (sin x)/x"),
        ),
        (r"\text{if } x > 0", Some("if x > 0")),
        (r"\infty", Some("∞")),
        (r"\partial f / \partial x", Some("∂f / ∂x")),
        (r"\nabla \cdot E", Some("∇ · E")),
        (r"\left( x \right)", Some("(x)")),
        (r"\langle u, v \rangle", Some("⟨u, v⟩")),
        (r"a \equiv b \pmod{n}", None),
        (r"\mathcal{L}", None),
        (r"\begin{pmatrix} 1 \end{pmatrix}", None),
        (r"\frac{1}{", None),
        (r"x^{\unknown}", None),
        (r"100\%", Some("100%")),
        (r"n!", Some("n!")),
        (r"a - b", Some("a − b")),
        (r"f'(x)", Some("f′(x)")),
    ];
    assert!(cases.len() >= 40);
    for (src, want) in cases {
        assert_eq!(to_unicode(src).as_deref(), *want, "{src}");
    }
}

fn rendered(md: &str, width: u16) -> String {
    orchat::markdown::render(md, width, &orchat::markdown::MdStyles::default())
        .iter()
        .map(|l| {
            l.spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_delimiter_is_math_and_escapes_are_left_alone() {
    // The bug: markdown escapes ate the backslashes.
    assert_eq!(
        rendered(r"The set $\{1,\, 2\}$ has two.", 80),
        "The set {1, 2} has two."
    );
    assert_eq!(
        rendered(r"Inline \(x^2 + y^2\) here.", 80),
        "Inline x² + y² here."
    );
    assert_eq!(
        rendered(
            "Display:\n\n\\[\n\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}\n\\]\n\nDone.",
            80
        ),
        "Display:\n\n    ∑ᵢ₌₁ⁿ i = (n(n+1))/2\n\nDone."
    );
    assert_eq!(rendered("$$E = mc^2$$", 80), "    E = mc²");
    // What cannot be drawn stays as its source, whole.
    assert_eq!(
        rendered(r"Use $\mathcal{L}$ here.", 80),
        r"Use $\mathcal{L}$ here."
    );
    // Money is not math; code keeps its backslashes.
    assert_eq!(rendered("It costs $5 and $10.", 80), "It costs $5 and $10.");
    assert_eq!(rendered(r"`\(not math\)`", 80), r"\(not math\)");
    assert_eq!(
        rendered("```latex\n\\[ x \\]\n```", 80)
            .lines()
            .nth(1)
            .unwrap_or(""),
        ""
    );
}

#[test]
fn math_on_screen_at_80x24() {
    let mut app = common::new_app();
    let p = app.conversation.add_prompt(
        orchat::app::conversation::Prompt {
            text: "explain the sum".into(),
            images: Vec::new(),
            model: "google/gemini-2.5-flash".into(),
        },
        None,
        0,
    );
    let mut a = orchat::chat::answer::Answer::new("google/gemini-2.5-flash", 10, 0);
    a.text = "The sum of the first $n$ numbers:\n\n\\[\n\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}\n\\]\n\nSo for $n = 10$ it is $55$, and $\\{1,\\, 2\\}$ is a set; $\\alpha \\leq \\beta$ when $x \\in \\mathbb{R}$.\n\nThe general term $a_{ij}$ and $\\sqrt{x^2 + y^2}$; $\\mathcal{F}$ stays as written.".into();
    a.status = orchat::chat::answer::Status::Complete;
    let [(_, id)] = app.conversation.ask(p, vec![a], 0, 0)[..] else {
        unreachable!()
    };
    app.conversation.ended(id);
    insta::assert_snapshot!("math_80x24", common::screen(&app, 80, 24));
}
