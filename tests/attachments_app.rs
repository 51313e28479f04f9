//! Everything Gemini reads, through the app against the local server: a
//! PDF, a WAV, an MP4 and a text file attached with /attach, each sent in
//! its own part shape (checked against what the server received) with its
//! token estimate; the chips and refusals on screen at 80x24; reopened, the
//! same bytes sent again; the errors providers give for media in a user's
//! words; a screenshot pasted from the clipboard; a pasted path offered.

mod common;

use std::sync::Arc;

use base64::Engine;
use common::{Driver, ctrl, media, screen};
use orchat::app::Msg;
use orchat::server::ServerOptions;
use orchat::term::clipboard::{ClipboardSource, Pasted};
use serde_json::json;

const FLASH: &str = "google/gemini-2.5-flash";
const IMAGE_MODEL: &str = "google/gemini-2.5-flash-image";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn attach(d: &mut Driver, arg: &str) {
    let before = d.app.composer.attachments.len() + d.app.conversation.tree().len();
    d.submit(&format!("/attach {arg}"));
    d.until(|a| a.composer.attachments.len() + a.conversation.tree().len() > before)
        .await;
}

/// The files of one test: a 3-page PDF, 4.3 s of WAV, 12 s of MP4, notes.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("report.pdf"), media::pdf(3)).unwrap();
        std::fs::write(dir.path().join("memo.wav"), media::wav(4_300)).unwrap();
        std::fs::write(dir.path().join("clip.mp4"), media::mp4(12_000, b"isom")).unwrap();
        std::fs::write(dir.path().join("notes.md"), "# Notes\n\n- one\n- two\n").unwrap();
        Files { dir }
    }
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
    fn bytes(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join(name)).unwrap()
    }
}

#[tokio::test]
async fn each_kind_goes_in_its_own_part_with_its_estimate() {
    let f = Files::new();
    let root = tempfile::tempdir().unwrap();
    let mut d = Driver::new(ServerOptions::default()).await;
    let store = d.saving_in(root.path(), &Default::default());
    for name in ["report.pdf", "memo.wav", "clip.mp4", "notes.md"] {
        attach(&mut d, &f.path(name)).await;
    }
    assert_eq!(
        d.app.composer.attachments.len(),
        4,
        "{:?}",
        common::errors(&d.app)
    );
    // The chips say what each is and adds.
    let s = screen(&d.app, 120, 30);
    for chip in [
        "report.pdf · 3 pages · ≈774–3.9k tok",
        "memo.wav · 4.3 s · ≈138 tok",
        "clip.mp4 · 12 s · ≈3.6k tok",
        "notes.md · 21 B · ≈",
    ] {
        assert!(s.contains(chip), "{chip}: {s}");
    }
    // The send estimate counts them: text, the PDF's upper bound, the
    // audio at 2.5 Flash's audio rate ($1.00/M), the video.
    let (tokens, images) = d.app.context_estimate("");
    assert_eq!(images, 0);
    let notes = orchat::chat::pricing::estimate_tokens(
        "<file name=\"notes.md\">\n# Notes\n\n- one\n- two\n\n</file>",
    );
    assert_eq!(tokens, 3 * 1290 + 138 + 3600 + notes);
    let m = d.app.env.catalog.get(FLASH).unwrap().clone();
    let est = d.app.send_estimate(&m).unwrap();
    let p = m.pricing.unwrap();
    assert_eq!(
        est,
        rust_decimal::Decimal::from(tokens - 138) * p.prompt
            + rust_decimal::Decimal::from(138u64) * p.audio.unwrap()
    );

    d.submit("what is in these?");
    d.until_idle().await;
    let body = &d.server.received()[0].body;
    assert_eq!(
        body["messages"][0],
        json!({"role": "user", "content": [
            {"type": "text", "text": "what is in these?"},
            {"type": "file", "file": {
                "filename": "report.pdf",
                "file_data": format!("data:application/pdf;base64,{}", b64(&f.bytes("report.pdf"))),
            }},
            {"type": "input_audio", "input_audio": {"data": b64(&f.bytes("memo.wav")), "format": "wav"}},
            {"type": "video_url", "video_url": {
                "url": format!("data:video/mp4;base64,{}", b64(&f.bytes("clip.mp4"))),
            }},
            {"type": "text", "text": "<file name=\"notes.md\">\n# Notes\n\n- one\n- two\n\n</file>"},
        ]})
    );
    // The server read them, and says so.
    let answer = &common::replies(&d.app)[0].answer;
    assert!(
        answer.text.starts_with(
            "I read a PDF (report.pdf, 3 pages), audio (wav, 4.3 s), video (video/mp4, 12 s), a text file (notes.md)."
        ),
        "{}",
        answer.text
    );
    // The answer's input estimate was the prompt's with its attachments.
    assert!(
        answer.prompt_estimate >= 3 * 1290 + 138 + 3600,
        "{}",
        answer.prompt_estimate
    );

    // Reopened: the same bytes go again, never a path.
    store.flush();
    let id = d.app.conversation.id.clone();
    let saved = orchat::runtime::load_session(&store, &id).unwrap();
    d.app = common::new_app();
    d.app.restore(&saved);
    assert!(
        !d.app.conversation.tree().is_empty(),
        "the conversation came back"
    );
    d.submit("and once more?");
    d.until_idle().await;
    let got = d.server.received();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[1].body["messages"][0], got[0].body["messages"][0],
        "the reopened conversation sends byte-identical parts"
    );
}

#[tokio::test]
async fn what_a_model_cannot_read_is_refused_with_a_model_that_can() {
    let f = Files::new();
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit(&format!("/model {IMAGE_MODEL}"));
    attach(&mut d, &f.path("memo.wav")).await;
    let errors = common::errors(&d.app);
    let (text, hint) = errors.last().expect("a refusal");
    assert!(
        text.starts_with(&format!(
            "{IMAGE_MODEL} does not read audio; models that do include google/gemini-2.5-pro"
        )),
        "{text}"
    );
    assert!(
        hint.as_deref()
            .unwrap()
            .starts_with("Ctrl+Y switches to google/gemini-2.5-pro"),
        "{hint:?}"
    );
    insta::assert_snapshot!("refused_audio_80x24", screen(&d.app, 80, 24));
    // Ctrl+Y: the model that reads it, and the prompt goes.
    d.type_text("transcribe it");
    d.send(ctrl('y'));
    d.until_idle().await;
    let got = d.server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body["model"], "google/gemini-2.5-pro");
    assert_eq!(
        got[0].body["messages"][0]["content"][1]["type"],
        "input_audio"
    );
}

#[tokio::test]
async fn chips_and_refusals_at_80x24() {
    let f = Files::new();
    let mut d = Driver::new(ServerOptions::default()).await;
    for name in ["report.pdf", "memo.wav", "clip.mp4"] {
        attach(&mut d, &f.path(name)).await;
    }
    // In /tmp whatever TMPDIR says, so the line is as long on every machine.
    let bad_dir = tempfile::Builder::new()
        .prefix("chips")
        .tempdir_in("/tmp")
        .unwrap();
    let bad = bad_dir.path().join("fake.pdf");
    std::fs::write(&bad, "words, not a PDF").unwrap();
    attach(&mut d, bad.to_str().unwrap()).await;
    // The temporary folder's random name, made steady (same length).
    let tmp = bad_dir.path().display().to_string();
    let steady = format!("{}{}", &tmp[..tmp.len() - 6], "XXXXXX");
    let s = screen(&d.app, 80, 24).replace(&tmp, &steady);
    assert!(s.contains("not attached: "), "{s}");
    insta::assert_snapshot!("chips_80x24", s);
    let wide = screen(&d.app, 120, 40).replace(&tmp, &steady);
    insta::assert_snapshot!("chips_120x40", wide);
}

#[tokio::test]
async fn provider_errors_for_media_are_in_a_users_words() {
    let f = Files::new();
    let mut d = Driver::new(ServerOptions::default()).await;
    let cases = [
        (
            "[[fault:no-endpoint:audio]]",
            "no provider for this model reads audio (404)",
        ),
        (
            "[[fault:413]]",
            "the file is too large for the provider (413)",
        ),
        (
            "[[fault:payload-limit]]",
            "the file is too large for the provider (400): Request payload size exceeds the limit: 314572800 bytes.",
        ),
    ];
    for (prompt, said) in cases {
        attach(&mut d, &f.path("memo.wav")).await;
        d.submit(prompt);
        d.until_idle().await;
        let (text, hint) = common::errors(&d.app).pop().expect("an error");
        assert!(text.starts_with(said), "{prompt}: {text}");
        assert!(hint.is_some(), "{prompt}: a way out");
        assert_eq!(text.lines().count(), 1);
    }
    // A video the provider silently ignored: said, not swallowed.
    attach(&mut d, &f.path("clip.mp4")).await;
    d.submit("what happens? [[fault:video-ignored]]");
    d.until_idle().await;
    let notices = common::notices(&d.app);
    assert!(
        notices
            .last()
            .unwrap()
            .starts_with("the provider ignored the video"),
        "{notices:?}"
    );
    // The same video read: no such notice.
    attach(&mut d, &f.path("clip.mp4")).await;
    d.submit("and now?");
    d.until_idle().await;
    assert_eq!(common::notices(&d.app).len(), notices.len());
}

struct FakeClipboard(Pasted);

impl ClipboardSource for FakeClipboard {
    fn read(&self) -> Result<Pasted, String> {
        Ok(self.0.clone())
    }
}

fn png(w: u32, h: u32) -> Vec<u8> {
    orchat::term::clipboard::png_of_rgba(w, h, &vec![90u8; (w * h * 4) as usize]).unwrap()
}

#[tokio::test]
async fn a_screenshot_is_pasted_and_a_pasted_path_is_offered() {
    let f = Files::new();
    let root = tempfile::tempdir().unwrap();
    let mut d = Driver::new(ServerOptions::default()).await;
    d.fx.set_dirs(orchat::paths::Dirs::under(root.path()));
    let shot = png(40, 30);
    d.fx.clipboard = Arc::new(FakeClipboard(Pasted::Image(shot.clone())));
    d.send(ctrl('v'));
    d.until(|a| !a.composer.attachments.is_empty()).await;
    let a = &d.app.composer.attachments[0];
    assert!(
        a.name.starts_with("pasted-") && a.name.ends_with(".png"),
        "{}",
        a.name
    );
    assert_eq!(a.dims, Some((40, 30)));
    // Kept with the conversation, under its digest.
    let kept = root
        .path()
        .join("data/attachments")
        .join(a.digest.as_ref().unwrap());
    assert_eq!(std::fs::read(kept).unwrap(), shot);
    d.submit("what is this?");
    d.until_idle().await;
    assert_eq!(
        d.server.received()[0].body["messages"][0]["content"][1]["image_url"]["url"],
        format!("data:image/png;base64,{}", b64(&shot))
    );
    // Text on the clipboard: pasted as text.
    d.fx.clipboard = Arc::new(FakeClipboard(Pasted::Text("hello there".into())));
    d.send(ctrl('v'));
    d.until(|a| a.draft() == "hello there").await;
    d.app.composer.set("");
    // Nothing: said.
    d.fx.clipboard = Arc::new(FakeClipboard(Pasted::Nothing));
    d.send(ctrl('v'));
    d.until(|a| {
        a.screen
            .flash
            .as_deref()
            .is_some_and(|f| f.contains("holds no image"))
    })
    .await;
    // A pasted path to a file: offered, Ctrl+Y attaches it and takes the
    // text out of the box.
    d.type_text("listen: ");
    d.send(Msg::Paste(f.path("memo.wav")));
    d.until(|a| {
        a.screen
            .flash
            .as_deref()
            .is_some_and(|f| f.contains("is a file: Ctrl+Y attaches it"))
    })
    .await;
    d.send(ctrl('y'));
    d.until(|a| !a.composer.attachments.is_empty()).await;
    assert_eq!(d.app.draft(), "listen:");
    assert_eq!(
        d.app.composer.attachments[0].kind,
        orchat::chat::attach::Kind::Audio(orchat::chat::attach::AudioFormat::Wav)
    );
    // A pasted line that is no file: just text.
    d.send(Msg::Paste("/no/such/file.wav".into()));
    assert!(d.app.draft().ends_with("/no/such/file.wav"));
}

/// An image model asked for a cat, with its data directory under `root`;
/// returns once the picture is saved.
async fn a_cat_drawn(root: &std::path::Path) -> Driver {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.fx.set_dirs(orchat::paths::Dirs::under(root));
    d.submit(&format!("/model {IMAGE_MODEL}"));
    d.submit("draw a cat 48x32");
    d.until_idle().await;
    d.until(|a| common::replies(a)[0].answer.image_paths.len() == 1)
        .await;
    d
}

#[tokio::test]
async fn a_drawn_image_goes_back_to_be_edited() {
    let root = tempfile::tempdir().unwrap();
    let mut d = a_cat_drawn(root.path()).await;
    // Saved: the answer holds the file's path, not the data.
    let first = &common::replies(&d.app)[0].answer.images[0];
    assert!(first.inline_url().is_none(), "{first:?}");
    let first = first.data_url().unwrap();
    d.submit("make it blue");
    d.until_idle().await;
    let got = d.server.received();
    assert_eq!(got.len(), 2);
    let msgs = got[1].body["messages"].as_array().unwrap().clone();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert_eq!(msgs[1]["role"], "assistant");
    assert_eq!(
        msgs[2],
        json!({"role": "user", "content": [
            {"type": "text", "text": "make it blue"},
            {"type": "image_url", "image_url": {"url": first}},
        ]})
    );
    assert_eq!(got[1].body["modalities"], json!(["image", "text"]));
    d.until(|a| common::replies(a)[1].answer.image_paths.len() == 1)
        .await;
    let second = common::replies(&d.app)[1].answer.images[0]
        .data_url()
        .unwrap();
    assert_ne!(first, second, "a new version");
    // The edit kept the size and turned it blue.
    let decode = |url: &str| {
        let bytes = b64d(url.split_once(",").unwrap().1);
        image::load_from_memory(&bytes).unwrap().to_rgb8()
    };
    let (a, b) = (decode(&first), decode(&second));
    assert_eq!(a.dimensions(), b.dimensions());
    let blue = |img: &image::RgbImage| img.pixels().map(|p| u64::from(p.0[2])).sum::<u64>();
    assert!(blue(&b) > blue(&a));
    // Both versions saved.
    for r in common::replies(&d.app) {
        let p = r.answer.image_paths[0].as_ref().unwrap();
        assert!(std::path::Path::new(p).is_file(), "{p}");
    }
}

#[tokio::test]
async fn an_image_whose_file_is_gone_is_not_sent_and_the_user_is_told() {
    let root = tempfile::tempdir().unwrap();
    let mut d = a_cat_drawn(root.path()).await;
    let path = common::replies(&d.app)[0].answer.image_paths[0]
        .clone()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    d.submit("make it blue");
    d.until_idle().await;
    let got = d.server.received();
    assert_eq!(got.len(), 2);
    let last = got[1].body["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last, json!({"role": "user", "content": "make it blue"}));
    let flash = d.app.screen.flash.clone().unwrap_or_default();
    assert!(
        flash.starts_with("the image to edit could not be read back (cannot read ")
            && flash.contains(&path)
            && flash.ends_with("): asked without it"),
        "{flash}"
    );
    // The first answer says its picture cannot be shown, not a blank.
    let s = common::screen(&d.app, 200, 80);
    assert!(
        s.contains(&format!("[image 1 cannot be shown: cannot read {path}: ")),
        "{s}"
    );
}

fn b64d(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
fn an_image_only_answer_keeps_its_turn_in_history() {
    let mut app = common::new_app();
    let p = app.conversation.add_prompt(
        orchat::app::conversation::Prompt {
            text: "draw a cat".into(),
            images: Vec::new(),
            model: IMAGE_MODEL.into(),
        },
        None,
        0,
    );
    let mut a = orchat::chat::answer::Answer::new(IMAGE_MODEL, 10, 0);
    a.status = orchat::chat::answer::Status::Complete;
    a.image_paths = vec![Ok("/tmp/cat.png".into())];
    let [(_, id)] = app.conversation.ask(p, vec![a], 0, 0)[..] else {
        unreachable!()
    };
    app.conversation.ended(id);
    let msgs = app.wire_messages();
    assert_eq!(msgs.len(), 2);
    assert_eq!(
        serde_json::to_value(&msgs[1]).unwrap(),
        json!({"role": "assistant", "content": "(generated 1 image)"})
    );
}
