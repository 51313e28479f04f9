//! Line endings made plain: CRLF and lone CR become `\n`, across deltas.

use std::borrow::Cow;

/// CRLF and lone CR become `\n`, also when a CRLF is split across deltas, so
/// a code fence written with CRLF closes and nothing prints a carriage return.
#[derive(Debug, Default)]
pub struct LineEnds {
    after_cr: bool,
}

impl LineEnds {
    pub fn plain<'a>(&mut self, text: &'a str) -> Cow<'a, str> {
        let text = match text.strip_prefix('\n') {
            Some(rest) if self.after_cr => rest,
            _ => text,
        };
        if text.is_empty() {
            return Cow::Borrowed(text);
        }
        self.after_cr = text.ends_with('\r');
        if !text.contains('\r') {
            return Cow::Borrowed(text);
        }
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    }
}
