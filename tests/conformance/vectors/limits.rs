//! Size-limit vectors (RFC 9112 §2.3, §3; RFC 9110 §15.5.14, §15.5.15;
//! RFC 6585 §5): every `Limits` field crossed by a complete input and by an
//! input that is only a prefix, each under limits small enough for one line,
//! plus the default limits crossed by generated inputs.

use crate::vectors::assert_rejected;
use http_from_scratch::config::Limits;
use http_from_scratch::http::method::Method;
use http_from_scratch::http::parse::{parse_request, ParseError, Parsed};

/// Request lines of up to 24 bytes, CRLF excluded.
pub fn line_limit() -> Limits {
    Limits {
        max_request_line: 24,
        ..Limits::default()
    }
}

/// Field lines of up to 16 bytes, CRLF excluded.
pub fn field_limit() -> Limits {
    Limits {
        max_field_line: 16,
        ..Limits::default()
    }
}

/// At most three field lines.
pub fn count_limit() -> Limits {
    Limits {
        max_fields: 3,
        ..Limits::default()
    }
}

/// Heads of up to 64 bytes, empty line included.
pub fn head_limit() -> Limits {
    Limits {
        max_head_bytes: 64,
        ..Limits::default()
    }
}

/// Bodies of up to 100 bytes.
pub fn body_limit() -> Limits {
    Limits {
        max_body_bytes: 100,
        ..Limits::default()
    }
}

accepts! { accepted_line, line_limit;
    request_line_one_under_the_limit: b"GET /012345678 HTTP/1.1\r\nHost: a\r\n\r\n" => { target: "/012345678" }, // RFC 9112 §3
}

accepts! { accepted_field, field_limit;
    field_line_one_under_the_limit: b"GET / HTTP/1.1\r\nHost: abcdefghi\r\n\r\n" => { host: Some("abcdefghi") }, // RFC 6585 §5
}

accepts! { accepted_count, count_limit;
    field_count_at_the_limit: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-B: 2\r\n\r\n" => { fields: 3 }, // RFC 6585 §5
}

accepts! { accepted_head, head_limit;
    head_of_exactly_the_limit: b"GET / HTTP/1.1\r\nHost: abcdefghi\r\nX-A: 1234567890\r\nX-B: 12345\r\n\r\n" => { fields: 3 }, // RFC 6585 §5
}

accepts! { accepted_body, body_limit;
    content_length_at_the_limit: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" => { body: Length(100) }, // RFC 9110 §15.5.14
}

// Left out of the prefix sweep: the prefix ending in the line's CR is
// rejected as too long (see report).
accepts! { at_limit, line_limit;
    request_line_of_exactly_the_limit: b"GET /0123456789 HTTP/1.1\r\nHost: a\r\n\r\n" => { target: "/0123456789" }, // RFC 9112 §3
}

accepts! { field_at_limit, field_limit;
    field_line_of_exactly_the_limit: b"GET / HTTP/1.1\r\nHost: abcdefghij\r\n\r\n" => { host: Some("abcdefghij") }, // RFC 6585 §5
}

rejects! { rejected_line, line_limit;
    complete_request_line_over_the_limit: b"GET /0123456789a HTTP/1.1\r\nHost: a\r\n\r\n" => RequestLineTooLong 414, // RFC 9110 §15.5.15
    endless_target_over_the_limit: b"GET /0123456789abcdefghijk" => RequestLineTooLong 414, // RFC 9110 §15.5.15
    endless_method_over_the_line_limit_is_not_implemented: b"GETGETGETGETGETGETGETGETG" => MethodTooLong 501, // RFC 9110 §15.6.2; 414 is about the target (§15.5.15)
    unfinished_version_over_the_limit: b"GET /0123456789ab HTTP/1." => RequestLineTooLong 414, // RFC 9110 §15.5.15
}

rejects! { rejected_field, field_limit;
    complete_field_line_over_the_limit: b"GET / HTTP/1.1\r\nHost: abcdefghijk\r\n\r\n" => FieldLineTooLong 431, // RFC 6585 §5
    trailing_whitespace_counts_toward_the_limit: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1234567890  \r\n\r\n" => FieldLineTooLong 431, // RFC 6585 §5
    endless_field_value_over_the_limit: b"GET / HTTP/1.1\r\nX-Long: aaaaaaaaaa" => FieldLineTooLong 431, // RFC 6585 §5
    endless_field_name_over_the_limit: b"GET / HTTP/1.1\r\nXXXXXXXXXXXXXXXXX" => FieldLineTooLong 431, // RFC 6585 §5
}

rejects! { rejected_count, count_limit;
    complete_head_with_one_field_too_many: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\n\r\n" => TooManyFields 431, // RFC 6585 §5
    first_byte_of_one_field_too_many: b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-B: 2\r\nX" => TooManyFields 431, // RFC 6585 §5
}

rejects! { rejected_head, head_limit;
    complete_head_one_byte_over_the_limit: b"GET / HTTP/1.1\r\nHost: abcdefghi\r\nX-A: 1234567890\r\nX-B: 123456\r\n\r\n" => HeadTooLarge 431, // RFC 6585 §5
    unfinished_head_at_the_limit: b"GET / HTTP/1.1\r\nHost: abcdefghi\r\nX-A: 1234567890\r\nX-B: 1234567\r\n" => HeadTooLarge 431, // RFC 6585 §5
    endless_field_value_over_the_head_limit: b"GET / HTTP/1.1\r\nX-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" => HeadTooLarge 431, // RFC 6585 §5
    endless_target_over_the_head_limit: b"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" => HeadTooLarge 431, // RFC 6585 §5
}

rejects! { rejected_body, body_limit;
    content_length_one_over_the_limit: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n" => ContentTooLarge 413, // RFC 9110 §15.5.14
}

/// A request line of exactly `len` bytes (CRLF excluded), then a Host line.
fn request_with_line_of(len: usize) -> Vec<u8> {
    let target = "a".repeat(len - "GET / HTTP/1.1".len());
    format!("GET /{target} HTTP/1.1\r\nHost: a\r\n\r\n").into_bytes()
}

/// A head with `count` field lines after Host, each `X-n: value`.
fn request_with_fields(count: usize, value: &str) -> Vec<u8> {
    let mut head = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    for n in 0..count {
        head.extend_from_slice(format!("X-{n}: {value}\r\n").as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    head
}

fn is_complete(input: &[u8]) -> bool {
    matches!(
        parse_request(input, &Limits::default(), &mut Vec::new()),
        Ok(Parsed::Complete { .. })
    )
}

#[test]
fn default_request_line_limit_is_8_kib() {
    let limits = Limits::default();
    assert!(is_complete(&request_with_line_of(8 * 1024)));
    let over = request_with_line_of(8 * 1024 + 1);
    assert_rejected(&over, &limits, ParseError::RequestLineTooLong, 414);
    assert_rejected(
        &over[..8 * 1024 + 1],
        &limits,
        ParseError::RequestLineTooLong,
        414,
    );
}

#[test]
fn an_endless_method_gets_501_one_byte_past_the_longest_known_not_414() {
    let limits = Limits::default();
    let method = "M".repeat(9000);
    let longest = Method::LONGEST_TOKEN;
    let mut spans = Vec::new();
    let head = parse_request(&method.as_bytes()[..longest], &limits, &mut spans);
    assert!(matches!(head, Ok(Parsed::Incomplete)), "{head:?}");
    let one_more = &method.as_bytes()[..longest + 1];
    assert_rejected(one_more, &limits, ParseError::MethodTooLong, 501);
    assert_rejected(method.as_bytes(), &limits, ParseError::MethodTooLong, 501);
}

#[test]
fn default_field_line_limit_is_8_kib() {
    let limits = Limits::default();
    let at = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "v".repeat(8 * 1024 - 3)
    );
    assert!(is_complete(at.as_bytes()));
    let over = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "v".repeat(8 * 1024 - 2)
    );
    assert_rejected(over.as_bytes(), &limits, ParseError::FieldLineTooLong, 431);
    assert_rejected(
        &over.as_bytes()[..over.len() - 4],
        &limits,
        ParseError::FieldLineTooLong,
        431,
    );
}

#[test]
fn default_field_count_limit_is_100_lines() {
    let limits = Limits::default();
    assert!(is_complete(&request_with_fields(99, "v")));
    let over = request_with_fields(100, "v");
    assert_rejected(&over, &limits, ParseError::TooManyFields, 431);
    assert_rejected(
        &over[..over.len() - 2],
        &limits,
        ParseError::TooManyFields,
        431,
    );
}

#[test]
fn default_head_limit_is_16_kib() {
    let limits = Limits::default();
    // 20 lines of ~1 KiB stay under every other limit but not under 16 KiB.
    let over = request_with_fields(20, &"v".repeat(1000));
    assert!(over.len() > 16 * 1024);
    assert_rejected(&over, &limits, ParseError::HeadTooLarge, 431);
    assert_rejected(&over[..16 * 1024], &limits, ParseError::HeadTooLarge, 431);
    assert!(is_complete(&request_with_fields(15, &"v".repeat(1000))));
}
