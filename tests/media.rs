//! What a file is and how long it plays, from its bytes: every kind orchat
//! attaches, its length or pages, its token estimate (PROTOCOL-MEDIA.md §3)
//! and its limits; the kind never taken from the extension alone.

mod common;

use common::media;
use orchat::chat::attach::{self, AudioFormat, Kind, media::Sniffed};

fn load(name: &str, bytes: &[u8]) -> Result<attach::Attachment, String> {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    attach::from_bytes(name, bytes, ext)
}

#[test]
fn each_kind_is_known_by_its_bytes_with_its_length() {
    let cases: Vec<(&str, Vec<u8>, Kind, Option<u64>)> = vec![
        (
            "memo.wav",
            media::wav(4_300),
            Kind::Audio(AudioFormat::Wav),
            Some(4_300),
        ),
        // 100 frames × 1152 samples / 44.1 kHz = 2.612 s (CBR: bytes × 8 / bitrate).
        (
            "song.mp3",
            media::mp3(100),
            Kind::Audio(AudioFormat::Mp3),
            Some(2_606),
        ),
        (
            "take.flac",
            media::flac(441_000),
            Kind::Audio(AudioFormat::Flac),
            Some(10_000),
        ),
        (
            "voice.ogg",
            media::ogg(96_000),
            Kind::Audio(AudioFormat::Ogg),
            Some(2_000),
        ),
        (
            "beat.aiff",
            media::aiff(88_200),
            Kind::Audio(AudioFormat::Aiff),
            Some(2_000),
        ),
        (
            "clip.aac",
            media::aac(431),
            Kind::Audio(AudioFormat::Aac),
            Some(10_004),
        ),
        (
            "clip.mp4",
            media::mp4(12_000, b"isom"),
            Kind::Video,
            Some(12_000),
        ),
        (
            "movie.mov",
            media::mp4(3_500, b"qt  "),
            Kind::Video,
            Some(3_500),
        ),
        (
            "talk.webm",
            media::webm(61_000.0),
            Kind::Video,
            Some(61_000),
        ),
    ];
    for (name, bytes, kind, ms) in cases {
        let a = load(name, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(a.kind, kind, "{name}");
        let got = a.duration_ms.unwrap_or_else(|| panic!("{name}: no length"));
        let want = ms.unwrap();
        assert!(got.abs_diff(want) <= 10, "{name}: {got} ms, want {want}");
    }
}

#[test]
fn the_bytes_decide_not_the_extension() {
    // A WAV named .mp3 is a WAV; a PDF named .txt is a PDF.
    let a = load("misnamed.mp3", &media::wav(1_000)).unwrap();
    assert_eq!(a.kind, Kind::Audio(AudioFormat::Wav));
    let p = load("notes.txt", &media::pdf(2)).unwrap();
    assert_eq!((p.kind, p.pages), (Kind::Pdf, Some(2)));
    // Text named like a PDF is refused: it is not one.
    let e = load("report.pdf", b"just some words").unwrap_err();
    assert!(e.contains("not a PDF"), "{e}");
    // Text named as text is text.
    let t = load("notes.md", "# Title\n\nSome *notes*.\n".as_bytes()).unwrap();
    assert_eq!(t.kind, Kind::Text);
    // Binary that is nothing known: refused, saying what is read.
    let e = load("blob.bin", &[0u8, 1, 2, 3, 0xFE]).unwrap_err();
    assert!(e.contains("not something Gemini reads"), "{e}");
    assert_eq!(
        attach::media::sniff(&media::mp4(1_000, b"M4A ")),
        Some(Sniffed::Audio(AudioFormat::M4a))
    );
}

#[test]
fn chips_say_what_each_adds_in_tokens() {
    let cases = [
        (
            "report.pdf",
            media::pdf(3),
            "report.pdf · 3 pages · ≈774–3.9k tok",
        ),
        ("memo.wav", media::wav(4_300), "memo.wav · 4.3 s · ≈138 tok"),
        (
            "clip.mp4",
            media::mp4(12_000, b"isom"),
            "clip.mp4 · 12 s · ≈3.6k tok",
        ),
        ("one.pdf", media::pdf(1), "one.pdf · 1 page · ≈258–1.3k tok"),
        (
            "long.webm",
            media::webm(125_000.0),
            "long.webm · 2 min 5 s · ≈37.5k tok",
        ),
    ];
    for (name, bytes, label) in cases {
        assert_eq!(load(name, &bytes).unwrap().label(), label);
    }
    let t = load("notes.md", &b"abcd".repeat(100)).unwrap();
    assert!(
        t.label().starts_with("notes.md · 400 B · ≈"),
        "{}",
        t.label()
    );
    // 4.32 s of MP3 at 32 tokens a second: 139 (PROTOCOL-MEDIA.md §3).
    assert_eq!(
        attach::Attachment {
            duration_ms: Some(4_320),
            ..load("memo.wav", &media::wav(10)).unwrap()
        }
        .tokens()
        .high,
        139
    );
    // Images by the tile rule: small, one tile; 1024×1024, four.
    assert_eq!(attach::image_tokens(Some((128, 128))), 258);
    assert_eq!(attach::image_tokens(Some((1024, 1024))), 1032);
    assert_eq!(attach::image_tokens(None), 258);
}

#[test]
fn limits_are_named_when_a_file_is_over_one() {
    // Audio longer than 9.5 hours (a header may say so of a short file).
    let mut long = media::flac(44_100 * 3600 * 10);
    long.truncate(42);
    let e = load("day.flac", &long).unwrap_err();
    assert!(
        e.contains("10 h 0 min is over the 9 h 30 min limit for audio"),
        "{e}"
    );
    let e = load("film.mp4", &media::mp4(2 * 3_600_000, b"isom")).unwrap_err();
    assert!(e.contains("over the 1 h 0 min limit for a video"), "{e}");
    let e = load("big.txt", &vec![b'a'; 1024 * 1024 + 1]).unwrap_err();
    assert!(e.contains("over the 1 MB limit"), "{e}");
    let mut cut = media::pdf(2);
    cut.truncate(cut.len() - 8);
    let e = load("cut.pdf", &cut).unwrap_err();
    assert!(e.contains("damaged PDF"), "{e}");
    let e = load("song.m4a", &media::mp4(1_000, b"M4A ")).unwrap_err();
    assert!(e.contains("M4A audio is not read by Gemini"), "{e}");
    // Together: what one message can carry.
    let big = attach::Attachment {
        bytes: Some(40 * 1024 * 1024),
        ..load("a.wav", &media::wav(10)).unwrap()
    };
    assert!(attach::too_much_together(std::slice::from_ref(&big), &big).is_some());
    assert!(attach::too_much_together(&[], &big).is_none());
}

#[test]
fn links_are_taken_for_what_gemini_can_fetch() {
    let pdf = attach::load("https://example.com/paper.pdf?x=1").unwrap();
    assert_eq!(pdf.kind, Kind::Pdf);
    let yt = attach::load("https://www.youtube.com/watch?v=abc").unwrap();
    assert_eq!(yt.kind, Kind::Video);
    let e = attach::load("https://example.com/song.mp3").unwrap_err();
    assert!(e.contains("audio cannot be sent as a link"), "{e}");
    let e = attach::load("https://example.com/clip.webm").unwrap_err();
    assert!(e.contains("other than YouTube"), "{e}");
    assert_eq!(
        attach::load("https://example.com/cat").unwrap().kind,
        Kind::Image
    );
}

#[test]
fn kept_files_come_back_byte_for_byte_or_say_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let a = load("report.pdf", &media::pdf(3)).unwrap();
    attach::keep(dir.path(), &a).unwrap();
    let r = a.stored_ref();
    assert!(
        r.starts_with("sha256:") && r.ends_with("/report.pdf"),
        "{r}"
    );
    let back = attach::restore(Some(dir.path()), &r).unwrap();
    assert_eq!(back.part(), a.part());
    // Damaged on disk: said, never sent as something else.
    let d = a.digest.clone().unwrap();
    std::fs::write(dir.path().join(&d), b"%PDF-garbage").unwrap();
    let e = attach::restore(Some(dir.path()), &r).unwrap_err();
    assert!(e.contains("damaged"), "{e}");
    let missing = attach::Attachment::missing(&r, &e);
    match missing.part() {
        orchat::api::types::ContentPart::Text { text } => {
            assert!(text.contains("report.pdf could not be read back"), "{text}")
        }
        p => panic!("{p:?}"),
    }
}
