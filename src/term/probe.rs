//! Asking the terminal what it can draw, with a deadline. A terminal that
//! never answers must cost a second at most and leave nothing behind: no
//! thread blocked on stdin eating the user's keys, no terminal mode changed
//! (ratatui-image's own query did both when a terminal stayed silent).
//!
//! Three questions go out at once, in raw mode, before the event reader
//! starts: kitty's graphics query, the cell size in pixels (`CSI 16 t`)
//! and the primary device attributes (`CSI c`), which every terminal answers
//! and which therefore ends the wait; sixel support is in its answer.

use std::io::Write;
use std::time::{Duration, Instant};

use ratatui_image::FontSize;
use ratatui_image::picker::{Picker, ProtocolType};

/// How long to wait for the terminal's answers.
pub const PATIENCE: Duration = Duration::from_secs(1);

/// What the terminal said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    /// It answered the device-attributes question (so it answers at all).
    pub answered: bool,
    pub kitty: bool,
    pub sixel: bool,
    /// A cell's size in pixels (width, height).
    pub cell: Option<(u16, u16)>,
}

impl Answers {
    /// Reads the answers out of what the terminal sent.
    pub fn parse(bytes: &[u8]) -> Answers {
        let text = String::from_utf8_lossy(bytes);
        let mut a = Answers {
            kitty: text.contains("\x1b_Gi=31;OK"),
            ..Answers::default()
        };
        // CSI 6 ; height ; width t
        if let Some(rest) = text.split("\x1b[6;").nth(1)
            && let Some(body) = rest.split('t').next()
            && let Some((h, w)) = body.split_once(';')
            && let (Ok(h), Ok(w)) = (h.parse::<u16>(), w.parse::<u16>())
            && h > 0
            && w > 0
        {
            a.cell = Some((w, h));
        }
        // CSI ? params c
        if let Some(rest) = text.split("\x1b[?").find(|r| {
            r.find('c')
                .is_some_and(|i| r[..i].chars().all(|c| c.is_ascii_digit() || c == ';'))
        }) {
            a.answered = true;
            let params = &rest[..rest.find('c').unwrap_or(0)];
            a.sixel = params.split(';').any(|p| p == "4");
        }
        a
    }

    /// The picker these answers call for (`iterm`: the environment says
    /// iTerm2's protocol works). `None`: half-blocks.
    pub fn picker(&self, iterm: bool) -> Option<Picker> {
        let protocol = if self.kitty {
            ProtocolType::Kitty
        } else if iterm {
            ProtocolType::Iterm2
        } else if self.sixel {
            ProtocolType::Sixel
        } else {
            return None;
        };
        let (w, h) = self.cell.unwrap_or((10, 20));
        // Deprecated in favour of the crate's own query, which is what
        // this module replaces: it leaves a thread blocked on stdin (eating
        // keys) when a terminal stays silent. A picker from a known cell size
        // is all that is needed.
        #[allow(deprecated)]
        let mut p = Picker::from_fontsize(FontSize::new(w, h));
        p.set_protocol_type(protocol);
        Some(p)
    }
}

/// Asks, and waits at most `patience` for the answers. The terminal must be
/// in raw mode (so answers arrive without Enter) and nothing else may be
/// reading stdin. `None` when it could not be asked (not a terminal).
#[cfg(unix)]
pub fn ask(patience: Duration) -> Option<Answers> {
    let mut out = std::io::stdout();
    out.write_all(b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\\x1b[16t\x1b[c")
        .ok()?;
    out.flush().ok()?;
    let deadline = Instant::now() + patience;
    let mut got = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let mut pfd = libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd, valid for the call.
        let ready = unsafe { libc::poll(&mut pfd, 1, left.as_millis().max(1) as i32) };
        if ready <= 0 || pfd.revents & libc::POLLIN == 0 {
            break;
        }
        let mut buf = [0u8; 1024];
        // SAFETY: reads into a buffer of that length; fd 0 is the terminal.
        let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        got.extend_from_slice(&buf[..n as usize]);
        if Answers::parse(&got).answered || got.len() > 64 * 1024 {
            break;
        }
    }
    let answers = Answers::parse(&got);
    if !answers.answered {
        tracing::info!("the terminal did not answer its device-attributes query; half-blocks");
    }
    Some(answers)
}

#[cfg(not(unix))]
pub fn ask(_patience: Duration) -> Option<Answers> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_from_what_terminals_send() {
        let kitty = Answers::parse(b"\x1b_Gi=31;OK\x1b\\\x1b[6;20;10t\x1b[?62;22c");
        assert_eq!(
            kitty,
            Answers {
                answered: true,
                kitty: true,
                sixel: false,
                cell: Some((10, 20))
            }
        );
        let foot = Answers::parse(b"\x1b[6;17;8t\x1b[?62;4;22c");
        assert!(foot.sixel && foot.answered && !foot.kitty);
        assert_eq!(foot.cell, Some((8, 17)));
        assert_eq!(Answers::parse(b""), Answers::default());
        assert!(Answers::parse(b"\x1b[?1;2c").answered);
        assert!(Answers::default().picker(false).is_none());
        assert_eq!(
            kitty.picker(false).unwrap().protocol_type(),
            ProtocolType::Kitty
        );
    }
}
