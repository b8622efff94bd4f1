//! The request-head parser: bytes in, a validated [`RequestHead`] out.
//!
//! A pure function over the bytes read so far ("need more bytes" is
//! a value). It never reads a socket and never copies: names, values, method
//! and target borrow from the caller's buffer, and field positions go into a
//! vector of [`FieldSpan`]s the caller reuses. It checks every byte as it
//! goes, so garbage is rejected as soon as it arrives, and it checks each
//! limit against the bytes it has seen, so an endless header is cut off at
//! the limit rather than when memory runs out.
//!
//! What it accepts (RFC 9112 §2-§5, RFC 9110 §5):
//!
//! ```text
//! HTTP-message   = *( CRLF ) request-line *( field-line CRLF ) CRLF
//! request-line   = method SP request-target SP HTTP-version CRLF
//! method         = token   (at most `Method::LONGEST_TOKEN` bytes, else 501)
//! HTTP-version   = "HTTP" "/" DIGIT "." DIGIT
//! field-line     = field-name ":" OWS field-value OWS
//! ```
//!
//! Lines end in CRLF only: a bare LF or a bare CR anywhere is a 400. RFC 9112
//! §2.2 lets a server accept a bare LF, but a parser that accepts it in some
//! places and a proxy in front that does not is how requests get smuggled, so
//! we take the strict reading everywhere. The meaning of the fields (Host,
//! framing, Connection, Expect) is checked here too, so a `RequestHead`
//! handed to the connection is one the server can act on.
//!
//! This module owns the request line and the meaning of the head. It calls
//! down for the rest: field-line syntax is `headers` (shared with chunked
//! trailers), the body framing rules are `body`, and the reasons a head is
//! refused are `error`.

use crate::config::Limits;
use crate::http::body::{self, BodyFraming};
use crate::http::headers::{is_tchar, parse_fields, unterminated_len, FieldSpan, Fields};
use crate::http::method::Method;
use crate::http::version::Version;
use std::ops::Range;

// Re-exported so `http::parse::ParseError`, the path the conformance tests
// and library users name, still works now that the type has its own module.
pub use crate::http::error::ParseError;

/// The outcome of parsing a buffer that may not hold a whole head yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A whole head was parsed; it took the first `len` bytes of the buffer.
    Complete {
        /// The parsed value.
        head: T,
        /// Bytes consumed, up to and including the empty line.
        len: usize,
    },
    /// Everything so far is valid, but more bytes are needed.
    Incomplete,
}

/// The four forms of request-target (RFC 9112 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetForm {
    /// `/path?query`, the usual form.
    Origin,
    /// `http://host/path?query`, as sent to proxies; served as its path.
    Absolute,
    /// `host:port`, only with CONNECT.
    Authority,
    /// `*`, only with OPTIONS.
    Asterisk,
}

/// A parsed and validated request head, borrowing from the read buffer.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'b> {
    /// The method, or `Method::Unknown` for a token the server does not know.
    pub method: Method,
    /// The method token as received.
    pub method_token: &'b str,
    /// The request-target exactly as received.
    pub target: &'b str,
    /// Which form the target took.
    pub form: TargetForm,
    /// Path and query to route on: the target itself in origin-form, the part
    /// after the authority in absolute-form (possibly empty, meaning `/`),
    /// `*` or the authority for the other two forms.
    pub path_and_query: &'b str,
    /// The protocol version (`HTTP/1.x` with x > 1 is read as 1.1).
    pub version: Version,
    /// The header fields.
    pub fields: Fields<'b>,
    /// The host the request is for: the target's authority in absolute-form
    /// (RFC 9112 §3.2.2 says to ignore Host then), else the Host field.
    pub host: Option<&'b str>,
    /// How the message body is delimited.
    pub body: BodyFraming,
    /// Whether the client allows the connection to stay open afterwards.
    pub keep_alive: bool,
    /// Whether the client sent `Expect: 100-continue` (HTTP/1.1 only).
    pub expect_continue: bool,
}

/// Parses a request head from the start of `buf`.
///
/// `spans` is cleared and filled with the field positions; the returned head
/// borrows both. Empty lines before the request line are skipped
/// (RFC 9112 §2.2).
///
/// # Errors
///
/// A [`ParseError`] as soon as the bytes seen so far cannot begin a valid
/// head, or a limit in `limits` is crossed.
pub fn parse_request<'b>(
    buf: &'b [u8],
    limits: &Limits,
    spans: &'b mut Vec<FieldSpan>,
) -> Result<Parsed<RequestHead<'b>>, ParseError> {
    spans.clear();
    let syntax = match parse_syntax(buf, limits, spans)? {
        Some(syntax) => syntax,
        None if buf.len() >= limits.max_head_bytes => return Err(ParseError::HeadTooLarge),
        None => return Ok(Parsed::Incomplete),
    };
    if syntax.len > limits.max_head_bytes {
        return Err(ParseError::HeadTooLarge);
    }
    let spans: &'b [FieldSpan] = spans;
    let head = interpret(buf, syntax.line, Fields::new(buf, spans), limits)?;
    Ok(Parsed::Complete {
        head,
        len: syntax.len,
    })
}

/// Positions of the request line's parts, once its syntax is known good.
struct LineSpans {
    method: Range<usize>,
    target: Range<usize>,
    version: Version,
}

/// A request line's three parts, as the client sent them.
#[derive(Debug, Clone, Copy)]
pub struct RequestLine<'b> {
    /// The method token (`GET`).
    pub method: &'b str,
    /// The request target (`/index.html?x=1`).
    pub target: &'b str,
    /// The version.
    pub version: Version,
}

/// The request line at the start of `buf` (after any empty lines), if it
/// is whole and valid. For the access log of a head refused for something
/// after its first line (a field, the body's framing, a size limit), so the
/// log can still say what was asked.
pub fn valid_request_line<'b>(buf: &'b [u8], limits: &Limits) -> Option<RequestLine<'b>> {
    let start = skip_empty_lines(buf).ok()??;
    let (line, _) = parse_request_line(buf, start, limits).ok()??;
    // Both were checked to be tokens and visible ASCII.
    Some(RequestLine {
        method: std::str::from_utf8(&buf[line.method]).ok()?,
        target: std::str::from_utf8(&buf[line.target]).ok()?,
        version: line.version,
    })
}

/// RFC 9112 §2.2: at least one empty line (CRLF) before a request line is
/// ignored. Returns where the request line starts, `None` if the bytes so
/// far could still be an empty line, or an error for a bare CR or LF.
pub fn skip_empty_lines(buf: &[u8]) -> Result<Option<usize>, ParseError> {
    let mut start = 0;
    loop {
        match &buf[start..] {
            [b'\r', b'\n', ..] => start += 2,
            [b'\r'] => return Ok(None),
            [b'\r', ..] | [b'\n', ..] => return Err(ParseError::LineEnding),
            _ => return Ok(Some(start)),
        }
    }
}

/// A head whose syntax is known good: its request line, and its length up
/// to and including the empty line.
struct Syntax {
    line: LineSpans,
    len: usize,
}

/// The head's syntax, in the order of `HTTP-message`: empty lines skipped,
/// the request line, then the field lines (`headers::parse_fields`).
/// `None` while the head is incomplete.
fn parse_syntax(
    buf: &[u8],
    limits: &Limits,
    spans: &mut Vec<FieldSpan>,
) -> Result<Option<Syntax>, ParseError> {
    let Some(start) = skip_empty_lines(buf)? else {
        return Ok(None);
    };
    let Some((line, line_end)) = parse_request_line(buf, start, limits)? else {
        return Ok(None);
    };
    let Some(len) = parse_fields(buf, line_end, limits, spans)? else {
        return Ok(None);
    };
    Ok(Some(Syntax { line, len }))
}

/// `request-line = method SP request-target SP HTTP-version CRLF`, from
/// `start`: the method, then the target, then the version and its CRLF,
/// each checked as far as the bytes have arrived, and last the line's
/// length. Returns the parts and the index just past the CRLF, or `None`
/// while the line is unfinished and still within `max_request_line`.
fn parse_request_line(
    buf: &[u8],
    start: usize,
    limits: &Limits,
) -> Result<Option<(LineSpans, usize)>, ParseError> {
    let Some((line, line_end)) = scan_request_line(buf, start)? else {
        // An unfinished line is cut off at the limit, not when it ends.
        return if unterminated_len(&buf[start..]) > limits.max_request_line {
            Err(ParseError::RequestLineTooLong)
        } else {
            Ok(None)
        };
    };
    if line_end - 2 - start > limits.max_request_line {
        return Err(ParseError::RequestLineTooLong);
    }
    Ok(Some((line, line_end)))
}

/// The request line's three parts in order, without its length limit.
/// `None` means every byte so far is valid but the line has not ended.
fn scan_request_line(buf: &[u8], start: usize) -> Result<Option<(LineSpans, usize)>, ParseError> {
    let Some(method) = scan_method(buf, start)? else {
        return Ok(None);
    };
    let Some(target) = scan_target(buf, method.end + 1)? else {
        return Ok(None);
    };
    let version_start = target.end + 1;
    let Some(version) = parse_version(&buf[version_start..])? else {
        return Ok(None);
    };
    let line_end = version_start + b"HTTP/1.1\r\n".len();
    let line = LineSpans {
        method,
        target,
        version,
    };
    Ok(Some((line, line_end)))
}

/// `method SP`: a token, then one space. Returns where the token sits.
fn scan_method(buf: &[u8], start: usize) -> Result<Option<Range<usize>>, ParseError> {
    // Look at one token byte more than the longest method we know: if it is
    // there, the method cannot be one of ours, and the answer is 501 now,
    // whatever follows (a non-token byte after it included).
    let scan_end = buf.len().min(start + Method::LONGEST_TOKEN + 1);
    let mut i = start;
    while i < scan_end && is_tchar(buf[i]) {
        i += 1;
    }
    if i - start > Method::LONGEST_TOKEN {
        return Err(ParseError::MethodTooLong);
    }
    if i == buf.len() {
        return Ok(None);
    }
    if i == start || buf[i] != b' ' {
        return Err(ParseError::Method);
    }
    Ok(Some(start..i))
}

/// `request-target SP`: at least one target byte or percent-escape, then
/// one space. Returns where the target sits; its form is checked later,
/// once the method is known.
fn scan_target(buf: &[u8], start: usize) -> Result<Option<Range<usize>>, ParseError> {
    let mut i = start;
    while i < buf.len() && buf[i] != b' ' {
        match buf[i] {
            b'%' => match (buf.get(i + 1), buf.get(i + 2)) {
                (Some(a), Some(b)) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit() => i += 3,
                (Some(a), _) if !a.is_ascii_hexdigit() => return Err(ParseError::Target),
                (_, Some(_)) => return Err(ParseError::Target),
                _ => return Ok(None),
            },
            b if is_target_byte(b) => i += 1,
            _ => return Err(ParseError::Target),
        }
    }
    if i >= buf.len() {
        return Ok(None);
    }
    if i == start {
        return Err(ParseError::Target);
    }
    Ok(Some(start..i))
}

/// `HTTP-version CRLF`, checked byte by byte against what has arrived.
fn parse_version(bytes: &[u8]) -> Result<Option<Version>, ParseError> {
    const SHAPE: &[u8; 10] = b"HTTP/d.d\r\n";
    for (i, &b) in bytes.iter().take(SHAPE.len()).enumerate() {
        let ok = match SHAPE[i] {
            b'd' => b.is_ascii_digit(),
            expected => b == expected,
        };
        if !ok {
            // Anything but CR or LF right after `HTTP/d.d` makes the version
            // token malformed (`HTTP/1.10`, `HTTP/1.1 `); a bare LF, or a CR
            // without LF, is a bad line ending.
            return Err(if i == 9 || (i == 8 && b == b'\n') {
                ParseError::LineEnding
            } else {
                ParseError::Version
            });
        }
    }
    if bytes.len() < SHAPE.len() {
        return Ok(None);
    }
    match (bytes[5], bytes[7]) {
        (b'1', b'0') => Ok(Some(Version::Http10)),
        (b'1', _) => Ok(Some(Version::Http11)),
        _ => Err(ParseError::UnsupportedVersion),
    }
}

/// Bytes allowed in a request-target besides `%`: RFC 3986's unreserved,
/// sub-delims, `:`, `@`, `/`, `?`, plus `[` and `]` for IPv6 authorities.
/// Not allowed: space, controls, `"`, `#`, `<`, `>`, `\`, `^`, `` ` ``,
/// `{`, `|`, `}` and every byte above 0x7E.
const fn is_target_byte(b: u8) -> bool {
    matches!(b,
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
        | b'-' | b'.' | b'_' | b'~'
        | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
        | b':' | b'@' | b'/' | b'?' | b'[' | b']')
}

/// Whether `path` is one an origin-form request-target can carry as its
/// path: `/`, then target bytes and `%HH` escapes, without the `?` that
/// starts a query or the `[` and `]` kept for authorities. (For
/// configured paths, such as `--health`, that requests must match.)
pub fn is_origin_path(path: &str) -> bool {
    // Scanned as it would sit in a request line, followed by its space.
    let line = format!("{path} ");
    scan_target(line.as_bytes(), 0) == Ok(Some(0..path.len()))
        && path.starts_with('/')
        && !path.contains(['?', '[', ']'])
}

/// Gives the syntactically valid head its meaning: method, target form,
/// Host, body framing, persistence and expectations.
fn interpret<'b>(
    buf: &'b [u8],
    line: LineSpans,
    fields: Fields<'b>,
    limits: &Limits,
) -> Result<RequestHead<'b>, ParseError> {
    // Both were checked to be ASCII above.
    let method_token = std::str::from_utf8(&buf[line.method]).map_err(|_| ParseError::Method)?;
    let target = std::str::from_utf8(&buf[line.target]).map_err(|_| ParseError::Target)?;
    let method = Method::from_token(method_token.as_bytes());
    let version = line.version;

    let host_field = single_host(fields, version)?;
    let (form, authority, path_and_query) = classify_target(method, target)?;
    let host = if form == TargetForm::Absolute {
        authority
    } else {
        host_field
    };

    let body = body::framing(fields, version, limits)?;
    let keep_alive = if fields.list_contains("connection", "close") {
        false
    } else {
        version == Version::Http11 || fields.list_contains("connection", "keep-alive")
    };
    let expect_continue = expects_continue(fields, version)?;

    Ok(RequestHead {
        method,
        method_token,
        target,
        form,
        path_and_query,
        version,
        fields,
        host,
        body,
        keep_alive,
        expect_continue,
    })
}

/// RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without
/// Host, to any request with more than one Host line, and to an invalid one.
fn single_host(fields: Fields<'_>, version: Version) -> Result<Option<&str>, ParseError> {
    let mut hosts = fields.get_all("host");
    let first = hosts.next();
    if hosts.next().is_some() {
        return Err(ParseError::DuplicateHost);
    }
    match first {
        None if version == Version::Http11 => Err(ParseError::MissingHost),
        None => Ok(None),
        Some(value) if is_valid_host(value, false) => Ok(Some(
            std::str::from_utf8(value).map_err(|_| ParseError::InvalidHost)?,
        )),
        Some(_) => Err(ParseError::InvalidHost),
    }
}

/// `uri-host [ ":" port ]` (RFC 9110 §7.2). With `need_port`, the port must
/// be present, as in CONNECT's authority-form.
fn is_valid_host(value: &[u8], need_port: bool) -> bool {
    let (host, port) = if value.first() == Some(&b'[') {
        let Some(close) = value.iter().position(|&b| b == b']') else {
            return false;
        };
        let literal = &value[1..close];
        let literal_ok = !literal.is_empty()
            && literal
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !literal_ok {
            return false;
        }
        match &value[close + 1..] {
            [] => (&value[..=close], None),
            [b':', port @ ..] => (&value[..=close], Some(port)),
            _ => return false,
        }
    } else {
        match value.iter().rposition(|&b| b == b':') {
            Some(colon) => (&value[..colon], Some(&value[colon + 1..])),
            None => (value, None),
        }
    };
    let reg_name_ok = host.first() == Some(&b'[')
        || host.iter().all(|&b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'-' | b'.' | b'_' | b'~' | b'%')
                || matches!(
                    b,
                    b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
                )
        });
    let port_ok = match port {
        Some(port) => port.len() <= 5 && port.iter().all(u8::is_ascii_digit),
        None => !need_port,
    };
    reg_name_ok && port_ok && !(need_port && host.is_empty())
}

/// Sorts the target into its form and checks the form suits the method
/// (RFC 9112 §3.2.3-§3.2.4). Returns the form, the authority if the target
/// carries one, and the path-and-query to route on.
fn classify_target(
    method: Method,
    target: &str,
) -> Result<(TargetForm, Option<&str>, &str), ParseError> {
    if method == Method::Connect {
        return if is_valid_host(target.as_bytes(), true) {
            Ok((TargetForm::Authority, Some(target), target))
        } else {
            Err(ParseError::Target)
        };
    }
    if target == "*" {
        return if method == Method::Options {
            Ok((TargetForm::Asterisk, None, target))
        } else {
            Err(ParseError::Target)
        };
    }
    if target.starts_with('/') {
        return if target.contains(['[', ']']) {
            Err(ParseError::Target)
        } else {
            Ok((TargetForm::Origin, None, target))
        };
    }
    let after_scheme = strip_prefix_ignore_case(target, "http://")
        .or_else(|| strip_prefix_ignore_case(target, "https://"))
        .ok_or(ParseError::Target)?;
    let authority_end = after_scheme.find(['/', '?']).unwrap_or(after_scheme.len());
    let (authority, rest) = after_scheme.split_at(authority_end);
    if authority.is_empty()
        || authority.contains('@')
        || !is_valid_host(authority.as_bytes(), false)
    {
        return Err(ParseError::Target);
    }
    // `rest` may be empty or start with `?` (`http://host?q`): the path is
    // then empty, which routing reads as `/` (RFC 9112 §3.2.1).
    if rest.contains(['[', ']']) {
        return Err(ParseError::Target);
    }
    Ok((TargetForm::Absolute, Some(authority), rest))
}

fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// RFC 9110 §10.1.1: `100-continue` is the only expectation defined; any
/// other gets 417. An HTTP/1.0 request's expectation is ignored.
fn expects_continue(fields: Fields<'_>, version: Version) -> Result<bool, ParseError> {
    if version == Version::Http10 {
        return Ok(false);
    }
    let mut wants_continue = false;
    for expectation in fields.list("expect") {
        if expectation.eq_ignore_ascii_case(b"100-continue") {
            wants_continue = true;
        } else {
            return Err(ParseError::UnsupportedExpectation);
        }
    }
    Ok(wants_continue)
}
