//! Field lines (RFC 9110 §5, RFC 9112 §5): their syntax, and reading them
//! back out of a parsed head.
//!
//! [`parse_fields`] checks field lines as their bytes arrive. It does not
//! copy: it records where each name and value sits in the connection's read
//! buffer ([`FieldSpan`]), in a vector the connection reuses for every
//! request. The request head and a chunked body's trailer section both go
//! through it, so both follow one set of rules. [`Fields`] puts the buffer
//! and the spans back together and answers the questions handlers ask:
//! case-insensitive lookup, every line of a repeated field, and the elements
//! of comma-separated lists. Names are validated tokens, so they are ASCII;
//! values are bytes, because obs-text (0x80-0xFF) is allowed in them.
//!
//! What particular fields mean (Host, Content-Length, Transfer-Encoding,
//! Connection, Expect) is not decided here but by `parse` and `body`, and
//! the request line is `parse`'s.

use crate::config::Limits;
use crate::http::error::ParseError;
use std::ops::Range;

/// Where one field line's name and (trimmed) value sit in the read buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpan {
    /// Byte range of the field name.
    pub name: Range<usize>,
    /// Byte range of the field value, without surrounding whitespace.
    pub value: Range<usize>,
}

/// The header fields of one request, borrowed from the read buffer.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'b> {
    buf: &'b [u8],
    spans: &'b [FieldSpan],
}

impl<'b> Fields<'b> {
    /// Joins a buffer with the spans the parser recorded in it.
    pub fn new(buf: &'b [u8], spans: &'b [FieldSpan]) -> Fields<'b> {
        Fields { buf, spans }
    }

    /// Number of field lines.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no field lines.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Every field line as `(name, value)`, in the order received.
    pub fn iter(&self) -> impl Iterator<Item = (&'b str, &'b [u8])> + 'b {
        let buf = self.buf;
        self.spans.iter().map(move |span| {
            // Names were checked to be tokens, which are ASCII.
            let name = std::str::from_utf8(&buf[span.name.clone()]).unwrap_or("");
            (name, &buf[span.value.clone()])
        })
    }

    /// The value of the first line named `name` (compared case-insensitively).
    pub fn get(&self, name: &str) -> Option<&'b [u8]> {
        self.get_all(name).next()
    }

    /// The value of the first line named `name`, if it is valid UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&'b str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The values of every line named `name`, in order.
    pub fn get_all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'b [u8]> + 'n
    where
        'b: 'n,
    {
        let buf = self.buf;
        self.spans
            .iter()
            .filter(move |span| buf[span.name.clone()].eq_ignore_ascii_case(name.as_bytes()))
            .map(move |span| &buf[span.value.clone()])
    }

    /// The non-empty elements of a comma-separated list field, across all its
    /// lines, each trimmed of optional whitespace (RFC 9110 §5.6.1).
    pub fn list<'n>(&self, name: &'n str) -> impl Iterator<Item = &'b [u8]> + 'n
    where
        'b: 'n,
    {
        self.get_all(name).flat_map(list_elements)
    }

    /// Whether the list field `name` contains `token`, case-insensitively
    /// (as `Connection: close` is matched).
    pub fn list_contains(&self, name: &str, token: &str) -> bool {
        self.list(name)
            .any(|element| element.eq_ignore_ascii_case(token.as_bytes()))
    }
}

/// Splits one list value into its non-empty, OWS-trimmed elements.
pub fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|element| !element.is_empty())
}

/// Removes optional whitespace (SP and HTAB) from both ends.
pub fn trim_ows(bytes: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// `tchar` from RFC 9110 §5.6.2: the characters a token is made of.
pub const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
        | b'^' | b'_' | b'`' | b'|' | b'~'
        | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// Whether `bytes` is a non-empty `token`.
pub fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| is_tchar(b))
}

/// Whether `b` may appear in a field value: `field-vchar`, SP or HTAB
/// (RFC 9110 §5.5). Everything else, CR, LF, NUL and the other controls
/// included, is rejected.
pub const fn is_field_value_byte(b: u8) -> bool {
    b == b'\t' || b == b' ' || (b >= 0x21 && b != 0x7f)
}

/// Parses field lines from `start` up to and including the empty line,
/// pushing their positions onto `spans`. Shared with chunked trailers, which
/// follow the same rules. Returns the index just past the empty line.
///
/// # Errors
///
/// Any field-line syntax error, or a field-line/field-count limit crossed.
pub fn parse_fields(
    buf: &[u8],
    start: usize,
    limits: &Limits,
    spans: &mut Vec<FieldSpan>,
) -> Result<Option<usize>, ParseError> {
    let mut i = start;
    loop {
        match buf.get(i) {
            None => return Ok(None),
            Some(b'\r') => {
                return match buf.get(i + 1) {
                    None => Ok(None),
                    Some(b'\n') => Ok(Some(i + 2)),
                    Some(_) => Err(ParseError::LineEnding),
                };
            }
            Some(b'\n') => return Err(ParseError::LineEnding),
            Some(b' ' | b'\t') => return Err(ParseError::ObsFold),
            Some(_) => {}
        }
        if spans.len() >= limits.max_fields {
            return Err(ParseError::TooManyFields);
        }
        let Some((span, next)) = parse_field_line(buf, i, limits)? else {
            return Ok(None);
        };
        spans.push(span);
        i = next;
    }
}

/// One `field-line CRLF` from `start`: where its name and trimmed value sit,
/// and the index just past its CRLF.
fn parse_field_line(
    buf: &[u8],
    start: usize,
    limits: &Limits,
) -> Result<Option<(FieldSpan, usize)>, ParseError> {
    let need_more = || {
        if unterminated_len(&buf[start..]) > limits.max_field_line {
            Err(ParseError::FieldLineTooLong)
        } else {
            Ok(None)
        }
    };
    let mut i = start;
    while i < buf.len() && is_tchar(buf[i]) {
        i += 1;
    }
    let name = start..i;
    match buf.get(i) {
        None => return need_more(),
        Some(b':') if !name.is_empty() => {}
        Some(b' ' | b'\t') if !name.is_empty() => return Err(ParseError::WhitespaceBeforeColon),
        Some(b'\r' | b'\n') if !name.is_empty() => return Err(ParseError::MissingColon),
        Some(_) => return Err(ParseError::FieldName),
    }
    i += 1;
    while i < buf.len() && (buf[i] == b' ' || buf[i] == b'\t') {
        i += 1;
    }
    let value_start = i;
    while i < buf.len() && is_field_value_byte(buf[i]) {
        i += 1;
    }
    match (buf.get(i), buf.get(i + 1)) {
        (None, _) | (Some(b'\r'), None) => return need_more(),
        (Some(b'\r'), Some(b'\n')) => {}
        (Some(b'\r' | b'\n'), _) => return Err(ParseError::LineEnding),
        (Some(_), _) => return Err(ParseError::FieldValue),
    }
    if i - start > limits.max_field_line {
        return Err(ParseError::FieldLineTooLong);
    }
    let mut value_end = i;
    while value_end > value_start && (buf[value_end - 1] == b' ' || buf[value_end - 1] == b'\t') {
        value_end -= 1;
    }
    let span = FieldSpan {
        name,
        value: value_start..value_end,
    };
    Ok(Some((span, i + 2)))
}

/// The length of a line that has not ended yet, not counting a CR that may
/// be the start of its CRLF: limits count a line without its terminator.
pub fn unterminated_len(line: &[u8]) -> usize {
    line.len() - usize::from(line.ends_with(b"\r"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_elements_skip_empty_and_trim() {
        let got: Vec<&[u8]> = list_elements(b" a ,, b\t,c,").collect();
        assert_eq!(got, vec![&b"a"[..], b"b", b"c"]);
    }

    #[test]
    fn lookup_is_case_insensitive_and_sees_every_line() {
        let buf = b"Host: xConnection: Keep-Alive, closeconnection: upgrade";
        let spans = vec![
            FieldSpan {
                name: 0..4,
                value: 6..7,
            },
            FieldSpan {
                name: 7..17,
                value: 19..36,
            },
            FieldSpan {
                name: 36..46,
                value: 48..55,
            },
        ];
        let fields = Fields::new(buf, &spans);
        assert_eq!(fields.get("HOST"), Some(&b"x"[..]));
        assert!(fields.list_contains("connection", "close"));
        assert!(fields.list_contains("Connection", "UPGRADE"));
        assert_eq!(fields.list("connection").count(), 3);
        assert_eq!(fields.get("missing"), None);
    }
}
