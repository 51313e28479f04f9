//! Compressed responses, as some servers and gateways send them whatever
//! the client asked: `Content-Encoding: gzip`, `br`, `deflate` or `zstd`,
//! on streams (flushed after every event, so they still stream), whole
//! answers and error bodies alike.

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::http::HeaderValue;
use axum::response::Response;
use futures_util::StreamExt;

/// A content coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    Brotli,
    Deflate,
    Zstd,
}

impl Coding {
    pub fn parse(name: &str) -> Option<Coding> {
        Some(match name {
            "gzip" => Coding::Gzip,
            "br" => Coding::Brotli,
            "deflate" => Coding::Deflate,
            "zstd" => Coding::Zstd,
            _ => return None,
        })
    }

    fn header(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Brotli => "br",
            Coding::Deflate => "deflate",
            Coding::Zstd => "zstd",
        }
    }
}

enum Encoder {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Deflate(flate2::write::ZlibEncoder<Vec<u8>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

impl Encoder {
    fn new(c: Coding) -> Encoder {
        let level = flate2::Compression::fast();
        match c {
            Coding::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(Vec::new(), level)),
            Coding::Deflate => Encoder::Deflate(flate2::write::ZlibEncoder::new(Vec::new(), level)),
            Coding::Brotli => Encoder::Brotli(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                4096,
                5,
                22,
            ))),
            Coding::Zstd => Encoder::Zstd(
                zstd::stream::write::Encoder::new(Vec::new(), 3).expect("a zstd encoder"),
            ),
        }
    }

    /// Compresses `bytes` and flushes, so what was given so far can be
    /// decoded now; returns the compressed bytes made.
    fn push(&mut self, bytes: &[u8]) -> Bytes {
        fn step<W: Write>(w: &mut W, bytes: &[u8]) {
            let _ = w.write_all(bytes);
            let _ = w.flush();
        }
        let out = match self {
            Encoder::Gzip(e) => {
                step(e, bytes);
                e.get_mut()
            }
            Encoder::Deflate(e) => {
                step(e, bytes);
                e.get_mut()
            }
            Encoder::Brotli(e) => {
                step(&mut **e, bytes);
                e.get_mut()
            }
            Encoder::Zstd(e) => {
                step(e, bytes);
                e.get_mut()
            }
        };
        Bytes::from(std::mem::take(out))
    }

    /// Ends the compressed stream; its last bytes.
    fn finish(self) -> Bytes {
        Bytes::from(match self {
            Encoder::Gzip(e) => e.finish().unwrap_or_default(),
            Encoder::Deflate(e) => e.finish().unwrap_or_default(),
            Encoder::Brotli(e) => e.into_inner(),
            Encoder::Zstd(e) => e.finish().unwrap_or_default(),
        })
    }
}

/// `resp` with its body compressed in `coding`, event by event.
pub fn compressed(resp: Response, coding: Coding) -> Response {
    let (mut parts, body) = resp.into_parts();
    parts.headers.insert(
        "content-encoding",
        HeaderValue::from_static(coding.header()),
    );
    parts.headers.remove("content-length");
    let chunks = body.into_data_stream();
    let stream = futures_util::stream::unfold(
        (chunks, Some(Encoder::new(coding))),
        |(mut chunks, enc)| async move {
            let mut enc = enc?;
            match chunks.next().await {
                Some(Ok(b)) => {
                    let out = enc.push(&b);
                    Some((Ok::<_, axum::Error>(out), (chunks, Some(enc))))
                }
                Some(Err(e)) => Some((Err(e), (chunks, None))),
                None => Some((Ok(enc.finish()), (chunks, None))),
            }
        },
    );
    Response::from_parts(parts, Body::from_stream(stream))
}
