//! The one event loop. Terminal events, stream events and a frame deadline
//! become `Msg`s; `update` turns them into state and effects; `effects`
//! carries the effects out. Frames are drawn only when something changed:
//! within 16 ms of a key or of the end of an answer, at most 15 times a
//! second while an answer streams (stream events are applied as they come;
//! only drawing waits); with nothing moving, the loop sleeps without timers.
//!
//! `run` is generic over ratatui's `Backend` through `Screen`, and takes its
//! terminal events as a stream: the real terminal (`run_terminal`) and the
//! whole-app tests (a `TestBackend` and a channel of events) go through the
//! same loop, frame pacing and resizes included.

pub mod effects;
mod memory;
mod shell;

use std::io;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyEventKind, MouseEventKind};
use futures_util::{Stream, StreamExt};
use ratatui::backend::Backend;
use tokio::sync::mpsc;

use crate::api::ChatClient;
use crate::app::{App, Msg, update};
use crate::config::theme::Theme;
use crate::paths::Dirs;
use crate::store::Store;
use crate::ui::View;

pub use crate::term::screen::{Screen, backend_error};
pub use effects::{Effects, LoopRequest, load_session, save_images};
pub use shell::{complete_path, run_command};

const FRAME: Duration = Duration::from_millis(16);
/// The shortest gap between frames that only show more of a stream: 15 a
/// second, a few words each at 100 tokens a second, still reads as smooth,
/// and drawing is most of what a paced stream costs (BENCHMARKS.md, "One
/// token an event": at 100 tokens a second, a whole stream cost 1.4% of a
/// core at 25 frames a second, 1.0% at 15 with the cheaper frames).
const STREAM_FRAME: Duration = Duration::from_millis(66);
/// While waiting or streaming, the spinner and elapsed time move this often.
const ANIMATION: Duration = Duration::from_millis(100);

/// Applies one message at the current time and runs its effects; returns
/// what they ask of the loop.
pub fn step(app: &mut App, fx: &mut Effects, start: Instant, msg: Msg) -> LoopRequest {
    let mut effects = update(app, Msg::Tick(start.elapsed().as_millis() as u64));
    effects.extend(update(app, msg));
    let asked = fx.run(effects);
    // The conversation on screen is this process's: held against another
    // orchat writing it too.
    fx.hold(&app.conversation.id);
    asked
}

/// How long quitting waits for changes still queued for saving (the
/// database locked by another program, say) before it keeps them in a file.
pub const QUIT_PATIENCE: Duration = Duration::from_secs(3);

/// The app as the loop left it, and what to tell the user once the
/// terminal is theirs again (changes that could not be saved, and where
/// they were kept instead).
pub struct Ended {
    pub app: App,
    pub notes: Vec<String>,
}

/// A terminal event as the app's message (`None`: nothing it reads);
/// mouse buttons are read in the conversation pane as last drawn.
fn to_msg(ev: Event, pane: ratatui::layout::Rect) -> Option<Msg> {
    use crate::app::MouseKind;
    use crossterm::event::MouseButton;
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
        Event::Paste(s) => Some(Msg::Paste(s)),
        Event::Resize(..) => Some(Msg::Resize),
        Event::Mouse(m) => {
            let kind = match m.kind {
                MouseEventKind::ScrollUp => return Some(Msg::Scroll(-1)),
                MouseEventKind::ScrollDown => return Some(Msg::Scroll(1)),
                MouseEventKind::Down(MouseButton::Left) => MouseKind::Down,
                MouseEventKind::Drag(MouseButton::Left) => MouseKind::Drag,
                MouseEventKind::Up(MouseButton::Left) => MouseKind::Up,
                _ => return None,
            };
            Some(Msg::Mouse {
                kind,
                x: m.column,
                y: m.row,
                pane,
            })
        }
        _ => None,
    }
}

/// How the full-screen app runs.
#[derive(Default)]
pub struct RunOptions {
    pub theme: Theme,
    /// Capture the mouse (wheel scrolling); off leaves native selection
    /// (the real terminal only).
    pub mouse: bool,
    /// Fetch the live model list in the background.
    pub refresh_catalog: bool,
    /// Where conversations are saved; `None` when saving is off.
    pub store: Option<Store>,
    /// Where generated images, the model cache and the log go.
    pub dirs: Dirs,
    /// How inline images are encoded (the terminal's graphics protocol);
    /// half-blocks when `None`.
    pub image_picker: Option<ratatui_image::picker::Picker>,
    /// Panic once the first frame is drawn (the terminal-restore tests).
    pub panic_after_first_frame: bool,
    /// Messages applied before the first frame (what the command line
    /// asked of a reopened conversation: `-m`).
    pub initial: Vec<Msg>,
}

/// Runs the full-screen app on the real terminal until the user quits or a
/// signal arrives: takes the terminal (restored on every way out, panics
/// included), then runs the loop on it. Returns what to say once the
/// terminal is restored.
pub async fn run_terminal(
    app: App,
    client: ChatClient,
    mut opts: RunOptions,
) -> io::Result<Vec<String>> {
    memory::keep_large_allocations_apart();
    let store = opts.store.clone();
    let log_dir = opts.dirs.state.clone();
    crate::term::guard::install_panic_hook(move || {
        // After the terminal is restored and the panic printed: whatever
        // was queued for saving is written before the process ends.
        if let Some(s) = &store {
            s.flush();
            eprintln!(
                "orchat: the conversation so far is saved in {}",
                s.path().display()
            );
        }
        if let Some(log) = &log_dir {
            eprintln!("orchat: details may be in the log under {}", log.display());
        }
    });
    let mut guard = crate::term::guard::init(opts.mouse, crate::ui::images::graphics_terminal())?;
    opts.image_picker = guard.take_picker();
    let events = crate::term::events::TermEvents::new();
    let ended = run(app, client, opts, &mut guard, events).await?;
    Ok(ended.notes)
}

/// The loop: draws on `screen`, reads `events`, until a quit (a key, the
/// events ending, SIGTERM or SIGHUP, which end as a quit does: answers
/// stopped, saved and billed). Returns the app as it ended, every request
/// cancelled and the store flushed, or what could not be saved kept in a
/// file (`Ended::notes` says where).
pub async fn run<B: Backend>(
    mut app: App,
    client: ChatClient,
    opts: RunOptions,
    screen: &mut impl Screen<B>,
    mut events: impl Stream<Item = io::Result<Event>> + Unpin,
) -> io::Result<Ended> {
    let RunOptions {
        theme,
        refresh_catalog,
        store,
        dirs,
        image_picker,
        panic_after_first_frame,
        initial,
        ..
    } = opts;
    let mut view = View::new();
    if let Some(picker) = image_picker {
        view.images.set_picker(picker);
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    if refresh_catalog {
        // In the background: the bundled or cached catalog is in use meanwhile.
        let (client, tx) = (client.clone(), tx.clone());
        let cache_dir = dirs.cache.clone();
        tokio::spawn(async move {
            let provider = &client.config().provider;
            let cache = crate::chat::catalog::cache_for(cache_dir.as_deref(), provider);
            if let Some(c) = crate::chat::catalog::refresh(&client, cache.as_deref()).await {
                let _ = tx.send(Msg::Catalog(Box::new(c)));
            }
        });
    }
    let state_dir = dirs.state.clone();
    let mut fx = Effects::new(client, tx).with_dirs(dirs).with_store(store);
    fx.hold(&app.conversation.id);
    let ended = fx.ended.clone();
    if app.env.clock_base_ms == 0 {
        app.env.clock_base_ms = crate::store::now_ms();
    }
    let start = Instant::now();
    for m in initial {
        step(&mut app, &mut fx, start, m);
    }
    let mut term = signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hup = signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut dirty = true;
    // How long after the last frame the next may come: FRAME after input or
    // the end of an answer, STREAM_FRAME when only stream events (or the
    // clock) changed things.
    let mut interval = FRAME;
    let mut last_draw = Instant::now() - FRAME;
    // An answer ended since the last frame: memory is given back after it.
    let mut answer_ended = false;
    let mut warmed = false;
    loop {
        let mut asked = LoopRequest::default();
        if dirty && last_draw.elapsed() >= interval {
            // Stream events that arrived while the frame waited go in first.
            while let Ok(m) = rx.try_recv() {
                asked.merge(step(&mut app, &mut fx, start, m));
            }
            if asked.quit {
                break;
            }
            update(&mut app, Msg::Tick(start.elapsed().as_millis() as u64));
            let drawing = Instant::now();
            screen.draw(&app, &mut view, &theme)?;
            dirty = false;
            // A finished selection: its text, as drawn, to be copied.
            if app.screen.selection.is_some_and(|s| s.done && !s.copied)
                && let Some(text) = view.selection_text.clone()
            {
                asked.merge(step(&mut app, &mut fx, start, Msg::Selected(text)));
                dirty = true;
            }
            last_draw = Instant::now();
            // A frame that took long (a huge answer still open) spaces out
            // the stream frames after it, so drawing never takes more than
            // about a tenth of a core however big the answer grows.
            interval = STREAM_FRAME.max((last_draw - drawing) * 10);
            // An answer ended, or a conversation's rendered lines were
            // dropped (`/clear`, another session): hand the pages back.
            if std::mem::take(&mut answer_ended) | std::mem::take(&mut view.released) {
                memory::give_back();
            }
            if panic_after_first_frame {
                panic!("ORCHAT_TEST_PANIC is set");
            }
            // Once the first frame is up, the grammars code blocks need
            // are compiled off the stream path (syntect compiles a
            // grammar's regexes at first use: during an answer, that is a
            // stall).
            if !warmed {
                warmed = true;
                tokio::task::spawn_blocking(crate::markdown::warm_highlighting);
            }
        }
        let deadline = if dirty {
            Some(last_draw + interval)
        } else if app.is_busy() {
            Some(Instant::now() + ANIMATION)
        } else {
            None // Idle: no timer at all.
        };
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    if let Event::Resize(w, h) = ev {
                        screen.resized(w, h)?;
                    }
                    if let Some(msg) = to_msg(ev, view.pane) {
                        asked.merge(step(&mut app, &mut fx, start, msg));
                    }
                    dirty = true;
                    interval = FRAME;
                }
                Some(Err(_)) | None => asked.quit = true,
            },
            // Messages are applied as they come, a frame pending or not: the
            // network task that sent them runs on this thread, so taking them
            // costs no wakeup of its own, and a burst never piles up in the
            // channel (20,000 queued events held megabytes). Only drawing
            // waits for the frame's time.
            Some(msg) = rx.recv() => {
                asked.merge(step(&mut app, &mut fx, start, msg));
                // Drain what else is queued, then draw once.
                while let Ok(m) = rx.try_recv() {
                    asked.merge(step(&mut app, &mut fx, start, m));
                }
                dirty = true;
            },
            _ = sleep_until(deadline), if deadline.is_some() => {
                dirty = true;
            },
            // An answer ended: its last frame comes at the input pace (its
            // events are taken from the channel when that frame is drawn).
            _ = ended.notified() => {
                dirty = true;
                interval = FRAME;
                answer_ended = true;
            },
            // A signal ends as a quit does: answers stopped, saved, billed.
            _ = term.recv() => asked.merge(step(&mut app, &mut fx, start, Msg::Terminate)),
            _ = hup.recv() => asked.merge(step(&mut app, &mut fx, start, Msg::Terminate)),
        }
        if let Some(draft) = asked.edit.take().filter(|_| !asked.quit) {
            asked.merge(edit(&mut app, &mut fx, start, screen, draft).await?);
            dirty = true;
            interval = FRAME;
        }
        if asked.quit {
            break;
        }
    }
    fx.cancel_all();
    let notes = match fx.store() {
        Some(s) => save_before_quitting(s, state_dir.as_deref()),
        None => Vec::new(),
    };
    Ok(Ended { app, notes })
}

/// Waits a little for what is still queued for saving; what cannot be
/// written (the database locked, the disk full, damaged) is kept in a file
/// of its own in the state directory, to be applied with `orchat sessions
/// import`. Returns what to tell the user.
fn save_before_quitting(store: &Store, state_dir: Option<&std::path::Path>) -> Vec<String> {
    if store.flush_within(QUIT_PATIENCE) {
        return Vec::new();
    }
    let why = store.state().line();
    let unsaved = store.take_unsaved();
    if unsaved.is_empty() {
        return Vec::new();
    }
    let n = unsaved.len();
    let text = crate::store::export::unsaved_json(&why, &unsaved);
    let name = format!("unsaved-{}.json", crate::store::now_ms());
    let path = state_dir.map_or_else(|| std::path::PathBuf::from(&name), |d| d.join(&name));
    let kept = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or(Ok(()), crate::paths::create_private_dir)
        .and_then(|()| crate::paths::write_private(&path, text.as_bytes()));
    let what = format!(
        "{n} change{} could not be saved",
        if n == 1 { "" } else { "s" }
    );
    vec![match kept {
        Ok(()) => format!(
            "{what} ({why}); they are kept in {}: orchat sessions import {} saves them once the database can be written",
            path.display(),
            path.display()
        ),
        Err(e) => format!(
            "{what} ({why}), and could not be kept in {}: {e}",
            path.display()
        ),
    }]
}

/// Edits `draft` in $VISUAL / $EDITOR: the terminal is lent to the editor,
/// on the blocking pool so a streaming answer keeps arriving (into the
/// channel) meanwhile, then taken back.
async fn edit<B: Backend>(
    app: &mut App,
    fx: &mut Effects,
    start: Instant,
    screen: &mut impl Screen<B>,
    draft: String,
) -> io::Result<LoopRequest> {
    screen.suspend()?;
    let result = tokio::task::spawn_blocking(move || crate::term::editor::edit(&draft))
        .await
        .unwrap_or_else(|e| Err(format!("the editor failed: {e}")));
    screen.resume()?;
    Ok(step(app, fx, start, Msg::Edited(result)))
}

fn signal(kind: tokio::signal::unix::SignalKind) -> io::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(kind)
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(d) = deadline {
        tokio::time::sleep_until(d.into()).await;
    }
}
