//! Copying text: the system clipboard through arboard when there is a local
//! display, otherwise OSC 52, which asks the terminal itself to set the
//! clipboard (works over SSH and without any clipboard daemon).
//!
//! Public API:
//! - [`copy`]`(text, out: &mut dyn Write) -> Result<CopyOutcome, String>`: `out`
//!   is the terminal (the TUI's stdout); it gets the OSC 52 sequence when the
//!   system clipboard is not used. [`copy_with`] takes the environment as a
//!   function (tests).
//! - [`CopyOutcome`] and [`CopyOutcome::status`]`(what)`: the status-bar text.
//! - [`osc52`]`(text) -> String`: the escape sequence.
//!
//! OSC 52 form: `ESC ] 52 ; c ; <base64 of the UTF-8 text> BEL`, i.e. the
//! bytes `1b 5d` `52;c;` base64 (standard alphabet, padded) `07`. `c` selects
//! the clipboard selection. BEL rather than `ESC \` ends it because more
//! terminals (and tmux) accept BEL.
//!
//! tmux: the sequence is not wrapped in tmux's DCS passthrough. tmux handles
//! OSC 52 itself when `set-clipboard` is `on` (then it forwards it to the
//! outer terminal), and passthrough needs `allow-passthrough on`, which is
//! off by default too, so wrapping would not help more users and would break
//! copying for the ones with `set-clipboard on`. In tmux, add
//! `set -g set-clipboard on` to ~/.tmux.conf.

use std::io::Write;
use std::sync::Mutex;

use base64::Engine;

/// Where the copied text went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyOutcome {
    /// The system clipboard (arboard).
    System,
    /// An OSC 52 sequence written to the terminal.
    Osc52,
}

impl CopyOutcome {
    /// What the status bar says, e.g. `copied the answer to the clipboard`.
    pub fn status(&self, what: &str) -> String {
        match self {
            CopyOutcome::System => format!("copied {what} to the clipboard"),
            CopyOutcome::Osc52 => format!("copied {what} via the terminal (OSC 52)"),
        }
    }
}

/// The OSC 52 sequence that sets the clipboard to `text`.
pub fn osc52(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{b64}\x07")
}

/// Copies `text`: to the system clipboard when there is a local display
/// (`DISPLAY` or `WAYLAND_DISPLAY` set, and not over SSH), else, or when that
/// fails, as OSC 52 written (and flushed) to `out`.
pub fn copy(text: &str, out: &mut dyn Write) -> Result<CopyOutcome, String> {
    copy_with(text, out, &|k| std::env::var(k).ok())
}

/// [`copy`] with the environment given as a function.
pub fn copy_with(
    text: &str,
    out: &mut dyn Write,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<CopyOutcome, String> {
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    let local_display = set("DISPLAY") || set("WAYLAND_DISPLAY");
    let over_ssh = set("SSH_CONNECTION") || set("SSH_TTY");
    if local_display && !over_ssh && system_copy(text).is_ok() {
        return Ok(CopyOutcome::System);
    }
    out.write_all(osc52(text).as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot copy: {e}"))?;
    Ok(CopyOutcome::Osc52)
}

/// The clipboard lives as long as the process: on X11 the copied text is
/// served by its owner, so dropping it right after copying would lose it.
static SYSTEM: Mutex<Option<arboard::Clipboard>> = Mutex::new(None);

fn system_copy(text: &str) -> Result<(), String> {
    let mut guard = SYSTEM
        .lock()
        .map_err(|_| "clipboard lock poisoned".to_string())?;
    if guard.is_none() {
        *guard = Some(arboard::Clipboard::new().map_err(|e| e.to_string())?);
    }
    match guard.as_mut() {
        Some(cb) => cb.set_text(text).map_err(|e| e.to_string()),
        None => Err("no clipboard".into()),
    }
}

/// What the clipboard holds, read for Ctrl+V (`/paste`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pasted {
    /// An image, encoded as PNG.
    Image(Vec<u8>),
    Text(String),
    Nothing,
}

/// Where Ctrl+V reads from: the system clipboard, or a fake in tests.
pub trait ClipboardSource: Send + Sync {
    /// What it holds now; an error in a user's words when there is no
    /// clipboard to read (no display, over SSH).
    fn read(&self) -> Result<Pasted, String>;
}

/// The desktop's clipboard (arboard): an image first, else text.
pub struct SystemClipboard;

/// The largest clipboard image read (pixels): a 8K screenshot fits.
const MAX_CLIPBOARD_PIXELS: usize = 8192 * 8192;

impl ClipboardSource for SystemClipboard {
    fn read(&self) -> Result<Pasted, String> {
        let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty());
        if !cfg!(target_os = "macos")
            && !cfg!(windows)
            && !set("DISPLAY")
            && !set("WAYLAND_DISPLAY")
        {
            return Err(
                "no clipboard to read here (no display); paste with the terminal's own paste, or /attach the file"
                    .into(),
            );
        }
        let mut guard = SYSTEM
            .lock()
            .map_err(|_| "clipboard lock poisoned".to_string())?;
        if guard.is_none() {
            *guard = Some(arboard::Clipboard::new().map_err(|e| format!("no clipboard: {e}"))?);
        }
        let cb = guard.as_mut().ok_or("no clipboard")?;
        if let Ok(img) = cb.get_image() {
            if img.width * img.height > MAX_CLIPBOARD_PIXELS {
                return Err(format!(
                    "the clipboard image is {}×{}: too large to attach",
                    img.width, img.height
                ));
            }
            return png_of_rgba(img.width as u32, img.height as u32, &img.bytes).map(Pasted::Image);
        }
        match cb.get_text() {
            Ok(t) if !t.is_empty() => Ok(Pasted::Text(t)),
            _ => Ok(Pasted::Nothing),
        }
    }
}

/// RGBA pixels as a PNG file's bytes.
pub fn png_of_rgba(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| e.to_string())?;
        w.write_image_data(rgba).map_err(|e| e.to_string())?;
    }
    Ok(out)
}
