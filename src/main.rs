//! The orchat binary: parses arguments, then runs one-shot mode, the local
//! server, or the full-screen app.

use std::io::{IsTerminal, Read};

use clap::Parser;

use orchat::cli::oneshot::{EXIT_FAILED, EXIT_USAGE};
use orchat::cli::{Cli, Command};
use orchat::config::{Config, Flags};

fn main() {
    let cli = Cli::parse();
    // Commands that need no configuration, network or runtime.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            orchat::cli::shell::completions(*shell, &mut cmd, &mut std::io::stdout());
            return;
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let code = match orchat::cli::shell::man(cmd, &mut std::io::stdout()) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("orchat: {e}");
                    EXIT_FAILED
                }
            };
            std::process::exit(code);
        }
        Some(Command::Config { cmd }) => {
            let code =
                orchat::config::config_command(*cmd, cli.config.as_deref(), &mut std::io::stdout());
            std::process::exit(code);
        }
        _ => {}
    }
    let cfg = match load_config(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("orchat: {e}");
            std::process::exit(EXIT_USAGE);
        }
    };
    // Logs go to a file only: the screen belongs to the app.
    if let Some(dir) = cfg.state_dir()
        && let Err(e) = orchat::cli::logging::init_in(cli.log_level.as_deref(), &dir)
    {
        eprintln!("orchat: logging is off: {e}");
    }
    // One thread runs the screen, the requests and (in demo mode) the local
    // server: a streamed chunk is read, decoded and queued where it is drawn,
    // with no worker threads to wake for each one (blocking work, such as
    // files and the editor, goes to tokio's blocking pool).
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("orchat: cannot start: {e}");
            std::process::exit(EXIT_FAILED);
        }
    };
    let code = rt.block_on(run(cli, cfg));
    std::process::exit(code);
}

/// Defaults < file < environment < flags. Runs before any thread starts, so
/// the directories the file sets can be passed on through the environment.
fn load_config(cli: &Cli) -> Result<Config, String> {
    let loaded =
        Config::load_or_defaults(cli.config.as_deref(), cli.ignore_bad_config).map_err(|e| {
            format!("{e} (orchat config check explains; --ignore-bad-config uses the defaults)")
        })?;
    for w in &loaded.warnings {
        eprintln!("orchat: {w}");
    }
    if let Some(p) = &loaded.path
        && loaded.found
        && let Some(w) = orchat::config::permission_warning(p)
    {
        eprintln!("orchat: {w}");
    }
    let mut cfg = loaded.config;
    cfg.apply_flags(&Flags::from(cli))
        .map_err(|e| e.to_string())?;
    for (var, dir) in [
        ("ORCHAT_DATA_DIR", cfg.data_dir()),
        ("ORCHAT_CACHE_DIR", cfg.cache_dir()),
        ("ORCHAT_STATE_DIR", cfg.state_dir()),
    ] {
        if std::env::var_os(var).is_none()
            && let Some(d) = dir
        {
            // SAFETY: no other thread exists yet (the runtime starts later).
            unsafe { std::env::set_var(var, d) };
        }
    }
    Ok(cfg)
}

async fn run(cli: Cli, cfg: Config) -> i32 {
    if let Some(Command::Sessions { cmd }) = cli.command {
        let Some(path) = orchat::store::default_path() else {
            eprintln!("orchat: no data directory to keep conversations in");
            return EXIT_FAILED;
        };
        return tokio::task::spawn_blocking(move || orchat::cli::sessions::run(&path, cmd))
            .await
            .unwrap_or(EXIT_FAILED);
    }
    if let Some(Command::Serve {
        pace,
        free_per_minute,
    }) = &cli.command
    {
        return serve(*pace, *free_per_minute).await;
    }
    let prompt = if matches!(cli.command, Some(Command::Doctor)) {
        None
    } else {
        match one_shot_prompt(&cli) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("orchat: {e}");
                return EXIT_USAGE;
            }
        }
    };
    let conn = match orchat::cli::connect::connect(&cli, &cfg).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("orchat: {e}");
            return EXIT_USAGE;
        }
    };
    if matches!(cli.command, Some(Command::Doctor)) {
        return doctor(&cli, &cfg, &conn).await;
    }
    match prompt {
        Some(p) => orchat::cli::oneshot::run(&cli, &cfg, &conn, p).await,
        None => run_app(&cli, &cfg, conn).await,
    }
}

async fn doctor(cli: &Cli, cfg: &Config, conn: &orchat::cli::connect::Connection) -> i32 {
    let report = orchat::config::doctor_report(cli.config.as_deref());
    let source = if conn.demo.is_some() {
        None
    } else if cli.api_key_file.is_some() {
        Some("--api-key-file".to_string())
    } else if let Some(v) = &cli.api_key_env {
        Some(v.clone())
    } else {
        cfg.resolve_key(&cfg.provider)
            .ok()
            .flatten()
            .map(|(_, src)| src)
    };
    if let Some(why) = &conn.demo_reason {
        println!("warn {why}: orchat runs in demo mode against its built-in server");
    }
    orchat::cli::doctor::run(
        conn.client.config(),
        source.as_deref(),
        report,
        &mut std::io::stdout(),
    )
    .await
}

async fn run_app(cli: &Cli, cfg: &Config, conn: orchat::cli::connect::Connection) -> i32 {
    if !std::io::stdout().is_terminal() {
        eprintln!("orchat: the full-screen app needs a terminal; use -p \"prompt\" for one answer");
        return EXIT_USAGE;
    }
    let mut app = orchat::app::App::new(conn.catalog.clone(), &conn.provider_label(), &cfg.model);
    app.configure(cfg);
    app.idle_timeout_s = conn.client.config().idle_timeout.as_secs();
    app.key_env
        .clone_from(&conn.client.config().provider.key_env);
    app.openrouter = conn.client.config().provider.kind == orchat::api::ProviderKind::OpenRouter;
    let theme = cfg.effective_theme(cli.no_color);
    let store = match open_store() {
        Ok(s) => Some(s),
        Err(e) => {
            app.saving_off = Some(e);
            None
        }
    };
    app.conversation_id = orchat::store::new_id();
    if let Some(code) = resume(cli, store.as_ref(), &mut app) {
        return code;
    }
    if let Some(s) = &store {
        // Today's spend so far (UTC day), for the daily budget, and today's
        // requests to `:free` models.
        let now = orchat::store::now_ms();
        let midnight = now / 86_400_000 * 86_400_000;
        app.budget.spent_before = s.spent_since(midnight).unwrap_or_default();
        app.free_day = orchat::store::utc_day(now);
        app.free_today = s.free_requests(&app.free_day).unwrap_or_default();
    }
    let client = conn.client.clone();
    let opts = orchat::runtime::RunOptions {
        theme,
        mouse: cfg.mouse && !cli.no_mouse,
        // With a key, the live model list replaces the bundled one in the background.
        refresh_catalog: conn.demo.is_none() && conn.client.config().key.is_some(),
        store,
    };
    match orchat::runtime::run(app, client, opts).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("orchat: terminal error: {e}");
            EXIT_FAILED
        }
    }
}

/// Opens the session store; a failure turns saving off (said in the status
/// bar), it does not stop orchat.
fn open_store() -> Result<orchat::store::Store, String> {
    let path = orchat::store::default_path().ok_or("no data directory")?;
    orchat::store::Store::open(&path).map_err(|e| e.to_string())
}

/// `--continue` / `--session ID`: loads the conversation into the app.
/// Returns an exit code when it cannot.
fn resume(
    cli: &Cli,
    store: Option<&orchat::store::Store>,
    app: &mut orchat::app::App,
) -> Option<i32> {
    if !cli.continue_last && cli.session.is_none() {
        return None;
    }
    let Some(store) = store else {
        eprintln!(
            "orchat: cannot reopen a conversation: {}",
            app.saving_off.as_deref().unwrap_or("saving is off")
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
    match orchat::runtime::load_session(store, &id) {
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

/// The one-shot prompt: `-p TEXT`, `-p -` (stdin), or stdin when it is not a
/// terminal. `None` means: open the full-screen app.
fn one_shot_prompt(cli: &Cli) -> Result<Option<String>, String> {
    let from_stdin = match cli.prompt.as_deref() {
        Some("-") => true,
        Some(p) => return Ok(Some(p.to_string())),
        None => !std::io::stdin().is_terminal(),
    };
    if !from_stdin {
        return Ok(None);
    }
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| format!("cannot read the prompt from stdin: {e}"))?;
    if s.trim().is_empty() {
        return Err("no prompt: pass -p \"…\" or pipe one in".into());
    }
    Ok(Some(s))
}

async fn serve(pace: Option<f64>, free_per_minute: usize) -> i32 {
    let opts = orchat::server::ServerOptions {
        pace,
        free_per_minute,
        ..Default::default()
    };
    match orchat::server::start(opts).await {
        Ok(h) => {
            println!("{}", h.base_url());
            let _ = tokio::signal::ctrl_c().await;
            0
        }
        Err(e) => {
            eprintln!("orchat: cannot start the server: {e}");
            EXIT_FAILED
        }
    }
}
