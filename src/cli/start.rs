//! What a run of the binary does, in order: the commands that need nothing
//! (completions, man page, `config`), the configuration's layers, logging,
//! the runtime, then one-shot, a subcommand, or the full-screen app. Each
//! returns the process's exit code (`oneshot::EXIT_*`).

use std::io::IsTerminal;

use super::oneshot::{EXIT_FAILED, EXIT_USAGE};
use super::{Cli, Command};
use crate::config::{Config, Flags};

/// Runs the command line `cli`; returns the exit code.
pub fn main(cli: Cli) -> i32 {
    // Commands that need no configuration, network or runtime.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            super::shell::completions(*shell, &mut cmd, &mut std::io::stdout());
            return 0;
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            return match super::shell::man(cmd, &mut std::io::stdout()) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("orchat: {e}");
                    EXIT_FAILED
                }
            };
        }
        Some(Command::Key { cmd }) => {
            let provider = match cmd.provider().map(str::to_string).or(cli.provider.clone()) {
                Some(p) => p,
                None => match load_config(&cli) {
                    Ok(c) => c.provider.clone(),
                    Err(e) => {
                        eprintln!("orchat: {e}");
                        return EXIT_USAGE;
                    }
                },
            };
            return super::key::run(
                cmd.clone(),
                &provider,
                &crate::config::keyring::SystemKeyring,
                &mut std::io::stdin().lock(),
            );
        }
        Some(Command::Config { cmd }) => {
            return crate::config::config_command(
                *cmd,
                cli.config.as_deref(),
                &mut std::io::stdout(),
            );
        }
        _ => {}
    }
    let cfg = match load_config(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("orchat: {e}");
            return EXIT_USAGE;
        }
    };
    // Logs go to a file only: the screen belongs to the app.
    if let Some(dir) = cfg.state_dir()
        && let Err(e) = super::logging::init_in(cli.log_level.as_deref(), &dir)
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
            return EXIT_FAILED;
        }
    };
    rt.block_on(run(cli, cfg))
}

/// Defaults < file < environment < flags. The directories it names are
/// passed on explicitly (`Config::dirs`).
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
        && let Some(w) = crate::config::permission_warning(p)
    {
        eprintln!("orchat: {w}");
    }
    let mut cfg = loaded.config;
    cfg.apply_flags(&Flags::from(cli))
        .map_err(|e| e.to_string())?;
    Ok(cfg)
}

async fn run(cli: Cli, cfg: Config) -> i32 {
    if let Some(Command::Sessions { cmd }) = cli.command {
        let Some(path) = cfg.dirs().sessions_db() else {
            eprintln!("orchat: no data directory to keep conversations in");
            return EXIT_FAILED;
        };
        return tokio::task::spawn_blocking(move || super::sessions::run(&path, cmd))
            .await
            .unwrap_or(EXIT_FAILED);
    }
    if let Some(Command::Serve {
        pace,
        free_per_minute,
        plain,
    }) = &cli.command
    {
        return serve(*pace, *free_per_minute, *plain).await;
    }
    // Line by line: asked for, or no screen to draw on in interactive use
    // (stdin a terminal, stdout not; or TERM=dumb).
    let plain = cli.prompt.is_none()
        && cli.command.is_none()
        && (cli.plain
            || (std::io::IsTerminal::is_terminal(&std::io::stdin())
                && (!std::io::IsTerminal::is_terminal(&std::io::stdout())
                    || std::env::var("TERM").is_ok_and(|t| t == "dumb"))));
    let prompt = if matches!(cli.command, Some(Command::Doctor)) || plain {
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
    let conn = match super::connect::connect(&cli, &cfg).await {
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
        Some(p) if !cli.compare.is_empty() => super::compare::run(&cli, &cfg, &conn, p).await,
        Some(p) => super::oneshot::run(&cli, &cfg, &conn, p).await,
        None if plain => super::plain::run(&cli, &cfg, conn).await,
        None => super::fullscreen::run(&cli, &cfg, conn).await,
    }
}

async fn doctor(cli: &Cli, cfg: &Config, conn: &super::connect::Connection) -> i32 {
    let report = crate::config::doctor_report(cli.config.as_deref());
    let source = if conn.demo.is_some() {
        None
    } else {
        let name = cli.provider.clone().unwrap_or_else(|| cfg.provider.clone());
        cfg.provider_for(&name).ok().and_then(|p| {
            super::connect::resolve_key(cli, cfg, &name, &p, &crate::config::keyring::SystemKeyring)
                .ok()
                .flatten()
                .map(|(_, src)| src)
        })
    };
    if let Some(why) = &conn.demo_reason {
        println!("warn {why}: orchat runs in demo mode against its built-in server");
    }
    let db = cfg.dirs().sessions_db();
    super::doctor::run(
        conn.client.config(),
        source.as_deref(),
        report,
        db.as_deref(),
        &mut std::io::stdout(),
    )
    .await
}

/// The most of a prompt read from stdin: past any model's context window
/// (about 4 MB of text is a million tokens).
const STDIN_LIMIT: u64 = 64 << 20;

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
    // Bounded: no model reads more than a few megabytes of text, and a pipe
    // may never end.
    let bytes =
        crate::paths::read_at_most(std::io::stdin().lock(), STDIN_LIMIT).map_err(|e| match e {
            crate::paths::ReadError::TooLarge(_) => format!(
                "the prompt on stdin is larger than {}: too long for any model; nothing was sent",
                crate::paths::human_size(STDIN_LIMIT)
            ),
            e => format!("cannot read the prompt from stdin: {e}"),
        })?;
    let s = String::from_utf8_lossy(&bytes).into_owned();
    if s.trim().is_empty() {
        return Err("no prompt: pass -p \"…\" or pipe one in".into());
    }
    Ok(Some(s))
}

async fn serve(pace: Option<f64>, free_per_minute: usize, plain: bool) -> i32 {
    let mut opts = crate::server::ServerOptions {
        pace,
        free_per_minute,
        ..Default::default()
    };
    let started = if plain {
        // What llama-server looks like from outside: its own models, no
        // prices, the window it was started with on /props.
        opts.dialect = crate::server::Dialect::Plain;
        opts.runtime_ctx = Some(8192);
        crate::server::start_with(opts, crate::server::plain_catalog()).await
    } else {
        crate::server::start(opts).await
    };
    match started {
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
