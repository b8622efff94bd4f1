//! From a URL path to a file inside the served root, safely.
//!
//! Three steps, in this order (habit 11): percent-decode each segment, then
//! normalise (`.` dropped, `..` pops a segment), then contain (the real path,
//! symlinks resolved, must still be under the root). Decoding per segment is
//! what makes `%2F` harmless: a decoded slash is refused instead of becoming a
//! separator. Nothing outside the root is ever opened.

use crate::http::uri::percent_decode;
use std::fs;
use std::path::{Path, PathBuf};

/// Why a URL path cannot name a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// A malformed escape, an encoded `/` or `\`, NUL, invalid UTF-8, or `..`
    /// past the root: 400.
    BadRequest,
    /// Hidden (a dot-segment name) or not there: 404.
    NotFound,
}

/// A URL path cleaned into segments relative to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanPath {
    /// Decoded, normalised segments.
    pub segments: Vec<String>,
    /// Whether the URL path ended in `/` (directories are served there).
    pub trailing_slash: bool,
}

/// Decodes and normalises a URL path (`/a/./b/../c%20d/`).
///
/// # Errors
///
/// [`PathError::BadRequest`] for input that cannot name a file safely;
/// [`PathError::NotFound`] for a hidden segment when `hidden` is false.
pub fn clean(url_path: &str, hidden: bool) -> Result<CleanPath, PathError> {
    let rest = url_path.strip_prefix('/').ok_or(PathError::BadRequest)?;
    let mut segments: Vec<String> = Vec::new();
    for raw in rest.split('/') {
        let decoded = percent_decode(raw.as_bytes()).ok_or(PathError::BadRequest)?;
        if decoded.iter().any(|&b| b == b'/' || b == b'\\' || b == 0) {
            return Err(PathError::BadRequest);
        }
        let segment = String::from_utf8(decoded).map_err(|_| PathError::BadRequest)?;
        match segment.as_str() {
            "" | "." => {}
            ".." => {
                segments.pop().ok_or(PathError::BadRequest)?;
            }
            name if name.starts_with('.') && !hidden => return Err(PathError::NotFound),
            _ => segments.push(segment),
        }
    }
    Ok(CleanPath {
        segments,
        trailing_slash: url_path.ends_with('/'),
    })
}

/// The real path of `clean` under `root` (which must itself be canonical),
/// with symlinks resolved, if it exists and stays inside the root (or
/// anywhere, with `follow_symlinks`: the user's explicit choice).
///
/// # Errors
///
/// [`PathError::NotFound`] if it does not exist or resolves outside.
pub fn contain(
    root: &Path,
    clean: &CleanPath,
    follow_symlinks: bool,
) -> Result<PathBuf, PathError> {
    let mut joined = root.to_path_buf();
    joined.extend(&clean.segments);
    // One stat settles the common miss; resolving every component (one
    // system call each) is only worth it for something that exists.
    if fs::metadata(&joined).is_err() {
        return Err(PathError::NotFound);
    }
    let real = joined.canonicalize().map_err(|_| PathError::NotFound)?;
    if follow_symlinks || real.starts_with(root) {
        Ok(real)
    } else {
        Err(PathError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(path: &str) -> Result<Vec<String>, PathError> {
        clean(path, false).map(|c| c.segments)
    }

    #[test]
    fn hostile_paths_are_refused() {
        use PathError::*;
        let table: &[(&str, Result<Vec<&str>, PathError>)] = &[
            ("/", Ok(vec![])),
            ("/a/b.txt", Ok(vec!["a", "b.txt"])),
            ("/a/./b/../c", Ok(vec!["a", "c"])),
            ("/a%20b", Ok(vec!["a b"])),
            ("//a//b", Ok(vec!["a", "b"])),
            ("/..", Err(BadRequest)),
            ("/a/../..", Err(BadRequest)),
            ("/%2e%2e/etc/passwd", Err(BadRequest)),
            ("/%2E%2E%2Fetc", Err(BadRequest)),
            ("/a%2fb", Err(BadRequest)),
            ("/..%5c..%5cetc", Err(BadRequest)),
            ("/a%00b", Err(BadRequest)),
            ("/%ff", Err(BadRequest)),
            ("/%zz", Err(BadRequest)),
            ("/%", Err(BadRequest)),
            ("/.env", Err(NotFound)),
            ("/a/.git/config", Err(NotFound)),
            ("/%2egit", Err(NotFound)),
            ("relative", Err(BadRequest)),
        ];
        for (input, want) in table {
            let want = want
                .clone()
                .map(|v| v.into_iter().map(String::from).collect::<Vec<_>>());
            assert_eq!(segments(input), want, "{input}");
        }
    }

    #[test]
    fn hidden_segments_are_allowed_when_asked() {
        assert_eq!(
            clean("/.well-known/x", true).unwrap().segments,
            vec![".well-known", "x"]
        );
    }
}
