//! Drawing. The screen is a function of `&App`: a status bar (provider,
//! model, context gauge, cost meter), the conversation, the input box, a
//! one-line hint, and whichever overlay is open.

mod answer;
mod chrome;
pub mod columns;
pub mod compare;
pub mod conversation;
pub mod images;
pub mod overlays;
pub mod paint;
mod rendered;
mod selection;
pub mod view;

pub use answer::cost_label;
pub use paint::{draw_lines, short_count};
pub use view::View;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::{App, Mode};
use crate::config::theme::Theme;

/// Draws the whole screen for `app`; `view` keeps what the screen
/// remembers between frames (scroll, caches).
pub fn draw(f: &mut Frame, app: &App, view: &mut View, theme: &Theme) {
    view.follow(&app.conversation.id, app.conversation.tree().len());
    let area = f.area();
    let input_lines = app.composer.input.lines().len().clamp(1, 6) as u16;
    let chips_height = chrome::chip_rows(app, area.width).len() as u16;
    let [status, body, chips, input, hint] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(chips_height),
        Constraint::Length(input_lines + 2),
        Constraint::Length(1),
    ])
    .areas(area);
    chrome::status(f, app, theme, status);
    match app.conversation.open_ask() {
        Some(open) => compare::draw(f, app, view, theme, open, body),
        None => {
            conversation::draw(f, app, view, theme, body);
            view.pane = body;
            view.selection_text = selection::paint(f.buffer_mut(), app, body);
        }
    }
    chrome::chips(f, app, theme, chips);
    chrome::input(f, app, theme, input);
    chrome::hint(f, app, theme, hint);
    // Overlays stay above the input box: they never cover its border, and
    // the status bar stays in view.
    let area = Rect {
        y: body.y,
        height: body.height + chips.height,
        ..area
    };
    match &app.screen.mode {
        Mode::Chat => {}
        Mode::Picker(p) => overlays::picker(f, app, theme, p, area),
        Mode::Cost => overlays::cost(f, app, theme, area),
        Mode::Help => overlays::help(f, app, theme, area),
        Mode::ConfirmQuit => overlays::confirm_quit(f, app, theme, area),
        Mode::ConfirmSend { reason } => overlays::confirm_send(f, app, theme, reason, area),
        Mode::ConfirmCommand { command } => overlays::confirm_command(f, app, theme, command, area),
        Mode::ConfirmContext {
            needed,
            window,
            drop,
        } => overlays::confirm_context(f, app, theme, (*needed, *window, *drop), area),
        Mode::Attach { .. } => {}
        Mode::Sessions(s) => overlays::sessions(f, app, theme, s, area),
        Mode::ConfirmRescue => overlays::confirm_rescue(f, app, theme, area),
        Mode::Tree(t) => overlays::tree(f, app, theme, t, area),
    }
}
