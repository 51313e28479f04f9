//! Generated images shown inline: decoded once, encoded for the terminal's
//! graphics protocol (kitty, iTerm2 or sixel where supported, half-blocks
//! elsewhere) once per pane width, and cached.

use std::collections::HashMap;
use std::rc::Rc;

use ratatui::layout::Size;
use ratatui_image::Resize;
use ratatui_image::picker::Picker;
use ratatui_image::protocol::Protocol;

use crate::chat::images::Generated;

/// The largest an inline image gets, in cells.
const MAX_ROWS: u16 = 16;
const MAX_COLS: u16 = 64;

/// Whether to ask the terminal for its graphics protocol: only where the
/// environment says it is one that draws images (kitty, WezTerm, iTerm2,
/// Ghostty, foot); never inside tmux, which passes no images through.
/// Everywhere else orchat uses half-blocks without asking.
pub fn graphics_terminal() -> bool {
    let env = |k: &str| std::env::var(k).unwrap_or_default().to_lowercase();
    if !env("TMUX").is_empty() {
        return false;
    }
    let term = env("TERM");
    let program = env("TERM_PROGRAM");
    !env("KITTY_WINDOW_ID").is_empty()
        || ["kitty", "ghostty", "foot", "wezterm"]
            .iter()
            .any(|t| term.contains(t))
        || ["iterm.app", "wezterm", "ghostty"]
            .iter()
            .any(|p| program == *p)
}

pub struct ImageCache {
    /// Made at the first image: ratatui-image's half-block picker runs
    /// `tmux set -p allow-passthrough on` when inside tmux, a process
    /// start-up must not wait for (BENCHMARKS.md, "Fast on real answers").
    picker: Option<Picker>,
    /// (turn, index, width) -> the protocol, or why there is none (one line).
    encoded: HashMap<(u64, usize, u16), Result<Rc<Protocol>, String>>,
}

impl Default for ImageCache {
    /// Half-blocks, chosen at the first image drawn.
    fn default() -> Self {
        ImageCache {
            picker: None,
            encoded: HashMap::new(),
        }
    }
}

impl ImageCache {
    pub fn new(picker: Picker) -> ImageCache {
        ImageCache {
            picker: Some(picker),
            encoded: HashMap::new(),
        }
    }

    /// Uses a picker that knows the real terminal's protocol and font size.
    pub fn set_picker(&mut self, picker: Picker) {
        self.picker = Some(picker);
        self.encoded.clear();
    }

    /// The encoded image `n` of `turn` for a pane `width` cells wide (a
    /// saved one read back from its file, once per width), or why it
    /// cannot be shown (one line).
    pub fn get(
        &mut self,
        turn: u64,
        n: usize,
        image: &Generated,
        width: u16,
    ) -> Result<Rc<Protocol>, String> {
        self.encoded
            .entry((turn, n, width))
            .or_insert_with(|| {
                let bytes = image.bytes()?;
                let img = image::load_from_memory(&bytes)
                    .map_err(|_| "it is not an image orchat can decode".to_string())?;
                drop(bytes);
                let size = Size::new(width.clamp(1, MAX_COLS), MAX_ROWS);
                self.picker
                    .get_or_insert_with(Picker::halfblocks)
                    .new_protocol(img, size, Resize::Fit(None))
                    .map(Rc::new)
                    .map_err(|_| "the terminal's image protocol refused it".to_string())
            })
            .clone()
    }
}
