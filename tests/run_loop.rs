//! The whole app through the real loop (`runtime::run`) on ratatui's
//! `TestBackend`: keys go in as terminal events, frames come out, against
//! the local server. What the loop itself does is tested here: drawing when
//! something changed and not otherwise, stream events batched into frames,
//! resizes, quitting, and the store flushed on the way out.

mod common;

use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use orchat::api::ChatClient;
use orchat::app::App;
use orchat::chat::answer::Status;
use orchat::config::theme::Theme;
use orchat::runtime::{RunOptions, Screen};
use orchat::server::ServerOptions;
use orchat::ui::View;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

/// A `TestBackend` screen that hands each frame to the test as text.
struct TestScreen {
    terminal: Terminal<TestBackend>,
    frames: mpsc::UnboundedSender<Frame>,
    drawn: Rc<Cell<usize>>,
}

/// One frame: its size and its text, a line a row.
#[derive(Debug, Clone)]
struct Frame {
    width: u16,
    height: u16,
    text: String,
}

impl Screen<TestBackend> for TestScreen {
    fn terminal(&mut self) -> &mut Terminal<TestBackend> {
        &mut self.terminal
    }

    fn resized(&mut self, width: u16, height: u16) -> io::Result<()> {
        self.terminal.backend_mut().resize(width, height);
        Ok(())
    }

    fn draw(&mut self, app: &App, view: &mut View, theme: &Theme) -> io::Result<()> {
        self.terminal
            .draw(|f| orchat::ui::draw(f, app, view, theme))
            .map_err(orchat::runtime::backend_error)?;
        self.drawn.set(self.drawn.get() + 1);
        let buf = self.terminal.backend().buffer();
        let (w, h) = (buf.area.width, buf.area.height);
        let text = common::buffer_text(buf);
        let _ = self.frames.send(Frame {
            width: w,
            height: h,
            text,
        });
        Ok(())
    }
}

/// The app running in the loop, and the test's ends of it.
struct Running {
    keys: mpsc::UnboundedSender<io::Result<Event>>,
    frames: mpsc::UnboundedReceiver<Frame>,
    drawn: Rc<Cell<usize>>,
    last: Option<Frame>,
}

impl Running {
    fn press(&self, code: KeyCode, mods: KeyModifiers) {
        let _ = self.keys.send(Ok(Event::Key(KeyEvent::new(code, mods))));
    }

    fn type_text(&self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    /// Frames until one shows what `done` wants (or 20 s pass).
    async fn until(&mut self, what: &str, done: impl Fn(&Frame) -> bool) -> Frame {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.frames.recv()).await {
                Ok(Some(f)) => {
                    self.last = Some(f.clone());
                    if done(&f) {
                        return f;
                    }
                }
                _ => panic!(
                    "no frame showed {what}; the last:\n{}",
                    self.last.as_ref().map_or("(none)", |f| f.text.as_str())
                ),
            }
        }
    }

    /// Frames drawn in the next `ms` milliseconds.
    async fn frames_within(&mut self, ms: u64) -> usize {
        let before = self.drawn.get();
        tokio::time::sleep(Duration::from_millis(ms)).await;
        while let Ok(f) = self.frames.try_recv() {
            self.last = Some(f);
        }
        self.drawn.get() - before
    }
}

/// Starts the app at `w`×`h` against a local server with `opts`; `test`
/// drives it and must end it (a quit key); returns the app as the loop left it.
async fn with_app<F>(w: u16, h: u16, opts: ServerOptions, test: F) -> App
where
    F: AsyncFnOnce(&mut Running),
{
    let server = orchat::server::start(opts).await.unwrap();
    let client = ChatClient::new(common::driver_config(&server.base_url())).unwrap();
    let (frames_tx, frames) = mpsc::unbounded_channel();
    let drawn = Rc::new(Cell::new(0));
    let mut screen = TestScreen {
        terminal: Terminal::new(TestBackend::new(w, h)).unwrap(),
        frames: frames_tx,
        drawn: drawn.clone(),
    };
    let (keys, mut events) = mpsc::unbounded_channel();
    let events = futures_util::stream::poll_fn(move |cx| events.poll_recv(cx));
    let mut running = Running {
        keys,
        frames,
        drawn,
        last: None,
    };
    let app = common::new_app();
    let run = orchat::runtime::run(app, client, RunOptions::default(), &mut screen, events);
    let (app, ()) = tokio::join!(run, test(&mut running));
    app.expect("the loop ends cleanly").app
}

fn last_answer(app: &App) -> &orchat::chat::answer::Answer {
    common::answers(app).pop().expect("an answer")
}

/// A question asked and answered through the loop, the screen read at the
/// end at both sizes; Ctrl+C asks before quitting and `y` quits.
#[tokio::test]
async fn a_question_is_answered_through_the_loop_at_both_sizes() {
    for (w, h) in [(120u16, 40u16), (80, 24)] {
        let app = with_app(w, h, ServerOptions::default(), async |r: &mut Running| {
            r.until("the first frame", |f| f.text.contains("orchat"))
                .await;
            r.type_text("hello there");
            r.press(KeyCode::Enter, KeyModifiers::NONE);
            // The final state, not a prefix of it: the waiting frame already
            // has the answer's header, and the box's placeholder says
            // "Type a message". Only the ended answer says how its cost is
            // known, and only an idle box is titled "message".
            let end = r
                .until("the finished answer", |f| {
                    f.text.contains("▌ google/gemini-2.5-flash")
                        && f.text.contains("reported")
                        && f.text.contains("┌ message ")
                })
                .await;
            assert_eq!((end.width, end.height), (w, h));
            // The cost settles on what the server reported.
            assert!(end.text.contains("reported"), "{}", end.text);
            insta::assert_snapshot!(format!("answered_{w}x{h}"), end.text);
            r.press(KeyCode::Char('c'), KeyModifiers::CONTROL);
            r.until("the quit question", |f| f.text.contains("Quit orchat?"))
                .await;
            r.press(KeyCode::Char('y'), KeyModifiers::NONE);
        })
        .await;
        assert_eq!(last_answer(&app).status, Status::Complete);
        assert_eq!(common::prompts(&app), ["hello there"]);
    }
}

/// A resize redraws the whole screen at the new size; the conversation is
/// kept and laid out again.
#[tokio::test]
async fn a_resize_redraws_at_the_new_size() {
    with_app(
        120,
        40,
        ServerOptions::default(),
        async |r: &mut Running| {
            r.type_text("a question");
            r.press(KeyCode::Enter, KeyModifiers::NONE);
            r.until("the answer", |f| {
                f.text.contains("┌ message ") && f.text.contains("reported")
            })
            .await;
            let _ = r.keys.send(Ok(Event::Resize(80, 24)));
            let small = r
                .until("a frame at 80x24", |f| (f.width, f.height) == (80, 24))
                .await;
            let rows: Vec<&str> = small.text.lines().collect();
            assert_eq!(rows.len(), 24);
            assert!(
                rows[0].contains("google/gemini-2.5-flash"),
                "{}",
                small.text
            );
            assert!(
                rows[23].contains("send"),
                "the hint line is the last row:\n{}",
                small.text
            );
            assert!(
                rows.iter()
                    .all(|l| unicode_width::UnicodeWidthStr::width(*l) <= 80)
            );
            assert!(small.text.contains("▌ you"));
            let _ = r.keys.send(Ok(Event::Resize(100, 30)));
            r.until("a frame at 100x30", |f| (f.width, f.height) == (100, 30))
                .await;
            r.press(KeyCode::Char('d'), KeyModifiers::CONTROL);
        },
    )
    .await;
}

/// Frame pacing: a stream of one token per event is drawn in frames that
/// each take many events (not a frame per event); the end of the answer is
/// drawn; an idle app draws nothing; a key is drawn at once.
#[tokio::test]
async fn stream_events_are_batched_into_frames_and_idle_draws_nothing() {
    let opts = ServerOptions {
        words_per_piece: 1,
        ..ServerOptions::default()
    };
    let app = with_app(120, 40, opts, async |r: &mut Running| {
        r.until("the first frame", |_| true).await;
        let before = r.drawn.get();
        r.type_text("[[fault:long:1500]] [[fault:pace:600]] go");
        r.press(KeyCode::Enter, KeyModifiers::NONE);
        // Settled: the turn's cost is the reported one (no "≈"), the box is free.
        r.until("the end of the long answer", |f| {
            f.text.contains("┌ message ") && f.text.contains("turn $")
        })
        .await;
        let during = r.drawn.get() - before;
        // About 2.5 s of stream at 600 events a second: at most 15 frames a
        // second (and a few for the keys), far fewer than the 1,500 events.
        assert!(
            during >= 5,
            "the stream was drawn as it came: {during} frames"
        );
        assert!(during <= 120, "{during} frames for about 1,500 events");
        // Nothing moves: no frame at all.
        assert_eq!(r.frames_within(400).await, 0, "an idle app draws nothing");
        // A key is drawn at once, and alone.
        r.type_text("x");
        r.until("the key", |f| f.text.contains("│x")).await;
        assert_eq!(r.frames_within(300).await, 0);
        r.press(KeyCode::Char('d'), KeyModifiers::CONTROL);
    })
    .await;
    let a = last_answer(&app);
    assert_eq!(a.status, Status::Complete);
    assert!(
        a.text.split_whitespace().count() >= 1_000,
        "{}",
        a.text.len()
    );
    assert_eq!(app.draft(), "x", "the draft is kept as it was");
}

/// The events ending (the terminal gone) ends the loop, cancelling the
/// answer in flight, and the app comes back with what it had.
#[tokio::test]
async fn the_loop_ends_when_events_end_and_cancels_what_is_in_flight() {
    let app = with_app(80, 24, ServerOptions::default(), async |r: &mut Running| {
        r.type_text("[[fault:stall:30]] wait");
        r.press(KeyCode::Enter, KeyModifiers::NONE);
        r.until("the stream", |f| f.text.contains("streaming…"))
            .await;
        // Dropping the sender ends the event stream.
        let (dead, _) = mpsc::unbounded_channel();
        r.keys = dead;
    })
    .await;
    // The loop left while the answer was still coming: nothing was lost.
    assert!(app.is_busy());
    assert!(!last_answer(&app).text.is_empty());
    assert!(common::prompts(&app)[0].ends_with("wait"));
}

fn mouse(kind: crossterm::event::MouseEventKind, column: u16, row: u16) -> io::Result<Event> {
    Ok(Event::Mouse(crossterm::event::MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }))
}

/// The row on screen holding `text`.
fn row_of(f: &Frame, text: &str) -> u16 {
    f.text.lines().position(|l| l.contains(text)).expect(text) as u16
}

#[tokio::test(flavor = "current_thread")]
async fn the_mouse_selects_and_copies_while_the_wheel_scrolls() {
    use crossterm::event::{MouseButton, MouseEventKind as K};
    let app = with_app(
        100,
        30,
        ServerOptions::default(),
        async |r: &mut Running| {
            r.type_text("hello");
            r.press(KeyCode::Enter, KeyModifiers::NONE);
            let f = r
                .until("the answer", |f| {
                    f.text.contains("reported") && f.text.contains("Enter send")
                })
                .await;
            // Drag over the first words of a line of the answer, then release.
            let y = row_of(&f, "local demo server");
            let _ = r.keys.send(mouse(K::Down(MouseButton::Left), 2, y));
            let _ = r.keys.send(mouse(K::Drag(MouseButton::Left), 10, y));
            let _ = r.keys.send(mouse(K::Up(MouseButton::Left), 10, y));
            let f = r
                .until("the copy", |f| {
                    f.text.contains("copied the selection (9 characters)")
                })
                .await;
            // A double click on a word copies the word.
            let y = row_of(&f, "streams token by token");
            let line = f.text.lines().nth(y as usize).unwrap();
            let x = line[..line.find("token").unwrap()].chars().count() as u16;
            for _ in 0..2 {
                let _ = r.keys.send(mouse(K::Down(MouseButton::Left), x + 1, y));
                let _ = r.keys.send(mouse(K::Up(MouseButton::Left), x + 1, y));
            }
            let f = r
                .until("the word copied", |f| {
                    f.text.contains("copied the selection (5 characters)")
                })
                .await;
            // A triple click on the code block takes it whole.
            let y = row_of(&f, "fn main()");
            for _ in 0..3 {
                let _ = r.keys.send(mouse(K::Down(MouseButton::Left), 6, y));
                let _ = r.keys.send(mouse(K::Up(MouseButton::Left), 6, y));
            }
            // The block: its three lines, gutter left out.
            let code = "fn main() {\n    println!(\"hello from orchat\");\n}";
            let n = code.chars().count();
            r.until("the block copied", |f| {
                f.text
                    .contains(&format!("copied the selection ({n} characters)"))
            })
            .await;
            // The wheel still scrolls, and the selection goes with it.
            let _ = r.keys.send(mouse(K::ScrollUp, 20, 5));
            r.press(KeyCode::Char('d'), KeyModifiers::CONTROL);
        },
    )
    .await;
    assert_eq!(
        app.screen.selection, None,
        "the wheel dropped the selection"
    );
}
