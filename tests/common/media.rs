//! Small media files made by the tests themselves: a WAV, a PDF, an MP4
//! and friends, each with the length or pages its header says.

/// A mono 16 kHz 16-bit WAV of `ms` of silence (32,000 bytes a second).
pub fn wav(ms: u64) -> Vec<u8> {
    let data = (ms * 32) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&16_000u32.to_le_bytes());
    b.extend_from_slice(&32_000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data.to_le_bytes());
    b.resize(b.len() + data as usize, 0);
    b
}

/// A PDF of `pages` pages, its page tree's `/Count` saying so.
pub fn pdf(pages: usize) -> Vec<u8> {
    let mut s = String::from("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", i + 3)).collect();
    s.push_str(&format!(
        "2 0 obj << /Type /Pages /Kids [{}] /Count {pages} >> endobj\n",
        kids.join(" ")
    ));
    for i in 0..pages {
        s.push_str(&format!(
            "{} 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n",
            i + 3
        ));
    }
    s.push_str("trailer << /Root 1 0 R >>\n%%EOF\n");
    s.into_bytes()
}

fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(body);
    b
}

/// An MP4 (`isom`) whose movie header says `ms` long; `brand` `qt  ` makes
/// it a QuickTime movie, `M4A ` MPEG-4 audio.
pub fn mp4(ms: u32, brand: &[u8; 4]) -> Vec<u8> {
    let mut ftyp = brand.to_vec();
    ftyp.extend_from_slice(&[0, 0, 2, 0]);
    ftyp.extend_from_slice(b"isommp41");
    let mut mvhd = vec![0u8; 4]; // version 0, flags
    mvhd.extend_from_slice(&[0; 8]); // created, modified
    mvhd.extend_from_slice(&1000u32.to_be_bytes()); // timescale
    mvhd.extend_from_slice(&ms.to_be_bytes()); // duration
    mvhd.resize(100, 0);
    let mut b = mp4_box(b"ftyp", &ftyp);
    b.extend(mp4_box(b"moov", &mp4_box(b"mvhd", &mvhd)));
    b.extend(mp4_box(b"mdat", &[0u8; 64]));
    b
}

/// A constant-bitrate MP3 (MPEG-1 layer III, 128 kbit/s, 44.1 kHz) of
/// `frames` frames (1,152 samples each), after an ID3v2 tag.
pub fn mp3(frames: usize) -> Vec<u8> {
    let mut b = b"ID3\x04\x00\x00\x00\x00\x00\x0a".to_vec();
    b.extend_from_slice(&[0u8; 10]);
    for _ in 0..frames {
        let mut f = vec![0xFF, 0xFB, 0x90, 0x00];
        f.resize(417, 0);
        b.extend(f);
    }
    b
}

/// A FLAC whose STREAMINFO says `samples` at 44.1 kHz.
pub fn flac(samples: u64) -> Vec<u8> {
    let mut b = b"fLaC".to_vec();
    b.extend_from_slice(&[0x80, 0, 0, 34]);
    let mut info = vec![0u8; 34];
    let rate: u64 = 44_100;
    info[10] = (rate >> 12) as u8;
    info[11] = (rate >> 4) as u8;
    info[12] = ((rate & 0xF) << 4) as u8 | 0x02; // 2 channels - 1 in bits 3..1
    info[13] = 0xF0 | ((samples >> 32) & 0xF) as u8;
    info[14..18].copy_from_slice(&(samples as u32).to_be_bytes());
    b.extend(info);
    b
}

fn ogg_page(granule: u64, packet: &[u8]) -> Vec<u8> {
    let mut p = b"OggS\x00\x02".to_vec();
    p.extend_from_slice(&granule.to_le_bytes());
    p.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // serial, seq, crc
    p.push(1);
    p.push(packet.len() as u8);
    p.extend_from_slice(packet);
    p
}

/// An Ogg Vorbis stream at 48 kHz whose last page says `samples` played.
pub fn ogg(samples: u64) -> Vec<u8> {
    let mut id = b"\x01vorbis".to_vec();
    id.extend_from_slice(&0u32.to_le_bytes());
    id.push(1);
    id.extend_from_slice(&48_000u32.to_le_bytes());
    id.resize(30, 0);
    let mut b = ogg_page(0, &id);
    b.extend(ogg_page(samples, &[0u8; 20]));
    b
}

/// An AIFF of `frames` sample frames at 44.1 kHz.
pub fn aiff(frames: u32) -> Vec<u8> {
    let mut comm = 1u16.to_be_bytes().to_vec();
    comm.extend_from_slice(&frames.to_be_bytes());
    comm.extend_from_slice(&16u16.to_be_bytes());
    // 44100 as an 80-bit extended float.
    comm.extend_from_slice(&[0x40, 0x0E, 0xAC, 0x44, 0, 0, 0, 0, 0, 0]);
    let mut b = b"FORM".to_vec();
    b.extend_from_slice(&((4 + 8 + comm.len()) as u32).to_be_bytes());
    b.extend_from_slice(b"AIFFCOMM");
    b.extend_from_slice(&(comm.len() as u32).to_be_bytes());
    b.extend(comm);
    b
}

/// ADTS AAC: `frames` frames of 1,024 samples at 44.1 kHz.
pub fn aac(frames: usize) -> Vec<u8> {
    let len: usize = 100;
    let mut b = Vec::new();
    for _ in 0..frames {
        let mut f = vec![
            0xFF,
            0xF1,
            0x50,
            0x80 | ((len >> 11) as u8 & 3),
            (len >> 3) as u8,
            ((len & 7) << 5) as u8 | 0x1F,
            0xFC,
        ];
        f.resize(len, 0);
        b.extend(f);
    }
    b
}

/// A WebM whose segment info says `ms` long (the default millisecond
/// timecode scale).
pub fn webm(ms: f64) -> Vec<u8> {
    let mut b = vec![0x1A, 0x45, 0xDF, 0xA3, 0x84, 0x42, 0x82, 0x84];
    b.extend_from_slice(b"webm");
    b.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0x01, 0, 0, 0, 0, 0, 0, 0x20]);
    b.extend_from_slice(&[0x15, 0x49, 0xA9, 0x66, 0x8B]);
    b.extend_from_slice(&[0x44, 0x89, 0x88]);
    b.extend_from_slice(&ms.to_be_bytes());
    b.resize(b.len() + 32, 0);
    b
}
