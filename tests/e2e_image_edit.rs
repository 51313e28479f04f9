//! Images as a conversation, with the real binary in tmux against the
//! local server: draw, "make it blue", the second request carries the
//! first image in its user message (PROTOCOL-MEDIA.md §4.1), both images
//! saved and drawn; reopened, both are drawn again.

mod common;

use common::oneshot::Local;
use common::tmux::{Tmux, orchat_cmd};
use orchat::server::ServerOptions;

const IMAGE_MODEL: &str = "google/gemini-2.5-flash-image";

/// The saved-image lines on screen, each a path.
fn saved_paths(s: &str) -> Vec<String> {
    s.lines()
        .filter_map(|l| l.trim().strip_prefix("saved: "))
        .map(|l| l.split(" (").next().unwrap_or(l).to_string())
        .collect()
}

#[test]
fn draw_then_make_it_blue_sends_the_picture_back() {
    let dir = tempfile::tempdir().unwrap();
    let local = Local::start(ServerOptions::default());
    let args = format!("--base-url {} -m {IMAGE_MODEL}", local.url());
    let env = "OPENAI_API_KEY=sk-test-edit";
    let t = Tmux::start(&orchat_cmd(dir.path(), env, &args), 100, 40);
    t.wait_for("the app", |s| s.contains("Enter send"));
    t.text("draw a cat 64x40");
    t.keys(&["Enter"]);
    let s = t.wait_for("the first picture saved", |s| {
        saved_paths(s).len() == 1 && !s.contains("streaming…")
    });
    let first_path = saved_paths(&s)[0].clone();
    t.text("make it blue");
    t.keys(&["Enter"]);
    t.wait_for("the second picture saved", |s| {
        s.contains("make it blue")
            && s.split_once("make it blue")
                .is_some_and(|(_, after)| after.contains("saved: "))
            && !s.contains("streaming…")
    });
    let got = local.server.received();
    assert_eq!(got.len(), 2);
    let first_png = std::fs::read(&first_path).unwrap();
    let sent = &got[1].body["messages"];
    let last = &sent[sent.as_array().unwrap().len() - 1];
    assert_eq!(last["role"], "user");
    assert_eq!(last["content"][0]["text"], "make it blue");
    let url = last["content"][1]["image_url"]["url"].as_str().unwrap();
    let b64 = url
        .strip_prefix("data:image/png;base64,")
        .expect("a PNG data URL");
    use base64::Engine;
    let back = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(
        back, first_png,
        "the picture drawn first is the one sent back"
    );
    // Both saved, both different files; drawn (half-blocks in tmux) above
    // their saved lines.
    let images = dir.path().join("data/images");
    let files: Vec<_> = walk(&images);
    assert_eq!(files.len(), 2, "{files:?}");
    assert_ne!(
        std::fs::read(&files[0]).unwrap(),
        std::fs::read(&files[1]).unwrap()
    );
    t.keys(&["C-Home"]);
    // The top of the conversation: the first prompt and its picture.
    t.wait_for("the first picture drawn", |s| {
        s.contains("draw a cat") && (s.contains("▀") || s.contains("▄"))
    });
    t.keys(&["C-d"]);
    t.wait_for("quit", |s| s.contains("[exited"));
    // Reopened: both pictures are there again.
    let t2 = Tmux::start(
        &orchat_cmd(dir.path(), env, &format!("{args} --continue")),
        100,
        40,
    );
    let s = t2.wait_for("the conversation back", |s| s.contains("make it blue"));
    assert!(s.contains("saved: "), "{s}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn a_reopened_conversation_sends_its_pdf_and_image_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let pdf = files.path().join("report.pdf");
    std::fs::write(&pdf, common::media::pdf(2)).unwrap();
    let png = files.path().join("chart.png");
    std::fs::write(
        &png,
        orchat::term::clipboard::png_of_rgba(8, 6, &[120u8; 8 * 6 * 4]).unwrap(),
    )
    .unwrap();
    let local = Local::start(ServerOptions::default());
    let args = format!(
        "--base-url {} -m google/gemini-2.5-flash --attach {} --attach {}",
        local.url(),
        pdf.display(),
        png.display()
    );
    let env = "OPENAI_API_KEY=sk-test-reload";
    let t = Tmux::start(&orchat_cmd(dir.path(), env, &args), 100, 30);
    t.wait_for("the chips", |s| {
        s.contains("📎1 report.pdf · 2 pages") && s.contains("📎2 chart.png")
    });
    t.text("compare them");
    t.keys(&["Enter"]);
    t.wait_for("the answer", |s| {
        s.contains("I read a PDF (report.pdf, 2 pages)") && !s.contains("streaming…")
    });
    t.keys(&["C-d"]);
    t.wait_for("quit", |s| s.contains("[exited"));
    // The files are gone from where they were: the kept copies are sent.
    drop(files);
    let cont = format!("--base-url {} --continue", local.url());
    let t2 = Tmux::start(&orchat_cmd(dir.path(), env, &cont), 100, 30);
    t2.wait_for("the conversation back", |s| s.contains("compare them"));
    t2.text("and again");
    t2.keys(&["Enter"]);
    t2.wait_for("the second answer", |s| {
        s.split_once("and again")
            .is_some_and(|(_, a)| a.contains("reported"))
            && !s.contains("streaming…")
    });
    let got = local.server.received();
    assert_eq!(got.len(), 2);
    let first = &got[0].body["messages"][0];
    assert_eq!(first["content"][1]["type"], "file");
    assert_eq!(first["content"][2]["type"], "image_url");
    assert_eq!(&got[1].body["messages"][0], first, "byte-identical parts");
}
