//! Inputs the benchmarks share: realistic OpenRouter SSE streams, a long
//! markdown answer, conversations of any length, and a terminal that renders
//! into nothing (so a frame's cost includes ratatui's diff and the escape
//! sequences, but no tty).

#![allow(dead_code)]

use std::io;

use bytes::Bytes;
use orchat::api::types::{CompletionTokensDetails, PromptTokensDetails, Usage, WireDecimal};
use orchat::app::App;
use orchat::app::conversation::Prompt;
use orchat::chat::answer::{Answer, Status};
use orchat::chat::catalog::Catalog;
use orchat::chat::pricing::{Cost, CostKind, estimate_tokens};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use rust_decimal::Decimal;

pub const MODEL: &str = "google/gemini-2.5-flash";

/// A tiny deterministic generator (xorshift), so every run sees the same input.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const WORDS: &[&str] = &[
    "the",
    "stream",
    "token",
    "cost",
    "meter",
    "renders",
    "each",
    "delta",
    "as",
    "it",
    "arrives",
    "and",
    "Gemini",
    "answers",
    "with",
    "markdown",
    "so",
    "lists",
    "tables",
    "code",
    "blocks",
    "must",
    "wrap",
    "cleanly",
    "at",
    "any",
    "width",
    "while",
    "the",
    "provider",
    "reports",
    "usage",
    "in",
    "exact",
    "decimal",
    "dollars",
    "per",
    "million",
    "tokens",
    "of",
    "input",
    "output",
    "reasoning",
    "a",
    "terminal",
    "frame",
    "is",
    "drawn",
    "only",
    "when",
    "something",
    "changed",
    "borrow",
    "checker",
    "lifetime",
    "async",
    "runtime",
    "wakes",
    "rarely",
];

fn words(rng: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    s
}

fn sentence(rng: &mut Rng) -> String {
    let n = 8 + rng.below(14) as usize;
    let mut s = words(rng, n);
    // A little inline markup, as models write it.
    match rng.below(6) {
        0 => s.push_str(" with **bold** words"),
        1 => s.push_str(" and `inline_code()`"),
        2 => s.push_str(" (see [the docs](https://openrouter.ai/docs))"),
        3 => s.push_str(" in *italics*"),
        _ => {}
    }
    let mut c = s.chars();
    let first = c
        .next()
        .map(|f| f.to_uppercase().to_string())
        .unwrap_or_default();
    format!("{first}{}.", c.as_str())
}

/// A long answer in the shape models give: headings, paragraphs, bullet and
/// numbered lists (nested), fenced code in a few languages, tables and
/// quotes, until it holds `tokens` tokens by orchat's estimator.
pub fn answer_markdown(tokens: u64) -> String {
    let mut rng = Rng::new(0x5eed_cafe);
    let mut out = String::new();
    let mut section = 0;
    while estimate_tokens(&out) < tokens {
        section += 1;
        out.push_str(&format!("## {section}. {}\n\n", words(&mut rng, 4)));
        for _ in 0..2 + rng.below(2) {
            let n = 3 + rng.below(4) as usize;
            let para: Vec<String> = (0..n).map(|_| sentence(&mut rng)).collect();
            out.push_str(&para.join(" "));
            out.push_str("\n\n");
        }
        match section % 5 {
            0 => {
                for i in 0..4 {
                    out.push_str(&format!(
                        "- **{}**: {}\n",
                        words(&mut rng, 2),
                        sentence(&mut rng)
                    ));
                    if i == 1 {
                        out.push_str(&format!(
                            "  - {}\n  - {}\n",
                            sentence(&mut rng),
                            sentence(&mut rng)
                        ));
                    }
                }
                out.push('\n');
            }
            1 => {
                out.push_str("```rust\n");
                out.push_str("fn settle(usage: &Usage, price: &Pricing) -> Decimal {\n");
                for i in 0..6 {
                    out.push_str(&format!(
                        "    let part_{i} = Decimal::from(usage.tokens_{i}) * price.rate_{i}; // {}\n",
                        words(&mut rng, 3)
                    ));
                }
                out.push_str("    part_0 + part_1 + part_2 + part_3 + part_4 + part_5\n}\n```\n\n");
            }
            2 => {
                out.push_str("| model | input $/M | output $/M | notes |\n|---|---:|---:|---|\n");
                for _ in 0..4 {
                    out.push_str(&format!(
                        "| gemini-{}.{}-flash | {}.{:02} | {}.{:02} | {} |\n",
                        1 + rng.below(3),
                        rng.below(10),
                        rng.below(3),
                        rng.below(100),
                        rng.below(12),
                        rng.below(100),
                        words(&mut rng, 3)
                    ));
                }
                out.push('\n');
            }
            3 => {
                for i in 1..=4 {
                    out.push_str(&format!("{i}. {}\n", sentence(&mut rng)));
                }
                out.push_str("\n> ");
                out.push_str(&sentence(&mut rng));
                out.push_str("\n\n");
            }
            _ => {
                out.push_str("```python\ndef stream(chunks):\n");
                for _ in 0..5 {
                    out.push_str(&format!("    yield \"{}\"\n", words(&mut rng, 4)));
                }
                out.push_str("```\n\n");
            }
        }
    }
    out
}

/// What the benchmarks stream. `Doc` (the default) is what users stream:
/// the local server's `[[fault:doc:N]]` answer (`orchat::server::doc`:
/// headings, nested lists, a table, fenced Rust, Python and JSON, a very
/// long line, CJK and emoji), one piece of about four characters a token.
/// `Words` is the earlier workload: `answer_markdown`, one word a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    Doc,
    Words,
}

impl Workload {
    pub const ALL: [Workload; 2] = [Workload::Doc, Workload::Words];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Doc => "doc",
            Workload::Words => "words",
        }
    }

    /// `doc` or `words`; anything else is `doc`.
    pub fn parse(s: &str) -> Workload {
        if s == "words" {
            Workload::Words
        } else {
            Workload::Doc
        }
    }

    /// An answer of about `tokens` tokens as the tokens it streams in, one
    /// an SSE event; they concatenate to the answer.
    pub fn tokens(self, tokens: u64) -> Vec<String> {
        match self {
            Workload::Doc => orchat::server::doc::doc_tokens(tokens as usize),
            Workload::Words => answer_markdown(tokens)
                .split_inclusive(' ')
                .map(str::to_string)
                .collect(),
        }
    }

    /// A streaming answer of about `live` tokens and the deltas that extend
    /// it (at least `more` tokens' worth): for `Doc` one token a delta, for
    /// `Words` 1–12 words a delta, as before issue 25.
    pub fn live_and_deltas(self, live: u64, more: u64) -> (String, Vec<String>) {
        match self {
            Workload::Doc => {
                let all = orchat::server::doc::doc_tokens((live + more) as usize);
                let cut = (live as usize).min(all.len());
                (all[..cut].concat(), all[cut..].to_vec())
            }
            Workload::Words => {
                let text = answer_markdown(live);
                let rest = answer_markdown(live + more)[text.len()..].to_string();
                (text, deltas(&rest, 5))
            }
        }
    }
}

/// Splits `text` into stream deltas of 1–12 words (Gemini through OpenRouter
/// sends a few words to a sentence per chunk), keeping every byte.
pub fn deltas(text: &str, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut want = 1 + rng.below(12);
    let mut n = 0;
    for piece in text.split_inclusive(' ') {
        cur.push_str(piece);
        n += 1;
        if n >= want {
            out.push(std::mem::take(&mut cur));
            n = 0;
            want = 1 + rng.below(12);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

/// One `chat.completion.chunk` the way OpenRouter writes it for Gemini.
fn chunk(delta: &str, finish: bool) -> String {
    let (finish, native) = if finish {
        ("\"stop\"", "\"STOP\"")
    } else {
        ("null", "null")
    };
    format!(
        "data: {{\"id\":\"gen-1754300000-Xk2pQw9rLmN4sTu7VbYc\",\"provider\":\"Google AI Studio\",\"model\":\"google/gemini-2.5-flash\",\"object\":\"chat.completion.chunk\",\"created\":1754300000,\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish},\"native_finish_reason\":{native},\"logprobs\":null}}]}}\n\n"
    )
}

/// `pieces` on the wire, one an SSE event, each a whole OpenRouter chunk,
/// then the finish chunk and `[DONE]`.
pub fn sse_stream_pieces<S: AsRef<str>>(pieces: &[S]) -> Vec<u8> {
    let mut s = String::new();
    s.push_str(": OPENROUTER PROCESSING\n\n");
    for piece in pieces.iter().map(AsRef::as_ref) {
        let d = format!("{{\"role\":\"assistant\",\"content\":{}}}", json_str(piece));
        s.push_str(&chunk(&d, false));
    }
    s.push_str(&chunk("{\"role\":\"assistant\",\"content\":\"\"}", true));
    s.push_str("data: [DONE]\n\n");
    s.into_bytes()
}

/// A whole streamed answer as bytes on the wire: keep-alive comments, a few
/// reasoning chunks (with the `reasoning_details` that duplicate them),
/// content chunks of `answer`, optionally an image of about `image_bytes`
/// base64 bytes on one line, the finish chunk, usage with cost, `[DONE]`.
pub fn sse_stream(answer: &str, image_bytes: Option<usize>) -> Vec<u8> {
    let mut s = String::new();
    s.push_str(": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\n");
    for r in deltas(
        "**Planning** I will explain the stream and the cost, then show code. ",
        7,
    ) {
        let d = format!(
            "{{\"role\":\"assistant\",\"content\":\"\",\"reasoning\":{r},\"reasoning_details\":[{{\"type\":\"reasoning.text\",\"text\":{r},\"format\":\"google-gemini-v1\",\"index\":0}}]}}",
            r = json_str(&r)
        );
        s.push_str(&chunk(&d, false));
    }
    for piece in deltas(answer, 11) {
        let d = format!(
            "{{\"role\":\"assistant\",\"content\":{}}}",
            json_str(&piece)
        );
        s.push_str(&chunk(&d, false));
    }
    if let Some(n) = image_bytes {
        let mut rng = Rng::new(99);
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut b64 = String::with_capacity(n);
        b64.push_str("data:image/png;base64,iVBORw0KGgo");
        while b64.len() < n {
            b64.push(B64[rng.below(64) as usize] as char);
        }
        let d = format!(
            "{{\"role\":\"assistant\",\"content\":\"\",\"images\":[{{\"type\":\"image_url\",\"image_url\":{{\"url\":\"{b64}\"}},\"index\":0}}]}}"
        );
        s.push_str(&chunk(&d, false));
    }
    s.push_str(&chunk("{\"role\":\"assistant\",\"content\":\"\"}", true));
    let out_tokens = estimate_tokens(answer);
    s.push_str(&format!(
        "data: {{\"id\":\"gen-1754300000-Xk2pQw9rLmN4sTu7VbYc\",\"provider\":\"Google AI Studio\",\"model\":\"google/gemini-2.5-flash\",\"object\":\"chat.completion.chunk\",\"created\":1754300000,\"choices\":[],\"usage\":{{\"prompt_tokens\":1234,\"completion_tokens\":{c},\"total_tokens\":{t},\"cost\":0.0052339,\"is_byok\":false,\"prompt_tokens_details\":{{\"cached_tokens\":0}},\"cost_details\":{{\"upstream_inference_cost\":null}},\"completion_tokens_details\":{{\"reasoning_tokens\":40,\"image_tokens\":0}}}}}}\n\n",
        c = out_tokens + 40,
        t = out_tokens + 40 + 1234
    ));
    s.push_str("data: [DONE]\n\n");
    s.into_bytes()
}

/// Cuts wire bytes into reads of the sizes a socket hands over (a TCP
/// segment to a 16 KB read), deterministically.
pub fn network_reads(bytes: &[u8], seed: u64) -> Vec<Bytes> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let n = match rng.below(4) {
            0 => 1 + rng.below(1460) as usize,
            1 => 1460,
            2 => 4096 + rng.below(4096) as usize,
            _ => 16384,
        };
        let end = (i + n).min(bytes.len());
        out.push(Bytes::copy_from_slice(&bytes[i..end]));
        i = end;
    }
    out
}

fn usage(prompt: u64, completion: u64) -> Usage {
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        cost: Some(WireDecimal(Decimal::new(41_462, 9))),
        prompt_tokens_details: Some(PromptTokensDetails {
            cached_tokens: 0,
            ..Default::default()
        }),
        completion_tokens_details: Some(CompletionTokensDetails {
            reasoning_tokens: 0,
            image_tokens: 0,
        }),
        ..Default::default()
    }
}

/// A finished answer of a few paragraphs with a list and a code block.
pub fn finished_answer(rng: &mut Rng, i: usize) -> Answer {
    let mut a = Answer::new(MODEL, 100 + i as u64, 0);
    a.model_reported = Some(MODEL.to_string());
    a.provider = Some("Google AI Studio".into());
    a.text = format!(
        "## Answer {i}\n\n{} {}\n\n- {}\n- {}\n\n```rust\nlet n = {i};\n```\n\n{}\n",
        sentence(rng),
        sentence(rng),
        sentence(rng),
        sentence(rng),
        sentence(rng)
    );
    a.usage = Some(usage(100 + i as u64, estimate_tokens(&a.text)));
    a.status = Status::Complete;
    a.finish_reason = Some("stop".into());
    a
}

/// A prompt after the current message.
fn prompt(app: &mut App, text: String) -> orchat::app::NodeId {
    app.conversation.add_prompt(
        Prompt {
            text,
            ..Prompt::default()
        },
        None,
        0,
    )
}

/// `answer` to prompt `p`, ended, with `cost`.
fn answered(app: &mut App, p: orchat::app::NodeId, answer: Answer, cost: Cost) {
    let [(_, id)] = app.conversation.ask(p, vec![answer], 0, 0)[..] else {
        unreachable!()
    };
    let r = app.conversation.reply_mut(id).expect("just asked");
    r.cost = Some(cost);
    r.timing.finished_ms = Some(1);
    app.conversation.ended(id);
}

/// An app holding `messages` messages (prompts and finished answers, in
/// turns), then one more prompt whose answer is streaming with `live` of text
/// so far. Returns the app and the streaming turn.
pub fn conversation(messages: usize, live: &str) -> (App, u64) {
    let mut app = App::new(Catalog::bundled(), "openrouter", MODEL);
    let mut rng = Rng::new(42);
    let mut p = None;
    for i in 0..messages {
        if i % 2 == 0 {
            p = Some(prompt(
                &mut app,
                format!("Question {i}: {}", sentence(&mut rng)),
            ));
        } else if let Some(p) = p {
            let a = finished_answer(&mut rng, i);
            let cost = Cost::new(Decimal::new(41_462, 9), CostKind::Reported);
            answered(&mut app, p, a, cost);
        }
    }
    streaming(app, live)
}

/// A conversation of `messages` messages in `branches` branches: a trunk,
/// and at every `messages / branches`-th prompt of it a retried answer
/// whose branch goes on as long as the trunk's rest (the path shown is the
/// trunk). Then the streaming answer, as `conversation`.
pub fn branched(messages: usize, branches: usize, live: &str) -> (App, u64) {
    let mut app = App::new(Catalog::bundled(), "openrouter", MODEL);
    let mut rng = Rng::new(42);
    let cost = Cost::new(Decimal::new(41_462, 9), CostKind::Reported);
    let per = (messages / branches.max(1)).max(2);
    let mut trunk = Vec::new();
    // The trunk first: `per` messages, prompts and answers.
    for i in 0..per / 2 {
        let p = prompt(&mut app, format!("Question {i}: {}", sentence(&mut rng)));
        answered(&mut app, p, finished_answer(&mut rng, i), cost);
        trunk.push(p);
    }
    let end = app.conversation.current();
    // Each other branch: a second answer to a trunk prompt, and a chain
    // after it.
    for b in 1..branches {
        let at = trunk[(b * 7) % trunk.len()];
        app.conversation.go_to(at);
        answered(&mut app, at, finished_answer(&mut rng, b), cost);
        for i in 0..(per / 2).saturating_sub(1) {
            let p = prompt(
                &mut app,
                format!("Branch {b} question {i}: {}", sentence(&mut rng)),
            );
            answered(&mut app, p, finished_answer(&mut rng, i), cost);
        }
    }
    if let Some(end) = end {
        app.conversation.go_to(end);
    }
    streaming(app, live)
}

/// One more prompt, and its answer streaming with `live` of text so far.
fn streaming(mut app: App, live: &str) -> (App, u64) {
    let p = prompt(&mut app, "Explain the stream once more, at length.".into());
    let mut a = Answer::new(MODEL, 5_000, 0);
    a.text = live.to_string();
    a.status = Status::Streaming;
    a.model_reported = Some(MODEL.to_string());
    let [(turn, id)] = app.conversation.ask(p, vec![a], 0, 0)[..] else {
        unreachable!()
    };
    let r = app.conversation.reply_mut(id).expect("just asked");
    r.timing.last_event_ms = 2_000;
    r.timing.first_token_ms = Some(10);
    app.env.now_ms = 2_000;
    // What `update` does after every message: the history's context
    // estimate summed once, not in the first measured step.
    app.settle_context();
    (app, turn)
}

/// A finished conversation of `answers` prompts, each answered with the
/// realistic doc answer of about `tokens` tokens (headings, lists, a
/// table, three code blocks), made distinct per answer so no cache is
/// shared between them.
pub fn long_conversation(answers: usize, tokens: u64) -> App {
    let mut app = App::new(Catalog::bundled(), "openrouter", MODEL);
    let doc = orchat::server::doc::doc_tokens(tokens as usize).concat();
    for i in 0..answers {
        let p = prompt(&mut app, format!("Question {i}: explain streaming again."));
        let mut a = Answer::new(MODEL, 100 + i as u64, 0);
        a.model_reported = Some(MODEL.to_string());
        a.text = format!(
            "# Answer {i}\n\n{}",
            doc.replace("apply", &format!("apply_{i}"))
        );
        a.usage = Some(usage(100 + i as u64, estimate_tokens(&a.text)));
        a.status = Status::Complete;
        a.finish_reason = Some("stop".into());
        let cost = Cost::new(Decimal::new(41_462, 9), CostKind::Reported);
        answered(&mut app, p, a, cost);
    }
    app.settle_context();
    app
}

/// `app`'s conversation saved under `id` into a new store at `path`, as
/// orchat saves it (every message, then the current path).
pub fn save(app: &mut App, id: &str, path: &std::path::Path) {
    app.conversation.id = id.into();
    let store = orchat::store::Store::open(path).expect("a store");
    let c = &app.conversation;
    for n in 0..c.tree().len() as u32 {
        if let Some(m) = c.to_stored(n, &app.env.catalog) {
            store.put_message(m);
        }
    }
    store.set_current(id, c.current_seq().expect("a path"));
    store.flush();
}

/// What `--continue` does before the terminal shows it: the store at
/// `path` opened and conversation `id` read, the tree rebuilt on its path,
/// the first frame drawn into `term`.
pub fn reopen(path: &std::path::Path, id: &str, term: &mut Term) -> (App, orchat::ui::View) {
    let store = orchat::store::Store::open(path).expect("a store");
    let saved = orchat::runtime::load_session(&store, id).expect("saved");
    let mut app = App::new(Catalog::bundled(), "openrouter", MODEL);
    app.restore(&saved);
    let mut view = orchat::ui::View::new();
    orchat::term::screen::Painter::default()
        .draw(term, &app, &mut view, &orchat::config::theme::Theme::dark())
        .expect("draw");
    (app, view)
}

pub type Term = Terminal<CrosstermBackend<io::Sink>>;

/// A `w`×`h` terminal whose output goes nowhere: drawing costs what it costs
/// on a real terminal up to the write.
pub fn terminal(w: u16, h: u16) -> Term {
    Terminal::with_options(
        CrosstermBackend::new(io::sink()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, w, h)),
        },
    )
    .expect("a terminal over a sink")
}

/// The streaming answer's text (to keep its length bounded between samples).
pub fn live_text(app: &mut App, turn: u64) -> &mut String {
    let id = app
        .conversation
        .live_of_turn(turn)
        .expect("the streaming answer");
    &mut app
        .conversation
        .reply_mut(id)
        .expect("the streaming answer")
        .answer
        .text
}

/// A bench's `main`: with `ORCHAT_CALLGRIND=SPEC` (set by
/// benches/callgrind.sh) it runs `callgrind(SPEC)`, the measured loop alone
/// for an instruction count; otherwise the criterion `benches`.
pub fn main(benches: fn(), callgrind: fn(&str)) {
    if let Ok(spec) = std::env::var("ORCHAT_CALLGRIND") {
        callgrind(&spec);
        return;
    }
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
