//! The full-screen app from the command line: the app configured, the
//! store opened (a failure turns saving off, it does not stop orchat), a
//! saved conversation reopened (`--continue`, `--session`), today's spend
//! and `:free` count read, then the runtime on the real terminal.

use std::io::IsTerminal;

use super::Cli;
use super::connect::Connection;
use super::oneshot::{EXIT_FAILED, EXIT_USAGE};
use crate::app::App;
use crate::config::Config;
use crate::paths::Dirs;
use crate::store::Store;

/// The app as the command line and the configuration set it up, with
/// its store, directories and the messages it starts with; or the exit
/// code when it cannot start (shared with `--plain`).
pub struct Prepared {
    pub app: App,
    pub store: Option<Store>,
    pub dirs: Dirs,
    pub initial: Vec<crate::app::Msg>,
}

/// Runs the app until the user quits; returns the exit code.
pub async fn run(cli: &Cli, cfg: &Config, conn: Connection) -> i32 {
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "orchat: the full-screen app needs a terminal; use -p \"prompt\" for one answer, or --plain"
        );
        return EXIT_USAGE;
    }
    let Prepared {
        app,
        store,
        dirs,
        initial,
    } = match prepare(cli, cfg, &conn) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let theme = cfg.effective_theme(cli.no_color);
    let client = conn.client.clone();
    let opts = crate::runtime::RunOptions {
        theme,
        mouse: cfg.mouse && !cli.no_mouse,
        // With a key, the live model list replaces the bundled one in the background.
        // (A plain server's own list was read at the start.)
        refresh_catalog: conn.demo.is_none()
            && conn.client.config().key.is_some()
            && conn.client.config().provider.kind != crate::api::ProviderKind::Custom,
        store,
        dirs,
        // A test hook for the terminal-restore tests: panic once the app is up.
        panic_after_first_frame: std::env::var_os("ORCHAT_TEST_PANIC").is_some(),
        initial,
        ..Default::default()
    };
    match crate::runtime::run_terminal(app, client, opts).await {
        Ok(notes) => {
            for n in notes {
                eprintln!("orchat: {n}");
            }
            0
        }
        Err(e) => {
            eprintln!("orchat: {e}");
            EXIT_FAILED
        }
    }
}

/// Sets the app up from the command line and the configuration: its
/// settings, the store (a failure turns saving off), a reopened
/// conversation, `-m` after `--continue`, `--attach`, today's spend.
pub fn prepare(cli: &Cli, cfg: &Config, conn: &Connection) -> Result<Prepared, i32> {
    let mut app = App::new(conn.catalog.clone(), &conn.provider_label(), &conn.model);
    app.configure(cfg);
    // `--role`: its settings are in the configuration already; its name
    // goes in the status bar.
    app.chat.role = cli.role.clone();
    // Dates in the user's time zone (tests keep App::new's UTC).
    app.env.tz = crate::time::system_zone();
    app.env.idle_timeout_s = conn.client.config().idle_timeout.as_secs();
    app.env
        .key_env
        .clone_from(&conn.client.config().provider.key_env);
    app.env.openrouter = conn.client.config().provider.kind == crate::api::ProviderKind::OpenRouter;
    // --no-stream asks for whole answers here too (the waiting line shows
    // until one comes).
    app.chat.settings.stream = !cli.no_stream;
    // `--compare a,b` opens in compare mode.
    if !cli.compare.is_empty() {
        match super::compare::resolve(&app.env.catalog, &cli.compare) {
            Ok(models) => {
                app.chat.marked = models;
                app.chat.comparing = true;
            }
            Err(e) => {
                eprintln!("orchat: {e}");
                return Err(EXIT_USAGE);
            }
        }
    }
    let dirs = cfg.dirs();
    let store = match open_store(&dirs) {
        Ok(s) => {
            app.env.saving = s.state();
            Some(s)
        }
        Err(e) => {
            tracing::warn!("saving off: {e}");
            app.env.saving = crate::store::SaveState::Off { reason: e };
            None
        }
    };
    app.conversation.id = crate::store::new_id();
    if let Some(code) = resume(cli, store.as_ref(), &mut app) {
        return Err(code);
    }
    // A reopened conversation goes on with its last model, unless -m says
    // otherwise: then it switches, and says so.
    let mut initial = Vec::new();
    if (cli.continue_last || cli.session.is_some())
        && let Some(m) = &cli.model
    {
        initial.push(crate::app::Msg::UseModel(m.clone()));
    }
    // `--attach`: in the box, as /attach puts them (refusals shown in the
    // conversation).
    let kept_in = crate::paths::Dirs::platform().attachments();
    for arg in &cli.images {
        let loaded = crate::chat::attach::load(arg);
        if let (Ok(a), Some(dir)) = (&loaded, kept_in.as_deref()) {
            let _ = crate::chat::attach::keep(dir, a);
        }
        initial.push(crate::app::Msg::Attached(loaded));
    }
    if let Some(s) = &store {
        // Today's spend so far (UTC day), for the daily budget, and today's
        // requests to `:free` models.
        let now = crate::store::now_ms();
        let midnight = now / 86_400_000 * 86_400_000;
        app.wallet.budget.spent_before = s.spent_since(midnight).unwrap_or_default();
        app.wallet.free_day = crate::store::utc_day(now);
        app.wallet.free_today = s.free_requests(&app.wallet.free_day).unwrap_or_default();
    }
    Ok(Prepared {
        app,
        store,
        dirs,
        initial,
    })
}

/// Opens the session store, read-only when it cannot be written (saved
/// conversations can still be reopened); a failure turns saving off (said
/// in the status bar), it does not stop orchat.
fn open_store(dirs: &Dirs) -> Result<Store, String> {
    let path = dirs
        .sessions_db()
        .ok_or("no data directory to save conversations in (set ORCHAT_DATA_DIR)")?;
    Store::open_or_read_only(&path).map_err(|e| e.to_string())
}

/// `--continue` / `--session ID`: loads the conversation into the app.
/// Returns an exit code when it cannot.
fn resume(cli: &Cli, store: Option<&Store>, app: &mut App) -> Option<i32> {
    if !cli.continue_last && cli.session.is_none() {
        return None;
    }
    let Some(store) = store else {
        eprintln!(
            "orchat: cannot reopen a conversation: {}",
            app.env.saving.reason().unwrap_or("saving is off")
        );
        return Some(EXIT_FAILED);
    };
    let id = match &cli.session {
        Some(prefix) => match store.ids_with_prefix(prefix) {
            Ok(ids) if ids.len() == 1 => ids[0].clone(),
            Ok(ids) if ids.is_empty() => {
                eprintln!(
                    "orchat: no saved conversation {prefix} (orchat sessions list shows them)"
                );
                return Some(EXIT_FAILED);
            }
            Ok(_) => {
                eprintln!("orchat: {prefix} matches several conversations; give more of the id");
                return Some(EXIT_USAGE);
            }
            Err(e) => {
                eprintln!("orchat: {e}");
                return Some(EXIT_FAILED);
            }
        },
        None => match store.last_id() {
            Ok(Some(id)) => id,
            Ok(None) => return None, // Nothing saved yet: a new conversation.
            Err(e) => {
                eprintln!("orchat: {e}");
                return Some(EXIT_FAILED);
            }
        },
    };
    match crate::runtime::load_session(store, &id) {
        Ok(saved) => {
            app.restore(&saved);
            None
        }
        Err(e) => {
            eprintln!("orchat: {e}");
            Some(EXIT_FAILED)
        }
    }
}
