//! The one event loop. Terminal events, stream events and a frame deadline
//! become `Msg`s; `update` turns them into state and effects; this is the
//! only place effects (requests, cancels) are carried out. Frames are drawn
//! at most ~60 times a second and only when something changed; with nothing
//! moving, the loop sleeps without timers.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream, KeyEventKind, MouseEventKind};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::api::ChatClient;
use crate::app::{App, Effect, Msg, update};
use crate::ui::theme::Theme;

const FRAME: Duration = Duration::from_millis(16);
/// While waiting or streaming, the spinner and elapsed time move this often.
const ANIMATION: Duration = Duration::from_millis(100);

/// Carries out effects: spawns a task per request that sends its events
/// back as messages tagged with the turn, and aborts it on cancel.
pub struct Effects {
    client: ChatClient,
    tx: mpsc::UnboundedSender<Msg>,
    tasks: HashMap<u64, tokio::task::AbortHandle>,
}

impl Effects {
    pub fn new(client: ChatClient, tx: mpsc::UnboundedSender<Msg>) -> Effects {
        Effects {
            client,
            tx,
            tasks: HashMap::new(),
        }
    }

    /// Runs the effects; returns true when one asks to quit.
    pub fn run(&mut self, effects: Vec<Effect>) -> bool {
        let mut quit = false;
        for e in effects {
            match e {
                Effect::Start { turn, request } => {
                    let mut stream = self.client.send(*request);
                    let tx = self.tx.clone();
                    let task = tokio::spawn(async move {
                        while let Some(ev) = stream.next().await {
                            let msg = match ev {
                                Ok(event) => Msg::Stream { turn, event },
                                Err(error) => Msg::Failed { turn, error },
                            };
                            if tx.send(msg).is_err() {
                                return;
                            }
                        }
                        let _ = tx.send(Msg::Ended { turn });
                    });
                    self.tasks.retain(|_, t| !t.is_finished());
                    self.tasks.insert(turn, task.abort_handle());
                }
                Effect::Cancel { turn } => {
                    // Aborting drops the stream, which closes the connection.
                    if let Some(t) = self.tasks.remove(&turn) {
                        t.abort();
                    }
                }
                Effect::LoadAttachment(arg) => {
                    // File IO off the UI thread: a big file must not freeze the screen.
                    let tx = self.tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let _ = tx.send(Msg::Attached(crate::attach::load(&arg)));
                    });
                }
                Effect::SaveImages {
                    turn,
                    folder,
                    stem,
                    images,
                } => {
                    let tx = self.tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let paths = save_images(&folder, &stem, &images);
                        let _ = tx.send(Msg::ImagesSaved { turn, paths });
                    });
                }
                Effect::Open(path) => open_with_system_viewer(&path),
                Effect::Quit => quit = true,
            }
        }
        quit
    }

    pub fn cancel_all(&mut self) {
        for (_, t) in self.tasks.drain() {
            t.abort();
        }
    }
}

/// Saves each generated image under `data_dir/images/<folder>/`.
pub fn save_images(folder: &str, stem: &str, images: &[String]) -> Vec<Result<String, String>> {
    let Some(dir) = crate::paths::data_dir().map(|d| d.join("images").join(folder)) else {
        return vec![Err("no data directory".into()); images.len()];
    };
    images
        .iter()
        .enumerate()
        .map(|(n, url)| {
            crate::images::save_data_url(url, &dir, &format!("{stem}-{}", n + 1))
                .map(|p| p.display().to_string())
        })
        .collect()
}

/// Hands a file to the desktop's viewer (xdg-open, or open on macOS),
/// detached, with its output discarded so it cannot draw over the app.
fn open_with_system_viewer(path: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let result = std::process::Command::new(opener)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = result {
        tracing::info!(error = %e, "cannot start {opener}");
    }
}

/// Applies one message at the current time and runs its effects.
pub fn step(app: &mut App, fx: &mut Effects, start: Instant, msg: Msg) -> bool {
    update(app, Msg::Tick(start.elapsed().as_millis() as u64));
    let effects = update(app, msg);
    fx.run(effects)
}

fn to_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
        Event::Paste(s) => Some(Msg::Paste(s)),
        Event::Resize(..) => Some(Msg::Resize),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => Some(Msg::Scroll(-1)),
            MouseEventKind::ScrollDown => Some(Msg::Scroll(1)),
            _ => None,
        },
        _ => None,
    }
}

/// Runs the full-screen app until the user quits or a signal arrives.
pub async fn run(
    mut app: App,
    client: ChatClient,
    theme: Theme,
    mouse: bool,
    refresh_catalog: bool,
) -> std::io::Result<()> {
    if let Some(picker) = crate::ui::images::detect_picker() {
        app.images.get_mut().set_picker(picker);
    }
    let mut guard = crate::tui::init(mouse)?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    if refresh_catalog {
        // In the background: the bundled or cached catalog is in use meanwhile.
        let (client, tx) = (client.clone(), tx.clone());
        tokio::spawn(async move {
            let cache = crate::catalog::cache_path();
            if let Some(c) = crate::catalog::refresh(&client, cache.as_deref()).await {
                let _ = tx.send(Msg::Catalog(Box::new(c)));
            }
        });
    }
    let mut fx = Effects::new(client, tx);
    let mut events = EventStream::new();
    let start = Instant::now();
    let mut term = signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hup = signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    loop {
        if dirty && last_draw.elapsed() >= FRAME {
            update(&mut app, Msg::Tick(start.elapsed().as_millis() as u64));
            draw(&mut guard, &app, &theme)?;
            dirty = false;
            last_draw = Instant::now();
        }
        let deadline = if dirty {
            Some(last_draw + FRAME)
        } else if app.is_busy() {
            Some(Instant::now() + ANIMATION)
        } else {
            None // Idle: no timer at all.
        };
        let mut quit = false;
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    if let Some(msg) = to_msg(ev) {
                        quit = step(&mut app, &mut fx, start, msg);
                    }
                    dirty = true;
                }
                Some(Err(_)) | None => quit = true,
            },
            Some(msg) = rx.recv() => {
                quit = step(&mut app, &mut fx, start, msg);
                // Drain what else is queued, then draw once.
                while let Ok(m) = rx.try_recv() {
                    quit |= step(&mut app, &mut fx, start, m);
                }
                dirty = true;
            },
            _ = sleep_until(deadline), if deadline.is_some() => {
                dirty = true;
            },
            _ = term.recv() => quit = true,
            _ = hup.recv() => quit = true,
        }
        if quit || app.quit {
            break;
        }
    }
    fx.cancel_all();
    drop(guard);
    Ok(())
}

fn signal(kind: tokio::signal::unix::SignalKind) -> std::io::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(kind)
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(d) = deadline {
        tokio::time::sleep_until(d.into()).await;
    }
}

fn draw(guard: &mut crate::tui::Guard, app: &App, theme: &Theme) -> std::io::Result<()> {
    use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
    // Synchronized update: the terminal shows whole frames, never half of one.
    crossterm::queue!(guard.terminal.backend_mut(), BeginSynchronizedUpdate)?;
    guard.terminal.draw(|f| crate::ui::draw(f, app, theme))?;
    crossterm::execute!(guard.terminal.backend_mut(), EndSynchronizedUpdate)?;
    Ok(())
}
