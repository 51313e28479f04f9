//! Generated images: decoded from data URLs, checked, saved as files, and
//! read back from them when drawn, sent for an edit or exported.

use std::path::{Path, PathBuf};

use base64::Engine;

/// A generated image as an answer holds it. Once saved, only its path stays
/// in memory: a 1024x1024 picture is ~2 MB of base64, and a conversation of
/// fifty of them would otherwise keep ~100 MB resident (BENCHMARKS.md,
/// "50 generated images").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generated {
    /// As the server sent it (a data URL, or a remote URL), until saved.
    Url(String),
    /// Saved at this path (`images/<conversation>/…`).
    Saved(String),
}

impl Generated {
    /// How a stored path is held: a remote URL a server gave (which could
    /// not be saved) stays a URL.
    pub fn from_stored(path: &str) -> Generated {
        if path.starts_with("http://") || path.starts_with("https://") || path.starts_with("data:")
        {
            Generated::Url(path.to_string())
        } else {
            Generated::Saved(path.to_string())
        }
    }

    /// The data URL, when it is still held in memory (not yet saved).
    pub fn inline_url(&self) -> Option<&str> {
        match self {
            Generated::Url(u) if u.starts_with("data:") => Some(u),
            _ => None,
        }
    }

    /// The image's bytes: decoded from its data URL, or read back from its
    /// file (at most `attach::MAX_IMAGE_BYTES`). Errors are one line in a
    /// user's words.
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        match self {
            Generated::Url(u) if u.starts_with("data:") => decode_data_url(u),
            Generated::Url(u) => Err(format!("it is at {u}, not downloaded")),
            Generated::Saved(p) => {
                crate::paths::read_file_at_most(Path::new(p), crate::chat::attach::MAX_IMAGE_BYTES)
                    .map_err(|e| format!("cannot read {p}: {e}"))
            }
        }
    }

    /// A data URL of the image, for sending it back (an edit): the held
    /// one, or one made from the saved file.
    pub fn data_url(&self) -> Result<String, String> {
        if let Some(u) = self.inline_url() {
            return Ok(u.to_string());
        }
        let bytes = self.bytes()?;
        let mime = crate::chat::attach::sniff(&bytes).ok_or_else(|| match self {
            Generated::Saved(p) => format!("{p} is not a PNG, JPEG, WebP or GIF"),
            Generated::Url(_) => "the data is not a PNG, JPEG, WebP or GIF".to_string(),
        })?;
        Ok(format!(
            "data:{mime};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&bytes)
        ))
    }
}

/// Decodes `data:<mime>;base64,<payload>`, checks the bytes are an image of
/// a known type, and writes `<dir>/<stem>.<ext>`. Returns the path.
pub fn save_data_url(url: &str, dir: &Path, stem: &str) -> Result<PathBuf, String> {
    let bytes = decode_data_url(url)?;
    let mime =
        crate::chat::attach::sniff(&bytes).ok_or("the data is not a PNG, JPEG, WebP or GIF")?;
    let ext = mime.trim_start_matches("image/").replace("jpeg", "jpg");
    // Private to the user, as the conversations are.
    crate::paths::create_private_dir(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{safe}.{ext}"));
    crate::paths::write_private(&path, &bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

pub fn decode_data_url(url: &str) -> Result<Vec<u8>, String> {
    let rest = url.strip_prefix("data:").ok_or("not a data: URL")?;
    let (head, payload) = rest.split_once(',').ok_or("a data: URL without a comma")?;
    if !head.ends_with(";base64") {
        return Err("a data: URL that is not base64".into());
    }
    decode_base64(payload).map_err(|e| format!("bad base64 in the image: {e}"))
}

/// Base64 as servers really write it: wrapped in lines, in the standard or
/// the URL-safe alphabet, padded or not.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let cfg = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let clean: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let standard = GeneralPurpose::new(&base64::alphabet::STANDARD, cfg);
    standard.decode(&clean).or_else(|e| {
        let url_safe = GeneralPurpose::new(&base64::alphabet::URL_SAFE, cfg);
        url_safe.decode(&clean).map_err(|_| e)
    })
}

#[cfg(test)]
mod tests {
    use super::decode_base64;
    use base64::Engine;

    #[test]
    fn base64_wrapped_url_safe_or_unpadded_decodes_to_the_same_bytes() {
        // Bytes whose standard encoding has `+`, `/` and padding.
        let bytes: Vec<u8> = (0u8..=255).chain([0xfb, 0xff, 0xfe]).collect();
        let standard = base64::engine::general_purpose::STANDARD.encode(&bytes);
        assert!(standard.contains('+') && standard.contains('/') && standard.ends_with('='));
        let wrapped: String = standard
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\r\n");
        let url_safe = standard.replace('+', "-").replace('/', "_");
        let unpadded = standard.trim_end_matches('=');
        for text in [&standard, &wrapped, &url_safe, unpadded] {
            assert_eq!(decode_base64(text).unwrap(), bytes, "{}", &text[..20]);
        }
        assert!(decode_base64("not base64 at all!").is_err());
    }
}
