//! File extension -> media type, for `Content-Type`.
//!
//! A fixed table of the types a static site uses, compared without regard to
//! case. Text types carry `charset=utf-8` because that is what almost every
//! file written today is, and a browser guessing otherwise garbles it.
//! Anything unknown is `application/octet-stream`, which browsers download
//! rather than render (safe with `X-Content-Type-Options: nosniff`).
//!
//! It is HTTP vocabulary, not file-serving policy, so it lives here with the
//! other shared types: `response` (for `Response::file`) and the file
//! server both use it, and neither has to reach into the other. It maps
//! names to types and nothing more; which files are served, and whether a
//! type is sent at all, is the caller's.

/// The media type for a file name, by its extension.
pub fn content_type_for(name: &str) -> &'static str {
    let Some((_, extension)) = name.rsplit_once('.') else {
        return DEFAULT;
    };
    let mut lower = [0u8; 8];
    if extension.len() > lower.len() {
        return DEFAULT;
    }
    for (slot, b) in lower.iter_mut().zip(extension.bytes()) {
        *slot = b.to_ascii_lowercase();
    }
    lookup(&lower[..extension.len()])
}

/// The type of bytes we cannot name.
pub const DEFAULT: &str = "application/octet-stream";

/// Plain text, as the server's own messages are.
pub const TEXT: &str = "text/plain; charset=utf-8";

/// An HTML page.
pub const HTML: &str = "text/html; charset=utf-8";

/// JSON text (UTF-8 by definition, so no charset).
pub const JSON: &str = "application/json";

fn lookup(extension: &[u8]) -> &'static str {
    match extension {
        b"html" | b"htm" => HTML,
        b"css" => "text/css; charset=utf-8",
        b"js" | b"mjs" => "text/javascript; charset=utf-8",
        b"json" | b"map" => JSON,
        b"webmanifest" => "application/manifest+json",
        b"txt" | b"text" | b"log" => TEXT,
        b"md" | b"markdown" => "text/markdown; charset=utf-8",
        b"csv" => "text/csv; charset=utf-8",
        b"xml" => "text/xml; charset=utf-8",
        b"svg" => "image/svg+xml",
        b"png" => "image/png",
        b"jpg" | b"jpeg" => "image/jpeg",
        b"gif" => "image/gif",
        b"webp" => "image/webp",
        b"avif" => "image/avif",
        b"ico" => "image/x-icon",
        b"bmp" => "image/bmp",
        b"wasm" => "application/wasm",
        b"pdf" => "application/pdf",
        b"zip" => "application/zip",
        b"gz" => "application/gzip",
        b"tar" => "application/x-tar",
        b"mp4" | b"m4v" => "video/mp4",
        b"webm" => "video/webm",
        b"ogv" => "video/ogg",
        b"mp3" => "audio/mpeg",
        b"ogg" | b"oga" => "audio/ogg",
        b"wav" => "audio/wav",
        b"flac" => "audio/flac",
        b"woff" => "font/woff",
        b"woff2" => "font/woff2",
        b"ttf" => "font/ttf",
        b"otf" => "font/otf",
        _ => DEFAULT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_common_types_case_insensitively() {
        assert_eq!(content_type_for("index.HTML"), "text/html; charset=utf-8");
        assert_eq!(
            content_type_for("app.min.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type_for("font.woff2"), "font/woff2");
        assert_eq!(content_type_for("movie.mp4"), "video/mp4");
        assert_eq!(content_type_for("README"), DEFAULT);
        assert_eq!(content_type_for("archive.verylongext"), DEFAULT);
    }
}
