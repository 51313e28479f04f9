//! What a conversation holds in memory goes when the conversation goes:
//! `/clear` (and opening another session) drops every rendered line of the
//! old one and asks the runtime to give the pages back (issue 25: a 10 MB
//! answer, then `/clear`); a huge answer keeps the lines of the chunks drawn
//! lately, not of all of it.

mod common;

use common::{Driver, key, screen_in};
use crossterm::event::KeyCode;
use orchat::server::ServerOptions;
use orchat::ui::View;

#[tokio::test]
async fn clear_drops_the_rendered_lines_of_the_old_conversation() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("a long answer [[fault:doc:3000]]");
    d.until_idle().await;
    let mut view = View::new();
    let shown = screen_in(&d.app, &mut view, 80, 24);
    assert!(
        shown.contains("That is the whole answer."),
        "the end of the answer is on screen:\n{shown}"
    );
    assert!(view.cached_entries() >= 1, "the answer's lines are kept");
    assert!(!view.released);

    d.submit("/clear");
    d.send(key(KeyCode::Esc));
    let shown = screen_in(&d.app, &mut view, 80, 24);
    assert!(!shown.contains("whole answer"), "cleared:\n{shown}");
    assert_eq!(
        view.cached_entries(),
        0,
        "nothing of the old conversation kept"
    );
    assert!(
        view.released,
        "the runtime is asked to give the memory back"
    );

    // A new conversation renders and keeps its own lines again.
    view.released = false;
    d.submit("hello again");
    d.until_idle().await;
    let shown = screen_in(&d.app, &mut view, 80, 24);
    assert!(shown.contains("hello again"), "{shown}");
    assert!(view.cached_entries() >= 1);
    assert!(!view.released, "growing does not drop anything");
}

#[tokio::test]
async fn a_huge_answer_keeps_chunks_not_lines_and_scrolls_to_its_start() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("a huge answer [[fault:doc:120000]]");
    d.until_idle().await;
    let text = common::replies(&d.app)[0].answer.text.clone();
    assert!(text.len() > 256 * 1024, "{} bytes", text.len());
    let mut view = View::new();
    let shown = screen_in(&d.app, &mut view, 80, 24);
    assert!(shown.contains("That is the whole answer."), "{shown}");
    // Rendered lines would keep ~2.3 times the text packed (16 times as
    // ratatui lines); cut in chunks, only the chunks drawn lately are kept.
    let kept = view.kept_bytes();
    assert!(
        kept < text.len() / 2,
        "{kept} bytes of lines kept for {} bytes of answer",
        text.len()
    );
    // Its first lines, drawn when scrolled to.
    d.send(orchat::app::Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Home,
        crossterm::event::KeyModifiers::CONTROL,
    )));
    let shown = screen_in(&d.app, &mut view, 80, 24);
    let first = text.lines().next().unwrap().trim_start_matches('#').trim();
    assert!(shown.contains(first), "{first:?} at the top:\n{shown}");
    let kept = view.kept_bytes();
    assert!(kept < text.len() / 2, "{kept} bytes kept:\n{shown}");
}
