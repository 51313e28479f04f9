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
    /// The graphics protocol the terminal answered for, once (`take_picker`).
    picker: Option<ratatui_image::picker::Picker>,
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

/// The terminal's settings as orchat found them, put back on the way out
/// whatever changed them meanwhile (crossterm saves its own copy only when
/// raw mode goes on, which is too late if something changed them first).
#[cfg(unix)]
static FOUND: std::sync::Mutex<Option<libc::termios>> = std::sync::Mutex::new(None);

#[cfg(unix)]
fn remember_modes() {
    // SAFETY: tcgetattr fills the struct it is given; fd 0 may not be a tty,
    // which it reports as an error.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::isatty(0) == 1
            && libc::tcgetattr(0, &mut t) == 0
            && let Ok(mut found) = FOUND.lock()
            && found.is_none()
        {
            *found = Some(t);
        }
    }
}

#[cfg(unix)]
fn put_modes_back() {
    if let Ok(found) = FOUND.lock()
        && let Some(t) = found.as_ref()
    {
        // SAFETY: sets fd 0's attributes from a struct tcgetattr filled.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, t);
        }
    }
}

#[cfg(not(unix))]
fn remember_modes() {}

#[cfg(not(unix))]
fn put_modes_back() {}

/// Undoes every mode orchat enables. Only the first call after `init` acts:
/// leaving the alternate screen twice would move the cursor back over what
/// was printed in between (a panic message, for one).
pub fn restore() {
    if !ACTIVE.swap(false, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let _ = disable_raw_mode();
    put_modes_back();
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
    remember_modes();
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
/// With `graphics`, asks the terminal (with a deadline) which graphics
/// protocol it draws images with. Install the panic hook first
/// (`install_panic_hook`), so a panic leaves the terminal as it was. When
/// the terminal cannot be set up, every mode turned on is turned off again
/// before the error returns, and the error says what to do.
pub fn init(mouse: bool, graphics: bool) -> io::Result<Guard> {
    let setup = || -> io::Result<Guard> {
        enter(mouse)?;
        let picker = if graphics {
            super::probe::ask(super::probe::PATIENCE).and_then(|a| a.picker(iterm_from_env()))
        } else {
            None
        };
        let area = screen_area()?;
        if area.width == 0 || area.height == 0 {
            return Err(io::Error::other("it reports a size of 0 by 0"));
        }
        let mut terminal = Terminal::with_options(
            CrosstermBackend::new(FrameWriter::new()),
            TerminalOptions {
                viewport: Viewport::Fixed(area),
            },
        )?;
        // Clears the screen and both buffers without asking the terminal
        // where its cursor is (`Terminal::clear` would: a terminal that does
        // not answer made that a two-second wait and an error).
        terminal.resize(area)?;
        Ok(Guard {
            terminal,
            painter: Default::default(),
            mouse,
            picker,
            size_stale: false,
        })
    };
    setup().map_err(|e| {
        restore();
        io::Error::other(format!(
            "this terminal did not answer as a terminal should ({e}); orchat -p works without one"
        ))
    })
}

/// iTerm2's image protocol, where the environment says it works.
fn iterm_from_env() -> bool {
    let env = |k: &str| std::env::var(k).unwrap_or_default().to_lowercase();
    ["iterm.app", "wezterm"].contains(&env("TERM_PROGRAM").as_str())
        || env("LC_TERMINAL").contains("iterm")
}

impl Guard {
    /// The graphics protocol the terminal answered for (once).
    pub fn take_picker(&mut self) -> Option<ratatui_image::picker::Picker> {
        self.picker.take()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}
