//! Where the loop's frames go: a ratatui `Terminal` over any `Backend`, and what the
//! loop needs of the terminal besides drawing (resizes, lending it to the
//! editor). The real terminal is `term::guard::Guard`; tests implement it
//! over `TestBackend`.

use std::io;

use ratatui::Terminal;
use ratatui::backend::Backend;

use crate::app::App;
use crate::config::theme::Theme;
use crate::ui::View;

/// A terminal the loop draws on.
pub trait Screen<B: Backend> {
    fn terminal(&mut self) -> &mut Terminal<B>;

    /// The terminal is now `width`×`height` cells (a resize event); the next
    /// frame is drawn whole at the new size.
    fn resized(&mut self, width: u16, height: u16) -> io::Result<()>;

    /// Draws one frame of `app`.
    fn draw(&mut self, app: &App, view: &mut View, theme: &Theme) -> io::Result<()> {
        self.terminal()
            .draw(|f| crate::ui::draw(f, app, view, theme))
            .map_err(backend_error)?;
        Ok(())
    }

    /// Gives the terminal back to the shell (for the editor).
    fn suspend(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Takes the terminal again after `suspend`; the next frame is drawn whole.
    fn resume(&mut self) -> io::Result<()> {
        self.terminal().clear().map_err(backend_error)
    }
}

/// A backend's error as an IO error (crossterm's already is one).
pub fn backend_error(e: impl std::error::Error) -> io::Error {
    io::Error::other(e.to_string())
}
