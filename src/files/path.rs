//! From a URL path to a file inside the served root, safely.
//!
//! Three steps, in this order: percent-decode each segment, then normalise
//! (`.` dropped, `..` pops a segment), then contain. This module does the
//! first two, on the URL alone; containment (where the names lead once
//! symlinks are followed) is decided while opening, by [`super::open`], so
//! that no swap can come between the check and the open. Decoding per
//! segment is what makes `%2F` harmless: a decoded slash is refused instead
//! of becoming a separator.

use crate::http::uri::percent_decode;

/// Why a URL path cannot name a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// A malformed escape, an encoded `/` or `\`, NUL, invalid UTF-8, or `..`
    /// past the root: 400.
    BadRequest,
    /// A hidden name (see [`is_hidden_name`]) while hidden files are not
    /// served: 404, as if it were not there. Whether a path that passes is
    /// there is only known when it is opened.
    NotFound,
}

/// Whether a file name is hidden: it starts with a dot, as `.git` and
/// `.env` do. Such names are neither served nor listed unless the user asks
/// for hidden files.
pub fn is_hidden_name(name: &str) -> bool {
    name.starts_with('.')
}

/// A URL path cleaned into segments relative to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanPath {
    /// Decoded, normalised segments.
    pub segments: Vec<String>,
    /// Whether the URL path ends in a form that names a directory (`/`,
    /// `/.` or `/..`): directories are served there, files never are.
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
    let mut names_a_directory = false;
    for raw in rest.split('/') {
        // `/a.txt/`, `/a.txt/.` and `/a.txt/b/..` all name a directory,
        // which a file is not.
        names_a_directory = matches!(raw, "" | "." | "..");
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
            name if !hidden && is_hidden_name(name) && !is_well_known(&segments, name) => {
                return Err(PathError::NotFound);
            }
            name if is_upload_in_progress(name) => return Err(PathError::NotFound),
            _ => segments.push(segment),
        }
    }
    Ok(CleanPath {
        segments,
        trailing_slash: names_a_directory,
    })
}

/// `/.well-known/` at the top of the root (RFC 8615: ACME challenges,
/// `security.txt`, ...) is served although its name starts with a dot;
/// dotfiles inside it, and anywhere else, stay hidden.
fn is_well_known(segments_so_far: &[String], name: &str) -> bool {
    segments_so_far.is_empty() && name == ".well-known"
}

/// How the temporary file of an upload in progress is named:
/// `.upload-PID-N.part`.
pub const UPLOAD_PREFIX: &str = ".upload-";
/// The end of an upload-in-progress name (see [`UPLOAD_PREFIX`]).
pub const UPLOAD_SUFFIX: &str = ".part";

/// Whether `name` is the temporary file of an upload still arriving. Such a
/// name is never served, written, listed or archived, even with
/// `--hidden`: it is not a file yet, and another client must not read a
/// partial upload, replace it, or take the name first.
pub fn is_upload_in_progress(name: &str) -> bool {
    name.strip_prefix(UPLOAD_PREFIX)
        .and_then(|rest| rest.strip_suffix(UPLOAD_SUFFIX))
        .is_some_and(|middle| {
            let mut parts = middle.split('-');
            let numeric = |part: Option<&str>| {
                part.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            };
            numeric(parts.next()) && numeric(parts.next()) && parts.next().is_none()
        })
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
            (
                "/.well-known/acme-challenge/t0k",
                Ok(vec![".well-known", "acme-challenge", "t0k"]),
            ),
            (
                "/x/../.well-known/security.txt",
                Ok(vec![".well-known", "security.txt"]),
            ),
            ("/.well-known/.secret", Err(NotFound)),
            ("/a/.well-known/x", Err(NotFound)),
            ("/.upload-12-0.part", Err(NotFound)),
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
    fn uploads_in_progress_are_never_reachable() {
        assert_eq!(clean("/d/.upload-7-3.part", true), Err(PathError::NotFound));
        assert_eq!(
            clean("/d/.upload-x.part", true).map(|c| c.segments.len()),
            Ok(2)
        );
    }

    #[test]
    fn hidden_segments_are_allowed_when_asked() {
        assert_eq!(
            clean("/.well-known/x", true).unwrap().segments,
            vec![".well-known", "x"]
        );
    }
}
