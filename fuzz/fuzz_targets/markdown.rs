//! The markdown renderer on arbitrary text at an arbitrary width: it must
//! never panic and never return a line wider than the width. The first byte
//! is the width (1..=256); the rest, as lossy UTF-8, is the text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orchat::markdown::{MdStyles, render};

fuzz_target!(|data: &[u8]| {
    let Some((&w, body)) = data.split_first() else {
        return;
    };
    let width = u16::from(w) + 1;
    let text = String::from_utf8_lossy(body);
    for line in render(&text, width, &MdStyles::default()) {
        assert!(
            line.width() <= usize::from(width),
            "a line {} wide at width {width}",
            line.width()
        );
    }
});
