//! Flags are never silently ignored by the full-screen app, and F4 without
//! an image viewer says where the image is: the real binary in tmux.

mod common;

use common::oneshot::Local;
use common::tmux::{Tmux, orchat_cmd};
use orchat::server::ServerOptions;

#[test]
fn no_stream_asks_for_whole_answers_and_m_with_continue_switches_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let local = Local::start(ServerOptions::default());
    let url = local.url();
    let env = "OPENAI_API_KEY=sk-test-flags";

    // --no-stream: the request asks for a whole answer, and it is shown.
    let cmd = orchat_cmd(
        dir.path(),
        env,
        &format!("--base-url {url} -m google/gemini-2.5-flash --no-stream"),
    );
    let t = Tmux::start(&cmd, 80, 24);
    t.wait_for("the app", |s| s.contains("Enter send"));
    t.text("hello whole");
    t.keys(&["Enter"]);
    t.wait_for("the whole answer", |s| {
        s.contains("▌ google/gemini-2.5-flash ·")
            && s.contains("reported")
            && !s.contains("waiting")
    });
    let got = local.server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body["stream"], false, "{}", got[0].body);
    t.keys(&["C-d"]);
    t.wait_for("exit", |s| s.contains("[exited 0]"));

    // --continue with -m: the conversation goes on with the model asked for,
    // and says so.
    let cmd = orchat_cmd(
        dir.path(),
        env,
        &format!("--base-url {url} --continue -m google/gemini-2.0-flash-001"),
    );
    let t = Tmux::start(&cmd, 80, 24);
    t.wait_for("the switch notice", |s| {
        s.contains("hello whole")
            && s.contains("-m: the conversation goes on with google/gemini-2.0-flash-001")
    });
    t.text("and more");
    t.keys(&["Enter"]);
    t.wait_for("the second answer", |s| {
        s.contains("▌ google/gemini-2.0-flash-001 ·")
            && s.contains("reported")
            && s.contains("That is all.")
            && !s.contains("streaming…")
    });
    let got = local.server.received();
    let last = &got.last().unwrap().body;
    assert_eq!(last["model"], "google/gemini-2.0-flash-001");
    assert_eq!(last["stream"], true, "streams again without --no-stream");
    assert!(
        last["messages"].to_string().contains("hello whole"),
        "{last}"
    );
    t.keys(&["C-d"]);
    t.wait_for("exit", |s| s.contains("[exited 0]"));
}

#[test]
fn f4_without_an_image_viewer_says_where_the_image_is() {
    let dir = tempfile::tempdir().unwrap();
    let cmd = orchat_cmd(
        dir.path(),
        "-u DISPLAY -u WAYLAND_DISPLAY",
        "--demo -m google/gemini-2.5-flash-image-preview",
    );
    let t = Tmux::start(&cmd, 100, 30);
    t.wait_for("the app", |s| s.contains("Enter send"));
    t.text("draw a small fox");
    t.keys(&["Enter"]);
    t.wait_for("the image saved", |s| {
        s.contains("saved: ") && s.contains("(F4 opens)") && !s.contains("streaming…")
    });
    t.keys(&["F4"]);
    let s = t.wait_for("the no-viewer line", |s| {
        s.contains("no image viewer found; the image is at")
    });
    let data = dir.path().join("data");
    assert!(
        s.replace('\n', "")
            .contains(&data.display().to_string()[..20]),
        "the path is named:\n{s}"
    );
    t.keys(&["C-d"]);
    t.wait_for("exit", |s| s.contains("[exited 0]"));
}
