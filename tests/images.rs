//! Images in and out: attachments on the wire, every bad input refused with
//! its message and nothing sent, generated images saved, checked and shown.

mod common;

use std::sync::OnceLock;

use common::{Driver, key, screen};
use crossterm::event::KeyCode;
use orchat::server::ServerOptions;
use serde_json::json;

/// One data directory for this test binary (the variable is process-wide).
fn data_dir() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let d = DIR.get_or_init(|| tempfile::tempdir().unwrap());
    // SAFETY: set once, before any thread of this binary reads it.
    unsafe { std::env::set_var("ORCHAT_DATA_DIR", d.path()) };
    d.path()
}

fn png_file(dir: &std::path::Path, w: u32, h: u32) -> std::path::PathBuf {
    let p = dir.join(format!("pic-{w}x{h}.png"));
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().unwrap();
        wr.write_image_data(&vec![200u8; (w * h * 3) as usize])
            .unwrap();
    }
    std::fs::write(&p, bytes).unwrap();
    p
}

async fn attach(d: &mut Driver, arg: &str) {
    let before = d.app.composer.attachments.len() + d.app.conversation.tree().len();
    d.submit(&format!("/attach {arg}"));
    d.until(|a| a.composer.attachments.len() + a.conversation.tree().len() > before)
        .await;
}

fn last_error(d: &Driver) -> String {
    match common::errors(&d.app).pop() {
        Some((text, _)) => text,
        None => panic!("expected an error, got {:?}", d.app.conversation.shown()),
    }
}

#[tokio::test]
async fn url_and_file_attachments_go_on_the_wire_exactly() {
    data_dir();
    let tmp = tempfile::tempdir().unwrap();
    let file = png_file(tmp.path(), 4, 3);
    let mut d = Driver::new(ServerOptions::default()).await;
    attach(&mut d, "https://example.com/cat.png").await;
    attach(&mut d, file.to_str().unwrap()).await;
    assert_eq!(d.app.composer.attachments.len(), 2);
    assert_eq!(d.app.composer.attachments[1].dims, Some((4, 3)));
    // Chips above the input: name, size, pixel size.
    let s = screen(&d.app, 100, 20);
    assert!(s.contains("📎1 https://example.com/cat.png"), "{s}");
    assert!(
        s.contains("📎2 pic-4x3.png · ") && s.contains(" · 4×3"),
        "{s}"
    );

    d.submit("what is in these?");
    d.until_idle().await;
    let body = &d.server.received()[0].body;
    let data_url = format!(
        "data:image/png;base64,{}",
        base64_of(&std::fs::read(&file).unwrap())
    );
    assert_eq!(
        body["messages"][0],
        json!({"role": "user", "content": [
            {"type": "text", "text": "what is in these?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
            {"type": "image_url", "image_url": {"url": data_url}},
        ]})
    );
    assert!(
        d.app.composer.attachments.is_empty(),
        "sent attachments leave the chips"
    );
    // The vision model acknowledges the images, and the sent message lists them.
    let answer = &common::replies(&d.app)[0].answer;
    assert!(
        answer.text.starts_with("I received 2 images."),
        "{}",
        answer.text
    );
    let s = screen(&d.app, 100, 40);
    assert!(
        s.contains("📎 https://example.com/cat.png") && s.contains("📎 pic-4x3.png"),
        "{s}"
    );
    // The request's estimated input counted both images.
    assert_eq!(answer.images_in, 2);
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn bad_attachments_are_refused_with_their_reason_and_nothing_is_sent() {
    data_dir();
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("notes.png");
    std::fs::write(&text, "just text, named like a picture").unwrap();
    let huge = tmp.path().join("huge.png");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(orchat::chat::attach::MAX_IMAGE_BYTES + 1)
        .unwrap();
    let mut d = Driver::new(ServerOptions::default()).await;
    let cases = [
        (
            tmp.path().join("missing.png").display().to_string(),
            "cannot read it",
        ),
        (text.display().to_string(), "not a PNG, JPEG, WebP or GIF"),
        (huge.display().to_string(), "over the 20 MB limit"),
        (
            "ftp://example.com/cat.png".to_string(),
            "only http(s) URLs and local files",
        ),
        (tmp.path().display().to_string(), "not a file"),
    ];
    for (arg, why) in cases {
        attach(&mut d, &arg).await;
        let e = last_error(&d);
        assert!(e.contains(why), "{arg}: {e}");
        assert!(d.app.composer.attachments.is_empty());
    }
    // A model that cannot read images: said, with the models that can, and
    // Ctrl+Y switches; nothing is sent until then.
    d.app.chat.model = "deepseek/deepseek-chat-v3-0324:free".into();
    attach(&mut d, "https://example.com/cat.png").await;
    let e = last_error(&d);
    assert!(
        e.contains("does not read images") && e.contains("google/gemini"),
        "{e}"
    );
    d.submit("describe it");
    assert!(!d.app.is_busy());
    assert_eq!(d.app.draft(), "describe it", "the draft is kept");
    assert!(d.server.received().is_empty(), "nothing was sent");
    d.send(common::ctrl('y'));
    assert!(d.app.current_model().unwrap().accepts_images());
    d.until_idle().await;
    assert_eq!(d.server.received().len(), 1);
    assert_eq!(
        d.server.received()[0].body["messages"][0]["content"][1]["type"],
        "image_url"
    );
}

#[tokio::test]
async fn generated_images_are_saved_checked_and_shown() {
    let dir = data_dir();
    let mut d = Driver::new(ServerOptions::default()).await;
    d.app.conversation.id = "conv-test".into();
    d.app.chat.model = "google/gemini-2.5-flash-image-preview".into();
    d.submit("a red fox in snow 64x48");
    d.until(|a| {
        common::replies(a)
            .iter()
            .any(|r| !r.answer.image_paths.is_empty())
    })
    .await;
    // The request asked for image output.
    assert_eq!(
        d.server.received()[0].body["modalities"],
        json!(["image", "text"])
    );
    let r = common::replies(&d.app)[0];
    let (answer, cost) = (&r.answer, r.cost);
    let path = answer.image_paths[0].clone().unwrap();
    assert!(
        path.starts_with(dir.join("images").join("conv-test").to_str().unwrap()),
        "{path}"
    );
    assert!(
        path.ends_with("001-a-red-fox-in-snow-64x48-1.png"),
        "{path}"
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    let info = decoder.read_info().unwrap();
    assert_eq!((info.info().width, info.info().height), (64, 48));
    // Image output tokens are in the usage and priced at the image rate.
    assert_eq!(answer.usage.as_ref().unwrap().image_tokens(), 1290);
    assert!(
        cost.unwrap().usd > rust_decimal::Decimal::new(3, 2),
        "≈$0.039 per image"
    );
    let sub = &d.app.wallet.ledger.by_model["google/gemini-2.5-flash-image-preview"];
    assert_eq!(sub.image_tokens, 1290);
    // F4 offers to open it.
    let fx = orchat::app::update(&mut d.app, key(KeyCode::F(4)));
    assert_eq!(fx, vec![orchat::app::Effect::Open(path.clone())]);
    // On screen: the half-block picture and where it was saved.
    let s = screen(&d.app, 120, 24).replace(&path, "<path>");
    assert!(s.contains("saved: <path>"), "{s}");
    assert!(
        s.contains('▀') || s.contains('▄'),
        "half-blocks drawn:\n{s}"
    );
    insta::assert_snapshot!(s);
}

#[tokio::test]
async fn a_multi_megabyte_image_line_streams_through() {
    data_dir();
    let mut d = Driver::new(ServerOptions::default()).await;
    d.app.chat.model = "google/gemini-2.5-flash-image".into();
    d.submit("a big one 1024x1024");
    d.until_idle().await;
    let answer = &common::replies(&d.app)[0].answer;
    let url = answer.images[0].data_url().unwrap();
    assert!(url.len() > 2 * 1024 * 1024, "{} bytes", url.len());
    assert_eq!(answer.status, orchat::chat::answer::Status::Complete);
    // The app draws it and keeps going.
    let _ = screen(&d.app, 80, 30);
    d.app.chat.model = "google/gemini-2.5-flash".into();
    d.submit("thanks");
    d.until_idle().await;
    assert_eq!(common::answers(&d.app).len(), 2);
    assert_eq!(common::prompts(&d.app).len(), 2);
}
