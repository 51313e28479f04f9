//! The terminal guard: raw mode, alternate screen, bracketed paste and mouse
//! capture on; all of it undone on every way out (drop, error, and panics,
//! through the process's one panic hook).

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
    /// Writes each frame's changes (scrolling the pane when it moved).
    painter: super::screen::Painter,
    mouse: bool,
    /// The terminal was resized since the last frame. The viewport is fixed
    /// and only changed on a resize: ratatui's full-screen viewport asks the
    /// terminal its size before every frame, and crossterm answers by opening
    /// /dev/tty, a system call or three per frame while an answer streams.
    size_stale: bool,
}

impl super::screen::Screen<CrosstermBackend<FrameWriter>> for Guard {
    fn terminal(&mut self) -> &mut Term {
        &mut self.terminal
    }

    /// Notes a resize; the next frame asks the terminal its size (the last
    /// of several resize events is the one that counts).
    fn resized(&mut self, _width: u16, _height: u16) -> io::Result<()> {
        self.size_stale = true;
        Ok(())
    }

    /// A frame in a synchronized update: the terminal shows whole frames,
    /// never half of one.
    fn draw(
        &mut self,
        app: &crate::app::App,
        view: &mut crate::ui::View,
        theme: &crate::config::theme::Theme,
    ) -> io::Result<()> {
        use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
        self.fit()?;
        crossterm::queue!(self.terminal.backend_mut(), BeginSynchronizedUpdate)?;
        self.painter.draw(&mut self.terminal, app, view, theme)?;
        // The whole frame leaves in one write.
        crossterm::queue!(self.terminal.backend_mut(), EndSynchronizedUpdate)?;
        self.terminal.backend_mut().flush()
    }

    fn suspend(&mut self) -> io::Result<()> {
        restore();
        Ok(())
    }

    fn resume(&mut self) -> io::Result<()> {
        enter(self.mouse)?;
        self.size_stale = true;
        self.painter.invalidate();
        self.terminal.clear()
    }
}

impl Guard {
    /// Fits the viewport to the terminal after a resize.
    fn fit(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.size_stale) {
            let area = screen_area()?;
            if area != self.terminal.get_frame().area() {
                // Clears the screen and both buffers, so the next frame is
                // drawn whole. (`Terminal::clear` would ask the terminal for
                // the cursor position, racing the event reader for the reply.)
                self.terminal.resize(area)?;
                self.painter.invalidate();
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

/// Installs the process's one panic hook, once (later calls do nothing):
/// it restores the terminal first, so the panic's message is readable, prints
/// it as Rust does, then runs `after` (orchat flushes the store there and
/// says where the log is).
pub fn install_panic_hook(after: impl Fn() + Send + Sync + 'static) {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(move || {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
            after();
        }));
    });
}

/// Turns orchat's modes on.
fn enter(mouse: bool) -> io::Result<()> {
    ACTIVE.store(true, std::sync::atomic::Ordering::SeqCst);
    enable_raw_mode()?;
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen, EnableBracketedPaste)?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    Ok(())
}

/// Takes the terminal: orchat's modes on, a fixed viewport of its size.
/// Install the panic hook first (`install_panic_hook`), so a panic leaves
/// the terminal as it was.
pub fn init(mouse: bool) -> io::Result<Guard> {
    enter(mouse)?;
    let viewport = Viewport::Fixed(screen_area()?);
    let mut terminal = Terminal::with_options(
        CrosstermBackend::new(FrameWriter::new()),
        TerminalOptions { viewport },
    )?;
    terminal.clear()?;
    Ok(Guard {
        terminal,
        painter: Default::default(),
        mouse,
        size_stale: false,
    })
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}
