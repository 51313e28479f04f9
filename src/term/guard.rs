//! The terminal guard: raw mode, alternate screen, bracketed paste and mouse
//! capture on; all of it undone on every way out (drop, error, panic).

use std::io::{self, Stdout, Write};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

pub type Term = Terminal<CrosstermBackend<FrameWriter>>;

/// Stdout, buffered until flushed: a frame (with its synchronized-update
/// brackets) leaves in one write instead of one per kilobyte (stdout's own
/// buffer is line-sized and flushes itself as it fills).
pub struct FrameWriter {
    out: Stdout,
    buf: Vec<u8>,
}

impl FrameWriter {
    fn new() -> FrameWriter {
        FrameWriter {
            out: io::stdout(),
            buf: Vec::with_capacity(64 * 1024),
        }
    }
}

impl Write for FrameWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self
            .out
            .write_all(&self.buf)
            .and_then(|()| self.out.flush());
        // Written or not, a frame is not kept for later: the next one redraws.
        self.buf.clear();
        result
    }
}

/// Restores the terminal when dropped.
pub struct Guard {
    pub terminal: Term,
    /// The terminal was resized since the last frame. The viewport is fixed
    /// and only changed on a resize: ratatui's full-screen viewport asks the
    /// terminal its size before every frame, and crossterm answers by opening
    /// /dev/tty, a system call or three per frame while an answer streams.
    size_stale: bool,
}

impl Guard {
    /// Notes a resize event; the next `fit` takes the new size.
    pub fn resized(&mut self) {
        self.size_stale = true;
    }

    /// Fits the viewport to the terminal after a resize.
    pub fn fit(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.size_stale) {
            let area = screen_area()?;
            if area != self.terminal.get_frame().area() {
                // Clears the screen and both buffers, so the next frame is
                // drawn whole. (`Terminal::clear` would ask the terminal for
                // the cursor position, racing the event reader for the reply.)
                self.terminal.resize(area)?;
            }
        }
        Ok(())
    }
}

fn screen_area() -> io::Result<Rect> {
    let (w, h) = crossterm::terminal::size()?;
    Ok(Rect::new(0, 0, w, h))
}

/// Whether the terminal is in orchat's modes now.
static ACTIVE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Undoes every mode orchat enables. Only the first call after `init` acts:
/// leaving the alternate screen twice would move the cursor back over what
/// was printed in between (a panic message, for one).
pub fn restore() {
    if !ACTIVE.swap(false, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = out.flush();
}

pub fn init(mouse: bool) -> io::Result<Guard> {
    // A panic restores the terminal first, so its message is readable.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    ACTIVE.store(true, std::sync::atomic::Ordering::SeqCst);
    enable_raw_mode()?;
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen, EnableBracketedPaste)?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    let viewport = Viewport::Fixed(screen_area()?);
    let mut terminal = Terminal::with_options(
        CrosstermBackend::new(FrameWriter::new()),
        TerminalOptions { viewport },
    )?;
    terminal.clear()?;
    Ok(Guard {
        terminal,
        size_stale: false,
    })
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}
