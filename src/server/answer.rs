//! What the local server says: deterministic, varied markdown chosen by a hash
//! of the prompt and model, thinking text when reasoning is asked for, and a
//! real PNG for image models. Same request, same answer, so tests can rely on it.

use std::hash::{DefaultHasher, Hash, Hasher};

use base64::Engine;

use crate::api::types::{ChatRequest, Content, ContentPart, Role};

/// One request, reduced to what shapes the answer.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    pub prompt: String,
    pub model: String,
    pub images_in: u64,
    pub prompt_text_all: String,
    /// What the last user message carried besides text and images, as the
    /// answer says it: "a PDF (report.pdf, 3 pages)", "audio (wav, 4.3 s)".
    pub seen: Vec<String>,
    /// The images of the last user message (data or https URLs): an image
    /// model edits the first.
    pub image_urls: Vec<String>,
    /// Prompt tokens of every attachment part of the request (PDF pages at
    /// 258, audio 32/s, video 300/s: PROTOCOL-MEDIA.md §3), and of them
    /// audio and video.
    pub media_tokens: u64,
    pub audio_tokens: u64,
    pub video_tokens: u64,
}

/// A part's bytes: a data URL's or bare base64's.
fn part_bytes(data: &str) -> Option<Vec<u8>> {
    let b64 = data.split_once(";base64,").map_or(data, |(_, b)| b);
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

impl Ask {
    pub fn from_request(req: &ChatRequest) -> Ask {
        use crate::chat::attach::media;
        let mut ask = Ask {
            model: req.model.clone(),
            ..Ask::default()
        };
        for m in &req.messages {
            let mut text = String::new();
            let (mut imgs, mut seen, mut urls) = (0, Vec::new(), Vec::new());
            match &m.content {
                Content::Text(t) => text.push_str(t),
                Content::Parts(parts) => {
                    for p in parts {
                        match p {
                            ContentPart::Text { text: t } => {
                                if let Some(rest) = t.strip_prefix("<file name=\"") {
                                    let name = rest.split('"').next().unwrap_or("");
                                    seen.push(format!("a text file ({name})"));
                                }
                                text.push_str(t)
                            }
                            ContentPart::ImageUrl { image_url } => {
                                imgs += 1;
                                urls.push(image_url.url.clone());
                            }
                            ContentPart::File { file } => {
                                let name = file.filename.clone().unwrap_or_default();
                                let pages = part_bytes(&file.file_data)
                                    .and_then(|b| media::pdf_pages(&b))
                                    .unwrap_or(1);
                                ask.media_tokens += u64::from(pages) * 258;
                                seen.push(format!(
                                    "a PDF ({name}, {pages} page{})",
                                    if pages == 1 { "" } else { "s" }
                                ));
                            }
                            ContentPart::InputAudio { input_audio } => {
                                let ms = part_bytes(&input_audio.data)
                                    .and_then(|b| Some((media::sniff(&b)?, b)))
                                    .and_then(|(k, b)| media::duration_ms(k, &b));
                                let t = ms.map_or(0, |ms| (ms * 32).div_ceil(1000));
                                ask.media_tokens += t;
                                ask.audio_tokens += t;
                                seen.push(format!(
                                    "audio ({}, {})",
                                    input_audio.format,
                                    ms.map_or("? s".into(), crate::chat::attach::human_duration)
                                ));
                            }
                            ContentPart::VideoUrl { video_url } => {
                                let b = part_bytes(&video_url.url);
                                let kind = b.as_deref().and_then(media::sniff);
                                let ms = b
                                    .as_deref()
                                    .zip(kind)
                                    .and_then(|(b, k)| media::duration_ms(k, b));
                                let t = ms.map_or(0, |ms| (ms * 300).div_ceil(1000));
                                ask.media_tokens += t;
                                ask.video_tokens += t;
                                let mime = video_url
                                    .url
                                    .strip_prefix("data:")
                                    .and_then(|r| r.split(';').next())
                                    .unwrap_or("a link");
                                seen.push(format!(
                                    "video ({mime}, {})",
                                    ms.map_or("? s".into(), crate::chat::attach::human_duration)
                                ));
                            }
                        }
                    }
                }
            }
            ask.prompt_text_all.push_str(&text);
            ask.prompt_text_all.push('\n');
            if m.role == Role::User {
                ask.prompt = text;
                ask.images_in = imgs;
                ask.seen = seen;
                ask.image_urls = urls;
            }
        }
        ask
    }

    fn seed(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.prompt.hash(&mut h);
        self.model.hash(&mut h);
        h.finish()
    }
}

/// The answer's markdown. Rotates through templates that between them show
/// headings, lists, a table, fenced code, CJK text and emoji.
pub fn answer_text(ask: &Ask, vision: bool) -> String {
    let topic = crate::text::preview(ask.prompt.trim(), 40);
    let topic = if topic.is_empty() {
        "your message".to_string()
    } else {
        topic
    };
    let mut out = String::new();
    if !ask.seen.is_empty() {
        out.push_str(&format!("I read {}.\n\n", ask.seen.join(", ")));
    }
    if ask.images_in > 0 && vision {
        out.push_str(&format!(
            "I received {} image{}.\n\n",
            ask.images_in,
            if ask.images_in == 1 { "" } else { "s" }
        ));
    }
    let body = match ask.seed() % 4 {
        0 => format!(
            "## About {topic}\n\nHere is a short answer from the **local demo server**.\n\n\
             - It streams token by token\n- It costs what the catalog says\n- It never leaves this machine\n\n\
             ```rust\nfn main() {{\n    println!(\"hello from orchat\");\n}}\n```\n\nThat is all. 🙂\n"
        ),
        1 => format!(
            "### {topic}\n\n| model | input $/M | output $/M |\n|---|---|---|\n\
             | gemini-2.0-flash | 0.10 | 0.40 |\n| gemini-2.5-flash | 0.30 | 2.50 |\n| gemini-2.5-pro | 1.25 | 10.00 |\n\n\
             > Prices are per million tokens; *usage.cost* is what you are billed.\n\n\
             日本語のテキストも表示できます。中文也可以。🚀\n"
        ),
        2 => format!(
            "# {topic}\n\n1. Read the question\n2. Think about it\n3. Answer *briefly*\n\n\
             ```python\ndef greet(name):\n    return f\"hello {{name}}\"\n```\n\n\
             Inline `code`, a [link](https://openrouter.ai) and an emoji: ✨\n"
        ),
        _ => format!(
            "You said: _{topic}_.\n\nA few facts:\n\n- **Streaming** uses server-sent events\n  - each event is one chunk\n  - usage comes last\n\
             - Costs are exact decimals\n\n```json\n{{\"model\": \"{}\", \"stream\": true}}\n```\n\n한국어도 됩니다. 👍\n",
            ask.model
        ),
    };
    out.push_str(&body);
    out
}

/// Thinking text, streamed before the answer when reasoning is on.
pub fn reasoning_text(ask: &Ask) -> String {
    format!(
        "**Considering the question**\n\nThe user wrote about \"{}\". I should answer clearly, \
         show a little markdown, and keep it short.",
        crate::text::preview(ask.prompt.trim(), 40)
    )
}

/// A valid PNG whose size and colours follow the prompt: "64x48" in the prompt
/// sets the size (default 256x256, at most 2048 a side).
pub fn make_png(ask: &Ask) -> (Vec<u8>, u32, u32) {
    if let Some(edited) = ask.image_urls.iter().find_map(|u| edit_png(u, &ask.prompt)) {
        return edited;
    }
    let (w, h) = requested_size(&ask.prompt).unwrap_or((256, 256));
    let seed = ask.seed();
    let (r0, g0, b0) = (
        (seed & 0xff) as u32,
        ((seed >> 8) & 0xff) as u32,
        ((seed >> 16) & 0xff) as u32,
    );
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    // A little noise in the low bits, like a real picture: the PNG does not
    // compress to nothing, so big sizes give realistic multi-megabyte lines.
    let mut noise = seed | 1;
    for y in 0..h {
        for x in 0..w {
            noise ^= noise << 13;
            noise ^= noise >> 7;
            noise ^= noise << 17;
            let n = (noise & 0x0f) as u32;
            data.push((((r0 + x * 255 / w.max(1)) % 256) ^ n) as u8);
            data.push((((g0 + y * 255 / h.max(1)) % 256) ^ (n >> 1)) as u8);
            data.push(((b0 + (x ^ y)) % 256) as u8);
        }
    }
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().expect("png header");
        writer.write_image_data(&data).expect("png data");
    }
    (png_bytes, w, h)
}

pub fn png_data_url(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

fn requested_size(prompt: &str) -> Option<(u32, u32)> {
    prompt.split_whitespace().find_map(|w| {
        let w = w.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let (a, b) = w.split_once('x')?;
        let (a, b) = (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?);
        ((1..=2048).contains(&a) && (1..=2048).contains(&b)).then_some((a, b))
    })
}

/// Splits text into stream-sized pieces of about `tokens` tokens each (one
/// token ≈ a word and its space), keeping UTF-8 intact.
pub fn pieces(text: &str, words_per_piece: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut words = 0;
    for (i, part) in text.split_inclusive([' ', '\n']).enumerate() {
        cur.push_str(part);
        words += 1;
        if words >= words_per_piece.max(1) {
            out.push(std::mem::take(&mut cur));
            words = 0;
        }
        let _ = i;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// An image the request sent back, edited as the prompt asks: the same
/// size, each pixel pulled halfway to the colour the prompt names (blue,
/// red, green, yellow, black, white; else its negative). `None` when the
/// URL is not a decodable data URL.
fn edit_png(url: &str, prompt: &str) -> Option<(Vec<u8>, u32, u32)> {
    let bytes = part_bytes(url.strip_prefix("data:")?)?;
    let img = image::load_from_memory(&bytes).ok()?.to_rgb8();
    let (w, h) = img.dimensions();
    let lower = prompt.to_ascii_lowercase();
    let target = [
        ("blue", [0u8, 0, 255]),
        ("red", [255, 0, 0]),
        ("green", [0, 200, 0]),
        ("yellow", [255, 230, 0]),
        ("black", [0, 0, 0]),
        ("white", [255, 255, 255]),
    ]
    .into_iter()
    .find(|(name, _)| lower.contains(name))
    .map(|(_, c)| c);
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    for p in img.pixels() {
        for (i, &c) in p.0.iter().enumerate() {
            data.push(match target {
                Some(t) => ((u16::from(c) + u16::from(t[i])) / 2) as u8,
                None => 255 - c,
            });
        }
    }
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().ok()?;
        writer.write_image_data(&data).ok()?;
    }
    Some((png_bytes, w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_has_the_requested_size() {
        let ask = Ask {
            prompt: "draw a fox 64x48 please".into(),
            ..Ask::default()
        };
        let (bytes, w, h) = make_png(&ask);
        assert_eq!((w, h), (64, 48));
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = dec.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (64, 48));
    }

    #[test]
    fn pieces_rejoin_to_the_text() {
        let t = "日本語 and emoji 🚀 here\nnext line";
        assert_eq!(pieces(t, 2).concat(), t);
    }
}
