//! `--attach` in one-shot and compare mode, with the real binary against
//! the local server: every kind in its part, `--json` listing what was
//! attached with its kind and token estimate, refusals before anything is
//! sent, a video the provider ignored said on stderr.

mod common;

use common::media;
use common::oneshot::{Local, orchat, run, stderr, stdout};
use orchat::server::ServerOptions;

fn files(dir: &std::path::Path) -> (String, String, String) {
    let pdf = dir.join("report.pdf");
    let wav = dir.join("memo.wav");
    let mp4 = dir.join("clip.mp4");
    std::fs::write(&pdf, media::pdf(3)).unwrap();
    std::fs::write(&wav, media::wav(4_300)).unwrap();
    std::fs::write(&mp4, media::mp4(12_000, b"isom")).unwrap();
    let s = |p: std::path::PathBuf| p.display().to_string();
    (s(pdf), s(wav), s(mp4))
}

#[test]
fn one_shot_sends_each_kind_and_json_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let (pdf, wav, mp4) = files(dir.path());
    let local = Local::start(ServerOptions::default());
    let out = run(orchat(&dir)
        .args([
            "--base-url",
            &local.url(),
            "-m",
            "google/gemini-2.5-flash",
            "--json",
        ])
        .args(["--attach", &pdf, "--attach", &wav, "--image", &mp4])
        .args(["-p", "what is in these?"])
        .env("OPENAI_API_KEY", "sk-test"));
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(
        v["attachments"],
        serde_json::json!([
            {"name": pdf, "kind": "file", "mime": "application/pdf", "bytes": media::pdf(3).len(),
             "pages": 3, "seconds": null, "tokens_estimate": [774, 3870]},
            {"name": wav, "kind": "audio", "mime": "audio/wav", "bytes": media::wav(4_300).len(),
             "pages": null, "seconds": 4.3, "tokens_estimate": 138},
            {"name": mp4, "kind": "video", "mime": "video/mp4", "bytes": media::mp4(12_000, b"isom").len(),
             "pages": null, "seconds": 12.0, "tokens_estimate": 3600},
        ])
    );
    let parts = &local.server.received()[0].body["messages"][0]["content"];
    let kinds: Vec<&str> = parts
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["text", "file", "input_audio", "video_url"]);
    assert!(v["answer"].as_str().unwrap().starts_with(
        "I read a PDF (report.pdf, 3 pages), audio (wav, 4.3 s), video (video/mp4, 12 s)."
    ));
    // The server counted them: prompt tokens above the text alone.
    assert!(v["usage"]["prompt_tokens"].as_u64().unwrap() > 774 + 138 + 3600);
}

#[test]
fn refusals_come_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (_, wav, _) = files(dir.path());
    let local = Local::start(ServerOptions::default());
    // A model that does not read audio.
    let out = run(orchat(&dir)
        .args([
            "--base-url",
            &local.url(),
            "-m",
            "google/gemini-2.5-flash-image",
        ])
        .args(["--attach", &wav, "-p", "transcribe"])
        .env("OPENAI_API_KEY", "sk-test"));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("google/gemini-2.5-flash-image does not read audio; models that do include"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // Compare mode: the same check for each model.
    let out = run(orchat(&dir)
        .args([
            "--base-url",
            &local.url(),
            "--compare",
            "2.5-flash,2.5-flash-image",
        ])
        .args(["--attach", &wav, "-p", "transcribe"])
        .env("OPENAI_API_KEY", "sk-test"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("does not read audio"));
    // A link to audio.
    let out = run(orchat(&dir)
        .args([
            "--base-url",
            &local.url(),
            "--attach",
            "https://example.com/a.mp3",
        ])
        .args(["-p", "transcribe"])
        .env("OPENAI_API_KEY", "sk-test"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("audio cannot be sent as a link"));
    assert!(local.server.received().is_empty(), "nothing was sent");
}

#[test]
fn compare_mode_sends_the_same_parts_to_every_model() {
    let dir = tempfile::tempdir().unwrap();
    let (pdf, _, _) = files(dir.path());
    let local = Local::start(ServerOptions::default());
    let out = run(orchat(&dir)
        .args(["--base-url", &local.url(), "--compare", "2.5-flash,2.5-pro"])
        .args(["--attach", &pdf, "-p", "summarise"])
        .env("OPENAI_API_KEY", "sk-test"));
    assert!(out.status.success(), "{}", stderr(&out));
    let got = local.server.received();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].body["messages"][0]["content"],
        got[1].body["messages"][0]["content"]
    );
    assert_eq!(got[0].body["messages"][0]["content"][1]["type"], "file");
}

#[test]
fn a_video_the_provider_ignored_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, mp4) = files(dir.path());
    let local = Local::start(ServerOptions::default());
    let out = run(orchat(&dir)
        .args(["--base-url", &local.url(), "--attach", &mp4])
        .args(["-p", "what happens? [[fault:video-ignored]]"])
        .env("OPENAI_API_KEY", "sk-test"));
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("the provider ignored the video (0 video tokens)"),
        "{}",
        stderr(&out)
    );
}
