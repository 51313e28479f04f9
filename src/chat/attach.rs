//! Image attachments: an https URL passes through as-is (orchat does not
//! download it); a local PNG, JPEG, WebP or GIF becomes a base64 data URL.
//! The file's bytes decide its type, not its extension.

use std::path::Path;

use base64::Engine;

/// Larger images are refused before anything is sent.
pub const MAX_IMAGE_BYTES: u64 = 20 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// What the user gave: a URL or a path.
    pub source: String,
    /// What goes in the `image_url` part.
    pub url: String,
    pub bytes: Option<u64>,
    pub mime: Option<&'static str>,
    /// Pixel size of a local image.
    pub dims: Option<(u32, u32)>,
}

impl Attachment {
    /// A short label for chips and sent messages: name, size, pixel size.
    pub fn label(&self) -> String {
        let name = if self.bytes.is_some() {
            std::path::Path::new(&self.source)
                .file_name()
                .map_or(self.source.clone(), |n| n.to_string_lossy().into_owned())
        } else {
            self.source.clone()
        };
        let mut s = crate::text::preview(&name, 40);
        if let Some(b) = self.bytes {
            s.push_str(&format!(" · {}", human_bytes(b)));
        }
        if let Some((w, h)) = self.dims {
            s.push_str(&format!(" · {w}×{h}"));
        }
        s
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
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Loads an attachment, or says in one line why it cannot be sent.
pub fn load(arg: &str) -> Result<Attachment, String> {
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    load_from(arg, home.as_deref())
}

/// `load` with `~/` read as `home` (`None`: no home, `~/` is a plain path).
pub fn load_from(arg: &str, home: Option<&Path>) -> Result<Attachment, String> {
    let arg = arg.trim();
    let lower = arg.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return Ok(Attachment {
            source: arg.to_string(),
            url: arg.to_string(),
            bytes: None,
            mime: None,
            dims: None,
        });
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
    if meta.len() > MAX_IMAGE_BYTES {
        return Err(format!(
            "{shown}: {} MB is over the {} MB limit for an image",
            meta.len().div_ceil(1024 * 1024),
            MAX_IMAGE_BYTES / (1024 * 1024)
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: cannot read it ({e})"))?;
    let mime =
        sniff(&bytes).ok_or_else(|| format!("{shown}: not a PNG, JPEG, WebP or GIF image"))?;
    // Decoded whole before anything is sent: a file cut short or damaged
    // has a header that reads fine, and would be sent (and paid for) as an
    // image the model cannot see.
    let dims = decoded_size(&bytes).map_err(|e| {
        tracing::info!("{shown} does not decode: {e}");
        format!(
            "{shown}: damaged image: the {} data is cut short or corrupted",
            mime.trim_start_matches("image/").to_uppercase()
        )
    })?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    Ok(Attachment {
        source: arg.to_string(),
        url: format!("data:{mime};base64,{b64}"),
        bytes: Some(bytes.len() as u64),
        mime: Some(mime),
        dims: Some(dims),
    })
}
