//! What a file is, from its bytes (magic numbers), and what Gemini counts in
//! it: an image's pixel size, a PDF's pages, a recording's seconds. Every
//! parser reads only what it was given (the file, already bounded) and
//! gives up quietly: an unknown length is `None`, never a guess.

/// An audio file's format as `input_audio.format` names it
/// (PROTOCOL-MEDIA.md §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    Wav,
    Mp3,
    Aiff,
    Aac,
    Ogg,
    Flac,
    /// MPEG-4 audio: listed by OpenRouter, not read by Gemini
    /// (PROTOCOL-MEDIA.md §1.2); refused with a way out.
    M4a,
}

impl AudioFormat {
    /// The wire's `format` value.
    pub fn wire(self) -> &'static str {
        match self {
            AudioFormat::Wav => "wav",
            AudioFormat::Mp3 => "mp3",
            AudioFormat::Aiff => "aiff",
            AudioFormat::Aac => "aac",
            AudioFormat::Ogg => "ogg",
            AudioFormat::Flac => "flac",
            AudioFormat::M4a => "m4a",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Mp3 => "audio/mpeg",
            AudioFormat::Aiff => "audio/aiff",
            AudioFormat::Aac => "audio/aac",
            AudioFormat::Ogg => "audio/ogg",
            AudioFormat::Flac => "audio/flac",
            AudioFormat::M4a => "audio/mp4",
        }
    }
}

/// What the bytes say a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// With its MIME type (png, jpeg, webp, gif).
    Image(&'static str),
    Pdf,
    Audio(AudioFormat),
    /// With its MIME type as OpenRouter and Gemini list them (§1.2).
    Video(&'static str),
}

/// Sniffs the first bytes; `None` when no magic number matches.
pub fn sniff(b: &[u8]) -> Option<Sniffed> {
    use Sniffed::*;
    let at = |i: usize, m: &[u8]| b.len() >= i + m.len() && &b[i..i + m.len()] == m;
    Some(if at(0, b"\x89PNG\r\n\x1a\n") {
        Image("image/png")
    } else if at(0, &[0xFF, 0xD8, 0xFF]) {
        Image("image/jpeg")
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        Image("image/gif")
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Image("image/webp")
    } else if at(0, b"%PDF-") {
        Pdf
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        Audio(AudioFormat::Wav)
    } else if at(0, b"RIFF") && at(8, b"AVI ") {
        Video("video/avi")
    } else if at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        Audio(AudioFormat::Aiff)
    } else if at(0, b"fLaC") {
        Audio(AudioFormat::Flac)
    } else if at(0, b"OggS") {
        Audio(AudioFormat::Ogg)
    } else if at(0, b"ID3") || mp3_frame(b, 0).is_some() {
        Audio(AudioFormat::Mp3)
    } else if adts(b, 0).is_some() {
        Audio(AudioFormat::Aac)
    } else if at(4, b"ftyp") {
        let brand = b.get(8..12).unwrap_or_default();
        match brand {
            b"qt  " => Video("video/mov"),
            b"M4A " | b"M4B " => Audio(AudioFormat::M4a),
            _ if brand.starts_with(b"3g") => Video("video/3gpp"),
            _ => Video("video/mp4"),
        }
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        Video("video/webm")
    } else if at(0, &[0, 0, 1, 0xBA]) || at(0, &[0, 0, 1, 0xB3]) {
        Video("video/mpeg")
    } else if at(0, b"FLV\x01") {
        Video("video/x-flv")
    } else if at(0, &[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) {
        Video("video/wmv")
    } else {
        return None;
    })
}

/// Text a model can read as it is: UTF-8 without NUL bytes (a binary file
/// that happens to decode has them).
pub fn is_text(b: &[u8]) -> bool {
    !b.contains(&0) && std::str::from_utf8(b).is_ok()
}

fn u16be(b: &[u8], i: usize) -> Option<u64> {
    Some(u16::from_be_bytes(b.get(i..i + 2)?.try_into().ok()?) as u64)
}
fn u32be(b: &[u8], i: usize) -> Option<u64> {
    Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?) as u64)
}
fn u64be(b: &[u8], i: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(i..i + 8)?.try_into().ok()?))
}
fn u32le(b: &[u8], i: usize) -> Option<u64> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?) as u64)
}

/// A PDF's page count: the page objects counted, or the page tree's
/// largest `/Count` when they are hidden in compressed object streams.
/// `None` when neither is found.
pub fn pdf_pages(b: &[u8]) -> Option<u32> {
    let mut objects = 0u32;
    let mut count = 0u32;
    let mut i = 0;
    while let Some(off) = find(&b[i..], b"/Type") {
        let mut j = i + off + 5;
        while b.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
            j += 1;
        }
        if b[j..].starts_with(b"/Pages") {
            // The page tree's root: `/Count N` nearby.
            let end = (j + 200).min(b.len());
            if let Some(c) = find(&b[j..end], b"/Count") {
                let digits: String = b[j + c + 6..end]
                    .iter()
                    .skip_while(|c| c.is_ascii_whitespace())
                    .take_while(|c| c.is_ascii_digit())
                    .map(|&c| c as char)
                    .collect();
                count = count.max(digits.parse().unwrap_or(0));
            }
        } else if b[j..].starts_with(b"/Page") {
            objects += 1;
        }
        i = j;
    }
    let n = objects.max(count);
    (n > 0).then_some(n)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// How long a recording or video plays, in milliseconds, when its header
/// says (or, for MP3 and AAC, its frames do).
pub fn duration_ms(kind: Sniffed, b: &[u8]) -> Option<u64> {
    match kind {
        Sniffed::Audio(AudioFormat::Wav) => wav(b),
        Sniffed::Audio(AudioFormat::Aiff) => aiff(b),
        Sniffed::Audio(AudioFormat::Flac) => flac(b),
        Sniffed::Audio(AudioFormat::Ogg) => ogg(b),
        Sniffed::Audio(AudioFormat::Mp3) => mp3(b),
        Sniffed::Audio(AudioFormat::Aac) => aac(b),
        Sniffed::Audio(AudioFormat::M4a) => mp4(b),
        Sniffed::Video("video/webm") => webm(b),
        Sniffed::Video("video/avi") => avi(b),
        Sniffed::Video(m) if m == "video/mp4" || m == "video/mov" || m == "video/3gpp" => mp4(b),
        _ => None,
    }
}

/// RIFF chunks from offset 12: (id, data start, data length).
fn riff_chunks(b: &[u8]) -> impl Iterator<Item = (&[u8], usize, usize)> {
    let mut i = 12;
    std::iter::from_fn(move || {
        let id = b.get(i..i + 4)?;
        let len = u32le(b, i + 4)? as usize;
        let start = i + 8;
        i = start.checked_add(len)?.checked_add(len & 1)?;
        Some((id, start, len))
    })
}

fn wav(b: &[u8]) -> Option<u64> {
    let mut rate = None;
    for (id, start, len) in riff_chunks(b) {
        match id {
            b"fmt " => rate = u32le(b, start + 8),
            b"data" => {
                // A streamed WAV may say 0 or u32::MAX: the bytes that are there.
                let len = len.min(b.len().saturating_sub(start)) as u64;
                return Some(len * 1000 / rate.filter(|&r| r > 0)?);
            }
            _ => {}
        }
    }
    None
}

fn avi(b: &[u8]) -> Option<u64> {
    let i = find(b.get(..4096.min(b.len()))?, b"avih")? + 8;
    let us_per_frame = u32le(b, i)?;
    let frames = u32le(b, i + 16)?;
    Some(us_per_frame * frames / 1000)
}

fn aiff(b: &[u8]) -> Option<u64> {
    let mut i = 12;
    while let (Some(id), Some(len)) = (b.get(i..i + 4), u32be(b, i + 4)) {
        if id == b"COMM" {
            let frames = u32be(b, i + 10)?;
            let rate = extended(b.get(i + 16..i + 26)?)?;
            return (rate > 0.0).then(|| (frames as f64 * 1000.0 / rate) as u64);
        }
        i += 8 + len as usize + (len as usize & 1);
    }
    None
}

/// An 80-bit IEEE extended float (AIFF's sample rate).
fn extended(b: &[u8]) -> Option<f64> {
    let exp = (u16be(b, 0)? & 0x7FFF) as i32;
    let mant = u64be(b, 2)?;
    Some(mant as f64 * 2f64.powi(exp - 16383 - 63))
}

fn flac(b: &[u8]) -> Option<u64> {
    // STREAMINFO is the first block: sample rate (20 bits) and total
    // samples (36 bits) from its byte 10.
    let s = b.get(8..8 + 18)?;
    let rate = (u64::from(s[10]) << 12) | (u64::from(s[11]) << 4) | (u64::from(s[12]) >> 4);
    let total = (u64::from(s[13] & 0x0F) << 32)
        | (u64::from(s[14]) << 24)
        | (u64::from(s[15]) << 16)
        | (u64::from(s[16]) << 8)
        | u64::from(s[17]);
    (rate > 0 && total > 0).then(|| total * 1000 / rate)
}

fn ogg(b: &[u8]) -> Option<u64> {
    // The first packet names the codec and its rate; the last page's
    // granule position is the samples played.
    let first = b.get(28..28 + 20)?;
    let (rate, skip) = if first.starts_with(b"\x01vorbis") {
        (u32le(first, 12)?, 0)
    } else if first.starts_with(b"OpusHead") {
        (48_000, u16::from_le_bytes([first[10], first[11]]) as u64)
    } else {
        return None;
    };
    let last = b.windows(4).rposition(|w| w == b"OggS")?;
    let granule = u64::from_le_bytes(b.get(last + 6..last + 14)?.try_into().ok()?);
    (rate > 0).then(|| granule.saturating_sub(skip) * 1000 / rate)
}

/// An MPEG audio frame header at `i`: (bitrate bit/s, sample rate, samples
/// per frame, frame length in bytes).
fn mp3_frame(b: &[u8], i: usize) -> Option<(u64, u64, u64, usize)> {
    let h = b.get(i..i + 4)?;
    if h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = (h[1] >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    let layer = (h[1] >> 1) & 3; // 1: layer III
    if version == 1 || layer != 1 {
        return None;
    }
    let br_index = (h[2] >> 4) as usize;
    let sr_index = ((h[2] >> 2) & 3) as usize;
    if br_index == 0 || br_index == 15 || sr_index == 3 {
        return None;
    }
    const V1: [u64; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const V2: [u64; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let (kbps, rates, samples) = if version == 3 {
        (V1[br_index], [44_100, 48_000, 32_000], 1152)
    } else if version == 2 {
        (V2[br_index], [22_050, 24_000, 16_000], 576)
    } else {
        (V2[br_index], [11_025, 12_000, 8_000], 576)
    };
    let rate = rates[sr_index];
    let padding = ((h[2] >> 1) & 1) as u64;
    let len = (samples / 8 * kbps * 1000 / rate + padding) as usize;
    Some((kbps * 1000, rate, samples, len))
}

fn mp3(b: &[u8]) -> Option<u64> {
    let mut i = 0;
    if b.starts_with(b"ID3") {
        let s = b.get(6..10)?;
        let size = s
            .iter()
            .fold(0usize, |a, &c| (a << 7) | (c & 0x7F) as usize);
        i = 10 + size;
    }
    // The first frame: a Xing/Info header gives the frame count (VBR);
    // else the bitrate gives the length (CBR).
    while i < b.len().min(i + 64 * 1024) && mp3_frame(b, i).is_none() {
        i += 1;
    }
    let (bitrate, rate, samples, _) = mp3_frame(b, i)?;
    let head = b.get(i..(i + 200).min(b.len()))?;
    if let Some(x) = find(head, b"Xing").or_else(|| find(head, b"Info"))
        && head.get(x + 7).is_some_and(|f| f & 1 == 1)
        && let Some(frames) = u32be(head, x + 8)
    {
        return Some(frames * samples * 1000 / rate);
    }
    Some(((b.len() - i) as u64) * 8 * 1000 / bitrate)
}

/// An ADTS (AAC) frame header at `i`: (sample rate, frame length).
fn adts(b: &[u8], i: usize) -> Option<(u64, usize)> {
    let h = b.get(i..i + 7)?;
    if h[0] != 0xFF || h[1] & 0xF6 != 0xF0 {
        return None;
    }
    const RATES: [u64; 13] = [
        96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025,
        8_000, 7_350,
    ];
    let rate = *RATES.get(((h[2] >> 2) & 0xF) as usize)?;
    let len = (((h[3] & 3) as usize) << 11) | ((h[4] as usize) << 3) | ((h[5] >> 5) as usize);
    (len >= 7).then_some((rate, len))
}

fn aac(b: &[u8]) -> Option<u64> {
    let (mut i, mut frames, mut rate) = (0, 0u64, 0);
    while let Some((r, len)) = adts(b, i) {
        rate = r;
        frames += 1;
        i += len;
    }
    (frames > 0).then(|| frames * 1024 * 1000 / rate)
}

/// ISO media (mp4, mov, 3gp, m4a): `moov/mvhd`'s duration over its timescale.
fn mp4(b: &[u8]) -> Option<u64> {
    let moov = boxes(b, 0, b.len()).find(|(t, _, _)| t == b"moov")?;
    let (_, s, e) = boxes(b, moov.1, moov.2).find(|(t, _, _)| t == b"mvhd")?;
    let v = *b.get(s)?;
    let (scale, dur) = if v == 1 {
        (u32be(b, s + 20)?, u64be(b, s + 24)?)
    } else {
        (u32be(b, s + 12)?, u32be(b, s + 16)?)
    };
    let _ = e;
    (scale > 0).then(|| dur * 1000 / scale)
}

/// The boxes between `start` and `end`: (type, data start, data end).
fn boxes(b: &[u8], start: usize, end: usize) -> impl Iterator<Item = ([u8; 4], usize, usize)> + '_ {
    let mut i = start;
    std::iter::from_fn(move || {
        let size = u32be(b, i)? as usize;
        let t: [u8; 4] = b.get(i + 4..i + 8)?.try_into().ok()?;
        let (head, size) = match size {
            1 => (16, u64be(b, i + 8)? as usize),
            0 => (8, end - i),
            n => (8, n),
        };
        if size < head || i + size > end {
            return None;
        }
        let item = (t, i + head, i + size);
        i += size;
        Some(item)
    })
}

/// WebM/Matroska: Segment › Info › Duration (a float in TimecodeScale
/// units, by default a millisecond), found in the first 64 KiB.
fn webm(b: &[u8]) -> Option<u64> {
    let head = &b[..b.len().min(64 * 1024)];
    let scale = find(head, &[0x2A, 0xD7, 0xB1]).and_then(|i| {
        let size = (*head.get(i + 3)? & 0x7F) as usize;
        let v = head.get(i + 4..i + 4 + size)?;
        Some(v.iter().fold(0u64, |a, &c| (a << 8) | c as u64))
    });
    let i = find(head, &[0x44, 0x89])?;
    let secs_units = match *head.get(i + 2)? {
        0x84 => f32::from_be_bytes(head.get(i + 3..i + 7)?.try_into().ok()?) as f64,
        0x88 => f64::from_be_bytes(head.get(i + 3..i + 11)?.try_into().ok()?),
        _ => return None,
    };
    let ns = secs_units * scale.unwrap_or(1_000_000) as f64;
    (ns.is_finite() && ns > 0.0).then(|| (ns / 1e6) as u64)
}
