//! What reaches the terminal: frames of a streaming answer written by the
//! painter (scrolling the pane when it moved up, then only the cells that
//! still differ) are read back through a terminal emulator (vt100), and at
//! every frame the emulated screen is the screen a full redraw shows. The
//! bytes it takes are a fraction of redrawing the pane each time.

mod common;

use common::{SharedBuf, key, new_app, screen, type_text};
use crossterm::event::KeyCode;
use orchat::api::sse::StreamEvent;
use orchat::app::{App, Effect, Msg, update};
use orchat::config::theme::Theme;
use orchat::term::screen::Painter;
use orchat::ui::View;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

const W: u16 = 120;
const H: u16 = 40;

/// The app asking, and the turn its answer streams under.
fn asking() -> (App, u64) {
    let mut app = new_app();
    type_text(&mut app, "tell me a long story");
    let fx = update(&mut app, key(KeyCode::Enter));
    let turn = fx
        .iter()
        .find_map(|e| match e {
            Effect::Start { turn, .. } => Some(*turn),
            _ => None,
        })
        .unwrap();
    (app, turn)
}

/// The emulated screen, a line a row, trimmed as `common::screen` trims.
fn emulated(p: &vt100::Parser) -> String {
    let mut out = String::new();
    for row in p.screen().rows(0, W) {
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out
}

/// How frames are written.
#[derive(Clone, Copy, PartialEq)]
enum Way {
    /// The painter: scroll the pane when it moved, then the cells that differ.
    Painter,
    /// ratatui's own diff against the last frame.
    Diff,
}

/// Streams 1,200 words, one an event, a frame every 4 events; returns the
/// bytes written, checking the emulated screen against a full render at
/// every frame.
fn stream(way: Way) -> usize {
    let (mut app, turn) = asking();
    let out = SharedBuf::default();
    let mut term = Terminal::with_options(
        CrosstermBackend::new(out.clone()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, W, H)),
        },
    )
    .unwrap();
    let mut painter = Painter::default();
    let mut view = View::new();
    let theme = Theme::dark();
    let mut vt = vt100::Parser::new(H, W, 0);
    let words = [
        "stream", "token", "orchat", "gemini", "cost", "meter", "flash", "pro",
    ];
    let mut frames = 0;
    let mut bytes = 0;
    for i in 0..1_200 {
        let mut w = words[i % words.len()].to_string();
        w.push(if i % 97 == 96 { '\n' } else { ' ' });
        if i % 193 == 192 {
            w.push('\n'); // A new paragraph now and then.
        }
        update(
            &mut app,
            Msg::Stream {
                turn,
                event: StreamEvent::Content(w),
            },
        );
        if i % 4 != 3 {
            continue;
        }
        update(&mut app, Msg::Tick(i as u64 * 10));
        match way {
            Way::Painter => {
                painter.draw(&mut term, &app, &mut view, &theme).unwrap();
                ratatui::backend::Backend::flush(term.backend_mut()).unwrap();
            }
            Way::Diff => {
                term.draw(|f| orchat::ui::draw(f, &app, &mut view, &theme))
                    .unwrap();
            }
        }
        frames += 1;
        bytes += out.0.borrow().len();
        vt.process(&out.0.borrow());
        out.0.borrow_mut().clear();
        assert_eq!(
            emulated(&vt),
            screen(&app, W, H),
            "frame {frames}, after word {i}"
        );
    }
    assert_eq!(frames, 300);
    bytes
}

#[test]
fn every_frame_on_the_terminal_is_the_frame_drawn_and_scrolling_saves_bytes() {
    let painted = stream(Way::Painter);
    let diffed = stream(Way::Diff);
    // About 52 KB against 250 KB: each new line no longer rewrites the pane.
    assert!(
        painted * 3 < diffed,
        "scrolling the pane: {painted} bytes against {diffed} for the plain diff"
    );
}
