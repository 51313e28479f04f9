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

/// Draws frames with as few bytes as it can. ratatui diffs each frame
/// against the last and writes the cells that changed; but when the
/// conversation follows the bottom of a streaming answer, every new line
/// moves every line above it, and the diff rewrites the whole pane. The
/// view says when its pane moved up by whole lines (`View::take_shift`):
/// the painter has the terminal scroll that region (a few bytes) and moves
/// its copy of the last frame the same way, then writes only what still
/// differs. It keeps the last frame itself, so ratatui's own previous
/// buffer is not used.
#[derive(Default)]
pub struct Painter {
    /// What the terminal shows now (empty: unknown, so everything is drawn).
    last: ratatui::buffer::Buffer,
}

impl Painter {
    /// The screen was cleared or resized: the next frame is drawn whole.
    pub fn invalidate(&mut self) {
        self.last = ratatui::buffer::Buffer::default();
    }

    /// Draws one frame of `app` on `terminal`, queued in its backend: the
    /// caller flushes it.
    pub fn draw<B: Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        app: &App,
        view: &mut View,
        theme: &Theme,
    ) -> Result<(), B::Error> {
        terminal.autoresize()?;
        let mut frame = terminal.get_frame();
        crate::ui::draw(&mut frame, app, view, theme);
        let shift = view.take_shift();
        let area = terminal.current_buffer_mut().area;
        if self.last.area != area {
            // Unknown: a blank screen, every cell written.
            terminal.backend_mut().hide_cursor()?;
            self.last = ratatui::buffer::Buffer::empty(area);
            terminal.backend_mut().clear()?;
        } else if let Some((region, lines)) = shift
            && lines < region.height
        {
            terminal
                .backend_mut()
                .scroll_region_up(region.top()..region.bottom(), lines)?;
            shift_up(&mut self.last, region, lines);
        }
        let updates = row_diff(&self.last, terminal.current_buffer_mut());
        terminal
            .backend_mut()
            .draw(updates.iter().map(|(x, y, c)| (*x, *y, c)))?;
        // The new frame is the last one now; ratatui's buffers are reset for
        // the next frame to be drawn into.
        std::mem::swap(&mut self.last, terminal.current_buffer_mut());
        terminal.swap_buffers();
        Ok(())
    }
}

/// The cells of `next` that differ from `prev` (same area), as ratatui's
/// diff finds them, but row by row: a row equal to the one before is passed
/// over in one comparison. Most of a streaming frame is unchanged, and
/// ratatui's diff measures every cell's width before comparing it (half a
/// frame's instructions; BENCHMARKS.md, "Instruction counts").
fn row_diff(
    prev: &ratatui::buffer::Buffer,
    next: &ratatui::buffer::Buffer,
) -> Vec<(u16, u16, ratatui::buffer::Cell)> {
    use ratatui::buffer::Buffer;
    let area = next.area;
    let width = usize::from(area.width);
    if prev.area != area || width == 0 {
        return prev
            .diff(next)
            .into_iter()
            .map(|(x, y, c)| (x, y, c.clone()))
            .collect();
    }
    let mut updates = Vec::new();
    let rows = prev.content.chunks(width).zip(next.content.chunks(width));
    for (y, (a, b)) in (area.top()..).zip(rows) {
        if a.iter().zip(b).all(|(p, n)| same_cell(p, n)) {
            continue;
        }
        let row = ratatui::layout::Rect::new(area.x, y, area.width, 1);
        let (a, b) = (
            Buffer {
                area: row,
                content: a.to_vec(),
            },
            Buffer {
                area: row,
                content: b.to_vec(),
            },
        );
        updates.extend(a.diff(&b).into_iter().map(|(x, y, c)| (x, y, c.clone())));
    }
    updates
}

/// Whether two cells are the same in every field `Cell`'s own equality
/// looks at (so true here means equal there), checked in the order that
/// fails fastest: styles are small integers, and a symbol of a byte or
/// three is compared in place rather than through a `memcmp` call. A third
/// of a streaming frame's instructions went to comparing cells.
#[allow(deprecated)] // `skip` is compared because `Cell::eq` compares it
fn same_cell(a: &ratatui::buffer::Cell, b: &ratatui::buffer::Cell) -> bool {
    a.fg == b.fg
        && a.bg == b.bg
        && a.modifier == b.modifier
        && a.underline_color == b.underline_color
        && a.diff_option == b.diff_option
        && a.skip == b.skip
        && {
            let (x, y) = (a.symbol().as_bytes(), b.symbol().as_bytes());
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p == q)
        }
}

/// `buf`'s rows in `region` moved up by `lines`, blank rows coming in at the
/// bottom: what the terminal does when that region scrolls.
fn shift_up(buf: &mut ratatui::buffer::Buffer, region: ratatui::layout::Rect, lines: u16) {
    let area = buf.area;
    let region = region.intersection(area);
    for y in region.top()..region.bottom() {
        for x in area.left()..area.right() {
            let from = y + lines;
            let cell = if from < region.bottom() {
                buf[(x, from)].clone()
            } else {
                ratatui::buffer::Cell::default()
            };
            buf[(x, y)] = cell;
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Cell;
    use ratatui::style::{Color, Modifier};

    use super::same_cell;

    /// `same_cell` may only say "same" where `Cell`'s equality does: a row
    /// it passes over must really be unchanged.
    #[test]
    fn same_cell_agrees_with_cell_equality() {
        let mut cells = Vec::new();
        for sym in [" ", "a", "b", "é", "日", "ab"] {
            for fg in [Color::Reset, Color::Red, Color::Rgb(1, 2, 3)] {
                for m in [Modifier::empty(), Modifier::BOLD] {
                    let mut c = Cell::new(sym);
                    c.set_fg(fg).modifier = m;
                    cells.push(c.clone());
                    c.set_bg(Color::Indexed(4));
                    cells.push(c);
                }
            }
        }
        cells.push(Cell::EMPTY);
        for a in &cells {
            for b in &cells {
                assert_eq!(same_cell(a, b), a == b, "{a:?} against {b:?}");
            }
        }
    }
}
