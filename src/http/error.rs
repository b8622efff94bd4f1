//! Why a request head was refused, and the status each reason is answered
//! with.
//!
//! [`ParseError`] has its own module because three parsers report it: the
//! request line (`parse`), field lines (`headers`, shared with chunked
//! trailers) and the body framing rules (`body`). Keeping it apart lets each
//! of them depend on it without depending on the others. It owns the
//! reasons and their status codes; it does not detect anything, and it does
//! not cover a broken chunked body after the head (`body::ChunkError`).

use crate::config::Limits;
use crate::http::status::Status;

/// Why a request head was rejected. Each variant maps to one status code
/// in one place; tests match on the variant, never on a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// The method is not a token followed by a single SP.
    Method,
    /// The method token is longer than any method the server implements
    /// (`Method::LONGEST_TOKEN`): 501, as for any unknown method, but known
    /// before the line ends, so it is not mistaken for a long target (414).
    MethodTooLong,
    /// The request-target has a byte outside RFC 3986, a bad percent-escape,
    /// or a form the method does not allow.
    Target,
    /// The version is not `HTTP/DIGIT.DIGIT` followed by CRLF.
    Version,
    /// A well-formed version with a major other than 1 (505).
    UnsupportedVersion,
    /// The request line is longer than `Limits::max_request_line` (414).
    RequestLineTooLong,
    /// The head is longer than `Limits::max_head_bytes` (431).
    HeadTooLarge,
    /// More field lines than `Limits::max_fields` (431).
    TooManyFields,
    /// One field line is longer than `Limits::max_field_line` (431).
    FieldLineTooLong,
    /// A field name is empty or has a non-token byte.
    FieldName,
    /// Whitespace between a field name and its colon (RFC 9112 §5.1).
    WhitespaceBeforeColon,
    /// A field line without a colon.
    MissingColon,
    /// A line starting with whitespace: obsolete line folding (RFC 9112 §5.2).
    ObsFold,
    /// A field value holds NUL or another control byte.
    FieldValue,
    /// A bare CR or bare LF where CRLF was required.
    LineEnding,
    /// An HTTP/1.1 request without Host (RFC 9112 §3.2).
    MissingHost,
    /// More than one Host field line.
    DuplicateHost,
    /// A Host value that is not `uri-host [ ":" port ]`.
    InvalidHost,
    /// Content-Length is not `1*DIGIT`, overflows, or lists different values.
    ContentLength,
    /// Content-Length is larger than `Limits::max_body_bytes` (413).
    ContentTooLarge,
    /// Both Transfer-Encoding and Content-Length: a smuggling vector.
    TransferEncodingWithContentLength,
    /// Transfer-Encoding in an HTTP/1.0 request, which cannot carry it.
    TransferEncodingInHttp10,
    /// Transfer-Encoding whose final coding is not `chunked` (or is empty).
    ChunkedNotFinal,
    /// A transfer coding other than `chunked` (501).
    UnsupportedTransferCoding,
    /// An Expect value other than `100-continue` (417).
    UnsupportedExpectation,
}

impl ParseError {
    /// The status code this error is answered with. Every one of them also
    /// closes the connection.
    pub fn status(self) -> Status {
        match self {
            ParseError::UnsupportedVersion => Status::VERSION_NOT_SUPPORTED,
            ParseError::RequestLineTooLong => Status::URI_TOO_LONG,
            ParseError::HeadTooLarge | ParseError::TooManyFields | ParseError::FieldLineTooLong => {
                Status::HEADER_FIELDS_TOO_LARGE
            }
            ParseError::ContentTooLarge => Status::CONTENT_TOO_LARGE,
            ParseError::MethodTooLong | ParseError::UnsupportedTransferCoding => {
                Status::NOT_IMPLEMENTED
            }
            ParseError::UnsupportedExpectation => Status::EXPECTATION_FAILED,
            _ => Status::BAD_REQUEST,
        }
    }

    /// What rule the request broke, and which limit fired, in a few words
    /// for the person reading the error page or the log (no detail beyond
    /// the request itself).
    pub fn explain(self, limits: &Limits) -> String {
        let length = |bytes: usize| size(u64::try_from(bytes).unwrap_or(u64::MAX));
        match self {
            ParseError::RequestLineTooLong => format!(
                "the request line is longer than {} (the limit for it)",
                length(limits.max_request_line)
            ),
            ParseError::HeadTooLarge => format!(
                "the request head is longer than {} (the limit for all of it)",
                length(limits.max_head_bytes)
            ),
            ParseError::FieldLineTooLong => format!(
                "a header line is longer than {} (the limit for one field line)",
                length(limits.max_field_line)
            ),
            ParseError::TooManyFields => {
                format!("more than {} header lines (the limit)", limits.max_fields)
            }
            ParseError::ContentTooLarge => format!(
                "the body declared is larger than {} (the limit for a request body)",
                size(limits.max_body_bytes)
            ),
            other => other.rule().to_string(),
        }
    }

    /// The rule broken, for the errors that have no limit in them.
    fn rule(self) -> &'static str {
        match self {
            ParseError::Method => "the method is not a token followed by one space (RFC 9112 §3)",
            ParseError::MethodTooLong => {
                "the method is not one this server implements (RFC 9110 §9.1)"
            }
            ParseError::Target => {
                "the request target is not a valid URI path or form (RFC 9112 §3.2)"
            }
            ParseError::Version => "the version is not HTTP/d.d followed by CRLF (RFC 9112 §2.3)",
            ParseError::UnsupportedVersion => "only HTTP/1.x is spoken here (RFC 9110 §15.6.6)",
            ParseError::FieldName => "a header name is empty or not a token (RFC 9110 §5.1)",
            ParseError::WhitespaceBeforeColon => {
                "whitespace between a header name and its colon (RFC 9112 §5.1)"
            }
            ParseError::MissingColon => "a header line without a colon (RFC 9112 §5)",
            ParseError::ObsFold => "a header line continued on the next line (RFC 9112 §5.2)",
            ParseError::FieldValue => "a header value holds a control byte (RFC 9110 §5.5)",
            ParseError::LineEnding => "bare CR or LF as a line ending (RFC 9112 §2.2)",
            ParseError::MissingHost => "an HTTP/1.1 request without Host (RFC 9112 §3.2)",
            ParseError::DuplicateHost => "more than one Host (RFC 9112 §3.2)",
            ParseError::InvalidHost => "the Host is not host[:port] (RFC 9112 §3.2)",
            ParseError::ContentLength => "Content-Length is not one number (RFC 9112 §6.3)",
            ParseError::TransferEncodingWithContentLength => {
                "both Transfer-Encoding and Content-Length (RFC 9112 §6.1)"
            }
            ParseError::TransferEncodingInHttp10 => {
                "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)"
            }
            ParseError::ChunkedNotFinal => {
                "chunked is not the last transfer coding (RFC 9112 §6.3)"
            }
            ParseError::UnsupportedTransferCoding => {
                "a transfer coding this server does not decode (RFC 9112 §6.1)"
            }
            ParseError::UnsupportedExpectation => {
                "an Expect other than 100-continue (RFC 9110 §10.1.1)"
            }
            // The limits are explained with their numbers, in `explain`.
            ParseError::RequestLineTooLong
            | ParseError::HeadTooLarge
            | ParseError::FieldLineTooLong
            | ParseError::TooManyFields
            | ParseError::ContentTooLarge => "a limit was crossed",
        }
    }
}

/// A limit in bytes as a person reads it, exactly: `16 MiB`, `8 KiB`, or
/// `1000 bytes` when it is no whole number of either (a limit rounded
/// down would not be the limit).
fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    match bytes {
        0 => "0 bytes".to_string(),
        b if b % (KIB * KIB) == 0 => format!("{} MiB", b / (KIB * KIB)),
        b if b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: the limits were shown in whole KiB or MiB, rounded
    /// down, so a 64 KiB body limit read "larger than 0 MiB" and a
    /// 20,000,000-byte one "larger than 19 MiB". Each now shows exactly.
    #[test]
    fn limits_are_named_exactly() {
        let limits = Limits {
            max_request_line: 1000,
            max_body_bytes: 64 * 1024,
            ..Limits::default()
        };
        assert_eq!(
            ParseError::RequestLineTooLong.explain(&limits),
            "the request line is longer than 1000 bytes (the limit for it)"
        );
        assert_eq!(
            ParseError::ContentTooLarge.explain(&limits),
            "the body declared is larger than 64 KiB (the limit for a request body)"
        );
        let odd = Limits {
            max_body_bytes: 20_000_000,
            ..Limits::default()
        };
        assert!(ParseError::ContentTooLarge
            .explain(&odd)
            .contains("larger than 20000000 bytes"));
        assert!(ParseError::ContentTooLarge
            .explain(&Limits::default())
            .contains("larger than 16 MiB"));
        assert!(ParseError::HeadTooLarge
            .explain(&Limits::default())
            .contains("longer than 16 KiB"));
    }
}
