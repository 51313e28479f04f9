//! Saving with the real binary in tmux: `kill -9` in the middle of an
//! answer keeps all but its last second, marked interrupted and billed;
//! SIGTERM and SIGHUP end as a quit does; quitting while another program
//! holds the database keeps what could not be saved in a file that
//! `orchat sessions import` applies.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::tmux::Tmux;
use orchat::chat::answer::Status;
use orchat::chat::pricing::CostKind;
use orchat::store::{Store, StoredRole};

fn orchat_cmd(dir: &Path, args: &str) -> String {
    common::tmux::orchat_cmd(dir, "", args)
}

/// The orchat process running in the pane.
fn orchat_pid(t: &Tmux) -> String {
    let child = Command::new("pgrep")
        .args(["-P", &t.pane_pid().to_string()])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&child.stdout).trim().to_string();
    assert!(!pid.is_empty(), "orchat runs in the pane");
    pid
}

fn signal(pid: &str, sig: &str) {
    assert!(
        Command::new("kill")
            .args([sig, pid])
            .status()
            .unwrap()
            .success()
    );
}

/// Starts a slow answer and waits until it has streamed for a while (so it
/// was saved at least once on the way).
fn slow_answer(t: &Tmux) {
    t.wait_for("the app", |s| s.contains("Enter send"));
    t.text("tell me a long story [[fault:pace:25]] [[fault:long:2000]]");
    t.keys(&["Enter"]);
    t.wait_for("the answer streaming", |s| {
        s.contains("streaming…") && s.contains("tok/s")
    });
    // Well past a second of streaming: at least one checkpoint.
    std::thread::sleep(Duration::from_millis(2500));
}

fn last_conversation(dir: &Path) -> Vec<orchat::store::StoredMessage> {
    let store = Store::open_read_only(dir.join("data/sessions.db")).unwrap();
    let id = store
        .last_id()
        .unwrap()
        .expect("the conversation was saved");
    store.load(&id).unwrap().unwrap().1
}

#[test]
fn kill_9_mid_answer_keeps_it_interrupted_and_billed_and_continue_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(&orchat_cmd(dir.path(), "--demo"), 100, 30);
    slow_answer(&t);
    // The final state before the kill: a checkpoint with some of the
    // answer is in the database (on a busy machine it may take longer than
    // the wait above).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let saved = std::panic::catch_unwind(|| last_conversation(dir.path()))
            .ok()
            .and_then(|m| m.get(1).map(|a| a.text.split_whitespace().count()))
            .unwrap_or(0);
        if saved > 10 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint of the answer within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    signal(&orchat_pid(&t), "-9");
    t.wait_for("the kill", |s| s.contains("[exited"));
    drop(t);

    let msgs = last_conversation(dir.path());
    assert_eq!(msgs.len(), 2, "the prompt and what came of its answer");
    let answer = &msgs[1];
    assert_eq!(answer.role, StoredRole::Assistant);
    assert!(
        answer.text.split_whitespace().count() > 10,
        "all but the last second of it: {:?}",
        answer.text
    );
    assert_eq!(answer.cost_kind, Some(CostKind::Estimated));
    assert!(answer.to_answer().status == Status::Interrupted);
    let store = Store::open_read_only(dir.path().join("data/sessions.db")).unwrap();
    let id = store.last_id().unwrap().unwrap();
    let billed = store.charges(&id).unwrap();
    assert_eq!(billed.len(), 1, "what was received stays billed");
    assert_eq!(Some(billed[0].cost.usd), answer.cost);

    // `--continue` shows it, said to be interrupted, with its estimate.
    let t = Tmux::start(&orchat_cmd(dir.path(), "--demo --continue"), 100, 30);
    let s = t.wait_for("the conversation back", |s| {
        s.contains("■ interrupted") && s.contains("Enter send")
    });
    assert!(s.contains("≈$"), "its estimated cost: {s}");
    t.keys(&["C-d"]);
    t.wait_for("exit", |s| s.contains("[exited 0]"));
}

/// SIGTERM or SIGHUP mid-answer: the terminal restored, the partial answer
/// saved as stopped and billed.
fn ends_like_a_quit(sig: &str) {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(&orchat_cmd(dir.path(), "--demo"), 100, 30);
    slow_answer(&t);
    signal(&orchat_pid(&t), sig);
    // The final state: the exit and, after it, the terminal's mode.
    let s = t.wait_for("the exit and the terminal mode", |s| {
        s.contains("[exited") && s.contains("TTY:")
    });
    assert!(s.contains("[exited 0]"), "{s}");
    assert!(s.contains("TTY:icanon"), "the terminal is restored: {s}");
    assert_eq!(t.alternate_on(), "0");
    drop(t);
    let msgs = last_conversation(dir.path());
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1].status, Some(Status::Stopped));
    assert!(!msgs[1].text.is_empty());
    assert_eq!(msgs[1].cost_kind, Some(CostKind::Estimated));
    let store = Store::open_read_only(dir.path().join("data/sessions.db")).unwrap();
    let id = store.last_id().unwrap().unwrap();
    let billed = store.charges(&id).unwrap();
    assert_eq!(billed.len(), 1);
    assert_eq!(Some(billed[0].cost.usd), msgs[1].cost);
}

#[test]
fn sigterm_ends_like_ctrl_c() {
    ends_like_a_quit("-TERM");
}

#[test]
fn sighup_ends_like_ctrl_c() {
    ends_like_a_quit("-HUP");
}

#[test]
fn quitting_while_the_database_is_locked_keeps_the_rest_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    // Another program holds the database's write lock from the start.
    let db = dir.path().join("data/sessions.db");
    drop(Store::open(&db).unwrap());
    let other = rusqlite::Connection::open(&db).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();

    let t = Tmux::start(&orchat_cmd(dir.path(), "--demo"), 100, 30);
    t.wait_for("the app", |s| s.contains("Enter send"));
    t.text("hello");
    t.keys(&["Enter"]);
    t.wait_for("the answer, and saving paused", |s| {
        s.contains("reported") && !s.contains("streaming…") && s.contains("saving paused: locked")
    });
    let asked = Instant::now();
    t.keys(&["C-d"]);
    let s = t.wait_for("the exit", |s| s.contains("[exited"));
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "quitting waits a few seconds, not a minute"
    );
    assert!(s.contains("[exited 0]"), "{s}");
    assert!(s.contains("could not be saved"), "{s}");
    // The note names the file; it is in the state directory.
    let state = dir.path().join("state");
    let file = std::fs::read_dir(&state)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("unsaved-")
        })
        .expect("the unsaved changes are kept in a file");
    drop(t);
    other.execute_batch("COMMIT").unwrap();
    drop(other);

    // Nothing reached the database; importing the file saves it all.
    let store = Store::open_read_only(&db).unwrap();
    assert_eq!(store.last_id().unwrap(), None);
    drop(store);
    let out = Command::new(env!("CARGO_BIN_EXE_orchat"))
        .args(["sessions", "import"])
        .arg(&file)
        .env("ORCHAT_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let msgs = last_conversation(dir.path());
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].text, "hello");
    let store = Store::open_read_only(&db).unwrap();
    let list = store.list().unwrap();
    assert!(
        list[0].total_cost > rust_decimal::Decimal::ZERO,
        "its cost came with it"
    );
}

/// Runs `args` of the real binary as a user who may read the store but not
/// write it: as root, the user `nobody` (root writes anywhere); otherwise
/// this user, with the store's folder and file made read-only.
fn as_reader(dir: &Path) -> (Vec<String>, bool) {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: getuid has no preconditions.
    let root = unsafe { libc::getuid() } == 0;
    let data = dir.join("data");
    let db = data.join("sessions.db");
    let set =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    set(dir, 0o755);
    // The log and the model cache belong to whoever runs it.
    for d in ["state", "cache"] {
        let p = dir.join(d);
        std::fs::create_dir_all(&p).unwrap();
        set(&p, 0o777);
    }
    if root {
        // Another user's store: readable by all, writable by its owner.
        set(&data, 0o755);
        set(&db, 0o644);
        let prefix = [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ];
        (prefix.iter().map(|s| s.to_string()).collect(), true)
    } else {
        set(&db, 0o444);
        set(&data, 0o555);
        (Vec::new(), false)
    }
}

#[test]
fn a_read_only_database_is_read_and_new_conversations_run_without_saving() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/sessions.db");
    {
        let store = Store::open(&db).unwrap();
        store.put_message(orchat::store::StoredMessage::new(
            "abc123",
            0,
            StoredRole::User,
            "an old question",
            1,
        ));
        assert!(store.flush());
    }
    let before = std::fs::read(&db).unwrap();
    let (prefix, _) = as_reader(dir.path());
    let run = |args: &[&str]| {
        let mut cmd = Command::new(
            prefix
                .first()
                .map_or(env!("CARGO_BIN_EXE_orchat"), |p| p.as_str()),
        );
        for p in prefix.iter().skip(1) {
            cmd.arg(p);
        }
        if !prefix.is_empty() {
            cmd.arg(env!("CARGO_BIN_EXE_orchat"));
        }
        let out = cmd
            .args(args)
            .env("ORCHAT_DATA_DIR", dir.path().join("data"))
            .env("ORCHAT_STATE_DIR", dir.path().join("state"))
            .env("ORCHAT_CACHE_DIR", dir.path().join("cache"))
            .env("HOME", dir.path().join("state"))
            .current_dir(dir.path().join("state"))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["sessions", "list"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("an old question"), "{out}");
    let (code, out, err) = run(&["sessions", "show", "abc"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("an old question"), "{out}");
    let export = dir.path().join("state/out.json");
    let (code, _, err) = run(&[
        "sessions",
        "export",
        "abc",
        "--format",
        "json",
        "-o",
        export.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        std::fs::read_to_string(&export)
            .unwrap()
            .contains("an old question")
    );

    // The app: the old conversation back, saving off and saying why, and
    // a new question still answered.
    let home = format!("HOME={}", dir.path().join("state").display());
    let cmd = format!(
        "{} {}",
        prefix.join(" "),
        common::tmux::orchat_cmd(dir.path(), &home, "--demo --continue")
    );
    let t = Tmux::start(&cmd, 100, 24);
    let s = t.wait_for("the conversation, read-only", |s| {
        s.contains("an old question") && s.contains("Enter send")
    });
    assert!(s.contains("saving off: read-only"), "{s}");
    t.text("and a new one?");
    t.keys(&["Enter"]);
    t.wait_for("an answer", |s| {
        s.contains("reported") && !s.contains("streaming…")
    });
    t.keys(&["C-o"]);
    t.wait_for("why, in the cost panel", |s| {
        s.contains("the database is read-only")
    });
    t.keys(&["Escape"]);
    t.wait_for("the panel closed", |s| !s.contains("cost per model"));
    t.keys(&["C-d"]);
    t.wait_for("exit", |s| s.contains("[exited 0]"));
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the store is untouched"
    );
}
