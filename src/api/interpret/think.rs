//! Thinking written into the content: servers without a reasoning parser
//! (DeepSeek-R1 distills, QwQ, under llama.cpp or vLLM without
//! `--reasoning-parser`) send `<think>…</think>` (or `<thinking>…`) at the
//! start of the answer text. That is reasoning: shown as reasoning, never as
//! the answer, never sent back as history. Tags may be split across deltas
//! at any byte: text that may still become a tag is held back until it is
//! clear.

/// The tags that open a thinking block at the start of the content, and
/// what closes each.
const TAGS: [(&str, &str); 2] = [("<think>", "</think>"), ("<thinking>", "</thinking>")];

#[derive(Debug, Default, PartialEq, Eq)]
enum State {
    /// At the start of the content (blanks aside): a tag may still come.
    #[default]
    Start,
    /// Inside a thinking block, until this closing tag.
    Inside(&'static str),
    /// Just past a thinking block: the blank lines after it are dropped.
    Closed,
    /// Past it (or there was none): the rest is the answer.
    Answer,
}

/// Splits content into reasoning and answer text as it arrives.
#[derive(Debug, Default)]
pub struct ThinkSplit {
    state: State,
    held: String,
}

impl ThinkSplit {
    /// Past any thinking: all text from now on is the answer.
    pub fn past_start(&self) -> bool {
        self.state == State::Answer && self.held.is_empty()
    }

    /// Adds `text`; hands reasoning and answer text over as they become
    /// clear (`reasoning` before `answer` for what one delta holds).
    pub fn push(
        &mut self,
        text: &str,
        reasoning: &mut dyn FnMut(&str),
        answer: &mut dyn FnMut(&str),
    ) {
        // Nearly every delta: past any thinking, nothing held.
        if self.state == State::Answer {
            answer(text);
            return;
        }
        self.held.push_str(text);
        loop {
            match self.state {
                State::Answer => {
                    let rest = std::mem::take(&mut self.held);
                    if !rest.is_empty() {
                        answer(&rest);
                    }
                    return;
                }
                // The answer begins after the tag and its blank lines.
                State::Closed => {
                    let blank = self.held.len() - self.held.trim_start().len();
                    self.held.drain(..blank);
                    if self.held.is_empty() {
                        return;
                    }
                    self.state = State::Answer;
                }
                State::Start => {
                    let t = self.held.trim_start();
                    if t.is_empty() || TAGS.iter().any(|(open, _)| open.starts_with(t)) {
                        return; // Blank so far, or a tag begun: wait.
                    }
                    match TAGS.iter().find(|(open, _)| t.starts_with(open)) {
                        Some((open, close)) => {
                            let after = self.held.len() - t.len() + open.len();
                            self.held.drain(..after);
                            self.state = State::Inside(close);
                        }
                        None => self.state = State::Answer,
                    }
                }
                State::Inside(close) => match self.held.find(close) {
                    Some(i) => {
                        if i > 0 {
                            reasoning(&self.held[..i]);
                        }
                        self.held.drain(..i + close.len());
                        self.state = State::Closed;
                    }
                    None => {
                        let keep = tail_of_prefix(&self.held, close);
                        let cut = self.held.len() - keep;
                        if cut > 0 {
                            reasoning(&self.held[..cut]);
                            self.held.drain(..cut);
                        }
                        return;
                    }
                },
            }
        }
    }

    /// The content ended: what is held goes where it belongs (a block never
    /// closed is reasoning; blanks or a half tag at the start are answer).
    pub fn finish(&mut self, reasoning: &mut dyn FnMut(&str), answer: &mut dyn FnMut(&str)) {
        let held = std::mem::take(&mut self.held);
        if held.is_empty() {
            return;
        }
        match self.state {
            State::Inside(_) => reasoning(&held),
            State::Closed => {}
            _ => answer(&held),
        }
        self.state = State::Answer;
    }
}

/// The length of the longest tail of `text` that begins `tag` (0 if none).
fn tail_of_prefix(text: &str, tag: &str) -> usize {
    (1..tag.len().min(text.len() + 1))
        .rev()
        .find(|&n| text.is_char_boundary(text.len() - n) && text.ends_with(&tag[..n]))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(pieces: &[&str]) -> (String, String) {
        let mut t = ThinkSplit::default();
        let (mut r, mut a) = (String::new(), String::new());
        for p in pieces {
            t.push(p, &mut |x| r.push_str(x), &mut |x| a.push_str(x));
        }
        t.finish(&mut |x| r.push_str(x), &mut |x| a.push_str(x));
        (r, a)
    }

    #[test]
    fn think_tags_at_the_start_are_reasoning_split_anywhere() {
        for (text, want) in [
            (
                "<think>\nLet me see: 2+2.\n</think>\n\nIt is **4**.",
                ("\nLet me see: 2+2.\n", "It is **4**."),
            ),
            ("  <thinking>hmm</thinking>Answer", ("hmm", "Answer")),
            (
                "No tags <think>here</think>.",
                ("", "No tags <think>here</think>."),
            ),
            ("<thin ice", ("", "<thin ice")),
            ("<think>never closed", ("never closed", "")),
            ("", ("", "")),
            ("é<think>x</think>", ("", "é<think>x</think>")),
        ] {
            assert_eq!(
                split(&[text]),
                (want.0.to_string(), want.1.to_string()),
                "{text:?}"
            );
            // Cut at every pair of char boundaries.
            let cuts: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            for &i in &cuts {
                for &j in cuts.iter().filter(|&&j| j >= i) {
                    assert_eq!(
                        split(&[&text[..i], &text[i..j], &text[j..]]),
                        (want.0.to_string(), want.1.to_string()),
                        "{text:?} cut at {i} and {j}"
                    );
                }
            }
        }
    }
}
