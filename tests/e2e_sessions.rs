//! Sessions with the real binary: a SIGKILL mid-stream keeps every earlier
//! message, a store that cannot be written turns saving off without stopping
//! orchat, and an API key never reaches any file orchat writes.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::tmux::Tmux;
use orchat::store::{Store, StoredRole};

fn orchat_cmd(dir: &Path, args: &str) -> String {
    common::tmux::orchat_cmd(dir, "", args)
}

#[test]
fn sigkill_mid_stream_leaves_every_earlier_message_intact() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(&orchat_cmd(dir.path(), "--demo"), 100, 30);
    t.wait_for("the app", |s| s.contains("Enter send"));
    t.text("first question");
    t.keys(&["Enter"]);
    t.wait_for("the first answer", |s| {
        s.contains("reported") && !s.contains("streaming…")
    });
    t.text("second one, slowly [[fault:pace:4]] [[fault:long:400]]");
    t.keys(&["Enter"]);
    t.wait_for("the second answer streaming", |s| {
        s.contains("streaming…") && s.contains("tok/s")
    });

    let pane = t.pane_pid();
    let child = Command::new("pgrep")
        .args(["-P", &pane.to_string()])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&child.stdout).trim().to_string();
    assert!(!pid.is_empty(), "orchat runs in the pane");
    assert!(
        Command::new("kill")
            .args(["-9", &pid])
            .status()
            .unwrap()
            .success()
    );
    t.wait_for("the kill", |s| s.contains("[exited"));

    let store = Store::open(dir.path().join("data/sessions.db")).unwrap();
    let id = store
        .last_id()
        .unwrap()
        .expect("the conversation was saved");
    let (meta, msgs) = store.load(&id).unwrap().unwrap();
    let roles: Vec<_> = msgs.iter().map(|m| (m.role, m.text.clone())).collect();
    // The streaming answer is there too once it was saved on the way (at
    // most once a second: tests/e2e_saving.rs).
    assert!(
        msgs.len() == 3 || (msgs.len() == 4 && msgs[3].role == StoredRole::Assistant),
        "prompt, answer, prompt: {roles:?}"
    );
    assert_eq!(msgs[0].text, "first question");
    assert_eq!(msgs[1].role, StoredRole::Assistant);
    assert!(msgs[1].text.contains("first question") || !msgs[1].text.is_empty());
    assert!(msgs[1].cost.is_some());
    assert!(msgs[2].text.starts_with("second one"));
    assert_eq!(meta.title, "first question");
    drop(t);
    // The killed process left a database another orchat opens and lists.
    let out = Command::new(env!("CARGO_BIN_EXE_orchat"))
        .args(["sessions", "list"])
        .env("ORCHAT_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("first question"));
}

#[test]
fn an_unwritable_data_directory_turns_saving_off_and_orchat_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    // A data "directory" under a regular file cannot be created, even by root.
    std::fs::write(
        dir.path().join("data"),
        "a file where the directory should be",
    )
    .unwrap();
    let t = Tmux::start(&orchat_cmd(dir.path(), "--demo"), 100, 24);
    t.wait_for("saving off in the status bar", |s| {
        s.contains("saving off") && s.contains("Enter send")
    });
    t.text("does it still answer?");
    t.keys(&["Enter"]);
    t.wait_for("an answer", |s| {
        s.contains("reported") && !s.contains("streaming…")
    });
    t.keys(&["C-d"]);
    t.wait_for("exit", |s| s.contains("[exited 0]"));
}

/// Every file under `dir`, recursively.
fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn the_api_key_never_reaches_a_file_orchat_writes() {
    const SENTINEL: &str = "sk-or-v1-SENTINEL-7f3a9c";
    let dir = tempfile::tempdir().unwrap();
    // A local server in its own process, as a real provider would be.
    let mut server = Command::new(env!("CARGO_BIN_EXE_orchat"))
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    // Logging at its most verbose, so the log file is searched too.
    let cmd = format!(
        "ORCHAT_LOG=trace OPENAI_API_KEY={SENTINEL} {}",
        orchat_cmd(dir.path(), &format!("--base-url {url}"))
    );
    let t = Tmux::start(&cmd, 100, 24);
    t.wait_for("the app", |s| s.contains("Enter send"));
    t.text("remember this");
    t.keys(&["Enter"]);
    t.wait_for("an answer", |s| {
        s.contains("reported") && !s.contains("streaming…")
    });
    let md = dir.path().join("data/export.md");
    let json = dir.path().join("data/export.json");
    t.text(&format!("/export {}", md.display()));
    t.keys(&["Enter"]);
    t.wait_for("the export", |s| s.contains("exported to"));
    t.text(&format!("/export {} --json", json.display()));
    t.keys(&["Enter"]);
    t.wait_for("the JSON export", |s| s.contains("export.json"));
    t.text("[[fault:401]] an error too");
    t.keys(&["Enter"]);
    t.wait_for("the error", |s| s.contains("authentication failed"));
    t.keys(&["C-d"]);
    t.wait_for("exit", |s| s.contains("[exited 0]"));
    let _ = server.kill();
    let _ = server.wait();

    let mut files = Vec::new();
    all_files(dir.path(), &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("sessions.db")),
        "{files:?}"
    );
    assert!(md.exists() && json.exists());
    let log = dir.path().join("state/orchat.log");
    assert!(
        std::fs::metadata(&log)
            .map(|m| m.len() > 0)
            .unwrap_or(false),
        "a trace log was written"
    );
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let hit = bytes
            .windows(SENTINEL.len())
            .any(|w| w == SENTINEL.as_bytes());
        assert!(!hit, "the key is in {}", f.display());
    }
}

/// The cost panel's total row, as shown: `total  2  …  $0.000123`.
fn panel_total(screen: &str) -> String {
    screen
        .lines()
        .find_map(|l| {
            let l = l.trim_matches(|c: char| c == '│' || c.is_whitespace());
            l.starts_with("total ")
                .then(|| {
                    l.split_whitespace()
                        .find(|w| w.starts_with('$'))
                        .map(str::to_string)
                })
                .flatten()
        })
        .unwrap_or_else(|| panic!("no total row in:\n{screen}"))
}

#[test]
fn what_was_billed_stays_billed_after_retry_quit_and_continue() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(&orchat_cmd(dir.path(), "--demo"), 120, 40);
    t.wait_for("the app", |s| s.contains("Enter send"));
    t.text("what is a borrow checker");
    t.keys(&["Enter"]);
    t.wait_for("the answer", |s| {
        s.contains("reported") && !s.contains("streaming…")
    });
    t.keys(&["C-o"]);
    let once = panel_total(&t.wait_for("the cost panel", |s| s.contains("cost per model")));
    t.keys(&["Escape"]);
    // Closed before typing on: an Escape followed at once by `/` reads as
    // Alt+/ in a terminal.
    t.wait_for("the panel closed", |s| !s.contains("cost per model"));
    t.text("/retry");
    t.keys(&["Enter"]);
    // The retried answer is in once the panel counts two billed turns.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let screen = loop {
        t.keys(&["C-o"]);
        let s = t.wait_for("the cost panel", |s| s.contains("cost per model"));
        let total_row = s.lines().find(|l| l.contains("│total")).unwrap_or("");
        if total_row.split_whitespace().nth(1) == Some("2") {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "no retry:\n{s}");
        t.keys(&["Escape"]);
        t.wait_for("the panel closed", |s| !s.contains("cost per model"));
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let before = panel_total(&screen);
    // The demo answers the same prompt the same way: both were billed.
    let one: rust_decimal::Decimal = once.trim_start_matches('$').parse().unwrap();
    let two: rust_decimal::Decimal = before.trim_start_matches('$').parse().unwrap();
    assert_eq!(two, one * rust_decimal::Decimal::from(2), "{screen}");
    t.keys(&["Escape"]);
    t.wait_for("the panel closed", |s| !s.contains("cost per model"));
    t.keys(&["C-d"]);
    t.wait_for("orchat to quit", |s| s.contains("[exited 0]"));
    drop(t);

    let t = Tmux::start(&orchat_cmd(dir.path(), "--demo --continue"), 120, 40);
    t.wait_for("the reopened conversation", |s| {
        s.contains("what is a borrow checker")
    });
    t.keys(&["C-o"]);
    let screen = t.wait_for("the cost panel", |s| s.contains("cost per model"));
    assert_eq!(
        panel_total(&screen),
        before,
        "the same total to the last digit:\n{screen}"
    );
    // The gap to our prices is kept too (it was "our prices say $0.00").
    assert!(
        screen.contains(&format!(
            "reported {before} · our prices say {before} · gap $0.00"
        )),
        "{screen}"
    );
    t.keys(&["Escape", "C-d"]);
}
