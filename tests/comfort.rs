//! Comforts around the chat: clipboard (OSC 52), code block extraction, the
//! external editor, logging to a file, `doctor`, completions and man page.
//!
//! Tests that need a different environment ($EDITOR, ORCHAT_STATE_DIR) or a
//! fresh global logger run part of themselves in a child process: this test
//! binary again, with one `#[ignore]`d `child_*` function selected. The parent
//! never mutates its own environment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use clap::CommandFactory;
use orchat::api::key::ApiKey;
use orchat::api::types::{Message, Role};
use orchat::api::{ChatClient, ClientConfig, Provider};
use orchat::markdown::{code_blocks, next_index};
use orchat::server::{ServerOptions, start};
use orchat::term::clipboard::{CopyOutcome, copy_with, osc52};

// --- child processes -------------------------------------------------------

/// Runs the ignored test `name` of this binary in a child with `envs` set
/// (and `VISUAL`, `ORCHAT_LOG` removed unless given).
fn run_child(name: &str, envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        name,
        "--nocapture",
        "--test-threads=1",
    ]);
    cmd.env_remove("VISUAL").env_remove("ORCHAT_LOG");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "child {name} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The child really ran (a typo in the name would run nothing).
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "child {name} did not run"
    );
    out
}

fn child_out() -> PathBuf {
    PathBuf::from(std::env::var("ORCHAT_TEST_CHILD_OUT").expect("run as a child"))
}

// --- OSC 52 and copying ----------------------------------------------------

#[test]
fn osc52_is_esc_52_c_base64_bel() {
    assert_eq!(osc52("hello").as_bytes(), b"\x1b]52;c;aGVsbG8=\x07");
    // UTF-8 bytes are encoded, newline included.
    assert_eq!(osc52("héllo 👋\n"), "\x1b]52;c;aMOpbGxvIPCfkYsK\x07");
    assert_eq!(osc52(""), "\x1b]52;c;\x07");
}

#[test]
fn without_a_display_copy_writes_osc52_to_the_terminal() {
    let mut term = Vec::new();
    let env = |_: &str| None;
    let outcome = copy_with("hello", &mut term, &env).unwrap();
    assert_eq!(outcome, CopyOutcome::Osc52);
    assert_eq!(term, b"\x1b]52;c;aGVsbG8=\x07");
    assert_eq!(
        outcome.status("the answer"),
        "copied the answer via the terminal (OSC 52)"
    );
    assert_eq!(
        CopyOutcome::System.status("code block 1/2"),
        "copied code block 1/2 to the clipboard"
    );
}

#[test]
fn over_ssh_copy_uses_osc52_even_with_a_display() {
    // An X11-forwarded DISPLAY would put the text on the remote machine's
    // clipboard; OSC 52 reaches the terminal the user is sitting at.
    let mut term = Vec::new();
    let env = |k: &str| match k {
        "DISPLAY" => Some("localhost:10.0".to_string()),
        "SSH_CONNECTION" => Some("10.0.0.1 5000 10.0.0.2 22".to_string()),
        _ => None,
    };
    assert_eq!(copy_with("x", &mut term, &env).unwrap(), CopyOutcome::Osc52);
    assert_eq!(term, osc52("x").as_bytes());
}

#[test]
fn an_unusable_display_falls_back_to_osc52() {
    // No X server answers on display 987: arboard fails, OSC 52 takes over.
    let mut term = Vec::new();
    let env = |k: &str| (k == "DISPLAY").then(|| ":987".to_string());
    assert_eq!(copy_with("y", &mut term, &env).unwrap(), CopyOutcome::Osc52);
    assert_eq!(term, osc52("y").as_bytes());
}

// --- code blocks -----------------------------------------------------------

#[test]
fn code_blocks_are_the_fenced_ones_in_order() {
    let md = "Intro with `inline code`.\n\n\
              ```rust\nfn main() {\n    println!(\"hi\");\n}\n```\n\n\
              Indented, not fenced:\n\n    not a block to copy\n\n\
              - a list\n\n  ~~~\n  $ cargo test\n  ~~~\n\n\
              ```\n\n```\n";
    let blocks = code_blocks(md);
    assert_eq!(
        blocks,
        vec![
            "fn main() {\n    println!(\"hi\");\n}".to_string(),
            "$ cargo test".to_string(),
            String::new(),
        ]
    );
    assert!(code_blocks("no code here").is_empty());
}

#[test]
fn one_key_cycles_through_code_blocks() {
    assert_eq!(next_index(3, None), Some(0));
    assert_eq!(next_index(3, Some(1)), Some(2));
    assert_eq!(next_index(3, Some(2)), Some(0), "wraps after the last");
    assert_eq!(next_index(0, None), None);
}

// --- the editor ------------------------------------------------------------

/// A scripted editor: `editor.sh SIDE_DIR FILE` records the file's path and
/// mode in SIDE_DIR and appends a line to it (exit status `code`).
fn scripted_editor(dir: &Path, code: i32) -> String {
    let script = dir.join(format!("editor-{code}.sh"));
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s' \"$2\" > \"$1/path\"\nstat -c %a \"$2\" > \"$1/mode\"\nprintf 'appended line\\n' >> \"$2\"\nexit {code}\n"
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // The editor string carries an argument, as `code --wait` would.
    format!("{} {}", script.display(), dir.display())
}

#[test]
#[ignore = "child process of editor_round_trip_through_editor_variable"]
fn child_edit() {
    let result = orchat::term::editor::edit("first line\n");
    std::fs::write(child_out(), format!("{result:?}")).unwrap();
}

#[test]
fn editor_round_trip_through_editor_variable() {
    let dir = tempfile::tempdir().unwrap();
    let editor = scripted_editor(dir.path(), 0);
    let out = dir.path().join("result");
    run_child(
        "child_edit",
        &[
            ("EDITOR", &editor),
            ("ORCHAT_TEST_CHILD_OUT", out.to_str().unwrap()),
        ],
    );
    // The editor's line was added and the one trailing newline dropped.
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "Ok(\"first line\\nappended line\")"
    );
    let file = std::fs::read_to_string(dir.path().join("path")).unwrap();
    assert!(file.ends_with(".md"), "{file}");
    assert!(
        !Path::new(&file).exists(),
        "the temporary file was left behind"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("mode"))
            .unwrap()
            .trim(),
        "600"
    );
}

#[test]
#[ignore = "child process of visual_wins_and_no_editor_is_an_error"]
fn child_edit_report() {
    let result = orchat::term::editor::edit("x");
    let cmd = orchat::term::editor::editor_command();
    std::fs::write(child_out(), format!("{cmd:?} {result:?}")).unwrap();
}

#[test]
fn visual_wins_and_no_editor_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("result");
    let out_s = out.to_str().unwrap();
    // $VISUAL before $EDITOR: `true` leaves the text as it was.
    run_child(
        "child_edit_report",
        &[
            ("VISUAL", "true"),
            ("EDITOR", "false"),
            ("ORCHAT_TEST_CHILD_OUT", out_s),
        ],
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "Some(\"true\") Ok(\"x\")"
    );
    // Neither set: a clear error rather than a guess.
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        "child_edit_report",
        "--test-threads=1",
    ])
    .env_remove("VISUAL")
    .env_remove("EDITOR")
    .env("ORCHAT_TEST_CHILD_OUT", out_s);
    assert!(cmd.output().unwrap().status.success());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with("None Err(\"no editor: set $VISUAL or $EDITOR"),
        "{text}"
    );
}

#[test]
fn a_failing_editor_leaves_the_message_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let editor = scripted_editor(dir.path(), 1);
    let err = orchat::term::editor::edit_with(&editor, "keep me").unwrap_err();
    assert_eq!(
        err,
        "the editor exited with status 1; the message is unchanged"
    );
    let file = std::fs::read_to_string(dir.path().join("path")).unwrap();
    assert!(
        !Path::new(&file).exists(),
        "the temporary file was left behind"
    );
}

// --- logging ---------------------------------------------------------------

#[test]
#[ignore = "child process of logs_go_to_the_state_dir_file_only"]
fn child_logging() {
    let level = std::env::var("CHILD_LEVEL").ok();
    let path = orchat::cli::logging::init(level.as_deref())
        .unwrap()
        .unwrap();
    tracing::warn!("warn-marker-7261");
    tracing::info!("info-marker-7261");
    tracing::debug!("debug-marker-7261");
    std::fs::write(child_out(), path.to_str().unwrap()).unwrap();
}

#[test]
fn logs_go_to_the_state_dir_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state/nested");
    let out = dir.path().join("result");
    let child = run_child(
        "child_logging",
        &[
            ("ORCHAT_STATE_DIR", state.to_str().unwrap()),
            ("CHILD_LEVEL", "info"),
            ("ORCHAT_LOG", "trace"),
            ("ORCHAT_TEST_CHILD_OUT", out.to_str().unwrap()),
        ],
    );
    let log_path = state.join("orchat.log");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        log_path.to_str().unwrap()
    );
    let log = std::fs::read_to_string(&log_path).unwrap();
    // The argument (--log-level info) wins over ORCHAT_LOG=trace.
    assert!(
        log.contains("warn-marker-7261") && log.contains("info-marker-7261"),
        "{log}"
    );
    assert!(!log.contains("debug-marker-7261"), "{log}");
    // No colour codes in the file.
    assert!(!log.contains('\x1b'), "{log}");
    // Nothing reached the screen.
    let screen = format!(
        "{}{}",
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    assert!(!screen.contains("marker-7261"), "{screen}");

    // Without the argument, ORCHAT_LOG decides; the file is appended to.
    run_child(
        "child_logging",
        &[
            ("ORCHAT_STATE_DIR", state.to_str().unwrap()),
            ("ORCHAT_LOG", "debug"),
            ("ORCHAT_TEST_CHILD_OUT", out.to_str().unwrap()),
        ],
    );
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert_eq!(log.matches("info-marker-7261").count(), 2, "{log}");
    assert!(log.contains("debug-marker-7261"), "{log}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the log is private");
    }
}

#[test]
fn a_bad_log_level_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let e = orchat::cli::logging::init_in(Some("orchat=loud"), dir.path()).unwrap_err();
    assert!(e.starts_with("bad log level 'orchat=loud'"), "{e}");
}

// --- doctor ----------------------------------------------------------------

fn local(base_url: &str, key: Option<&str>) -> ClientConfig {
    let mut p = Provider::openrouter();
    p.base_url = base_url.to_string();
    ClientConfig::new(p, key.and_then(ApiKey::new))
}

async fn doctor(cfg: &ClientConfig, config: Result<String, String>) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sessions.db");
    let mut out = Vec::new();
    let code =
        orchat::cli::doctor::run(cfg, Some("TEST_KEY_VAR"), config, Some(&db), &mut out).await;
    (code, String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn doctor_with_a_good_key() {
    let server = start(ServerOptions {
        require_key: Some("sk-good-SENTINEL".into()),
        ..ServerOptions::default()
    })
    .await
    .unwrap();
    let cfg = local(&server.base_url(), Some("sk-good-SENTINEL"));
    // One paid answer first, so the key has usage to report.
    let client = ChatClient::new(cfg.clone()).unwrap();
    let req = orchat::chat::request::build(
        "google/gemini-2.5-flash",
        None,
        vec![Message::text(Role::User, "hello")],
        &orchat::chat::request::Settings::default(),
    );
    client.send_collect(req).await;

    let (code, out) = doctor(&cfg, Ok("config.toml is valid".into())).await;
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert_eq!(lines[0], "ok config: config.toml is valid");
    assert_eq!(lines[1], "ok key: from TEST_KEY_VAR");
    assert!(
        lines[2].starts_with("ok key accepted: $0.0")
            && lines[2].ends_with(" used, no limit · free tier: yes"),
        "{out}"
    );
    assert!(
        !lines[2].starts_with("ok key accepted: $0 used"),
        "usage was spent: {out}"
    );
    let models = format!(
        "ok reachable: {}/models answered HTTP 200 in ",
        server.base_url()
    );
    assert!(lines[3].starts_with(&models), "{out}");
    assert!(!out.contains("SENTINEL"), "the key leaked: {out}");
}

#[tokio::test]
async fn doctor_with_a_bad_key() {
    let server = start(ServerOptions {
        require_key: Some("sk-good".into()),
        ..ServerOptions::default()
    })
    .await
    .unwrap();
    let cfg = local(&server.base_url(), Some("sk-bad-SENTINEL"));
    let (code, out) = doctor(&cfg, Ok("fine".into())).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("\nfail key rejected: User not found. (HTTP 401); check the key; the key came from TEST_KEY_VAR\n"),
        "{out}"
    );
    // The server is up, so it is reachable even though the key is wrong.
    assert!(out.contains("\nok reachable: "), "{out}");
    assert!(!out.contains("SENTINEL"), "the key leaked: {out}");
}

#[tokio::test]
async fn doctor_when_the_server_is_unreachable() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}/v1");
    let cfg = local(&base, Some("sk-SENTINEL"));
    let (code, out) = doctor(&cfg, Ok("fine".into())).await;
    assert_eq!(code, 1, "{out}");
    let last = out.lines().rev().nth(1).unwrap();
    assert!(
        last.starts_with(&format!("fail cannot reach {base}/models: "))
            && last.to_lowercase().contains("refused"),
        "{out}"
    );
    assert!(
        out.contains(&format!("fail key check: cannot reach {base}/key")),
        "{out}"
    );
    // Every line is a verdict.
    for l in out.lines() {
        assert!(
            l.starts_with("ok ") || l.starts_with("warn ") || l.starts_with("fail "),
            "{l}"
        );
    }
    assert!(!out.contains("SENTINEL"));
}

#[tokio::test]
async fn doctor_reports_a_bad_config_and_a_missing_key() {
    let server = start(ServerOptions::default()).await.unwrap();
    let cfg = local(&server.base_url(), None);
    let (code, out) = doctor(
        &cfg,
        Err("config.toml line 4, column 14: max_tokens: …".into()),
    )
    .await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("fail config: config.toml line 4, column 14"),
        "{out}"
    );
    assert!(
        out.contains("\nfail key: none; set OPENROUTER_API_KEY"),
        "{out}"
    );
    // No key, no key check: only config, key, reachability and sessions.
    assert_eq!(out.lines().count(), 4, "{out}");
}

// --- completions and man page ----------------------------------------------

#[test]
fn completions_generate_for_bash_zsh_and_fish() {
    use orchat::cli::shell::Shell;
    for (shell, marker) in [
        (Shell::Bash, "complete -F"),
        (Shell::Zsh, "#compdef orchat"),
        (Shell::Fish, "complete -c orchat"),
    ] {
        let mut cmd = orchat::cli::Cli::command();
        let mut out = Vec::new();
        orchat::cli::shell::completions(shell, &mut cmd, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(marker), "{shell:?}:\n{text}");
        // Fish spells long options `-l model`; the others `--model`.
        let has_model = text.contains("--model") || text.contains("-l model");
        assert!(has_model, "{shell:?} does not complete --model");
        assert!(
            text.contains("serve"),
            "{shell:?} does not know the serve subcommand"
        );
    }
}

#[test]
fn man_page_generates() {
    let mut out = Vec::new();
    orchat::cli::shell::man(orchat::cli::Cli::command(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(".TH orchat 1"), "{text}");
    // roff escapes hyphens: \-\-model.
    assert!(text.contains("\\-\\-model"), "{text}");
    assert!(text.contains("Model id"), "the flag's help is in the page");
}

#[tokio::test]
async fn doctor_checks_the_saved_conversations_with_sqlites_quick_check() {
    use orchat::store::{Store, StoredMessage, StoredRole};
    let server = start(ServerOptions::default()).await.unwrap();
    // A local server that needs no key: only the sessions line can fail.
    let cfg = ClientConfig::new(Provider::custom(&server.base_url()), None);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sessions.db");
    {
        let s = Store::open(&db).unwrap();
        for i in 0..40 {
            let text = format!("{i} {}", "words ".repeat(80));
            s.put_message(StoredMessage::new("c", i, StoredRole::User, &text, 1));
        }
        assert!(s.flush());
    }
    let run = |db: std::path::PathBuf| {
        let cfg = cfg.clone();
        async move {
            let mut out = Vec::new();
            let code =
                orchat::cli::doctor::run(&cfg, None, Ok("ok".into()), Some(&db), &mut out).await;
            (code, String::from_utf8(out).unwrap())
        }
    };
    let (code, out) = run(db.clone()).await;
    assert_eq!(code, 0, "{out}");
    let line = out.lines().last().unwrap();
    assert!(
        line.starts_with("ok sessions: ")
            && line.ends_with("is sound (quick check), 1 conversations"),
        "{out}"
    );
    // A page of it garbled: a failure, exit 1, in words.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let page: i64 = conn
        .query_row(
            "SELECT pageno FROM dbstat WHERE name = 'messages' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    drop(conn);
    let mut bytes = std::fs::read(&db).unwrap();
    let at = (page as usize - 1) * 4096;
    bytes[at..at + 4096].fill(0x5A);
    std::fs::write(&db, &bytes).unwrap();
    let (code, out) = run(db.clone()).await;
    assert_eq!(code, 1, "{out}");
    let line = out.lines().last().unwrap();
    assert!(
        line.starts_with("fail sessions: ")
            && line.contains("is damaged (quick check: ")
            && line.contains("orchat will not write to it"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        bytes,
        "the check changes nothing"
    );
}

#[tokio::test]
async fn doctor_checks_a_plain_servers_key_with_its_model_list() {
    use orchat::server::Dialect;
    let server = orchat::server::start_with(
        ServerOptions {
            require_key: Some("sk-good".into()),
            dialect: Dialect::Plain,
            ..ServerOptions::default()
        },
        orchat::server::plain_catalog(),
    )
    .await
    .unwrap();
    let mut p = Provider::custom(&server.base_url());
    p.key_env = Some("OPENAI_API_KEY".into());
    let run = |key: &str| {
        let cfg = ClientConfig::new(p.clone(), ApiKey::new(key));
        async move {
            let mut out = Vec::new();
            let code = orchat::cli::doctor::run(&cfg, None, Ok("ok".into()), None, &mut out).await;
            (code, String::from_utf8(out).unwrap())
        }
    };
    let (code, out) = run("sk-wrong-SENTINEL").await;
    assert_eq!(code, 1, "a wrong key fails: {out}");
    assert!(
        out.contains("fail key rejected: User not found. (HTTP 401); check the key; the key came from OPENAI_API_KEY"),
        "{out}"
    );
    assert!(!out.contains("SENTINEL"), "{out}");
    let (code, out) = run("sk-good").await;
    assert!(out.contains("ok key accepted: "), "{out}");
    assert!(!out.contains("fail key"), "{out}");
    let _ = code;
}
