//! Validators and conditional requests (RFC 9110 §8.8, §13).
//!
//! A file's validators are a strong `ETag` built from its identity (inode,
//! size and modification time in nanoseconds, plus the content coding when a
//! precompressed sibling is served) and `Last-Modified`. [`evaluate`] applies
//! the preconditions in the order of RFC 9110 §13.2.2; [`if_range_allows`]
//! decides whether a Range may be honoured. Nothing here touches files.

use crate::http::date::parse_http_date;
use crate::http::headers::Fields;
use crate::http::method::Method;
use std::fs::Metadata;

/// The validators of one selected representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// The entity-tag, quotes included: `"1a2b-400-17f..."`.
    pub etag: String,
    /// Modification time in whole Unix seconds.
    pub last_modified: Option<i64>,
}

impl Validators {
    /// Validators for a file; `coding` (`"br"`, ...) distinguishes the tags
    /// of precompressed siblings from the original's.
    pub fn for_file(metadata: &Metadata, coding: Option<&str>) -> Validators {
        let modified = metadata.modified().ok();
        let nanos = modified
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let identity = file_identity(metadata);
        let suffix = coding.map(|c| format!("-{c}")).unwrap_or_default();
        Validators {
            etag: format!("\"{identity:x}-{:x}-{nanos:x}{suffix}\"", metadata.len()),
            last_modified: modified.map(crate::http::date::unix_seconds),
        }
    }
}

#[cfg(unix)]
fn file_identity(metadata: &Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    metadata.ino()
}

#[cfg(not(unix))]
fn file_identity(_metadata: &Metadata) -> u64 {
    0
}

/// What the preconditions decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Go on and answer normally.
    Proceed,
    /// 304 Not Modified.
    NotModified,
    /// 412 Precondition Failed.
    Failed,
}

/// RFC 9110 §13.2.2, in its order:
/// 1. If-Match: no strong match -> 412.
/// 2. Else If-Unmodified-Since (valid date): modified after it -> 412.
/// 3. If-None-Match: a weak match -> 304 for GET/HEAD, else 412.
/// 4. Else If-Modified-Since (GET/HEAD, valid date): not modified since -> 304.
/// 5. (Range and If-Range are decided afterwards by the caller.)
pub fn evaluate(fields: Fields<'_>, method: Method, validators: &Validators) -> Precondition {
    // Each is a list, and a list may come over several field lines (RFC 9110
    // §5.3): it matches if any of its lines does.
    let matches = |name: &str, comparison: Comparison| {
        let mut lines = fields.get_all(name).peekable();
        lines.peek()?;
        Some(lines.any(|line| etag_list_matches(line, &validators.etag, comparison)))
    };
    if let Some(matched) = matches("if-match", Comparison::Strong) {
        if !matched {
            return Precondition::Failed;
        }
    } else if let Some(since) = fields.get("if-unmodified-since").and_then(parse_http_date) {
        if validators.last_modified.is_some_and(|m| m > since) {
            return Precondition::Failed;
        }
    }
    let get_or_head = matches!(method, Method::Get | Method::Head);
    if let Some(matched) = matches("if-none-match", Comparison::Weak) {
        if matched {
            return if get_or_head {
                Precondition::NotModified
            } else {
                Precondition::Failed
            };
        }
    } else if get_or_head {
        if let Some(since) = fields.get("if-modified-since").and_then(parse_http_date) {
            if validators.last_modified.is_some_and(|m| m <= since) {
                return Precondition::NotModified;
            }
        }
    }
    Precondition::Proceed
}

/// RFC 9110 §13.1.5: a Range is honoured only if If-Range is absent, or is an
/// entity-tag that strongly matches, or a date exactly equal to a strong
/// Last-Modified: one at least a second older than now (§8.8.2.2), since a
/// file can change twice within its timestamp's second. Weak tags never
/// match.
pub fn if_range_allows(fields: Fields<'_>, validators: &Validators) -> bool {
    let Some(value) = fields.get("if-range") else {
        return true;
    };
    if value.starts_with(b"\"") {
        return value == validators.etag.as_bytes();
    }
    if value.starts_with(b"W/") {
        return false;
    }
    let now = crate::http::date::unix_seconds(std::time::SystemTime::now());
    match (parse_http_date(value), validators.last_modified) {
        (Some(date), Some(modified)) => date == modified && modified < now - 1,
        _ => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Strong,
    Weak,
}

/// Whether `If-Match`/`If-None-Match` (`*` or a list of entity-tags) matches
/// `etag` (our tag, strong, with quotes).
fn etag_list_matches(value: &[u8], etag: &str, comparison: Comparison) -> bool {
    if value == b"*" {
        return true;
    }
    let mut rest = value;
    loop {
        rest = skip_separators(rest);
        if rest.is_empty() {
            return false;
        }
        let weak = rest.starts_with(b"W/");
        if weak {
            rest = &rest[2..];
        }
        // entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; a comma may sit inside.
        if rest.first() != Some(&b'"') {
            return false;
        }
        let Some(close) = rest[1..].iter().position(|&b| b == b'"') else {
            return false;
        };
        let tag = &rest[..close + 2];
        let matches = tag == etag.as_bytes() && (comparison == Comparison::Weak || !weak);
        if matches {
            return true;
        }
        rest = &rest[close + 2..];
    }
}

fn skip_separators(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b','))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_tag_lists_compare_weakly_or_strongly() {
        let tag = "\"abc\"";
        assert!(etag_list_matches(b"\"abc\"", tag, Comparison::Strong));
        assert!(etag_list_matches(
            b"\"x\", \"abc\"",
            tag,
            Comparison::Strong
        ));
        assert!(etag_list_matches(b"W/\"abc\"", tag, Comparison::Weak));
        assert!(!etag_list_matches(b"W/\"abc\"", tag, Comparison::Strong));
        assert!(etag_list_matches(b"*", tag, Comparison::Strong));
        assert!(!etag_list_matches(b"\"a,bc\"", tag, Comparison::Weak));
        assert!(!etag_list_matches(b"abc", tag, Comparison::Weak));
        assert!(!etag_list_matches(b"", tag, Comparison::Weak));
    }
}
