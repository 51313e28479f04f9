//! End to end: the real binary in tmux against `--demo`, driven with
//! send-keys and read with capture-pane, as a user would.

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(cmd: &str, cols: u16, rows: u16) -> Tmux {
        let session = format!("orchat-e2e-{}", std::process::id());
        // After orchat exits, print the terminal's mode so the test can check
        // it was restored, then keep the pane open for capture.
        let script = format!(
            "{cmd}; echo \"[exited $?]\"; stty -a | tr ' ' '\\n' | grep -x -- '-\\?icanon'; sleep 60"
        );
        let ok = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                &cols.to_string(),
                "-y",
                &rows.to_string(),
                &script,
            ])
            .status()
            .expect("tmux runs (CI installs it)")
            .success();
        assert!(ok, "tmux new-session failed");
        Tmux { session }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session.as_str()];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }

    fn text(&self, text: &str) {
        assert!(
            Command::new("tmux")
                .args(["send-keys", "-t", &self.session, "-l", "--", text])
                .status()
                .unwrap()
                .success()
        );
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn alternate_on(&self) -> String {
        let out = Command::new("tmux")
            .args(["display", "-p", "-t", &self.session, "#{alternate_on}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until `pred` holds for the screen; panics with the screen if not.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}

#[test]
fn chat_switch_model_and_quit_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_orchat");
    let d = dir.path().display();
    let cmd = format!(
        "env -u OPENROUTER_API_KEY ORCHAT_DATA_DIR={d}/data ORCHAT_CACHE_DIR={d}/cache ORCHAT_STATE_DIR={d}/state {bin} --demo"
    );
    let t = Tmux::start(&cmd, 110, 34);
    t.wait_for("the app", |s| {
        s.contains("demo mode") && s.contains("Enter send")
    });
    assert_eq!(t.alternate_on(), "1", "full screen on the alternate screen");

    t.text("hello from tmux");
    t.keys(&["Enter"]);
    t.wait_for("the first answer with its cost", |s| {
        s.contains("hello from tmux") && s.contains("reported") && !s.contains("streaming…")
    });

    t.keys(&["C-p"]);
    t.wait_for("the picker", |s| s.contains("type to filter"));
    t.text("2.0-flash-001");
    t.wait_for("the filtered picker", |s| {
        s.contains("filter: 2.0-flash-001")
    });
    t.keys(&["Enter"]);
    t.wait_for("the switch notice", |s| {
        s.contains("model → google/gemini-2.0-flash-001")
    });

    t.text("and again");
    t.keys(&["Enter"]);
    let s = t.wait_for("the second answer, billed to the new model", |s| {
        s.contains("▌ google/gemini-2.0-flash-001 ·")
            && s.matches("reported").count() >= 1
            && !s.contains("streaming…")
    });
    assert!(s.contains("total $"), "{s}");

    // The cost panel lists both models.
    t.keys(&["C-o"]);
    t.wait_for("the cost panel", |s| {
        s.contains("cost per model")
            && s.contains("google/gemini-2.5-flash")
            && s.contains("google/gemini-2.0-flash-001")
    });
    t.keys(&["Escape"]);

    t.keys(&["C-d"]);
    let s = t.wait_for("exit and the terminal mode", |s| {
        s.contains("[exited") && s.contains("icanon")
    });
    assert!(s.contains("[exited 0]"), "{s}");
    assert_eq!(t.alternate_on(), "0", "alternate screen left");
    assert!(
        s.lines().any(|l| l.trim() == "icanon"),
        "raw mode undone (icanon back on):\n{s}"
    );
}
