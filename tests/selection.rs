//! The mouse selection as drawn: highlighted cells, the text read back
//! without the indent or a code block's gutter, words and blocks.

mod common;

use orchat::app::{SelectUnit, Selection};
use ratatui::style::Modifier;

fn app_with_answer() -> orchat::app::App {
    let mut app = common::new_app();
    let p = app.conversation.add_prompt(
        orchat::app::conversation::Prompt {
            text: "show me".into(),
            images: Vec::new(),
            model: "google/gemini-2.5-flash".into(),
        },
        None,
        0,
    );
    let mut a = orchat::chat::answer::Answer::new("google/gemini-2.5-flash", 10, 0);
    a.text = "First paragraph with several words.\n\n```rust\nfn main() {\n    println!(\"hi\");\n}\n```\n\nLast line.".into();
    a.status = orchat::chat::answer::Status::Complete;
    let [(_, id)] = app.conversation.ask(p, vec![a], 0, 0)[..] else {
        unreachable!()
    };
    app.conversation.ended(id);
    app
}

fn draw(app: &orchat::app::App) -> (ratatui::buffer::Buffer, orchat::ui::View) {
    let mut view = orchat::ui::View::new();
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    t.draw(|f| orchat::ui::draw(f, app, &mut view, &orchat::config::theme::Theme::dark()))
        .unwrap();
    (t.backend().buffer().clone(), view)
}

fn row(buf: &ratatui::buffer::Buffer, text: &str) -> u16 {
    common::buffer_text(buf)
        .lines()
        .position(|l| l.contains(text))
        .expect(text) as u16
}

fn select(app: &mut orchat::app::App, anchor: (u16, u16), head: (u16, u16), unit: SelectUnit) {
    app.screen.selection = Some(Selection {
        anchor,
        head,
        unit,
        done: true,
        copied: false,
    });
}

#[test]
fn a_drag_reads_the_text_across_lines_and_highlights_it() {
    let mut app = app_with_answer();
    let (buf, _) = draw(&app);
    let y = row(&buf, "First paragraph");
    let code = row(&buf, "fn main()");
    select(&mut app, (8, y), (9, code + 1), SelectUnit::Char);
    let (buf, view) = draw(&app);
    assert_eq!(
        view.selection_text.as_deref(),
        Some("paragraph with several words.\n\nfn main() {\n    pri")
    );
    assert!(buf[(8, y)].modifier.contains(Modifier::REVERSED));
    assert!(!buf[(7, y)].modifier.contains(Modifier::REVERSED));
    // The indent and the gutter are never selected.
    assert!(!buf[(0, code)].modifier.contains(Modifier::REVERSED));
    assert!(
        !buf[(2, code)].modifier.contains(Modifier::REVERSED),
        "the gutter"
    );
}

#[test]
fn a_double_click_takes_a_word_and_a_triple_click_a_block() {
    let mut app = app_with_answer();
    let (buf, _) = draw(&app);
    let y = row(&buf, "First paragraph");
    let x = common::buffer_text(&buf)
        .lines()
        .nth(y as usize)
        .unwrap()
        .find("several")
        .unwrap() as u16;
    select(&mut app, (x + 2, y), (x + 2, y), SelectUnit::Word);
    assert_eq!(draw(&app).1.selection_text.as_deref(), Some("several"));
    let code = row(&buf, "println");
    select(&mut app, (6, code), (6, code), SelectUnit::Block);
    assert_eq!(
        draw(&app).1.selection_text.as_deref(),
        Some("fn main() {\n    println!(\"hi\");\n}")
    );
    // A click on a blank row selects nothing.
    select(&mut app, (5, y + 1), (5, y + 1), SelectUnit::Word);
    assert_eq!(draw(&app).1.selection_text, None);
}

#[test]
fn dragging_past_the_pane_scrolls_and_a_click_is_no_selection() {
    use orchat::app::{MouseKind, Msg, update};
    let mut app = app_with_answer();
    let pane = ratatui::layout::Rect::new(0, 1, 80, 18);
    let m = |kind, x, y| Msg::Mouse { kind, x, y, pane };
    update(&mut app, m(MouseKind::Down, 5, 5));
    update(&mut app, m(MouseKind::Up, 5, 5));
    assert_eq!(app.screen.selection, None, "a click selects nothing");
    update(&mut app, Msg::Tick(2_000));
    update(&mut app, m(MouseKind::Down, 5, 5));
    let before = app.screen.scroll.lines;
    update(&mut app, m(MouseKind::Drag, 9, 0));
    assert_eq!(app.screen.scroll.lines, before - 1, "past the top: up");
    update(&mut app, m(MouseKind::Drag, 9, 30));
    assert_eq!(app.screen.scroll.lines, before, "past the bottom: down");
    let sel = app.screen.selection.unwrap();
    assert_eq!(sel.head, (9, 18), "kept inside the pane");
    // The wheel scrolls and the selection goes.
    update(&mut app, Msg::Scroll(1));
    assert_eq!(app.screen.selection, None);
}
