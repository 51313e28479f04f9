//! Attachments: everything Gemini reads (PROTOCOL-MEDIA.md §1). An image,
//! a PDF, a recording, a video or a text file, each sent in its own part
//! shape; the file's bytes decide what it is, not its extension. Each
//! says what it adds to the prompt in tokens (§3) before it is sent, and
//! is refused, with the limit named, when it is over one (§1.10).

pub mod media;

use std::path::Path;

use base64::Engine;

pub use media::AudioFormat;
use media::Sniffed;

use crate::api::types::{ContentPart, FileData, ImageUrl, InputAudio, VideoUrl};
use crate::chat::pricing::{IMAGE_INPUT_TOKENS, estimate_tokens};

/// Larger images are refused before anything is sent.
pub const MAX_IMAGE_BYTES: u64 = 20 * 1024 * 1024;
/// PDFs: Gemini's per-file limit (PROTOCOL-MEDIA.md §1.10).
pub const MAX_PDF_BYTES: u64 = 50 * 1024 * 1024;
pub const MAX_PDF_PAGES: u32 = 1000;
/// Audio and video, sent inline: base64 makes 50 MB about 67 MB of JSON,
/// under Gemini's 100 MB per request (§1.10).
pub const MAX_MEDIA_BYTES: u64 = 50 * 1024 * 1024;
/// Audio per prompt: 9.5 hours (§1.10).
pub const MAX_AUDIO_MS: u64 = 9 * 3_600_000 + 1_800_000;
/// Video: about an hour at the default resolution (§1.10).
pub const MAX_VIDEO_MS: u64 = 3_600_000;
/// A text file goes in the prompt as text.
pub const MAX_TEXT_BYTES: u64 = 1024 * 1024;
/// Everything attached to one message (raw bytes): its base64 stays
/// under Gemini's 100 MB per request.
pub const MAX_MESSAGE_BYTES: u64 = 70 * 1024 * 1024;

/// Tokens per second of audio and of video (PROTOCOL-MEDIA.md §3).
pub const AUDIO_TOKENS_PER_S: u64 = 32;
pub const VIDEO_TOKENS_PER_S: u64 = 300;
/// A PDF page: 258 tokens as documented, up to 1,290 as Vertex counts (§3).
pub const PDF_PAGE_TOKENS: (u64, u64) = (258, 1290);

/// What an attachment is, as the wire sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    Pdf,
    Audio(AudioFormat),
    Video,
    Text,
}

impl Kind {
    /// The input kind a model must list to read it (`input_modalities`,
    /// PROTOCOL-MEDIA.md §1.11).
    pub fn modality(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Pdf => "file",
            Kind::Audio(_) => "audio",
            Kind::Video => "video",
            Kind::Text => "text",
        }
    }

    /// In a user's words: "an image", "a PDF", "audio", "video".
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Image => "images",
            Kind::Pdf => "PDFs",
            Kind::Audio(_) => "audio",
            Kind::Video => "video",
            Kind::Text => "text",
        }
    }
}

/// What an attachment adds to the prompt (estimated tokens): a range where
/// sources disagree (a PDF's pages), and the part of it that is audio
/// (priced at the model's audio rate where it has one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tokens {
    pub low: u64,
    pub high: u64,
    pub audio: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// What the user gave: a URL or a path.
    pub source: String,
    /// The file's name (the URL for a URL).
    pub name: String,
    pub kind: Kind,
    /// An image, a PDF or a video: the https URL as given, or a
    /// `data:<mime>;base64,` URL of the bytes; audio: a data URL too (its
    /// base64 is what goes); a text file: empty.
    pub url: String,
    /// A text file's text.
    pub text: Option<String>,
    pub bytes: Option<u64>,
    pub mime: Option<&'static str>,
    /// Pixel size of a local image.
    pub dims: Option<(u32, u32)>,
    pub pages: Option<u32>,
    pub duration_ms: Option<u64>,
    /// SHA-256 of a local file's bytes (hex): where it is kept with the
    /// conversation (`attachments/<digest>` beside the database).
    pub digest: Option<String>,
}

impl Attachment {
    /// An https URL, sent as it is (orchat does not download it).
    fn url_of(source: &str, kind: Kind) -> Attachment {
        Attachment {
            source: source.to_string(),
            name: source.to_string(),
            kind,
            url: source.to_string(),
            text: None,
            bytes: None,
            mime: None,
            dims: None,
            pages: None,
            duration_ms: None,
            digest: None,
        }
    }

    /// An image at `url` (a data URL or an https URL), e.g. a generated
    /// image sent back to be edited.
    pub fn image_url(name: &str, url: String) -> Attachment {
        Attachment {
            name: name.to_string(),
            source: name.to_string(),
            url,
            ..Attachment::url_of("", Kind::Image)
        }
    }

    /// A saved attachment that could not be read back (`why`): sent as a
    /// line saying so, never as a path the model cannot open.
    pub fn missing(stored: &str, why: &str) -> Attachment {
        let name = parse_ref(stored).map_or(stored, |(_, n)| n);
        Attachment {
            name: name.to_string(),
            source: name.to_string(),
            text: Some(format!(
                "(the attachment {name} could not be read back: {why})"
            )),
            mime: None,
            ..Attachment::url_of(stored, Kind::Text)
        }
    }

    /// Whether it is a saved attachment that could not be read back.
    pub fn is_missing(&self) -> bool {
        self.kind == Kind::Text && self.bytes.is_none() && self.digest.is_none()
    }

    /// Tokens it adds to the prompt (PROTOCOL-MEDIA.md §3).
    pub fn tokens(&self) -> Tokens {
        let one = |n| Tokens {
            low: n,
            high: n,
            audio: 0,
        };
        match self.kind {
            Kind::Image => one(image_tokens(self.dims)),
            Kind::Pdf => {
                let pages = u64::from(self.pages.unwrap_or(1));
                Tokens {
                    low: pages * PDF_PAGE_TOKENS.0,
                    high: pages * PDF_PAGE_TOKENS.1,
                    audio: 0,
                }
            }
            Kind::Audio(_) => {
                let n = per_second(self.duration_ms, AUDIO_TOKENS_PER_S);
                Tokens { audio: n, ..one(n) }
            }
            Kind::Video => one(per_second(self.duration_ms, VIDEO_TOKENS_PER_S)),
            Kind::Text => one(estimate_tokens(&self.wrapped_text())),
        }
    }

    /// A short label for chips and sent messages: its name, what it is and
    /// what it adds, e.g. `report.pdf · 3 pages · ≈774–3.9k tok`,
    /// `memo.wav · 4.3 s · ≈139 tok`.
    pub fn label(&self) -> String {
        let name = self.short_name();
        let mut s = crate::text::preview(&name, 40);
        let mut add = |x: String| {
            s.push_str(" · ");
            s.push_str(&x);
        };
        match self.kind {
            Kind::Image => {
                if let Some(b) = self.bytes {
                    add(human_bytes(b));
                }
                if let Some((w, h)) = self.dims {
                    add(format!("{w}×{h}"));
                }
            }
            Kind::Pdf => match self.pages {
                Some(1) => add("1 page".into()),
                Some(n) => add(format!("{n} pages")),
                None if self.bytes.is_some() => add("? pages".into()),
                None => add("PDF".into()),
            },
            Kind::Audio(_) | Kind::Video => match self.duration_ms {
                Some(ms) => add(human_duration(ms)),
                None => add("? s".into()),
            },
            Kind::Text => {
                if let Some(b) = self.bytes {
                    add(human_bytes(b));
                }
            }
        }
        let t = self.tokens();
        let unknown =
            matches!(self.kind, Kind::Audio(_) | Kind::Video) && self.duration_ms.is_none();
        add(if unknown {
            "? tok".into()
        } else if t.low == t.high {
            format!("≈{} tok", short_tokens(t.low))
        } else {
            format!("≈{}–{} tok", short_tokens(t.low), short_tokens(t.high))
        });
        s
    }

    /// A local file's name without its folders; a URL or a command's
    /// output (`!ls -la /tmp`) as it is.
    pub fn short_name(&self) -> String {
        if self.bytes.is_none() || self.name.starts_with('!') {
            return self.name.clone();
        }
        Path::new(&self.name)
            .file_name()
            .map_or(self.name.clone(), |n| n.to_string_lossy().into_owned())
    }

    /// The text part of a text file: named, so the model can tell the
    /// file from the instruction (PROTOCOL-MEDIA.md §1.6).
    fn wrapped_text(&self) -> String {
        let name = self.short_name();
        format!(
            "<file name=\"{}\">\n{}\n</file>",
            name.replace('"', "'"),
            self.text.as_deref().unwrap_or("")
        )
    }

    /// Its content part (PROTOCOL-MEDIA.md §1.1).
    pub fn part(&self) -> ContentPart {
        match self.kind {
            Kind::Image => ContentPart::ImageUrl {
                image_url: ImageUrl {
                    url: self.url.clone(),
                    detail: None,
                },
            },
            Kind::Pdf => ContentPart::File {
                file: FileData {
                    filename: Some(
                        Path::new(&self.name)
                            .file_name()
                            .map_or("document.pdf".into(), |n| n.to_string_lossy().into_owned()),
                    ),
                    file_data: self.url.clone(),
                },
            },
            Kind::Audio(f) => ContentPart::InputAudio {
                input_audio: InputAudio {
                    data: self
                        .url
                        .split_once(";base64,")
                        .map_or(self.url.as_str(), |(_, b)| b)
                        .to_string(),
                    format: f.wire().to_string(),
                },
            },
            Kind::Video => ContentPart::VideoUrl {
                video_url: VideoUrl {
                    url: self.url.clone(),
                },
            },
            Kind::Text if self.is_missing() => ContentPart::Text {
                text: self.text.clone().unwrap_or_default(),
            },
            Kind::Text => ContentPart::Text {
                text: self.wrapped_text(),
            },
        }
    }

    /// How it is saved with the conversation: a URL as it is; a local
    /// file by its digest and name (`sha256:<hex>/<name>`), its bytes kept
    /// in `attachments/` beside the database.
    pub fn stored_ref(&self) -> String {
        match &self.digest {
            Some(d) => format!("sha256:{d}/{}", self.name),
            None => self.source.clone(),
        }
    }

    /// The file's bytes (a local attachment's, decoded from its data URL
    /// or its text): what is kept under its digest.
    pub fn file_bytes(&self) -> Option<Vec<u8>> {
        self.digest.as_ref()?;
        match self.kind {
            Kind::Text => self.text.as_ref().map(|t| t.as_bytes().to_vec()),
            _ => {
                let (_, b64) = self.url.split_once(";base64,")?;
                base64::engine::general_purpose::STANDARD.decode(b64).ok()
            }
        }
    }
}

/// A saved reference split: (digest, name) for `sha256:<hex>/<name>`.
pub fn parse_ref(r: &str) -> Option<(&str, &str)> {
    let rest = r.strip_prefix("sha256:")?;
    let (d, name) = rest.split_once('/')?;
    (d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit())).then_some((d, name))
}

/// An image's tokens: 258 when both sides are at most 384 px, else 258 per
/// 768×768 tile (PROTOCOL-MEDIA.md §3); 258 when its size is unknown.
pub fn image_tokens(dims: Option<(u32, u32)>) -> u64 {
    match dims {
        Some((w, h)) if w > 384 || h > 384 => {
            u64::from(w.div_ceil(768)) * u64::from(h.div_ceil(768)) * IMAGE_INPUT_TOKENS
        }
        _ => IMAGE_INPUT_TOKENS,
    }
}

fn per_second(ms: Option<u64>, rate: u64) -> u64 {
    ms.map_or(0, |ms| (ms * rate).div_ceil(1000))
}

/// `774`, `3.6k`, `120k`.
pub fn short_tokens(n: u64) -> String {
    if n < 1000 {
        n.to_string()
    } else if n < 100_000 {
        let tenths = (n + 50) / 100;
        format!("{}.{}k", tenths / 10, tenths % 10)
    } else {
        format!("{}k", (n + 500) / 1000)
    }
}

/// `4.3 s`, `12 s`, `2 min 5 s`, `1 h 2 min`.
pub fn human_duration(ms: u64) -> String {
    let s = ms / 1000;
    if ms < 10_000 {
        format!("{}.{} s", ms / 1000, (ms % 1000 + 50) / 100 % 10)
    } else if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{} h {} min", s / 3600, s % 3600 / 60)
    }
}

pub fn human_bytes(b: u64) -> String {
    if b >= 1024 * 1024 {
        format!("{:.1} MB", b as f64 / (1024.0 * 1024.0))
    } else if b >= 1024 {
        format!("{} KB", b.div_ceil(1024))
    } else {
        format!("{b} B")
    }
}

/// Decodes the whole image (its first frame); its pixel size.
fn decoded_size(bytes: &[u8]) -> Result<(u32, u32), image::ImageError> {
    let img = image::load_from_memory(bytes)?;
    Ok((img.width(), img.height()))
}

/// Sniffs the image type from the first bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    match media::sniff(bytes)? {
        Sniffed::Image(m) => Some(m),
        _ => None,
    }
}

/// Extensions that name a kind of media: a file so named whose bytes are
/// something else is refused rather than sent as text.
fn claimed(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "png" | "jpg" | "jpeg" | "webp" | "gif" => "a PNG, JPEG, WebP or GIF image",
        "pdf" => "a PDF",
        "wav" | "mp3" | "aiff" | "aif" | "aac" | "ogg" | "oga" | "opus" | "flac" | "m4a" => {
            "a WAV, MP3, AIFF, AAC, OGG or FLAC recording"
        }
        "mp4" | "mpeg" | "mpg" | "mov" | "webm" | "avi" | "flv" | "wmv" | "3gp" | "3gpp" => {
            "an MP4, MPEG, MOV, WebM, AVI, FLV, WMV or 3GP video"
        }
        _ => return None,
    })
}

/// Loads an attachment, or says in one line why it cannot be sent.
pub fn load(arg: &str) -> Result<Attachment, String> {
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    load_from(arg, home.as_deref())
}

/// What an https URL is, from its path: a PDF, a YouTube video, else an
/// image. Audio and other videos are refused: Gemini takes audio only as
/// bytes, and ignores video URLs other than YouTube's (§1.2).
fn from_url(arg: &str) -> Result<Attachment, String> {
    let shown = crate::text::preview(arg, 60);
    let path = arg
        .split(['?', '#'])
        .next()
        .unwrap_or(arg)
        .to_ascii_lowercase();
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    let host = arg
        .split_once("://")
        .map_or("", |(_, r)| r.split('/').next().unwrap_or(""))
        .to_ascii_lowercase();
    let youtube = [
        "youtube.com",
        "www.youtube.com",
        "youtu.be",
        "m.youtube.com",
    ]
    .contains(&host.as_str());
    if youtube {
        return Ok(Attachment::url_of(arg, Kind::Video));
    }
    match claimed(ext) {
        Some(k) if k.contains("recording") => Err(format!(
            "{shown}: audio cannot be sent as a link; download it and attach the file"
        )),
        Some(k) if k.contains("video") => Err(format!(
            "{shown}: Gemini ignores video links other than YouTube's; download it and attach the file"
        )),
        Some("a PDF") => Ok(Attachment::url_of(arg, Kind::Pdf)),
        _ => Ok(Attachment::url_of(arg, Kind::Image)),
    }
}

/// `load` with `~/` read as `home` (`None`: no home, `~/` is a plain path).
pub fn load_from(arg: &str, home: Option<&Path>) -> Result<Attachment, String> {
    let arg = arg.trim();
    let lower = arg.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return from_url(arg);
    }
    if let Some((scheme, _)) = arg.split_once("://") {
        return Err(format!(
            "{}: only http(s) URLs and local files can be attached, not {scheme}://",
            crate::text::preview(arg, 60)
        ));
    }
    // `~/photo.png`, as a shell would read it.
    let expanded = match arg.strip_prefix("~/") {
        Some(rest) => home.map(|h| h.join(rest)),
        None => None,
    };
    let path = expanded.as_deref().unwrap_or(Path::new(arg));
    let shown = crate::text::preview(arg, 60);
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: cannot read it ({e})"))?;
    if !meta.is_file() {
        return Err(format!("{shown}: not a file"));
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    // The largest any kind may be: the read itself is bounded.
    let cap = MAX_PDF_BYTES.max(MAX_MEDIA_BYTES).max(MAX_IMAGE_BYTES);
    if meta.len() > cap {
        return Err(over(&shown, meta.len(), cap, "an attachment"));
    }
    if claimed(&ext).is_some_and(|k| k.contains("image")) && meta.len() > MAX_IMAGE_BYTES {
        return Err(over(&shown, meta.len(), MAX_IMAGE_BYTES, "an image"));
    }
    let bytes = crate::paths::read_file_at_most(path, cap)
        .map_err(|e| format!("{shown}: cannot read it ({e})"))?;
    from_bytes(arg, &bytes, &ext)
}

fn over(shown: &str, len: u64, limit: u64, what: &str) -> String {
    format!(
        "{shown}: {} MB is over the {} MB limit for {what}",
        len.div_ceil(1024 * 1024),
        limit / (1024 * 1024)
    )
}

/// An attachment from a file's bytes (`source` as the user named it,
/// `ext` its extension, lower case): what the bytes are decides its kind;
/// every limit is checked here.
pub fn from_bytes(source: &str, bytes: &[u8], ext: &str) -> Result<Attachment, String> {
    let shown = crate::text::preview(source, 60);
    let len = bytes.len() as u64;
    let data_url = |mime: &str| {
        format!(
            "data:{mime};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    };
    let base = Attachment {
        source: source.to_string(),
        name: source.to_string(),
        bytes: Some(len),
        digest: Some(digest(bytes)),
        ..Attachment::url_of(source, Kind::Image)
    };
    let sniffed = media::sniff(bytes);
    match sniffed {
        Some(Sniffed::Image(mime)) => {
            if len > MAX_IMAGE_BYTES {
                return Err(over(&shown, len, MAX_IMAGE_BYTES, "an image"));
            }
            // Decoded whole before anything is sent: a file cut short or
            // damaged has a header that reads fine, and would be sent (and
            // paid for) as an image the model cannot see.
            let dims = decoded_size(bytes).map_err(|e| {
                tracing::info!("{shown} does not decode: {e}");
                format!(
                    "{shown}: damaged image: the {} data is cut short or corrupted",
                    mime.trim_start_matches("image/").to_uppercase()
                )
            })?;
            Ok(Attachment {
                kind: Kind::Image,
                url: data_url(mime),
                mime: Some(mime),
                dims: Some(dims),
                ..base
            })
        }
        Some(Sniffed::Pdf) => {
            if len > MAX_PDF_BYTES {
                return Err(over(&shown, len, MAX_PDF_BYTES, "a PDF"));
            }
            let pages = media::pdf_pages(bytes);
            if let Some(p) = pages.filter(|&p| p > MAX_PDF_PAGES) {
                return Err(format!(
                    "{shown}: {p} pages is over the {MAX_PDF_PAGES}-page limit for a PDF"
                ));
            }
            if !bytes.windows(5).rev().take(2048).any(|w| w == b"%%EOF") {
                return Err(format!(
                    "{shown}: damaged PDF: the file is cut short (no end-of-file marker)"
                ));
            }
            Ok(Attachment {
                kind: Kind::Pdf,
                url: data_url("application/pdf"),
                mime: Some("application/pdf"),
                pages,
                ..base
            })
        }
        Some(Sniffed::Audio(AudioFormat::M4a)) => Err(format!(
            "{shown}: M4A audio is not read by Gemini; convert it to MP3, WAV or FLAC"
        )),
        Some(s @ (Sniffed::Audio(_) | Sniffed::Video(_))) => {
            let (kind, mime, max_ms, what) = match s {
                Sniffed::Audio(f) => (Kind::Audio(f), f.mime(), MAX_AUDIO_MS, "audio"),
                Sniffed::Video(m) => (Kind::Video, m, MAX_VIDEO_MS, "a video"),
                _ => unreachable!(),
            };
            if len > MAX_MEDIA_BYTES {
                return Err(over(&shown, len, MAX_MEDIA_BYTES, what));
            }
            let duration_ms = media::duration_ms(s, bytes);
            if let Some(ms) = duration_ms.filter(|&ms| ms > max_ms) {
                return Err(format!(
                    "{shown}: {} is over the {} limit for {what}",
                    human_duration(ms),
                    human_duration(max_ms)
                ));
            }
            Ok(Attachment {
                kind,
                url: data_url(mime),
                mime: Some(mime),
                duration_ms,
                ..base
            })
        }
        None => {
            if let Some(k) = claimed(ext) {
                return Err(format!("{shown}: not {k}"));
            }
            if !media::is_text(bytes) {
                return Err(format!(
                    "{shown}: not something Gemini reads (an image, a PDF, audio, video or UTF-8 text)"
                ));
            }
            if len > MAX_TEXT_BYTES {
                return Err(over(&shown, len, MAX_TEXT_BYTES, "a text file")
                    .replace(" MB limit", " MB limit (it goes in the prompt as text)"));
            }
            Ok(Attachment {
                kind: Kind::Text,
                url: String::new(),
                text: Some(String::from_utf8_lossy(bytes).into_owned()),
                mime: Some("text/plain"),
                ..base
            })
        }
    }
}

/// `!command`'s output as a text attachment named after the command: its
/// text part says what ran.
pub fn command_output(command: &str, output: &str) -> Attachment {
    let text = format!("$ {command}\n{output}");
    let name = format!("!{}", crate::text::preview(command, 30));
    Attachment {
        source: name.clone(),
        name,
        kind: Kind::Text,
        url: String::new(),
        bytes: Some(text.len() as u64),
        digest: Some(digest(text.as_bytes())),
        text: Some(text),
        mime: Some("text/plain"),
        dims: None,
        pages: None,
        duration_ms: None,
    }
}

/// SHA-256 of `bytes`, hex.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why `more` cannot join `already` in one message: together they are
/// over `MAX_MESSAGE_BYTES`.
pub fn too_much_together(already: &[Attachment], more: &Attachment) -> Option<String> {
    let total: u64 = already
        .iter()
        .chain(std::iter::once(more))
        .filter_map(|a| a.bytes)
        .sum();
    (total > MAX_MESSAGE_BYTES).then(|| {
        format!(
            "{}: the attachments would be {} MB together, over the {} MB one message can carry",
            more.label(),
            total.div_ceil(1024 * 1024),
            MAX_MESSAGE_BYTES / (1024 * 1024)
        )
    })
}

/// Keeps a local attachment's bytes under its digest in `dir` (written
/// once: the same bytes are the same file). The reference it is saved
/// under is `stored_ref`.
pub fn keep(dir: &Path, a: &Attachment) -> std::io::Result<()> {
    let (Some(d), Some(bytes)) = (&a.digest, a.file_bytes()) else {
        return Ok(());
    };
    let path = dir.join(d);
    if path.exists() {
        return Ok(());
    }
    crate::paths::create_private_dir(dir)?;
    let tmp = dir.join(format!(".{d}.tmp"));
    std::fs::write(&tmp, &bytes)?;
    std::fs::rename(&tmp, &path)
}

/// A saved attachment read back from `dir` by its reference: the same
/// bytes, checked against the digest. URLs come back as they were.
pub fn restore(dir: Option<&Path>, r: &str) -> Result<Attachment, String> {
    let Some((d, name)) = parse_ref(r) else {
        // A URL, or a path saved before attachments were kept (orchat
        // before schema V5): load it again if it is still there.
        let lower = r.to_ascii_lowercase();
        return if lower.starts_with("https://") || lower.starts_with("http://") {
            from_url(r)
        } else {
            load_from(r, None)
        };
    };
    let dir = dir.ok_or_else(|| format!("{name}: no data directory to read it from"))?;
    let bytes = crate::paths::read_file_at_most(&dir.join(d), MAX_PDF_BYTES.max(MAX_MEDIA_BYTES))
        .map_err(|e| format!("{name}: its saved copy cannot be read ({e})"))?;
    if digest(&bytes) != d {
        return Err(format!("{name}: its saved copy is damaged"));
    }
    let ext = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    from_bytes(name, &bytes, &ext)
}
