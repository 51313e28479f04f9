//! Selecting text in the conversation pane with the mouse while the wheel
//! still scrolls: press and drag selects (drawn highlighted by the view,
//! which reads the text under it), release copies it; a double click
//! selects a word, a triple click a paragraph or a code block; dragging
//! past the pane's top or bottom scrolls.

use super::effect::{Effect, Fx};
use super::msg::MouseKind;
use super::screen::{Mode, SelectUnit, Selection};
use super::state::App;

/// Clicks closer than this (app clock ms) on one cell are one double or
/// triple click.
const MULTI_CLICK_MS: u64 = 400;

pub(super) fn mouse(
    app: &mut App,
    kind: MouseKind,
    (x, y): (u16, u16),
    pane: ratatui::layout::Rect,
) {
    if app.screen.mode != Mode::Chat || pane.width == 0 || pane.height == 0 {
        return;
    }
    let inside = x >= pane.x && x < pane.right() && y >= pane.y && y < pane.bottom();
    let clamp = |x: u16, y: u16| {
        (
            x.clamp(pane.x, pane.right().saturating_sub(1)),
            y.clamp(pane.y, pane.bottom().saturating_sub(1)),
        )
    };
    match kind {
        MouseKind::Down => {
            if !inside {
                app.screen.selection = None;
                return;
            }
            let now = app.env.now_ms;
            let count = match app.screen.last_click {
                Some((t, lx, ly, n))
                    if now.saturating_sub(t) <= MULTI_CLICK_MS && (lx, ly) == (x, y) =>
                {
                    (n % 3) + 1
                }
                _ => 1,
            };
            app.screen.last_click = Some((now, x, y, count));
            let unit = match count {
                1 => SelectUnit::Char,
                2 => SelectUnit::Word,
                _ => SelectUnit::Block,
            };
            app.screen.selection = Some(Selection {
                anchor: (x, y),
                head: (x, y),
                unit,
                // A double or triple click is a whole selection at once.
                done: unit != SelectUnit::Char,
                copied: false,
            });
        }
        MouseKind::Drag => {
            let Some(sel) = app.screen.selection.as_mut() else {
                return;
            };
            // Past the edge: the pane scrolls under the selection.
            if y < pane.y {
                app.screen.scroll.lines -= 1;
            } else if y >= pane.bottom() {
                app.screen.scroll.lines += 1;
            }
            sel.head = clamp(x, y);
            sel.done = false;
            sel.copied = false;
        }
        MouseKind::Up => {
            let Some(sel) = app.screen.selection.as_mut() else {
                return;
            };
            if sel.unit == SelectUnit::Char && sel.anchor == sel.head {
                // A click, not a selection.
                app.screen.selection = None;
                return;
            }
            sel.done = true;
        }
    }
}

/// The view read the finished selection's text: copied, as Ctrl+K copies.
pub(super) fn selected(app: &mut App, text: String, fx: &mut Fx) {
    let Some(sel) = app.screen.selection.as_mut() else {
        return;
    };
    if !sel.done || sel.copied || text.trim().is_empty() {
        return;
    }
    sel.copied = true;
    let n = text.chars().count();
    fx.push(Effect::Copy {
        text,
        what: format!("the selection ({n} characters)"),
    });
}
